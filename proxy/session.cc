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
#include "proxy/translate.h"

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
  const absl::string_view text = status.code() == absl::StatusCode::kDeadlineExceeded
                                     ? absl::string_view("backend timeout")
                                     : absl::string_view("backend unavailable");
  AppendPacket(protocol::BinaryErrorResponse(opcode, opaque, BinaryStatus::kTemporaryFailure, text),
               out);
}

// Per backend request: counts it, times it, and accounts its outcome on this
// worker's stats of the server.
class Tracker {
 public:
  Tracker(ProxyStats* stats, int64_t now_ns) : stats_(stats), start_ns_(now_ns) {
    stats_->requests.Increment();
    stats_->in_flight.Add(1);
  }
  void Done(const BackendReply& reply, int64_t now_ns, uint64_t hits, uint64_t misses) const {
    ProxyStats& s = *stats_;
    s.in_flight.Add(-1);
    if (!reply.status.ok()) {
      s.errors.Increment();
      if (reply.status.code() == absl::StatusCode::kDeadlineExceeded) s.timeouts.Increment();
      return;
    }
    s.latency_ns.Record(now_ns - start_ns_);
    if (hits != 0) s.hits.Add(hits);
    if (misses != 0) s.misses.Add(misses);
  }

 private:
  ProxyStats* stats_;
  int64_t start_ns_;
};

bool IsRetrieval(AsciiCommand c) {
  return c == AsciiCommand::kMetaGet || protocol::IsTextRetrievalCommand(c);
}

// A multi-get split over several servers: the hits of each, kept per key
// position until every server has answered.
struct SplitGet {
  frontend::Exchange* ex = nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> slots;  // the VALUE element of each key position
  size_t remaining = 0;
  absl::Status failure;
  std::string error_line;

  void Complete() {
    net::OutputQueue* out = ex->out();
    if (!failure.ok()) {
      out->Append(TextFailure(failure));
    } else if (!error_line.empty()) {
      out->Append(error_line);
    } else {
      for (const std::string& s : slots) {
        if (!s.empty()) out->Append(s);
      }
      out->Append(protocol::kTextEnd);
    }
    ex->Finish();
  }
};

}  // namespace

std::string ProxyContext::StatLines(bool general) const {
  std::string out;
  if (general) {
    const absl::Time now = absl::Now();
    absl::StrAppend(&out, "STAT pid ", getpid(), "\r\n");
    absl::StrAppend(&out, "STAT uptime ", absl::ToInt64Seconds(now - started), "\r\n");
    absl::StrAppend(&out, "STAT time ", absl::ToUnixSeconds(now), "\r\n");
    absl::StrAppend(&out, "STAT version ", options->version, "\r\n");
    absl::StrAppend(&out, "STAT threads ", options->threads, "\r\n");
    absl::StrAppend(&out, "STAT curr_connections ", curr_connections.load(), "\r\n");
    absl::StrAppend(&out, "STAT total_connections ", total_connections.load(), "\r\n");
    absl::StrAppend(&out, "STAT cmd_get ", cmd_get.load(), "\r\n");
    absl::StrAppend(&out, "STAT cmd_other ", cmd_other.load(), "\r\n");
  }
  pool->AppendStatLines(&out);
  return out;
}

ProxySession::ProxySession(ProxyContext* context, WorkerPool* worker, uint64_t id)
    : context_(context), worker_(worker), id_(id) {
  context_->curr_connections.fetch_add(1, std::memory_order_relaxed);
  context_->total_connections.fetch_add(1, std::memory_order_relaxed);
}

ProxySession::~ProxySession() {
  context_->curr_connections.fetch_sub(1, std::memory_order_relaxed);
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
    ForwardText(request.key, request.noreply, request.noreply, false, ex);
    return;
  }
  if (c == AsciiCommand::kMetaGet || c == AsciiCommand::kMetaSet ||
      c == AsciiCommand::kMetaDelete || c == AsciiCommand::kMetaArithmetic ||
      c == AsciiCommand::kMetaDebug) {
    ForwardText(request.key, request.noreply, false, c == AsciiCommand::kMetaGet, ex);
    return;
  }
  switch (c) {
    case AsciiCommand::kVersion:
      ex->out()->Append({"VERSION ", context_->options->version, "\r\n"});
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

void ProxySession::Get(const protocol::AsciiRequest& request, frontend::Exchange* ex) {
  const hash::Placement& placement = worker_->placement();
  worker_->stats().requests.Increment();
  const size_t n = request.keys.size();
  if (placement.live_count() == 0 || n == 0) {
    ex->out()->Append(n == 0 ? protocol::kTextError : kNoBackend);
    ex->Finish();
    return;
  }
  absl::InlinedVector<size_t, 16> server_of(n);
  bool one_server = true;
  for (size_t i = 0; i < n; ++i) {
    server_of[i] = placement.ServerFor(request.keys[i]);
    if (server_of[i] != server_of[0]) one_server = false;
  }
  net::EventLoop* loop = worker_->loop();
  if (one_server) {
    const size_t server = server_of[0];
    BackendConn* conn = worker_->Conn(server, id_, false);
    conn->sink()->Append(ex->request_bytes());
    Tracker tracker(&worker_->server_stats(server), loop->cached_now_ns());
    conn->Send(ReplyShape::kTextGet, [ex, tracker, loop, n](const BackendReply& reply) {
      const uint64_t hits = reply.values.size();
      tracker.Done(reply, loop->cached_now_ns(), hits, n > hits ? n - hits : 0);
      if (!reply.status.ok()) {
        ex->out()->Append(TextFailure(reply.status));
      } else {
        ex->out()->Append(reply.bytes);
      }
      ex->Finish();
    });
    return;
  }
  auto split = std::make_shared<SplitGet>();
  split->ex = ex;
  for (absl::string_view k : request.keys) split->keys.emplace_back(k);
  split->slots.resize(n);
  std::vector<bool> done(n, false);
  std::vector<std::pair<size_t, std::vector<size_t>>> groups;
  for (size_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    std::vector<size_t> positions;
    for (size_t j = i; j < n; ++j) {
      if (!done[j] && server_of[j] == server_of[i]) {
        positions.push_back(j);
        done[j] = true;
      }
    }
    groups.emplace_back(server_of[i], std::move(positions));
  }
  split->remaining = groups.size();
  std::vector<absl::string_view> keys;
  for (auto& group : groups) {
    const size_t server = group.first;
    keys.clear();
    for (size_t p : group.second) keys.push_back(request.keys[p]);
    BackendConn* conn = worker_->Conn(server, id_, false);
    const bool gat = request.command == AsciiCommand::kGat || request.command == AsciiCommand::kGats;
    absl::Status written =
        gat ? protocol::WriteGatRequest(conn->sink(), request.command, request.exptime, keys)
            : protocol::WriteGetRequest(conn->sink(), request.command, keys);
    if (!written.ok()) {
      // The front end validated the keys; a refusal here is memkit's bug.
      if (split->failure.ok()) split->failure = written;
      if (--split->remaining == 0) split->Complete();
      continue;
    }
    Tracker tracker(&worker_->server_stats(server), loop->cached_now_ns());
    conn->Send(ReplyShape::kTextGet, [split, positions = std::move(group.second), tracker,
                                      loop](const BackendReply& reply) {
      tracker.Done(reply, loop->cached_now_ns(), reply.values.size(),
                   positions.size() > reply.values.size() ? positions.size() - reply.values.size()
                                                          : 0);
      if (!reply.status.ok()) {
        if (split->failure.ok()) split->failure = reply.status;
      } else if (reply.text_error) {
        if (split->error_line.empty()) split->error_line = std::string(reply.bytes);
      } else {
        // memcached answers hits in the order asked: walk both in step.
        size_t v = 0;
        for (size_t p : positions) {
          if (v < reply.values.size() && reply.values[v].key == split->keys[p]) {
            split->slots[p] = std::string(reply.values[v].bytes);
            ++v;
          }
        }
      }
      if (--split->remaining == 0) split->Complete();
    });
  }
}

void ProxySession::ForwardText(absl::string_view key, bool quiet, bool finish_now,
                               bool retrieval, frontend::Exchange* ex) {
  const hash::Placement& placement = worker_->placement();
  worker_->stats().requests.Increment();
  const size_t server = placement.ServerFor(key);
  if (server == hash::Placement::kNoServer) {
    if (!finish_now) ex->out()->Append(kNoBackend);
    ex->Finish();
    return;
  }
  net::EventLoop* loop = worker_->loop();
  BackendConn* conn = worker_->Conn(server, id_, false);
  conn->sink()->Append(ex->request_bytes());
  if (quiet) conn->sink()->Append(kMnRequest);
  Tracker tracker(&worker_->server_stats(server), loop->cached_now_ns());
  if (finish_now) {
    ex->Finish();
    conn->Send(ReplyShape::kTextUntilMn, [tracker, loop](const BackendReply& reply) {
      tracker.Done(reply, loop->cached_now_ns(), 0, 0);
    });
    return;
  }
  conn->Send(quiet ? ReplyShape::kTextUntilMn : ReplyShape::kTextLine,
             [ex, tracker, loop, retrieval](const BackendReply& reply) {
               uint64_t hits = 0, misses = 0;
               if (retrieval && reply.status.ok() && !reply.text_error) {
                 // A quiet mg's miss sends nothing: no bytes is a miss too.
                 const bool miss = reply.miss || reply.bytes.empty();
                 (miss ? misses : hits) = 1;
               }
               tracker.Done(reply, loop->cached_now_ns(), hits, misses);
               if (!reply.status.ok()) {
                 ex->out()->Append(TextFailure(reply.status));
               } else {
                 ex->out()->Append(reply.bytes);
               }
               ex->Finish();
             });
}

void ProxySession::BroadcastText(const protocol::AsciiRequest& request, frontend::Exchange* ex) {
  Pool* pool = worker_->pool();
  worker_->stats().requests.Increment();
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
  net::EventLoop* loop = worker_->loop();
  std::vector<size_t> targets;
  for (size_t i = 0; i < pool->size(); ++i) {
    if (!pool->is_down(i)) targets.push_back(i);
  }
  if (targets.empty()) {
    if (!request.noreply) ex->out()->Append(kNoBackend);
    ex->Finish();
    return;
  }
  if (request.noreply) ex->Finish();
  b->remaining = targets.size();
  for (size_t server : targets) {
    BackendConn* conn = worker_->Conn(server, id_, false);
    conn->sink()->Append(ex->request_bytes());
    if (request.noreply) conn->sink()->Append(kMnRequest);
    Tracker tracker(&worker_->server_stats(server), loop->cached_now_ns());
    conn->Send(request.noreply ? ReplyShape::kTextUntilMn : ReplyShape::kTextLine,
               [b, tracker, loop](const BackendReply& reply) {
                 tracker.Done(reply, loop->cached_now_ns(), 0, 0);
                 if (!reply.status.ok()) {
                   if (b->failure.ok()) b->failure = reply.status;
                 } else if (reply.bytes != protocol::kTextOk && b->error_line.empty()) {
                   b->error_line = std::string(reply.bytes);
                 }
                 if (--b->remaining != 0 || b->noreply) return;
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
      AppendPacket(protocol::BinaryVersionResponse(request.opaque, context_->options->version),
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
  const hash::Placement& placement = worker_->placement();
  worker_->stats().requests.Increment();
  const uint8_t opcode = static_cast<uint8_t>(request.opcode);
  const uint32_t opaque = request.opaque;
  const size_t server = placement.ServerFor(request.key);
  if (server == hash::Placement::kNoServer) {
    AppendPacket(protocol::BinaryErrorResponse(opcode, opaque, BinaryStatus::kTemporaryFailure,
                                               "no backend available"),
                 ex->out());
    ex->Finish();
    return;
  }
  if (worker_->pool()->options().backend_protocol == BackendProtocol::kMeta) {
    ForwardBinaryAsMeta(worker_, server, id_, request, ex);
    return;
  }
  net::EventLoop* loop = worker_->loop();
  BackendConn* conn = worker_->Conn(server, id_, true);
  conn->sink()->Append(ex->request_bytes());
  if (request.quiet) {
    protocol::BinaryPacket noop;
    (void)protocol::BuildBinaryBare(BinaryOpcode::kNoop, 0, &noop);
    conn->sink()->Append(noop.head());
  }
  const bool is_get = request.command == BinaryOpcode::kGet ||
                      request.command == BinaryOpcode::kGetK ||
                      request.command == BinaryOpcode::kGat ||
                      request.command == BinaryOpcode::kGatK;
  Tracker tracker(&worker_->server_stats(server), loop->cached_now_ns());
  conn->Send(request.quiet ? ReplyShape::kBinaryUntilNoop : ReplyShape::kBinary,
             [ex, tracker, loop, opcode, opaque, is_get](const BackendReply& reply) {
               uint64_t hits = 0, misses = 0;
               if (reply.status.ok() && is_get) {
                 // A quiet get's miss sends nothing: no bytes is a miss too.
                 const bool miss = reply.miss || reply.bytes.empty();
                 (miss ? misses : hits) = 1;
               }
               tracker.Done(reply, loop->cached_now_ns(), hits, misses);
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
  Pool* pool = worker_->pool();
  worker_->stats().requests.Increment();
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
  std::vector<size_t> targets;
  for (size_t i = 0; i < pool->size(); ++i) {
    if (!pool->is_down(i)) targets.push_back(i);
  }
  if (targets.empty()) {
    AppendPacket(protocol::BinaryErrorResponse(b->opcode, b->opaque,
                                               BinaryStatus::kTemporaryFailure,
                                               "no backend available"),
                 ex->out());
    ex->Finish();
    return;
  }
  b->remaining = targets.size();
  net::EventLoop* loop = worker_->loop();
  // Always the loud form to each server, so every server's answer is seen.
  std::string packet(ex->request_bytes());
  packet[1] = static_cast<char>(BinaryOpcode::kFlush);
  // A meta pool's servers get the text flush_all (translate.h).
  const bool meta = pool->options().backend_protocol == BackendProtocol::kMeta;
  const std::string text = TextFlushForBinary(request);
  for (size_t server : targets) {
    BackendConn* conn = worker_->Conn(server, id_, !meta);
    conn->sink()->Append(meta ? absl::string_view(text) : absl::string_view(packet));
    Tracker tracker(&worker_->server_stats(server), loop->cached_now_ns());
    conn->Send(meta ? ReplyShape::kTextLine : ReplyShape::kBinary,
               [b, tracker, loop, meta](const BackendReply& reply) {
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
  const size_t server = worker_->placement().ServerFor(key);
  if (server == hash::Placement::kNoServer) return;
  BackendConn* conn = worker_->Conn(server, id_, binary);
  if (binary) {
    protocol::BinaryPacket p;
    if (!protocol::BuildBinaryDelete(BinaryOpcode::kDelete, key, 0, 0, &p).ok()) return;
    conn->sink()->Append(p.head());
    conn->sink()->Append(p.key);
    conn->Send(ReplyShape::kBinary, [](const BackendReply&) {});
    return;
  }
  if (!protocol::WriteDeleteRequest(conn->sink(), key, /*noreply=*/false).ok()) return;
  conn->Send(ReplyShape::kTextLine, [](const BackendReply&) {});
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
