// CacheSession's connection-facing half: starting a frontend::Connection,
// registration, byte counters, and the entry points the front end calls
// (requests, refused requests). The commands are in the *_handler.cc files.

#include "server/handlers/cache_session.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/binary_response_writer.h"
#include "core/protocol/text_reply_writer.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

bool IsBinaryStorageCommand(protocol::BinaryOpcode command) {
  switch (command) {
    case protocol::BinaryOpcode::kSet:
    case protocol::BinaryOpcode::kAdd:
    case protocol::BinaryOpcode::kReplace:
    case protocol::BinaryOpcode::kAppend:
    case protocol::BinaryOpcode::kPrepend:
      return true;
    default:
      return false;
  }
}

}  // namespace

CacheSession::CacheSession(ServerCore* core, Worker* worker) : core_(core), worker_(worker) {}

void CacheSession::CountRequest(uint8_t protocol) {
  // Only this loop thread writes: plain load and store, no read-modify-write.
  requests_.store(requests_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  protocol_.store(protocol, std::memory_order_relaxed);
}

const char* CacheSession::protocol_name() const {
  switch (protocol_.load(std::memory_order_relaxed)) {
    case 1: return "ascii";
    case 2: return "meta";
    case 3: return "binary";
    default: return "";
  }
}

CacheSession::~CacheSession() { StopWatching(); }

namespace {

std::string PeerName(const ListenerSlot* slot, const net::CompactIpAddress& ip) {
  if (slot != nullptr && slot->address.is_unix()) {
    return absl::StrCat("unix:", slot->address.host());
  }
  return absl::StrCat("tcp:", ip.ToAddress().ToString());
}

}  // namespace

std::string CacheSession::peer() const { return PeerName(listen_slot, peer_ip_); }

void CacheSession::Start(ServerCore* core, Worker* worker, const ListenerSlot* slot,
                         net::UniqueFd fd, const net::CompactIpAddress& peer) {
  std::unique_ptr<CacheSession> session(new CacheSession(core, worker));
  session->fd = fd.get();
  session->peer_ip_ = peer;
  session->listen_slot = slot;
  std::unique_ptr<net::Transport> transport;
  if (core->tls != nullptr && !slot->notls && slot->address.is_ip()) {
    auto tls = core->tls->NewServerTransport(fd.get());
    if (!tls.ok()) {
      core->Log(1, "failed to set up TLS for %s: %s\n", PeerName(slot, peer).c_str(),
                tls.status().ToString().c_str());
      core->counters.ConnectionClosed();
      return;
    }
    transport = std::move(*tls);
  }
  // Every connection shares the core's options (set before the first
  // connection, outliving the last) rather than a copy each: a non-owning
  // shared_ptr.
  auto conn = frontend::Connection::Start(
      worker->loop, std::move(fd),
      std::shared_ptr<const frontend::ConnectionOptions>(std::shared_ptr<void>(),
                                                         &core->frontend_options),
      std::move(session), std::move(transport));
  if (!conn.ok()) {
    core->Log(1, "failed to set up connection from %s: %s\n", PeerName(slot, peer).c_str(),
              conn.status().ToString().c_str());
    core->counters.ConnectionClosed();
  }
}

void CacheSession::OnOpen(frontend::Connection* conn) {
  frontend_ = conn;
  // Worker list.
  SessionList& list = worker_->sessions;
  worker_next = list.head;
  if (list.head != nullptr) list.head->worker_prev = this;
  list.head = this;
  ++list.size;
  // Registry.
  core_->registry.Add(this);
  registered_ = true;
  if (core_->watch_log.Wants(kWatchConnEvents)) core_->watch_log.ConnNew(peer(), fd);
  core_->Log(2, "<%d new %s client connection\n", fd,
             core_->options.protocol == BindingProtocol::kAuto     ? "auto-negotiating"
             : core_->options.protocol == BindingProtocol::kBinary ? "binary"
                                                                   : "ascii");
}

void CacheSession::OnClose(const absl::Status& status) {
  SyncByteCounters();
  if (status.ok()) {
    core_->Log(2, "<%d connection closed.\n", fd);
  } else {
    core_->Log(1, "<%d connection closed: %s\n", fd, std::string(status.message()).c_str());
  }
  StopWatching();
  if (core_->watch_log.Wants(kWatchConnEvents)) {
    WatchLog::CloseReason reason =
        status.ok() ? WatchLog::CloseReason::kNormal : WatchLog::CloseReason::kError;
    if (has_close_reason_) {
      reason = close_reason_;
    } else if (core_->stopping.load(std::memory_order_acquire)) {
      reason = WatchLog::CloseReason::kShutdown;
    }
    core_->watch_log.ConnClose(peer(), reason, fd);
  }
  Unregister();
}

void CacheSession::Unregister() {
  if (!registered_) return;
  registered_ = false;
  // Worker list.
  SessionList& list = worker_->sessions;
  if (worker_prev != nullptr) worker_prev->worker_next = worker_next;
  if (worker_next != nullptr) worker_next->worker_prev = worker_prev;
  if (list.head == this) list.head = worker_next;
  --list.size;
  // Registry.
  core_->registry.Remove(this);
  core_->counters.ConnectionClosed();
}

void CacheSession::SyncByteCounters() {
  const net::Connection* conn = frontend_ != nullptr ? frontend_->socket() : nullptr;
  if (conn == nullptr) return;
  const uint64_t r = conn->bytes_read();
  const uint64_t w = conn->bytes_written();
  worker_->counters.bytes_read.Add(r - counted_read_);
  worker_->counters.bytes_written.Add(w - counted_written_);
  counted_read_ = r;
  counted_written_ = w;
}

void CacheSession::OnTextRequest(const protocol::AsciiRequest& request,
                                 frontend::Exchange* exchange) {
  worker_->request.ascii = &request;
  worker_->request.ex = exchange;
  worker_->request.out = exchange->out();
  CountRequest(protocol::IsMetaCommand(request.command) ? 2 : 1);
  if (core_->settings.verbosity() > 1) {
    const absl::string_view bytes = exchange->request_bytes();
    absl::string_view line = bytes.substr(0, bytes.find('\n'));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    core_->Log(2, "<%d %.*s\n", fd, static_cast<int>(line.size()), line.data());
  }
  ExecuteAscii();
  worker_->request.ex = nullptr;
  worker_->request.out = nullptr;
  exchange->Finish();
}

void CacheSession::OnBinaryRequest(const protocol::BinaryRequest& request,
                                   frontend::Exchange* exchange) {
  worker_->request.binary = &request;
  worker_->request.ex = exchange;
  worker_->request.out = exchange->out();
  CountRequest(3);
  if (core_->settings.verbosity() > 1) {
    core_->Log(2, "<%d binary %s key %.*s\n", fd,
               std::string(protocol::BinaryOpcodeName(static_cast<uint8_t>(request.opcode)))
                   .c_str(),
               static_cast<int>(request.key.size()), request.key.data());
  }
  ExecuteBinary();
  worker_->request.ex = nullptr;
  worker_->request.out = nullptr;
  exchange->Finish();
}

bool CacheSession::OnTextError(absl::string_view line, const protocol::AsciiRequest& request,
                               const protocol::ProtocolError& e, net::OutputQueue* out) {
  using protocol::AsciiCommand;
  worker_->request.ascii = &request;
  if (core_->options.enable_debugtime && e.reply == protocol::kTextError &&
      HandleDebugtime(line, out)) {
    return true;
  }
  // memcached counts a text store for "stats detail" once its line is
  // accepted, before it knows whether the data fits or ends well.
  if (protocol::IsTextStorageCommand(request.command) && !request.key.empty() &&
      (e.swallow >= 2 || request.value.data() != nullptr) &&
      core_->settings.detail_enabled()) {
    core_->prefix_stats.RecordSet(request.key);
  }
  if (e.swallow >= 2) {
    // A data block memcached refused before reading it because the item
    // could not fit: it also counts store_too_large and, for set and ms,
    // unlinks the key's current value. The engine's Allocate() does both.
    const AsciiCommand command = request.command;
    const bool too_large = protocol::IsTextStorageCommand(command) ||
                           (command == AsciiCommand::kMetaSet && e.reply == protocol::kTextTooLarge);
    if (too_large && !request.key.empty()) {
      StoreRequest store;
      store.client_flags = request.flags;
      store.drop_on_failure = command == AsciiCommand::kSet || command == AsciiCommand::kMetaSet;
      (void)core_->cache->Allocate(request.key, e.swallow - 2, store);
    }
  }
  // A get with a too-long key: memcached has looked up (counted, bumped,
  // touched) the keys before it; the front end then drops unwritten replies.
  if (e.drop_unsent && protocol::IsTextRetrievalCommand(request.command)) {
    AsciiRetrieveSilently();
  }
  if (e.close) core_->Log(1, "<%d protocol error; closing connection\n", fd);
  return false;
}

void CacheSession::OnBinaryError(const protocol::BinaryRequest& request,
                                 const protocol::ProtocolError& e) {
  if (e.reply.size() >= protocol::kBinaryHeaderSize && IsBinaryStorageCommand(request.command) &&
      protocol::LoadBigEndian16(e.reply.data() + 6) ==
          static_cast<uint16_t>(protocol::BinaryStatus::kTooLarge) &&
      !request.key.empty()) {
    // memcached unlinks the key's old value when a set is too large (and
    // has counted the store for "stats detail").
    if (core_->settings.detail_enabled()) {
      core_->prefix_stats.RecordSet(request.key);
    }
    StoreRequest store;
    store.drop_on_failure = request.command == protocol::BinaryOpcode::kSet;
    (void)core_->cache->Allocate(request.key, core_->options.cache.item_size_max + 1, store);
  }
  if (e.close) core_->Log(1, "<%d binary protocol error; closing connection\n", fd);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
