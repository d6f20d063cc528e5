#include "core/net/output_queue.h"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "core/net/buffer_cache.h"
#include "core/net/socket.h"
#include "core/text/numbers.h"

namespace memkit {
namespace net {
namespace {

constexpr size_t kMinScratch = BufferCache::kMinBlock;
// A piece list that grew past this many entries (a huge multi-get) is freed
// once written rather than kept by an idle connection.
constexpr size_t kKeepPieces = 64;
// Pieces already written are dropped from the front of the list once they
// are this many and at least half of it (amortised O(1), no allocation).
constexpr size_t kCompactPieces = 64;

}  // namespace

// ---- the per-thread pool of States (see State). Plain thread_local data,
// valid for the thread's whole life; a Reaper frees the pool at thread exit
// and closes it, so queues destroyed later free their State directly.

namespace {

constexpr size_t kKeepStates = 256;

struct StatePool {
  void* head = nullptr;
  size_t count = 0;
};
thread_local StatePool tls_pool;
thread_local bool tls_pool_closed = false;

}  // namespace

OutputQueue::State* OutputQueue::TakeState() {
  if (!tls_pool_closed && tls_pool.head != nullptr) {
    State* s = static_cast<State*>(tls_pool.head);
    tls_pool.head = s->next_free;
    --tls_pool.count;
    s->next_free = nullptr;
    return s;
  }
  return new State;
}

void OutputQueue::GiveState(State* state) {
  struct Reaper {
    ~Reaper() {
      while (tls_pool.head != nullptr) {
        State* s = static_cast<State*>(tls_pool.head);
        tls_pool.head = s->next_free;
        delete s;
      }
      tls_pool.count = 0;
      tls_pool_closed = true;
    }
  };
  if (tls_pool_closed || tls_pool.count >= kKeepStates) {
    delete state;
    return;
  }
  thread_local Reaper reaper;  // registers the thread-exit cleanup once
  (void)reaper;
  state->next_free = static_cast<State*>(tls_pool.head);
  tls_pool.head = state;
  ++tls_pool.count;
}

// ---- adding bytes

void OutputQueue::ScratchReserve(size_t n) {
  State& s = MutableState();
  if (s.scratch_capacity - s.scratch_end >= n) return;
  const size_t live = s.scratch_end - s.scratch_begin;
  // Compact when that makes room and moves no more bytes than it frees.
  if (s.scratch != nullptr && s.scratch_capacity - live >= n && s.scratch_begin >= live) {
    std::memmove(s.scratch, s.scratch + s.scratch_begin, live);
  } else {
    const size_t want = std::max({s.scratch_capacity * 2, live + n, kMinScratch});
    char* grown = BufferCache::Take(want);
    if (live > 0) std::memcpy(grown, s.scratch + s.scratch_begin, live);
    BufferCache::Give(s.scratch, s.scratch_capacity);
    s.scratch = grown;
    s.scratch_capacity = BufferCache::BlockSize(want);
  }
  // Logical offsets are unchanged: physical 0 is now what scratch_begin was.
  s.scratch_base += s.scratch_begin;
  s.scratch_end = live;
  s.scratch_begin = 0;
}

void OutputQueue::AddScratchPiece(size_t n) {
  if (n == 0) return;
  State& s = *state_;  // ScratchReserve made it
  const size_t logical = s.scratch_end + s.scratch_base;
  s.scratch_end += n;
  s.pending_bytes += n;
  if (s.pieces.size() > s.head) {
    Piece& last = s.pieces.back();
    if (last.ref == nullptr && last.offset + last.len == logical) {
      last.len += n;
      return;
    }
  }
  s.pieces.push_back(Piece{nullptr, logical, n, nullptr, nullptr});
}

void OutputQueue::Append(absl::string_view bytes) {
  if (bytes.empty()) return;
  ScratchReserve(bytes.size());
  std::memcpy(state_->scratch + state_->scratch_end, bytes.data(), bytes.size());
  AddScratchPiece(bytes.size());
}

void OutputQueue::Append(std::initializer_list<absl::string_view> pieces) {
  size_t total = 0;
  for (absl::string_view p : pieces) total += p.size();
  if (total == 0) return;
  ScratchReserve(total);
  char* out = state_->scratch + state_->scratch_end;
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
  return state_->scratch + state_->scratch_end;
}

void OutputQueue::CommitAppend(size_t n) {
  if (state_ == nullptr) return;  // nothing was prepared
  assert(n <= state_->scratch_capacity - state_->scratch_end);
  AddScratchPiece(std::min(n, state_->scratch_capacity - state_->scratch_end));
}

void OutputQueue::AppendRef(absl::string_view bytes, ReleaseFn release, void* arg) {
  if (bytes.size() <= kCopyThreshold) {
    Append(bytes);
    if (release != nullptr) release(arg);
    return;
  }
  State& s = MutableState();
  s.pieces.push_back(Piece{bytes.data(), 0, bytes.size(), release, arg});
  s.pending_bytes += bytes.size();
}

// ---- writing and dropping

size_t OutputQueue::Gather(struct iovec* iov, size_t max_iov) const {
  if (state_ == nullptr) return 0;
  size_t n = 0;
  for (size_t i = state_->head; i < state_->pieces.size() && n < max_iov; ++i, ++n) {
    iov[n].iov_base = const_cast<char*>(PieceData(state_->pieces[i]));
    iov[n].iov_len = state_->pieces[i].len;
  }
  return n;
}

void OutputQueue::Consume(size_t n) {
  assert(n <= size());
  if (state_ == nullptr) return;
  State& s = *state_;
  while (n > 0 && s.head < s.pieces.size()) {
    Piece& p = s.pieces[s.head];
    const size_t take = std::min(n, p.len);
    if (p.ref == nullptr) {
      s.scratch_begin += take;
      p.offset += take;
    } else {
      p.ref += take;
    }
    p.len -= take;
    n -= take;
    s.pending_bytes -= take;
    if (p.len != 0) break;
    ++s.head;
    if (p.release != nullptr) p.release(p.arg);
  }
  if (s.head == s.pieces.size()) {
    Reset();
  } else if (s.head >= kCompactPieces && s.head * 2 >= s.pieces.size()) {
    s.pieces.erase(s.pieces.begin(), s.pieces.begin() + static_cast<std::ptrdiff_t>(s.head));
    s.head = 0;
  }
}

void OutputQueue::Reset() {
  if (state_ == nullptr) return;
  State* s = state_;
  state_ = nullptr;
  if (s->pieces.capacity() > kKeepPieces) {
    std::vector<Piece>().swap(s->pieces);
  } else {
    s->pieces.clear();
  }
  s->head = 0;
  s->pending_bytes = 0;
  BufferCache::Give(s->scratch, s->scratch_capacity);
  s->scratch = nullptr;
  s->scratch_capacity = 0;
  s->scratch_begin = s->scratch_end = 0;
  s->scratch_base = 0;
  GiveState(s);
}

void OutputQueue::Clear() {
  if (state_ == nullptr) return;
  // Collect first: a release function must see a consistent (empty) queue.
  State& s = *state_;
  for (size_t i = s.head; i < s.pieces.size(); ++i) {
    Piece p = s.pieces[i];
    s.pieces[i].release = nullptr;
    if (p.release != nullptr) p.release(p.arg);
  }
  Reset();
}

std::string OutputQueue::ToString() const {
  std::string out;
  if (state_ == nullptr) return out;
  out.reserve(state_->pending_bytes);
  for (size_t i = state_->head; i < state_->pieces.size(); ++i) {
    out.append(PieceData(state_->pieces[i]), state_->pieces[i].len);
  }
  return out;
}

absl::StatusOr<size_t> OutputQueue::WriteTo(int fd) {
  // One iovec array per thread, not per queue: a queue holds nothing for
  // writing between calls.
  thread_local struct iovec iov[kMaxIov];
  size_t total = 0;
  while (!empty()) {
    const size_t count = Gather(iov, kMaxIov);
    size_t offered = 0;
    for (size_t i = 0; i < count; ++i) offered += iov[i].iov_len;
    ssize_t n;
    if (!use_writev_) {
      struct msghdr msg;
      std::memset(&msg, 0, sizeof(msg));
      msg.msg_iov = iov;
      msg.msg_iovlen = count;
      n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == ENOTSOCK) {
        use_writev_ = true;
        continue;
      }
    } else {
      n = ::writev(fd, iov, static_cast<int>(count));
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
