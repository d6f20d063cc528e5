// Session: one client connection of a memkit server. It detects the
// protocol from the first byte (0x80: binary, anything else: text/meta; as
// memcached's -B auto), then loops parse -> execute -> reply over every
// request buffered, appending replies to the connection's output queue,
// which the connection flushes once per batch. Values are appended by
// reference, pinned (ItemPins), never copied.
//
// memcached's connection-level quirks live here: bytes swallowed after a
// refused storage command, closing after "quit" and on hopeless input,
// noreply, -R's yield after N requests, answering everything pipelined
// before a half-close.
//
// The command handlers are split by protocol: ascii_handler.cc (text),
// meta_handler.cc (meta), admin_handler.cc (slabs, lru_crawler, ...),
// binary_handler.cc (binary); stats replies come
// from server/stats_writer.h.
//
// Thread-safety: created, used and destroyed on its worker's loop thread.
// The `registry_*` fields and `state`/`last_cmd_ns` are read by other
// sessions' "stats conns" under ServerCore::registry_mu.

#ifndef MEMKIT_SERVER_HANDLERS_SESSION_H_
#define MEMKIT_SERVER_HANDLERS_SESSION_H_

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/net/connection.h"
#include "core/net/output_queue.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/parse_result.h"
#include "server/handlers/item_pins.h"
#include "server/handlers/server_core.h"

namespace memkit {
namespace server {
namespace internal {

// What "stats conns" reports as a connection's state.
enum class SessionState : uint8_t { kRead, kParseCmd, kNread, kSwallow, kClosing };
const char* SessionStateName(SessionState state);

class Session final : public net::Connection::Handler {
 public:
  // On the worker's loop thread. Registers the session; OnClose unregisters
  // and deletes it.
  static void Start(ServerCore* core, Worker* worker, const ListenerSlot* slot, net::UniqueFd fd,
                    std::string peer);

  void OnData(net::Connection* conn) override;
  void OnReadEof(net::Connection* conn) override;
  void OnDrained(net::Connection* conn) override;
  void OnClose(net::Connection* conn, const absl::Status& status) override;

  net::Connection* connection() const { return conn_.get(); }
  // Closes now (FIN, or RST when `reset`); pending output is dropped.
  void CloseNow(bool reset);
  // Answers what is buffered, then closes once the output is written.
  void CloseGracefully();

  // For the idle sweep: monotonic ns (EventLoop::cached_now_ns) of the last
  // read, or of the connection's start if nothing was read yet.
  int64_t last_activity_ns() const;
  // Unregisters and destroys the session without a loop (its loop has
  // stopped; Server::Shutdown's last step, on the owning thread).
  void DestroyAfterLoopStopped();

  // ---- worker list (loop thread) and registry (registry_mu)
  Session* worker_prev = nullptr;
  Session* worker_next = nullptr;
  Session* registry_prev = nullptr;
  Session* registry_next = nullptr;
  // Read by "stats conns" from other threads.
  std::atomic<SessionState> state{SessionState::kRead};
  // Monotonic ns (the loop's cached clock) of the last request batch.
  std::atomic<int64_t> last_cmd_ns{0};
  int fd = -1;
  std::string peer;                      // "tcp:127.0.0.1:5555" or "unix:/path"
  const ListenerSlot* listen_slot = nullptr;

 private:
  enum class Protocol : uint8_t { kUnknown, kAscii, kBinary };
  enum class Step : uint8_t { kContinue, kStop };

  Session(ServerCore* core, Worker* worker);
  ~Session() override;

  // Runs buffered requests; `limited`: stop after -R requests and yield.
  void Process(bool limited);
  void ScheduleResume(absl::Duration delay);
  void Resume();
  void SyncByteCounters();
  // Leaves the worker list and the registry; counts the connection gone.
  void Unregister();
  void ApplyLatency();

  // Starts a request: picks the output (dropped replies go to a scratch
  // queue) and takes an armed injected failure. Returns true if the request
  // must be answered with `fail_message_` instead of executed.
  bool BeginRequest();
  void EndRequest();
  // memcached writes replies at certain points (after a get, mn, a binary
  // error or noop, when its input runs dry) and drops the unwritten rest
  // when it hangs up on bad input. Commit() marks such a point; before a
  // silent close, DropUncommitted() discards what memcached would not send.
  void Commit() {
    committed_ = conn_->output().size();
    reply_refs_.clear();
  }
  // memcached's response objects hold a reference to every item they
  // answer with (mg and binary get/touch hits) until written; an incr or
  // decr meanwhile sees the item busy and makes a new one instead of
  // rewriting the number in place. HoldUntilWritten() keeps that reference
  // until the next write point (Commit(), or the end of the batch).
  void HoldUntilWritten(ItemRef ref) { reply_refs_.push_back(std::move(ref)); }
  void DropUncommitted();
  // Parses nothing more and closes once the queued replies are written
  // (quit, shutdown, a protocol error memcached hangs up on).
  void CloseAfterReplies();
  // Grows the input buffer for a request still `bytes_needed` short, or
  // closes the connection if it cannot (the parsers' limits are below the
  // buffer's cap, so this should not happen).
  void ReserveOrClose(size_t bytes_needed);
  // memcached writes nothing while it waits for the rest of a value
  // (conn_nread) or of bytes to swallow (conn_swallow): replies queued since
  // the last write point wait with it. At the end of a batch that stops in
  // such a wait, HoldUncommitted() takes them out of the connection's
  // output (which is flushed after every batch); ReleaseHeld() puts them
  // back, in order, once the wait is over.
  bool AwaitingData() const;
  void HoldUncommitted();
  void ReleaseHeld();
  // Appends the pending output's bytes [from, to) to `dst`.
  void CopyOutput(size_t from, size_t to, std::string* dst);
  // Drops the pending output past committed_ (copying the rest: rare paths).
  void KeepOnlyCommitted();

  // ---- text and meta (ascii_handler.cc, meta_handler.cc)
  Step StepAscii();
  void HandleAsciiError(absl::string_view input, const protocol::ParseResult& result);
  bool HandleDebugtime(absl::string_view line);
  void ExecuteAscii();
  void AsciiRetrieve();
  void AsciiRetrieveSilently();  // the lookups of a get refused for a long key
  void AsciiStore();
  void AsciiDelete();
  void AsciiArithmetic();
  void AsciiTouch();
  void AsciiFlushAll();
  void AsciiVerbosity();
  void AsciiStats();
  void AsciiShutdown();
  void AsciiMemlimit();
  void AsciiAdmin();  // admin_handler.cc
  void AdminLruCrawler(absl::Span<const absl::string_view> args);
  absl::string_view SlabsReassign(int32_t src, int32_t dst);
  absl::string_view AdminLru(absl::Span<const absl::string_view> args);
  bool AdminExtstore(absl::Span<const absl::string_view> args);
  void AdminWatch(absl::Span<const absl::string_view> args, bool noreply);
  void MetaDump(absl::string_view classes);
  void AsciiReply(absl::string_view line);  // honours noreply
  void MetaGet();
  void MetaSet();
  void MetaDelete();
  void MetaArithmetic();
  void MetaDebug();

  // ---- binary (binary_handler.cc)
  Step StepBinary();
  void ExecuteBinary();
  void BinaryGet();
  void BinaryStore();
  void BinaryAppendPrepend();
  // Stores binary_'s key and value with `request` and sends the response;
  // a NOT_STORED outcome is reported as `not_stored`.
  void BinaryStoreAndReply(const StoreRequest& request, protocol::BinaryStatus not_stored);
  void BinaryDelete();
  void BinaryArithmetic();
  void BinaryFlush();
  void BinaryStats();
  void SendPacket(const protocol::BinaryPacket& packet);
  void SendBinaryError(protocol::BinaryStatus status);
  void SendBinaryError(protocol::BinaryStatus status, absl::string_view message);

  ServerCore* const core_;
  Worker* const worker_;
  // Declared before conn_: the connection's output queue releases pins.
  ItemPins pins_;
  net::OutputQueue discard_;             // replies that a fault drops
  std::unique_ptr<net::Connection> conn_;
  net::OutputQueue* out_ = nullptr;      // where the current request replies

  Protocol protocol_ = Protocol::kUnknown;
  size_t swallow_ = 0;       // bytes still to discard after a refused command
  size_t wait_until_ = 0;    // don't reparse until input holds this many bytes
  size_t committed_ = 0;     // output bytes memcached would have written by now
  // The request being parsed is a storage command whose value is still
  // arriving (memcached's conn_nread), as opposed to a partial line/header.
  bool awaiting_value_ = false;
  // The last batch ended waiting for a value's or a swallow's bytes.
  bool awaited_data_ = false;
  std::string held_;                       // replies held in conn_nread/conn_swallow
  std::vector<ItemRef> reply_refs_;        // see HoldUntilWritten()
  std::string copy_scratch_;               // for HoldUncommitted/DropUncommitted
  std::vector<struct iovec> iov_scratch_;  // for CopyOutput
  bool closing_ = false;     // quit/close requested: parse nothing more
  // "watch": the connection only receives log lines; input is ignored.
  bool watcher_ = false;
  // Discard what is buffered after the current request (memcached hands the
  // connection to another thread for watch and metadump, losing it).
  bool drop_buffered_input_ = false;
  bool output_paused_ = false;
  int64_t start_ns_ = 0;
  net::EventLoop::TimerId resume_timer_ = 0;
  uint64_t counted_read_ = 0;
  uint64_t counted_written_ = 0;
  int64_t applied_latency_ns_ = 0;
  std::string fail_message_;

  protocol::AsciiRequest ascii_;
  protocol::BinaryRequest binary_;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_SESSION_H_
