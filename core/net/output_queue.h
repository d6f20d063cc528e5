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
// took and keeps the rest. Once everything is written the queue's state goes
// back to per-thread caches (an idle connection holds no reply buffer and no
// piece list), and comes from them again for the next reply: nothing
// allocates once the caches have reached their working size.
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
  ~OutputQueue() { Clear(); }  // Clear() hands the state back
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
  size_t size() const { return state_ != nullptr ? state_->pending_bytes : 0; }
  bool empty() const { return state_ == nullptr || state_->pending_bytes == 0; }
  // Pieces (iovecs) not yet written.
  size_t piece_count() const {
    return state_ != nullptr ? state_->pieces.size() - state_->head : 0;
  }

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
    // Copied bytes live in the scratch area at logical offset `offset`;
    // referenced bytes at `ref`. Logical offsets survive scratch growth and
    // compaction.
    const char* ref;
    size_t offset;
    size_t len;
    ReleaseFn release;
    void* arg;
  };

  // Everything a queue with bytes in it needs. An empty queue holds none: its
  // State goes back to a per-thread pool (the piece list's capacity with it)
  // and its scratch block to the BufferCache, so an idle connection's reply
  // side costs one pointer, and the next reply takes them back without a
  // malloc.
  struct State {
    std::vector<Piece> pieces;
    size_t head = 0;  // first unwritten piece
    size_t pending_bytes = 0;
    char* scratch = nullptr;  // a BufferCache block of scratch_capacity bytes
    size_t scratch_capacity = 0;
    size_t scratch_begin = 0;  // physical offset of the first unwritten copied byte
    size_t scratch_end = 0;    // physical end of copied bytes
    size_t scratch_base = 0;   // logical offset of physical offset 0
    State* next_free = nullptr;  // in the thread's pool
  };

  static State* TakeState();
  static void GiveState(State* state);
  State& MutableState() {
    if (state_ == nullptr) state_ = TakeState();
    return *state_;
  }
  const char* PieceData(const Piece& p) const {
    return p.ref != nullptr ? p.ref : state_->scratch + (p.offset - state_->scratch_base);
  }
  // Makes room for `n` more scratch bytes.
  void ScratchReserve(size_t n);
  // Records `n` bytes just written at the scratch end as (part of) a piece.
  void AddScratchPiece(size_t n);
  // Hands the (written or cleared) state back.
  void Reset();

  State* state_ = nullptr;
  bool use_writev_ = false;  // fd is not a socket
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_OUTPUT_QUEUE_H_
