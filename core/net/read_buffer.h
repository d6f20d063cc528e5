// ReadBuffer: the contiguous, growable, compacting, capped input buffer of a
// connection, whose storage comes from (and goes back to) the thread's
// BufferCache.
//
// Protocol parsers (core/protocol) work on data(), an absl::string_view over
// every byte received and not yet consumed, so a request that arrived in
// pieces is always contiguous by the time it is parsed. The buffer:
//  - compacts (moves unconsumed bytes to the front) only when it needs room
//    at the back, and resets for free whenever it becomes empty;
//  - grows geometrically, or in one step to a size the parser asked for with
//    Reserve(), up to max_capacity and never beyond: a client cannot make it
//    grow without bound (PrepareAppend/ReadFrom report ResourceExhausted);
//  - allocates nothing once it has reached its working size: its blocks
//    come from the thread's BufferCache, so a buffer handed back while empty
//    (ReleaseIfEmpty, what a connection does after each batch) and taken
//    again on the next read costs a free-list pop and push, not a malloc.
// It is usable without any socket (Append), which is how parser tests and
// fuzzers feed it.
//
// View validity: data() and views into it stay valid across Consume(), and
// are invalidated by anything that adds bytes (Append, PrepareAppend,
// Reserve, ReadFrom) or by ShrinkIfEmpty()/ReleaseIfEmpty().
//
// Thread-compatible (one thread at a time).

#ifndef MEMKIT_CORE_NET_READ_BUFFER_H_
#define MEMKIT_CORE_NET_READ_BUFFER_H_

#include <sys/types.h>

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace memkit {
namespace net {

class ReadBuffer {
 public:
  struct Options {
    // Taken on first use (idle connections cost nothing); rounded up to a
    // BufferCache block size.
    size_t initial_capacity = 16 * 1024;
    // Hard cap on buffered, unconsumed bytes. The server sets it to its item
    // size limit plus room for the command line.
    size_t max_capacity = 2 * 1024 * 1024;
    // ReadFrom() makes at least this much room before each read (or what is
    // left under the cap), so small reads do not trickle in.
    size_t min_read_size = 4 * 1024;
  };

  ReadBuffer() : ReadBuffer(Options()) {}
  explicit ReadBuffer(const Options& options);
  ~ReadBuffer() { FreeStorage(); }

  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;
  ReadBuffer(ReadBuffer&& other) noexcept;
  ReadBuffer& operator=(ReadBuffer&& other) noexcept;

  // The unconsumed bytes.
  absl::string_view data() const { return absl::string_view(storage_ + begin_, size()); }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  // Bytes it can hold without growing (its block, up to the cap).
  size_t capacity() const { return capacity_ < max_capacity_ ? capacity_ : max_capacity_; }
  size_t max_capacity() const { return max_capacity_; }
  // No more bytes can be added until some are consumed.
  bool full() const { return size() >= max_capacity_; }

  // Drops the first `n` bytes (n <= size()).
  void Consume(size_t n);
  void Clear() { begin_ = end_ = 0; }

  // Ensures room for `n` more bytes after the current ones, in one step (a
  // parser that knows a 500 KB value is coming avoids repeated doubling).
  // ResourceExhausted if size() + n > max_capacity.
  absl::Status Reserve(size_t n);

  // Writable space of at least `min_bytes` (often more) after the data;
  // follow with CommitAppend(bytes actually written).
  absl::StatusOr<absl::Span<char>> PrepareAppend(size_t min_bytes);
  void CommitAppend(size_t n);

  // Copies `bytes` in. ResourceExhausted (and nothing appended) past the cap.
  absl::Status Append(absl::string_view bytes);

  // One read(2) from `fd` into the free space. Returns the bytes read (> 0),
  // 0 at end of stream, or kWouldBlock (EAGAIN). ResourceExhausted when the
  // buffer is full; the read's error (ErrnoStatus) otherwise.
  static constexpr ssize_t kWouldBlock = -1;
  absl::StatusOr<ssize_t> ReadFrom(int fd);

  // Hands the storage back to the thread's BufferCache if the buffer is
  // empty and has grown past `keep_capacity`, so a connection that once
  // received a large value does not hold the memory while idle. Returns true
  // if it released anything.
  bool ShrinkIfEmpty(size_t keep_capacity);
  // ShrinkIfEmpty(0): an empty buffer holds no storage.
  bool ReleaseIfEmpty() { return ShrinkIfEmpty(0); }

 private:
  // Makes capacity_ - end_ >= n; the caller checked the cap.
  void MakeRoom(size_t n);
  void FreeStorage();

  // 32-bit sizes (a buffer is capped far below 4 GiB): every connection
  // has one, 10,000 idle ones included.
  char* storage_ = nullptr;  // a BufferCache block of capacity_ bytes
  uint32_t capacity_ = 0;
  uint32_t begin_ = 0;  // first unconsumed byte
  uint32_t end_ = 0;    // one past the last byte
  uint32_t initial_capacity_;
  uint32_t max_capacity_;
  uint32_t min_read_size_;
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_READ_BUFFER_H_
