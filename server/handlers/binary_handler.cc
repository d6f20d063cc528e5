// Binary protocol commands: memcached 1.6.18's proto_bin.c after the parser
// (core/protocol/binary_request_parser.h) accepted the packet: the engine
// outcome mapped to memcached's status codes, the quiet opcodes' silence
// (BinaryResponseIsSent), values referenced from item memory.

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_response_writer.h"
#include "core/status/status.h"
#include "server/handlers/cache_session.h"
#include "server/stats_writer.h"

namespace memkit {
namespace server {
namespace internal {

using protocol::BinaryOpcode;
using protocol::BinaryStatus;

void CacheSession::SendPacket(const protocol::BinaryPacket& packet) {
  out()->Append({packet.head(), packet.key, packet.body});
}

void CacheSession::SendBinaryError(BinaryStatus status) {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  if (!protocol::BinaryResponseIsSent(op, status)) return;
  SendPacket(protocol::BinaryErrorResponse(op, binary()->opaque, status));
  ex()->WritePoint();  // memcached writes error responses at once
}

void CacheSession::SendBinaryError(BinaryStatus status, absl::string_view message) {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  if (!protocol::BinaryResponseIsSent(op, status)) return;
  SendPacket(protocol::BinaryErrorResponse(op, binary()->opaque, status, message));
  ex()->WritePoint();
}

void CacheSession::ExecuteBinary() {
  switch (binary()->command) {
    case BinaryOpcode::kGet:
    case BinaryOpcode::kGetK:
    case BinaryOpcode::kTouch:
    case BinaryOpcode::kGat:
    case BinaryOpcode::kGatK:
      BinaryGet();
      return;
    case BinaryOpcode::kSet:
    case BinaryOpcode::kAdd:
    case BinaryOpcode::kReplace:
      BinaryStore();
      return;
    case BinaryOpcode::kAppend:
    case BinaryOpcode::kPrepend:
      BinaryAppendPrepend();
      return;
    case BinaryOpcode::kDelete:
      BinaryDelete();
      return;
    case BinaryOpcode::kIncrement:
    case BinaryOpcode::kDecrement:
      BinaryArithmetic();
      return;
    case BinaryOpcode::kFlush:
      BinaryFlush();
      return;
    case BinaryOpcode::kVersion:
      SendPacket(protocol::BinaryVersionResponse(binary()->opaque, core_->options.version));
      return;
    case BinaryOpcode::kStat:
      BinaryStats();
      return;
    case BinaryOpcode::kSaslListMechs:
    case BinaryOpcode::kSaslAuth:
    case BinaryOpcode::kSaslStep:
      BinarySasl();  // security_handler.cc
      return;
    default:
      SendBinaryError(BinaryStatus::kUnknownCommand);
      return;
  }
}

void CacheSession::BinaryGet() {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  const BinaryOpcode command = binary()->command;
  GetOptions options;
  if (command == BinaryOpcode::kTouch || command == BinaryOpcode::kGat ||
      command == BinaryOpcode::kGatK) {
    options.new_exptime = static_cast<int64_t>(binary()->exptime);
  }
  WatchLookup(binary()->key);
  GetResult g = core_->cache->Get(binary()->key, options);
  if (core_->settings.detail_enabled()) {
    core_->prefix_stats.RecordGet(binary()->key, g.hit());
  }
  if (!g.hit()) {
    if (protocol::BinaryResponseIsSent(op, BinaryStatus::kKeyNotFound)) {
      SendPacket(protocol::BinaryGetMissResponse(op, binary()->opaque, binary()->key));
      // A miss without the key is memcached's write_bin_error(), which
      // writes at once; getk/gatk misses wait like any reply.
      if (command != BinaryOpcode::kGetK && command != BinaryOpcode::kGatK) ex()->WritePoint();
    }
    return;
  }
  const protocol::BinaryPacket packet = protocol::BinaryGetHitResponse(
      op, binary()->opaque, g.item.client_flags(), g.cas, g.item.key(), g.item.value());
  out()->Append({packet.head(), packet.key});
  if (!packet.body.empty()) pins_.AppendValue(out(), g.item, packet.body);
  HoldUntilWritten(std::move(g.item));
}

void CacheSession::BinaryStore() {
  const BinaryOpcode command = binary()->command;
  StoreRequest request;
  request.mode = command == BinaryOpcode::kAdd       ? StoreMode::kAdd
                 : command == BinaryOpcode::kReplace ? StoreMode::kReplace
                                                     : StoreMode::kSet;
  request.drop_on_failure = command == BinaryOpcode::kSet;
  if (binary()->cas != 0) {
    // memcached turns any of the three into a CAS store when a CAS is given.
    request.mode = StoreMode::kCas;
    request.cas = binary()->cas;
  }
  request.client_flags = binary()->flags;
  request.exptime = static_cast<int64_t>(binary()->exptime);
  BinaryStoreAndReply(request, command == BinaryOpcode::kAdd       ? BinaryStatus::kKeyExists
                               : command == BinaryOpcode::kReplace ? BinaryStatus::kKeyNotFound
                                                                   : BinaryStatus::kNotStored);
}

void CacheSession::BinaryAppendPrepend() {
  StoreRequest request;
  request.mode =
      binary()->command == BinaryOpcode::kAppend ? StoreMode::kAppend : StoreMode::kPrepend;
  request.cas = binary()->cas;
  BinaryStoreAndReply(request, BinaryStatus::kNotStored);
}

void CacheSession::BinaryStoreAndReply(const StoreRequest& request, BinaryStatus not_stored) {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  if (core_->settings.detail_enabled()) {
    core_->prefix_stats.RecordSet(binary()->key);
  }
  const StoreResult r = StoreWatched(binary()->key, binary()->value, request);
  switch (r.code) {
    case McCode::kOk:
      if (protocol::BinaryResponseIsSent(op, BinaryStatus::kSuccess)) {
        SendPacket(protocol::BinarySuccessResponse(op, binary()->opaque, r.cas));
      }
      return;
    case McCode::kExists:
      SendBinaryError(BinaryStatus::kKeyExists);
      return;
    case McCode::kNotFound:
      SendBinaryError(BinaryStatus::kKeyNotFound);
      return;
    case McCode::kTooLarge:
      SendBinaryError(BinaryStatus::kTooLarge);
      return;
    case McCode::kOutOfMemory:
      SendBinaryError(BinaryStatus::kOutOfMemory, "Out of memory allocating item");
      return;
    default:  // NOT_STORED: what memcached reports for this command
      SendBinaryError(not_stored);
      return;
  }
}

void CacheSession::BinaryDelete() {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  if (core_->settings.detail_enabled()) {
    core_->prefix_stats.RecordDelete(binary()->key);
  }
  DeleteOptions options;
  options.cas = binary()->cas;
  WatchLookup(binary()->key);
  const McCode code = core_->cache->Delete(binary()->key, options);
  if (code == McCode::kOk) {
    if (protocol::BinaryResponseIsSent(op, BinaryStatus::kSuccess)) {
      SendPacket(protocol::BinarySuccessResponse(op, binary()->opaque));
    }
  } else if (code == McCode::kExists) {
    SendBinaryError(BinaryStatus::kKeyExists);
  } else {
    SendBinaryError(BinaryStatus::kKeyNotFound);
  }
}

void CacheSession::BinaryArithmetic() {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  ArithmeticOptions options;
  options.incr = binary()->command == BinaryOpcode::kIncrement;
  options.delta = binary()->delta;
  options.cas = binary()->cas;
  // An expiration of 0xffffffff means "do not create".
  if (binary()->exptime != 0xffffffffu) {
    options.vivify = true;
    options.initial = binary()->initial;
    options.vivify_exptime = static_cast<int64_t>(binary()->exptime);
  }
  const ArithmeticResult r = ArithmeticWatched(binary()->key, options);
  switch (r.code) {
    case McCode::kOk:
      if (protocol::BinaryResponseIsSent(op, BinaryStatus::kSuccess)) {
        SendPacket(protocol::BinaryCounterResponse(op, binary()->opaque, r.cas, r.value));
      }
      return;
    case McCode::kNonNumeric:
      SendBinaryError(BinaryStatus::kNonNumeric);
      return;
    case McCode::kOutOfMemory:
      SendBinaryError(BinaryStatus::kOutOfMemory, "Out of memory incrementing value");
      return;
    case McCode::kExists:
      SendBinaryError(BinaryStatus::kKeyExists);
      return;
    case McCode::kNotStored:
      SendBinaryError(BinaryStatus::kNotStored);
      return;
    default:
      SendBinaryError(BinaryStatus::kKeyNotFound);
      return;
  }
}

void CacheSession::BinaryFlush() {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  if (!core_->options.flush_enabled) {
    SendBinaryError(BinaryStatus::kAuthError);
    return;
  }
  core_->cache->FlushAll(static_cast<int64_t>(binary()->exptime));
  if (protocol::BinaryResponseIsSent(op, BinaryStatus::kSuccess)) {
    SendPacket(protocol::BinarySuccessResponse(op, binary()->opaque));
  }
}

void CacheSession::BinaryStats() {
  const uint32_t opaque = binary()->opaque;
  auto sink = [this, opaque](absl::string_view name, absl::string_view value) {
    SendPacket(protocol::BinaryStatResponse(opaque, name, value));
  };
  const absl::string_view sub = binary()->key;
  // memcached compares the subcommand by prefix, except the engine's.
  if (sub.empty()) {
    WriteGeneralStats(*core_, sink);
  } else if (absl::StartsWith(sub, "reset")) {
    core_->ResetStats();
    core_->prefix_stats.Clear();
  } else if (absl::StartsWith(sub, "settings")) {
    WriteSettingsStats(*core_, sink);
  } else if (absl::StartsWith(sub, "detail")) {
    const absl::string_view arg = sub.substr(6);
    if (absl::StartsWith(arg, " on")) {
      core_->settings.set_detail_enabled(true);
    } else if (absl::StartsWith(arg, " off")) {
      core_->settings.set_detail_enabled(false);
    } else if (absl::StartsWith(arg, " dump")) {
      // memcached sends the text dump as one stat.
      sink("detailed", core_->prefix_stats.Dump());
    } else {
      SendBinaryError(BinaryStatus::kKeyNotFound);
      return;
    }
  } else if (SwitchSizeTracking(*core_, sub, sink)) {
    return;  // memcached sends no terminating packet after these
  } else if (!WriteEngineStats(*core_, sub, sink)) {
    SendBinaryError(BinaryStatus::kKeyNotFound);
    return;
  }
  SendPacket(protocol::BinaryStatResponse(opaque, "", ""));
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
