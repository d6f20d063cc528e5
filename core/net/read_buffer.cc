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

namespace {

// Options are size_t; the buffer keeps 32-bit sizes, under 4 GiB.
constexpr size_t kLargestCap = size_t{1} << 31;

uint32_t Clamp32(size_t n) { return static_cast<uint32_t>(std::min(n, kLargestCap)); }

}  // namespace

ReadBuffer::ReadBuffer(const Options& options)
    : initial_capacity_(Clamp32(options.initial_capacity)),
      max_capacity_(Clamp32(std::max<size_t>(1, options.max_capacity))),
      min_read_size_(Clamp32(std::max<size_t>(1, options.min_read_size))) {
  initial_capacity_ = std::max<uint32_t>(1, std::min(initial_capacity_, max_capacity_));
}

ReadBuffer::ReadBuffer(ReadBuffer&& other) noexcept
    : storage_(other.storage_),
      capacity_(other.capacity_),
      begin_(other.begin_),
      end_(other.end_),
      initial_capacity_(other.initial_capacity_),
      max_capacity_(other.max_capacity_),
      min_read_size_(other.min_read_size_) {
  other.storage_ = nullptr;
  other.capacity_ = other.begin_ = other.end_ = 0;
}

ReadBuffer& ReadBuffer::operator=(ReadBuffer&& other) noexcept {
  if (this == &other) return *this;
  FreeStorage();
  initial_capacity_ = other.initial_capacity_;
  max_capacity_ = other.max_capacity_;
  min_read_size_ = other.min_read_size_;
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
  begin_ += static_cast<uint32_t>(n);
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
    end_ = static_cast<uint32_t>(live);
    return;
  }
  size_t wanted = std::max({live + n, size_t{capacity_} * 2, size_t{initial_capacity_}});
  wanted = std::min(wanted, size_t{max_capacity_});
  char* grown = BufferCache::Take(wanted);
  if (live > 0) std::memcpy(grown, storage_ + begin_, live);
  FreeStorage();
  storage_ = grown;
  capacity_ = static_cast<uint32_t>(std::min(BufferCache::BlockSize(wanted), size_t{UINT32_MAX}));
  begin_ = 0;
  end_ = static_cast<uint32_t>(live);
}

absl::Status ReadBuffer::Reserve(size_t n) {
  if (n > size_t{max_capacity_} - size()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "read buffer limit: ", size(), " buffered + ", n, " more exceeds ",
        size_t{max_capacity_}, " bytes"));
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
                          std::min<size_t>(capacity_ - end_, size_t{max_capacity_} - size()));
}

void ReadBuffer::CommitAppend(size_t n) {
  assert(n <= capacity_ - end_);
  end_ += static_cast<uint32_t>(std::min<size_t>(n, capacity_ - end_));
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
        absl::StrCat("read buffer full (", size_t{max_capacity_}, " bytes)"));
  }
  const size_t room = size_t{max_capacity_} - size();
  MakeRoom(std::min(size_t{min_read_size_}, room));
  // Read into all the free space there is, but never past the cap.
  const size_t len = std::min<size_t>(capacity_ - end_, room);
  for (;;) {
    ssize_t n = ::read(fd, storage_ + end_, len);
    if (n >= 0) {
      end_ += static_cast<uint32_t>(n);
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
