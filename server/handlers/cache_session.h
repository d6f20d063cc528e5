// CacheSession: the server's cache engine as a frontend::Backend, one per
// client connection. core/frontend (frontend::Connection) reads, decodes,
// orders and writes; a CacheSession answers each decoded request from the
// engine (server/cache.h), synchronously, appending values by reference
// (pinned with ItemPins, never copied) in the client's protocol.
//
// The command handlers are split by protocol: ascii_handler.cc (text),
// meta_handler.cc (meta), admin_handler.cc (slabs, lru_crawler, ...: the
// memcached-server-only commands the front end passes through tokenised),
// watch_handler.cc ("watch" and the engine calls that report to the watch
// log), binary_handler.cc (binary); stats replies come from
// server/stats_writer.h.
//
// It also keeps the server's view of the connection: the worker's session
// list (idle sweep, closing), the registry "stats conns" walks, byte
// counters, the watch state.
//
// Thread-safety: created, used and destroyed on its worker's loop thread.
// The registry fields are read by other sessions' "stats conns" under the
// ConnectionRegistry's lock; frontend()->state() is atomic.

#ifndef MEMKIT_SERVER_HANDLERS_CACHE_SESSION_H_
#define MEMKIT_SERVER_HANDLERS_CACHE_SESSION_H_

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/frontend/backend.h"
#include "core/frontend/connection.h"
#include "core/net/address.h"
#include "core/net/output_queue.h"
#include "core/net/socket.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "server/handlers/item_pins.h"
#include "server/handlers/server_core.h"

namespace memkit {
namespace server {
namespace internal {

struct WatchPump;  // watch_handler.cc

class CacheSession final : public frontend::Backend {
 public:
  // On the worker's loop thread: starts a frontend::Connection with a new
  // CacheSession behind it. The connection registers the session (OnOpen)
  // and destroys it after OnClose.
  static void Start(ServerCore* core, Worker* worker, const ListenerSlot* slot, net::UniqueFd fd,
                    const net::CompactIpAddress& peer);

  ~CacheSession() override;

  // The connection in front of this session (set by OnOpen).
  frontend::Connection* frontend() const { return frontend_; }

  // ---- frontend::Backend
  void OnOpen(frontend::Connection* conn) override;
  void OnTextRequest(const protocol::AsciiRequest& request, frontend::Exchange* exchange) override;
  void OnBinaryRequest(const protocol::BinaryRequest& request,
                       frontend::Exchange* exchange) override;
  bool OnTextError(absl::string_view line, const protocol::AsciiRequest& request,
                   const protocol::ProtocolError& error, net::OutputQueue* out) override;
  void OnBinaryError(const protocol::BinaryRequest& request,
                     const protocol::ProtocolError& error) override;
  void OnBatch() override { SyncByteCounters(); }
  void OnWritePoint() override { reply_refs_.clear(); }
  void OnYield() override { worker_->counters.conn_yields.Inc(); }
  void OnClose(const absl::Status& status) override;

  // Requests answered so far, and the protocol of the last one ("ascii",
  // "meta", "binary"; "" before any). Any thread (the admin API's
  // ListConnections, under the registry's lock).
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  const char* protocol_name() const;

  // The connection turned "watch": a log stream, not idle however quiet.
  bool watching() const { return watch_ != nullptr; }
  // Why the server is closing it, for its conn_close log line (otherwise
  // normal, or error when the connection failed, or shutdown while the
  // server stops).
  void set_close_reason(WatchLog::CloseReason reason) {
    close_reason_ = reason;
    has_close_reason_ = true;
  }

  // A text watcher's turn to move its queued log lines into the socket
  // (loop thread; watch_handler.cc).
  void FlushWatch();

  // ---- worker list (loop thread) and registry (ConnectionRegistry's lock)
  CacheSession* worker_prev = nullptr;
  CacheSession* worker_next = nullptr;
  CacheSession* registry_prev = nullptr;
  CacheSession* registry_next = nullptr;
  const ListenerSlot* listen_slot = nullptr;
  int fd = -1;  // (beside peer_ip_ and close_reason_: no padding)
  // "tcp:127.0.0.1:5555" or "unix:/path" (the listener's).
  std::string peer() const;

 private:
  CacheSession(ServerCore* core, Worker* worker);

  // 24 bytes where a "tcp:..." string took 32 and a heap block: one per
  // connection, 10,000 idle ones included.
  net::CompactIpAddress peer_ip_;
  WatchLog::CloseReason close_reason_ = WatchLog::CloseReason::kNormal;

  void SyncByteCounters();
  void CountRequest(uint8_t protocol);
  // Leaves the worker list and the registry; counts the connection gone.
  void Unregister();

  // memcached's response objects hold a reference to every item they
  // answer with (mg and binary get/touch hits) until written; an incr or
  // decr meanwhile sees the item busy and makes a new one instead of
  // rewriting the number in place. HoldUntilWritten() keeps that reference
  // until the front end's next write point (OnWritePoint).
  void HoldUntilWritten(ItemRef ref) { reply_refs_.push_back(std::move(ref)); }

  // ---- text and meta (ascii_handler.cc, meta_handler.cc)
  bool HandleDebugtime(absl::string_view line, net::OutputQueue* out);
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
  // Leaves the watch log (a closing watcher).
  void StopWatching();
  void MetaDump(absl::string_view classes);
  void AsciiReply(absl::string_view line);  // honours noreply
  void MetaGet();
  void MetaSet();
  void MetaDelete();
  void MetaArithmetic();
  void MetaDebug();

  // ---- the engine, reporting to the watch log (watch_handler.cc)
  // memcached's item_get entry for the lookup a command makes of `key`
  // (get, and the lookup inside set, delete, touch, incr, ...). Free while
  // nobody watches fetchers; otherwise an Inspect of the key.
  void WatchLookup(absl::string_view key) {
    if (core_->watch_log.Wants(kWatchFetchers)) LogLookup(key);
  }
  void LogLookup(absl::string_view key);
  // Cache::Store with memcached's item_get and item_store entries.
  StoreResult StoreWatched(absl::string_view key, absl::string_view value,
                           const StoreRequest& request);
  // Cache::Arithmetic with memcached's entries (and, when it creates the
  // counter, those of the add that does it).
  // `meta`: an ma (memcached logs its counter's ttl as 0).
  ArithmeticResult ArithmeticWatched(absl::string_view key, const ArithmeticOptions& options,
                                     bool meta = false);

  // ---- binary (binary_handler.cc)
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
  void BinarySasl();                 // security_handler.cc
  void RefreshCerts(bool noreply);   // security_handler.cc
  void SendPacket(const protocol::BinaryPacket& packet);
  void SendBinaryError(protocol::BinaryStatus status);
  void SendBinaryError(protocol::BinaryStatus status, absl::string_view message);

  // The request being answered (valid during OnTextRequest/OnBinaryRequest,
  // and ascii() during OnTextError): the worker's RequestScope, as a
  // worker answers one request at a time.
  frontend::Exchange* ex() const { return worker_->request.ex; }
  net::OutputQueue* out() const { return worker_->request.out; }
  const protocol::AsciiRequest* ascii() const { return worker_->request.ascii; }
  const protocol::BinaryRequest* binary() const { return worker_->request.binary; }

  ServerCore* const core_;
  Worker* const worker_;
  frontend::Connection* frontend_ = nullptr;
  // Outlives the connection's output queues (the front end destroys its
  // back end last): they release pins into it.
  ItemPins pins_;
  std::vector<ItemRef> reply_refs_;  // see HoldUntilWritten()
  std::shared_ptr<WatchPump> watch_;  // set once the connection watches
  // Written on the loop thread, read by ListConnections.
  std::atomic<uint64_t> requests_{0};
  uint64_t counted_read_ = 0;
  uint64_t counted_written_ = 0;
  std::atomic<uint8_t> protocol_{0};  // 0 none, 1 ascii, 2 meta, 3 binary
  bool has_close_reason_ = false;
  bool registered_ = false;

};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_CACHE_SESSION_H_
