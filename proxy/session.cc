#include "proxy/session.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/net/output_queue.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "core/protocol/text_request_writer.h"
#include "proxy/route_pool.h"
#include "proxy/translate.h"
#include "proxy/worker_pool.h"

namespace memkit {
namespace proxy {
namespace {

using protocol::AsciiCommand;
using protocol::BinaryOpcode;
using protocol::BinaryStatus;

constexpr absl::string_view kNotSupported = "SERVER_ERROR not supported by memkit-proxy\r\n";
constexpr absl::string_view kNoBackend = "SERVER_ERROR no backend available\r\n";
constexpr absl::string_view kMnRequest = "mn\r\n";

// The text error line for a failed server.
std::string TextFailure(const absl::Status& status) {
  if (IsNoBackend(status)) return std::string(kNoBackend);
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    return "SERVER_ERROR backend timeout\r\n";
  }
  return "SERVER_ERROR backend unavailable\r\n";
}

void AppendPacket(const protocol::BinaryPacket& p, net::OutputQueue* out) {
  out->Append(p.head());
  if (!p.key.empty()) out->Append(p.key);
  if (!p.body.empty()) out->Append(p.body);
}

void BinaryFailure(uint8_t opcode, uint32_t opaque, const absl::Status& status,
                   net::OutputQueue* out) {
  const absl::string_view text = IsNoBackend(status) ? absl::string_view("no backend available")
                                 : status.code() == absl::StatusCode::kDeadlineExceeded
                                     ? absl::string_view("backend timeout")
                                     : absl::string_view("backend unavailable");
  AppendPacket(protocol::BinaryErrorResponse(opcode, opaque, BinaryStatus::kTemporaryFailure, text),
               out);
}

// One server up, in some pool of the table, as seen by one worker.
struct Target {
  WorkerPool* worker;
  size_t server;
};

// Every server up in every pool (broadcasts); counts a client request on
// each pool that has one.
std::vector<Target> LiveServers(const RouteCall& call) {
  std::vector<Target> targets;
  if (call.table == nullptr) return targets;  // the proxy is stopping
  const RouteTable& table = *call.table;
  for (size_t p = 0; p < table.pool_count(); ++p) {
    Pool* pool = table.pool(p);
    WorkerPool* worker = table.worker_pool(p, call.worker);
    bool any = false;
    for (size_t i = 0; i < pool->size(); ++i) {
      if (pool->is_down(i)) continue;
      targets.push_back({worker, i});
      any = true;
    }
    if (any) worker->stats().requests.Increment();
  }
  return targets;
}

bool IsRetrieval(AsciiCommand c) {
  return c == AsciiCommand::kMetaGet || protocol::IsTextRetrievalCommand(c);
}

}  // namespace

std::string ProxyContext::StatLines(bool general) const {
  std::string out;
  if (general) {
    const absl::Time now = absl::Now();
    absl::StrAppend(&out, "STAT pid ", getpid(), "\r\n");
    absl::StrAppend(&out, "STAT uptime ", absl::ToInt64Seconds(now - started), "\r\n");
    absl::StrAppend(&out, "STAT time ", absl::ToUnixSeconds(now), "\r\n");
    absl::StrAppend(&out, "STAT version ", version, "\r\n");
    absl::StrAppend(&out, "STAT threads ", threads, "\r\n");
    absl::StrAppend(&out, "STAT curr_connections ", curr_connections.load(), "\r\n");
    absl::StrAppend(&out, "STAT total_connections ", total_connections.load(), "\r\n");
    absl::StrAppend(&out, "STAT cmd_get ", cmd_get.load(), "\r\n");
    absl::StrAppend(&out, "STAT cmd_other ", cmd_other.load(), "\r\n");
  }
  absl::StrAppend(&out, "STAT proxy:reloads ", reloads.load(), "\r\n");
  absl::StrAppend(&out, "STAT proxy:reload_failures ", reload_failures.load(), "\r\n");
  if (const std::shared_ptr<const RouteTable> table = current(); table != nullptr) {
    table->AppendStatLines(&out);
  }
  return out;
}

ProxySession::ProxySession(ProxyContext* context, size_t worker, net::EventLoop* loop,
                           uint64_t id)
    : context_(context), worker_(worker), loop_(loop), id_(id) {
  context_->curr_connections.fetch_add(1, std::memory_order_relaxed);
  context_->total_connections.fetch_add(1, std::memory_order_relaxed);
}

ProxySession::~ProxySession() {
  context_->curr_connections.fetch_sub(1, std::memory_order_relaxed);
  if (connection_ != nullptr) context_->worker_sessions[worker_].erase(this);
}

void ProxySession::OnOpen(frontend::Connection* conn) {
  connection_ = conn;
  context_->worker_sessions[worker_].insert(this);
}

void ProxySession::OnTextRequest(const protocol::AsciiRequest& request, frontend::Exchange* ex) {
  const AsciiCommand c = request.command;
  (IsRetrieval(c) ? context_->cmd_get : context_->cmd_other).fetch_add(1, std::memory_order_relaxed);
  if (protocol::IsTextRetrievalCommand(c)) {
    Get(request, ex);
    return;
  }
  if (protocol::IsTextStorageCommand(c) || c == AsciiCommand::kDelete ||
      c == AsciiCommand::kIncr || c == AsciiCommand::kDecr || c == AsciiCommand::kTouch) {
    // noreply: nothing will be said, so the client need not wait.
    ForwardText(request.key, request.noreply, request.noreply, false,
                c == AsciiCommand::kDelete, ex);
    return;
  }
  if (c == AsciiCommand::kMetaGet || c == AsciiCommand::kMetaSet ||
      c == AsciiCommand::kMetaDelete || c == AsciiCommand::kMetaArithmetic ||
      c == AsciiCommand::kMetaDebug) {
    ForwardText(request.key, request.noreply, false,
                c == AsciiCommand::kMetaGet || c == AsciiCommand::kMetaDebug,
                c == AsciiCommand::kMetaDelete, ex);
    return;
  }
  switch (c) {
    case AsciiCommand::kVersion:
      ex->out()->Append({"VERSION ", context_->version, "\r\n"});
      ex->Finish();
      return;
    case AsciiCommand::kFlushAll:
    case AsciiCommand::kVerbosity:
      BroadcastText(request, ex);
      return;
    case AsciiCommand::kStats:
      TextStats(request, ex);
      return;
    default:
      // shutdown, cache_memlimit, slabs, lru, lru_crawler, watch, ...: the
      // servers' own business, not a pool's.
      ex->out()->Append(kNotSupported);
      ex->Finish();
      return;
  }
}

RouteCall ProxySession::Call() const {
  RouteCall call;
  call.table = context_->worker_tables[worker_];
  call.worker = worker_;
  call.loop = loop_;
  call.session = id_;
  call.backend_in_flight = &context_->backend_in_flight;
  return call;
}

void ProxySession::Dispatch(std::shared_ptr<const RouteRequest> request, RouteDone done) {
  ProxyContext* context = context_;
  context->in_flight.fetch_add(1, std::memory_order_relaxed);
  const RouteCall call = Call();
  if (call.table == nullptr) {  // the proxy is stopping
    RouteReply reply;
    reply.status = NoBackendError();
    done(std::move(reply));
    context->in_flight.fetch_sub(1, std::memory_order_release);
    return;
  }
  call.table->root().Send(call, std::move(request),
                          [context, done = std::move(done)](RouteReply reply) mutable {
                            done(std::move(reply));
                            context->in_flight.fetch_sub(1, std::memory_order_release);
                          });
}

void ProxySession::Get(const protocol::AsciiRequest& request, frontend::Exchange* ex) {
  if (request.keys.empty()) {
    ex->out()->Append(protocol::kTextError);
    ex->Finish();
    return;
  }
  auto get = std::make_shared<RouteRequest>();
  get->kind = RouteRequest::Kind::kGet;
  get->command = request.command;
  get->exptime = request.exptime;
  get->keys.reserve(request.keys.size());
  for (absl::string_view k : request.keys) get->keys.emplace_back(k);
  Dispatch(std::move(get), [ex](RouteReply reply) {
    net::OutputQueue* out = ex->out();
    if (!reply.status.ok()) {
      out->Append(TextFailure(reply.status));
    } else if (!reply.error_line.empty()) {
      out->Append(reply.error_line);
    } else {
      for (const std::string& v : reply.values) {
        if (!v.empty()) out->Append(v);
      }
      out->Append(protocol::kTextEnd);
    }
    ex->Finish();
  });
}

void ProxySession::ForwardText(absl::string_view key, bool quiet, bool finish_now,
                               bool retrieval, bool is_delete, frontend::Exchange* ex) {
  auto r = std::make_shared<RouteRequest>();
  r->kind = RouteRequest::Kind::kKeyed;
  r->key = std::string(key);
  r->bytes = std::string(ex->request_bytes());
  if (quiet) r->bytes.append(kMnRequest.data(), kMnRequest.size());
  r->shape = quiet ? ReplyShape::kTextUntilMn : ReplyShape::kTextLine;
  r->retrieval = retrieval;
  r->is_delete = is_delete;
  if (finish_now) {
    ex->Finish();
    Dispatch(std::move(r), [](RouteReply) {});
    return;
  }
  Dispatch(std::move(r), [ex](RouteReply reply) {
    if (!reply.status.ok()) {
      ex->out()->Append(TextFailure(reply.status));
    } else {
      ex->out()->Append(reply.bytes);
    }
    ex->Finish();
  });
}

void ProxySession::BroadcastText(const protocol::AsciiRequest& request, frontend::Exchange* ex) {
  const RouteCall call = Call();
  struct Broadcast {
    frontend::Exchange* ex;
    bool noreply;
    size_t remaining = 0;
    absl::Status failure;
    std::string error_line;
  };
  auto b = std::make_shared<Broadcast>();
  b->ex = ex;
  b->noreply = request.noreply;
  net::EventLoop* loop = loop_;
  const std::vector<Target> targets = LiveServers(call);
  if (targets.empty()) {
    if (!request.noreply) ex->out()->Append(kNoBackend);
    ex->Finish();
    return;
  }
  if (request.noreply) ex->Finish();
  b->remaining = targets.size();
  ProxyContext* context = context_;
  context->in_flight.fetch_add(1, std::memory_order_relaxed);
  for (const Target& t : targets) {
    BackendConn* conn = t.worker->Conn(t.server, id_, false);
    conn->sink()->Append(ex->request_bytes());
    if (request.noreply) conn->sink()->Append(kMnRequest);
    BackendTracker tracker(&t.worker->server_stats(t.server), loop->cached_now_ns());
    conn->Send(request.noreply ? ReplyShape::kTextUntilMn : ReplyShape::kTextLine,
               [b, tracker, loop, context, table = call.table](const BackendReply& reply) {
                 tracker.Done(reply, loop->cached_now_ns(), 0, 0);
                 if (!reply.status.ok()) {
                   if (b->failure.ok()) b->failure = reply.status;
                 } else if (reply.bytes != protocol::kTextOk && b->error_line.empty()) {
                   b->error_line = std::string(reply.bytes);
                 }
                 if (--b->remaining != 0) return;
                 context->in_flight.fetch_sub(1, std::memory_order_release);
                 if (b->noreply) return;
                 if (!b->failure.ok()) {
                   b->ex->out()->Append(TextFailure(b->failure));
                 } else if (!b->error_line.empty()) {
                   b->ex->out()->Append(b->error_line);
                 } else {
                   b->ex->out()->Append(protocol::kTextOk);
                 }
                 b->ex->Finish();
               });
  }
}

void ProxySession::TextStats(const protocol::AsciiRequest& request, frontend::Exchange* ex) {
  const auto args = request.args();
  if (args.empty() || (args.size() == 1 && args[0] == "proxy")) {
    ex->out()->Append(context_->StatLines(args.empty()));
    ex->out()->Append(protocol::kTextEnd);
  } else {
    ex->out()->Append(kNotSupported);
  }
  ex->Finish();
}

void ProxySession::OnBinaryRequest(const protocol::BinaryRequest& request,
                                   frontend::Exchange* ex) {
  const uint8_t opcode = static_cast<uint8_t>(request.opcode);
  switch (request.command) {
    case BinaryOpcode::kGet:
    case BinaryOpcode::kGetK:
    case BinaryOpcode::kGat:
    case BinaryOpcode::kGatK:
      context_->cmd_get.fetch_add(1, std::memory_order_relaxed);
      ForwardBinary(request, ex);
      return;
    case BinaryOpcode::kSet:
    case BinaryOpcode::kAdd:
    case BinaryOpcode::kReplace:
    case BinaryOpcode::kDelete:
    case BinaryOpcode::kIncrement:
    case BinaryOpcode::kDecrement:
    case BinaryOpcode::kAppend:
    case BinaryOpcode::kPrepend:
    case BinaryOpcode::kTouch:
      context_->cmd_other.fetch_add(1, std::memory_order_relaxed);
      ForwardBinary(request, ex);
      return;
    case BinaryOpcode::kVersion:
      AppendPacket(protocol::BinaryVersionResponse(request.opaque, context_->version),
                   ex->out());
      ex->Finish();
      return;
    case BinaryOpcode::kFlush:
      context_->cmd_other.fetch_add(1, std::memory_order_relaxed);
      BroadcastBinaryFlush(request, ex);
      return;
    case BinaryOpcode::kStat:
      BinaryStats(request, ex);
      return;
    default:
      // verbosity (memcached 1.6.18 does not know it either), SASL, ...
      AppendPacket(
          protocol::BinaryErrorResponse(opcode, request.opaque, BinaryStatus::kUnknownCommand),
          ex->out());
      ex->Finish();
      return;
  }
}

void ProxySession::ForwardBinary(const protocol::BinaryRequest& request, frontend::Exchange* ex) {
  const uint8_t opcode = static_cast<uint8_t>(request.opcode);
  const uint32_t opaque = request.opaque;
  auto r = std::make_shared<RouteRequest>();
  r->kind = RouteRequest::Kind::kKeyed;
  r->binary = true;
  r->key = std::string(request.key);
  r->bytes = std::string(ex->request_bytes());
  // The meta form now, while the request's buffers live: any meta pool the
  // route reaches sends it instead of the bytes (translate.h).
  if (const auto& table = context_->worker_tables[worker_];
      table != nullptr && table->has_meta_pool()) {
    r->meta = std::make_shared<const MetaTranslation>(TranslateToMeta(request));
  }
  if (request.quiet) {
    protocol::BinaryPacket noop;
    (void)protocol::BuildBinaryBare(BinaryOpcode::kNoop, 0, &noop);
    r->bytes.append(noop.head().data(), noop.head().size());
  }
  r->shape = request.quiet ? ReplyShape::kBinaryUntilNoop : ReplyShape::kBinary;
  r->retrieval = request.command == BinaryOpcode::kGet || request.command == BinaryOpcode::kGetK ||
                 request.command == BinaryOpcode::kGat || request.command == BinaryOpcode::kGatK;
  r->is_delete = request.command == BinaryOpcode::kDelete;
  Dispatch(std::move(r), [ex, opcode, opaque](RouteReply reply) {
    if (!reply.status.ok()) {
      BinaryFailure(opcode, opaque, reply.status, ex->out());
    } else {
      ex->out()->Append(reply.bytes);
    }
    ex->Finish();
  });
}

void ProxySession::BroadcastBinaryFlush(const protocol::BinaryRequest& request,
                                        frontend::Exchange* ex) {
  const RouteCall call = Call();
  struct Broadcast {
    frontend::Exchange* ex;
    uint8_t opcode;
    uint32_t opaque;
    bool quiet;
    size_t remaining = 0;
    absl::Status failure;
    std::string error_packet;
  };
  auto b = std::make_shared<Broadcast>();
  b->ex = ex;
  b->opcode = static_cast<uint8_t>(request.opcode);
  b->opaque = request.opaque;
  b->quiet = request.quiet;
  const std::vector<Target> targets = LiveServers(call);
  if (targets.empty()) {
    AppendPacket(protocol::BinaryErrorResponse(b->opcode, b->opaque,
                                               BinaryStatus::kTemporaryFailure,
                                               "no backend available"),
                 ex->out());
    ex->Finish();
    return;
  }
  b->remaining = targets.size();
  net::EventLoop* loop = loop_;
  ProxyContext* context = context_;
  context->in_flight.fetch_add(1, std::memory_order_relaxed);
  // Always the loud form to each server, so every server's answer is seen.
  std::string packet(ex->request_bytes());
  packet[1] = static_cast<char>(BinaryOpcode::kFlush);
  // A meta pool's servers get the text flush_all (translate.h).
  const std::string text = TextFlushForBinary(request);
  for (const Target& t : targets) {
    const bool meta = t.worker->pool()->options().backend_protocol == BackendProtocol::kMeta;
    BackendConn* conn = t.worker->Conn(t.server, id_, !meta);
    conn->sink()->Append(meta ? absl::string_view(text) : absl::string_view(packet));
    BackendTracker tracker(&t.worker->server_stats(t.server), loop->cached_now_ns());
    conn->Send(meta ? ReplyShape::kTextLine : ReplyShape::kBinary,
               [b, tracker, loop, context, meta, table = call.table](const BackendReply& reply) {
      tracker.Done(reply, loop->cached_now_ns(), 0, 0);
      if (!reply.status.ok()) {
        if (b->failure.ok()) b->failure = reply.status;
      } else if (meta && reply.bytes != protocol::kTextOk && b->error_packet.empty()) {
        b->error_packet = protocol::BinaryErrorResponse(b->opcode, b->opaque,
                                                        BinaryStatus::kInternalError)
                              .ToString();
      } else if (!meta && reply.binary_status != 0 && b->error_packet.empty()) {
        b->error_packet = std::string(reply.bytes);
      }
      if (--b->remaining != 0) return;
      context->in_flight.fetch_sub(1, std::memory_order_release);
      net::OutputQueue* out = b->ex->out();
      if (!b->failure.ok()) {
        BinaryFailure(b->opcode, b->opaque, b->failure, out);
      } else if (!b->error_packet.empty()) {
        // Echo the client's opcode and opaque on the server's error.
        std::string p = b->error_packet;
        p[1] = static_cast<char>(b->opcode);
        for (int k = 0; k < 4; ++k) p[12 + k] = static_cast<char>(b->opaque >> (24 - 8 * k));
        out->Append(p);
      } else if (!b->quiet) {
        AppendPacket(protocol::BinarySuccessResponse(b->opcode, b->opaque), out);
      }
      b->ex->Finish();
    });
  }
}

bool ProxySession::OnTextError(absl::string_view line, const protocol::AsciiRequest& request,
                               const protocol::ProtocolError& error, net::OutputQueue* out) {
  (void)line, (void)out;
  // As memkit-server (and memcached): a data block refused before it was
  // read because the item cannot fit unlinks the key for set and ms.
  const bool unlinks = request.command == AsciiCommand::kSet ||
                       (request.command == AsciiCommand::kMetaSet &&
                        error.reply == protocol::kTextTooLarge);
  if (error.swallow >= 2 && unlinks && !request.key.empty() && !request.key_is_base64) {
    UnlinkQuietly(request.key, false);
  }
  return false;
}

void ProxySession::OnBinaryError(const protocol::BinaryRequest& request,
                                 const protocol::ProtocolError& error) {
  if (request.command == BinaryOpcode::kSet && !request.key.empty() &&
      error.reply.size() >= protocol::kBinaryHeaderSize &&
      static_cast<uint8_t>(error.reply[6]) == 0 &&
      static_cast<uint8_t>(error.reply[7]) == static_cast<uint8_t>(BinaryStatus::kTooLarge)) {
    UnlinkQuietly(request.key, true);
  }
}

void ProxySession::UnlinkQuietly(absl::string_view key, bool binary) {
  auto r = std::make_shared<RouteRequest>();
  r->kind = RouteRequest::Kind::kKeyed;
  r->key = std::string(key);
  r->binary = binary;
  r->is_delete = true;
  if (binary) {
    protocol::BinaryPacket p;
    if (!protocol::BuildBinaryDelete(BinaryOpcode::kDelete, key, 0, 0, &p).ok()) return;
    r->bytes = absl::StrCat(p.head(), p.key);
    r->shape = ReplyShape::kBinary;
  } else {
    std::string line;
    class StringSink final : public protocol::AsciiSink {
     public:
      explicit StringSink(std::string* s) : s_(s) {}
      void Append(absl::string_view bytes) override { s_->append(bytes.data(), bytes.size()); }

     private:
      std::string* s_;
    } sink(&line);
    if (!protocol::WriteDeleteRequest(&sink, key, /*noreply=*/false).ok()) return;
    r->bytes = std::move(line);
    r->shape = ReplyShape::kTextLine;
  }
  Dispatch(std::move(r), [](RouteReply) {});
}

void ProxySession::BinaryStats(const protocol::BinaryRequest& request, frontend::Exchange* ex) {
  const bool general = request.key.empty();
  if (!general && request.key != "proxy") {
    AppendPacket(protocol::BinaryErrorResponse(static_cast<uint8_t>(request.opcode),
                                               request.opaque, BinaryStatus::kKeyNotFound),
                 ex->out());
    ex->Finish();
    return;
  }
  const std::string lines = context_->StatLines(general);
  // "STAT <name> <value>\r\n" lines -> one packet each.
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t eol = lines.find("\r\n", pos);
    if (eol == std::string::npos) break;
    absl::string_view line(lines.data() + pos + 5, eol - pos - 5);  // past "STAT "
    const size_t space = line.find(' ');
    AppendPacket(protocol::BinaryStatResponse(request.opaque, line.substr(0, space),
                                              line.substr(space + 1)),
                 ex->out());
    pos = eol + 2;
  }
  AppendPacket(protocol::BinaryStatResponse(request.opaque, "", ""), ex->out());
  ex->Finish();
}

}  // namespace proxy
}  // namespace memkit
