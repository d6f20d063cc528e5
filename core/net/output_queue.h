// OutputQueue: the reply side of a connection. Gathers small formatted pieces
// (copied into one contiguous scratch area) and referenced value bytes (not
// copied), and writes them with one gather write (sendmsg/writev) per flush.
//
// A "get" reply is typically: copied "VALUE k 0 5\r\n", a reference to the
// item's 5 value bytes, copied "\r\n", ..., copied "END\r\n". Consecutive
// copied pieces merge into one iovec, so that reply costs 2 iovecs per hit.
//
// Referenced bytes must stay valid and unchanged until their release
// function runs. It runs once the bytes have been written, or on Clear() or
// destruction, and may also run early (a small reference is copied at once
// and released). The server pins an item with a reference count and passes
// an unpin function; static strings need no release function.
//
// Partial writes and EAGAIN are normal: WriteTo() consumes what the kernel
// took and keeps the rest. Nothing allocates once the scratch area, piece
// list and iovec array have reached their working size.
//
// Thread-compatible (one thread at a time). Usable without a socket: Gather()
// plus Consume(), or ToString() in tests.

#ifndef MEMKIT_CORE_NET_OUTPUT_QUEUE_H_
#define MEMKIT_CORE_NET_OUTPUT_QUEUE_H_

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace net {

class OutputQueue {
 public:
  using ReleaseFn = void (*)(void* arg);

  // References up to this size are copied (and released at once): a memcpy
  // of a few dozen bytes is cheaper than an extra iovec.
  static constexpr size_t kCopyThreshold = 64;
  // The most iovecs handed to one sendmsg/writev (IOV_MAX is 1024).
  static constexpr size_t kMaxIov = 256;

  OutputQueue() = default;
  ~OutputQueue() { Clear(); }
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;

  // ---- adding bytes

  // Copies `bytes`.
  void Append(absl::string_view bytes);
  void Append(std::initializer_list<absl::string_view> pieces);
  // Copies the decimal form of `value`.
  void AppendDecimal(uint64_t value);
  // Room for up to `max_len` bytes to format in place; then CommitAppend(n)
  // with the bytes written. Invalidated by any other call.
  char* PrepareAppend(size_t max_len);
  void CommitAppend(size_t n);

  // References `bytes` without copying (unless it is small); see the class
  // comment for the lifetime rule. `release(arg)` is called exactly once.
  void AppendRef(absl::string_view bytes, ReleaseFn release = nullptr, void* arg = nullptr);

  // ---- state

  // Bytes not yet written.
  size_t size() const { return pending_bytes_; }
  bool empty() const { return pending_bytes_ == 0; }
  // Pieces (iovecs) not yet written.
  size_t piece_count() const { return pieces_.size() - head_; }

  // ---- writing

  // One gather write of up to kMaxIov pieces; repeats only while each write
  // was taken whole and more is queued. Returns the bytes written (0 when the
  // socket would block). Uses sendmsg(MSG_NOSIGNAL) so a closed peer is an
  // EPIPE error, not a SIGPIPE; falls back to writev for non-sockets.
  absl::StatusOr<size_t> WriteTo(int fd);

  // Fills up to `max_iov` iovecs with the pending bytes; returns how many.
  size_t Gather(struct iovec* iov, size_t max_iov) const;
  // Drops the first `n` pending bytes (n <= size()), releasing references.
  void Consume(size_t n);
  // Drops everything, releasing references.
  void Clear();

  // A copy of the pending bytes (tests, debugging).
  std::string ToString() const;

 private:
  struct Piece {
    // Copied bytes live in scratch_ at logical offset `offset`; referenced
    // bytes at `ref`. Logical offsets survive scratch_ growth and compaction.
    const char* ref;
    size_t offset;
    size_t len;
    ReleaseFn release;
    void* arg;
  };

  const char* PieceData(const Piece& p) const {
    return p.ref != nullptr ? p.ref : scratch_.get() + (p.offset - scratch_base_);
  }
  // Makes room for `n` more scratch bytes.
  void ScratchReserve(size_t n);
  // Records `n` bytes just written at the scratch end as (part of) a piece.
  void AddScratchPiece(size_t n);
  void Reset();

  std::vector<Piece> pieces_;
  size_t head_ = 0;  // first unwritten piece
  size_t pending_bytes_ = 0;

  std::unique_ptr<char[]> scratch_;
  size_t scratch_capacity_ = 0;
  size_t scratch_begin_ = 0;  // physical offset of the first unwritten copied byte
  size_t scratch_end_ = 0;    // physical end of copied bytes
  size_t scratch_base_ = 0;   // logical offset of physical offset 0

  std::vector<struct iovec> iov_;  // reused by WriteTo
  bool use_writev_ = false;        // fd is not a socket
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_OUTPUT_QUEUE_H_
