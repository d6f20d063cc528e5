#include "core/net/output_queue.h"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "core/net/socket.h"
#include "core/text/numbers.h"

namespace memkit {
namespace net {
namespace {

constexpr size_t kMinScratch = 4096;
// Pieces already written are dropped from the front of the list once they
// are this many and at least half of it (amortised O(1), no allocation).
constexpr size_t kCompactPieces = 64;

}  // namespace

void OutputQueue::ScratchReserve(size_t n) {
  if (scratch_capacity_ - scratch_end_ >= n) return;
  const size_t live = scratch_end_ - scratch_begin_;
  // Compact when that makes room and moves no more bytes than it frees.
  if (scratch_ != nullptr && scratch_capacity_ - live >= n && scratch_begin_ >= live) {
    std::memmove(scratch_.get(), scratch_.get() + scratch_begin_, live);
  } else {
    size_t cap = std::max({scratch_capacity_ * 2, live + n, kMinScratch});
    std::unique_ptr<char[]> grown(new char[cap]);
    if (live > 0) std::memcpy(grown.get(), scratch_.get() + scratch_begin_, live);
    scratch_ = std::move(grown);
    scratch_capacity_ = cap;
  }
  // Logical offsets are unchanged: physical 0 is now what scratch_begin_ was.
  scratch_base_ += scratch_begin_;
  scratch_end_ = live;
  scratch_begin_ = 0;
}

void OutputQueue::AddScratchPiece(size_t n) {
  if (n == 0) return;
  const size_t logical = scratch_end_ + scratch_base_;
  scratch_end_ += n;
  pending_bytes_ += n;
  if (pieces_.size() > head_) {
    Piece& last = pieces_.back();
    if (last.ref == nullptr && last.offset + last.len == logical) {
      last.len += n;
      return;
    }
  }
  pieces_.push_back(Piece{nullptr, logical, n, nullptr, nullptr});
}

void OutputQueue::Append(absl::string_view bytes) {
  if (bytes.empty()) return;
  ScratchReserve(bytes.size());
  std::memcpy(scratch_.get() + scratch_end_, bytes.data(), bytes.size());
  AddScratchPiece(bytes.size());
}

void OutputQueue::Append(std::initializer_list<absl::string_view> pieces) {
  size_t total = 0;
  for (absl::string_view p : pieces) total += p.size();
  if (total == 0) return;
  ScratchReserve(total);
  char* out = scratch_.get() + scratch_end_;
  for (absl::string_view p : pieces) {
    if (p.empty()) continue;  // p.data() may be null
    std::memcpy(out, p.data(), p.size());
    out += p.size();
  }
  AddScratchPiece(total);
}

void OutputQueue::AppendDecimal(uint64_t value) {
  char* out = PrepareAppend(text::kMaxU64Digits);
  CommitAppend(static_cast<size_t>(text::FormatU64(value, out) - out));
}

char* OutputQueue::PrepareAppend(size_t max_len) {
  ScratchReserve(std::max<size_t>(max_len, 1));
  return scratch_.get() + scratch_end_;
}

void OutputQueue::CommitAppend(size_t n) {
  assert(n <= scratch_capacity_ - scratch_end_);
  AddScratchPiece(std::min(n, scratch_capacity_ - scratch_end_));
}

void OutputQueue::AppendRef(absl::string_view bytes, ReleaseFn release, void* arg) {
  if (bytes.size() <= kCopyThreshold) {
    Append(bytes);
    if (release != nullptr) release(arg);
    return;
  }
  pieces_.push_back(Piece{bytes.data(), 0, bytes.size(), release, arg});
  pending_bytes_ += bytes.size();
}

size_t OutputQueue::Gather(struct iovec* iov, size_t max_iov) const {
  size_t n = 0;
  for (size_t i = head_; i < pieces_.size() && n < max_iov; ++i, ++n) {
    iov[n].iov_base = const_cast<char*>(PieceData(pieces_[i]));
    iov[n].iov_len = pieces_[i].len;
  }
  return n;
}

void OutputQueue::Consume(size_t n) {
  assert(n <= pending_bytes_);
  while (n > 0 && head_ < pieces_.size()) {
    Piece& p = pieces_[head_];
    const size_t take = std::min(n, p.len);
    if (p.ref == nullptr) {
      scratch_begin_ += take;
      p.offset += take;
    } else {
      p.ref += take;
    }
    p.len -= take;
    n -= take;
    pending_bytes_ -= take;
    if (p.len != 0) break;
    ++head_;
    if (p.release != nullptr) p.release(p.arg);
  }
  if (head_ == pieces_.size()) {
    Reset();
  } else if (head_ >= kCompactPieces && head_ * 2 >= pieces_.size()) {
    pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void OutputQueue::Reset() {
  pieces_.clear();
  head_ = 0;
  pending_bytes_ = 0;
  scratch_begin_ = scratch_end_ = 0;
  scratch_base_ = 0;
}

void OutputQueue::Clear() {
  // Collect first: a release function must see a consistent (empty) queue.
  for (size_t i = head_; i < pieces_.size(); ++i) {
    Piece p = pieces_[i];
    pieces_[i].release = nullptr;
    if (p.release != nullptr) p.release(p.arg);
  }
  Reset();
}

std::string OutputQueue::ToString() const {
  std::string out;
  out.reserve(pending_bytes_);
  for (size_t i = head_; i < pieces_.size(); ++i) {
    out.append(PieceData(pieces_[i]), pieces_[i].len);
  }
  return out;
}

absl::StatusOr<size_t> OutputQueue::WriteTo(int fd) {
  size_t total = 0;
  while (!empty()) {
    const size_t want = std::min(piece_count(), kMaxIov);
    if (iov_.size() < want) iov_.resize(want);
    const size_t count = Gather(iov_.data(), want);
    size_t offered = 0;
    for (size_t i = 0; i < count; ++i) offered += iov_[i].iov_len;
    ssize_t n;
    if (!use_writev_) {
      struct msghdr msg;
      std::memset(&msg, 0, sizeof(msg));
      msg.msg_iov = iov_.data();
      msg.msg_iovlen = count;
      n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == ENOTSOCK) {
        use_writev_ = true;
        continue;
      }
    } else {
      n = ::writev(fd, iov_.data(), static_cast<int>(count));
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return total;
      return ErrnoStatus(errno, "write");
    }
    Consume(static_cast<size_t>(n));
    total += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < offered) break;  // the socket buffer is full
  }
  return total;
}

}  // namespace net
}  // namespace memkit
