#include "core/net/read_buffer.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/net/buffer_cache.h"
#include "core/net/socket.h"

namespace memkit {
namespace net {

ReadBuffer::ReadBuffer(const Options& options) : options_(options) {
  if (options_.max_capacity == 0) options_.max_capacity = 1;
  options_.initial_capacity =
      std::max<size_t>(1, std::min(options_.initial_capacity, options_.max_capacity));
  options_.min_read_size = std::max<size_t>(1, options_.min_read_size);
}

ReadBuffer::ReadBuffer(ReadBuffer&& other) noexcept
    : options_(other.options_),
      storage_(other.storage_),
      capacity_(other.capacity_),
      begin_(other.begin_),
      end_(other.end_) {
  other.storage_ = nullptr;
  other.capacity_ = other.begin_ = other.end_ = 0;
}

ReadBuffer& ReadBuffer::operator=(ReadBuffer&& other) noexcept {
  if (this == &other) return *this;
  FreeStorage();
  options_ = other.options_;
  storage_ = other.storage_;
  capacity_ = other.capacity_;
  begin_ = other.begin_;
  end_ = other.end_;
  other.storage_ = nullptr;
  other.capacity_ = other.begin_ = other.end_ = 0;
  return *this;
}

void ReadBuffer::FreeStorage() {
  BufferCache::Give(storage_, capacity_);
  storage_ = nullptr;
  capacity_ = 0;
}

void ReadBuffer::Consume(size_t n) {
  assert(n <= size());
  n = std::min(n, size());
  begin_ += n;
  if (begin_ == end_) begin_ = end_ = 0;  // free compaction
}

void ReadBuffer::MakeRoom(size_t n) {
  if (capacity_ - end_ >= n) return;
  const size_t live = size();
  // Compact when that alone makes room and the move is cheap relative to the
  // room it frees (the live bytes are at most a partial request).
  if (storage_ != nullptr && capacity_ - live >= n) {
    std::memmove(storage_, storage_ + begin_, live);
    begin_ = 0;
    end_ = live;
    return;
  }
  size_t wanted = std::max({live + n, capacity_ * 2, options_.initial_capacity});
  wanted = std::min(wanted, options_.max_capacity);
  char* grown = BufferCache::Take(wanted);
  if (live > 0) std::memcpy(grown, storage_ + begin_, live);
  FreeStorage();
  storage_ = grown;
  capacity_ = BufferCache::BlockSize(wanted);
  begin_ = 0;
  end_ = live;
}

absl::Status ReadBuffer::Reserve(size_t n) {
  if (n > options_.max_capacity - size()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "read buffer limit: ", size(), " buffered + ", n, " more exceeds ",
        options_.max_capacity, " bytes"));
  }
  MakeRoom(n);
  return absl::OkStatus();
}

absl::StatusOr<absl::Span<char>> ReadBuffer::PrepareAppend(size_t min_bytes) {
  absl::Status s = Reserve(std::max<size_t>(min_bytes, 1));
  if (!s.ok()) return s;
  // The block may be larger than the cap (rounded up to its class): offer
  // no room past the cap.
  return absl::Span<char>(storage_ + end_,
                          std::min(capacity_ - end_, options_.max_capacity - size()));
}

void ReadBuffer::CommitAppend(size_t n) {
  assert(n <= capacity_ - end_);
  end_ += std::min(n, capacity_ - end_);
}

absl::Status ReadBuffer::Append(absl::string_view bytes) {
  if (bytes.empty()) return absl::OkStatus();
  auto span = PrepareAppend(bytes.size());
  if (!span.ok()) return span.status();
  std::memcpy(span->data(), bytes.data(), bytes.size());
  CommitAppend(bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<ssize_t> ReadBuffer::ReadFrom(int fd) {
  if (full()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("read buffer full (", options_.max_capacity, " bytes)"));
  }
  const size_t room = options_.max_capacity - size();
  MakeRoom(std::min(options_.min_read_size, room));
  // Read into all the free space there is, but never past the cap.
  const size_t len = std::min(capacity_ - end_, room);
  for (;;) {
    ssize_t n = ::read(fd, storage_ + end_, len);
    if (n >= 0) {
      end_ += static_cast<size_t>(n);
      return n;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    return ErrnoStatus(errno, "read");
  }
}

bool ReadBuffer::ShrinkIfEmpty(size_t keep_capacity) {
  if (!empty() || storage_ == nullptr || capacity_ <= keep_capacity) return false;
  FreeStorage();
  begin_ = end_ = 0;
  return true;
}

}  // namespace net
}  // namespace memkit
