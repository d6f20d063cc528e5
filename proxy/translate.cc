#include "proxy/translate.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/binary_response_writer.h"
#include "core/protocol/meta_request_writer.h"
#include "core/protocol/text_request_writer.h"

namespace memkit {
namespace proxy {
namespace {

using protocol::AsciiResponse;
using protocol::AsciiResponseKind;
using protocol::BinaryOpcode;
using protocol::BinaryStatus;
using protocol::MetaCode;

constexpr uint32_t kNoCreate = 0xffffffffu;

bool IsGetFamily(BinaryOpcode c) {
  return c == BinaryOpcode::kGet || c == BinaryOpcode::kGetK || c == BinaryOpcode::kGat ||
         c == BinaryOpcode::kGatK || c == BinaryOpcode::kTouch;
}

bool IsStore(BinaryOpcode c) {
  return c == BinaryOpcode::kSet || c == BinaryOpcode::kAdd || c == BinaryOpcode::kReplace ||
         c == BinaryOpcode::kAppend || c == BinaryOpcode::kPrepend;
}

bool ReturnsKey(BinaryOpcode c) { return c == BinaryOpcode::kGetK || c == BinaryOpcode::kGatK; }

std::string Packet(const protocol::BinaryPacket& p) { return p.ToString(); }

// The packet for an error line of the server's.
std::string ErrorLine(const BinaryToMeta& r, const AsciiResponse& resp) {
  BinaryStatus status = BinaryStatus::kInternalError;
  if (resp.kind == AsciiResponseKind::kServerError) {
    if (absl::StrContains(resp.message, "out of memory")) {
      status = BinaryStatus::kOutOfMemory;
    } else if (absl::StrContains(resp.message, "too large")) {
      status = BinaryStatus::kTooLarge;
    }
  } else if (resp.kind == AsciiResponseKind::kClientError) {
    status = absl::StrContains(resp.message, "non-numeric") ? BinaryStatus::kNonNumeric
                                                             : BinaryStatus::kInvalidArguments;
  } else if (resp.kind == AsciiResponseKind::kError) {
    status = BinaryStatus::kUnknownCommand;
  }
  if (!protocol::BinaryResponseIsSent(r.opcode, status)) return "";
  return Packet(protocol::BinaryErrorResponse(r.opcode, r.opaque, status));
}

std::string Status(const BinaryToMeta& r, BinaryStatus status) {
  if (!protocol::BinaryResponseIsSent(r.opcode, status)) return "";
  if (status == BinaryStatus::kKeyNotFound && IsGetFamily(r.command)) {
    return Packet(protocol::BinaryGetMissResponse(r.opcode, r.opaque, r.key));
  }
  return Packet(protocol::BinaryErrorResponse(r.opcode, r.opaque, status));
}

}  // namespace

bool IsTranslatedBinaryCommand(BinaryOpcode c) {
  return IsGetFamily(c) || IsStore(c) || c == BinaryOpcode::kDelete ||
         c == BinaryOpcode::kIncrement || c == BinaryOpcode::kDecrement;
}

absl::StatusOr<BinaryToMeta> WriteMetaForBinary(const protocol::BinaryRequest& request,
                                                protocol::AsciiSink* sink) {
  const BinaryOpcode c = request.command;
  if (!IsTranslatedBinaryCommand(c)) {
    return absl::UnimplementedError("no meta translation for this opcode");
  }
  BinaryToMeta out;
  out.opcode = static_cast<uint8_t>(request.opcode);
  out.command = c;
  out.opaque = request.opaque;
  if (ReturnsKey(c)) out.key = std::string(request.key);
  // Binary keys may hold any byte; the meta protocol takes those in base64.
  const bool base64 = !protocol::CheckTextKey(request.key).ok();
  protocol::MetaFlags flags;
  absl::Status written;
  if (IsGetFamily(c)) {
    flags.Add('f');
    if (c != BinaryOpcode::kTouch) flags.Add('v');
    flags.Add('c');
    if (c != BinaryOpcode::kGet && c != BinaryOpcode::kGetK) {
      flags.AddSigned('T', static_cast<int64_t>(request.exptime));
    }
    written = protocol::WriteMetaGetRequest(sink, request.key, flags, base64);
  } else if (IsStore(c)) {
    const bool concat = c == BinaryOpcode::kAppend || c == BinaryOpcode::kPrepend;
    if (!concat) {
      flags.AddNumber('F', request.flags);
      flags.AddSigned('T', static_cast<int64_t>(request.exptime));
    }
    flags.Add('c');
    if (request.cas != 0) flags.AddNumber('C', request.cas);
    char mode = 'S';
    switch (c) {
      case BinaryOpcode::kAdd: mode = 'E'; break;
      case BinaryOpcode::kReplace: mode = 'R'; break;
      case BinaryOpcode::kAppend: mode = 'A'; break;
      case BinaryOpcode::kPrepend: mode = 'P'; break;
      default: break;
    }
    flags.Mode(mode);
    written = protocol::WriteMetaSetRequest(sink, request.key, request.value, flags, base64);
  } else if (c == BinaryOpcode::kDelete) {
    if (request.cas != 0) flags.AddNumber('C', request.cas);
    written = protocol::WriteMetaDeleteRequest(sink, request.key, flags, base64);
  } else {
    flags.Add('v').Add('c');
    flags.Mode(c == BinaryOpcode::kIncrement ? 'I' : 'D');
    flags.AddNumber('D', request.delta);
    if (request.cas != 0) flags.AddNumber('C', request.cas);
    if (request.exptime != kNoCreate) {
      flags.AddSigned('N', static_cast<int64_t>(request.exptime));
      flags.AddNumber('J', request.initial);
    }
    written = protocol::WriteMetaArithmeticRequest(sink, request.key, flags, base64);
  }
  if (!flags.status().ok()) return flags.status();
  if (!written.ok()) return written;
  return out;
}

std::string BinaryForMetaReply(const BinaryToMeta& r, absl::string_view reply, bool* hit) {
  if (hit != nullptr) *hit = false;
  AsciiResponse resp;
  const protocol::ParseResult parsed = protocol::ParseAsciiResponse(reply, {}, &resp);
  if (parsed.status != protocol::ParseStatus::kOk) {
    return Packet(protocol::BinaryErrorResponse(r.opcode, r.opaque, BinaryStatus::kInternalError,
                                                "unparseable reply from backend"));
  }
  if (resp.kind != AsciiResponseKind::kMeta) return ErrorLine(r, resp);
  uint64_t cas = 0;
  (void)resp.MetaNumber('c', &cas);
  const MetaCode code = resp.meta_code;
  if (IsGetFamily(r.command)) {
    if (code == MetaCode::kEN || code == MetaCode::kNF) return Status(r, BinaryStatus::kKeyNotFound);
    if (code != MetaCode::kVA && code != MetaCode::kHD) {
      return Status(r, BinaryStatus::kInternalError);
    }
    if (hit != nullptr) *hit = true;
    uint64_t flags = 0;
    (void)resp.MetaNumber('f', &flags);
    return Packet(protocol::BinaryGetHitResponse(r.opcode, r.opaque, static_cast<uint32_t>(flags),
                                                 cas, r.key, resp.value));
  }
  if (r.command == BinaryOpcode::kIncrement || r.command == BinaryOpcode::kDecrement) {
    switch (code) {
      case MetaCode::kVA: {
        uint64_t value = 0;
        for (char ch : resp.value) value = value * 10 + static_cast<uint64_t>(ch - '0');
        if (!protocol::BinaryResponseIsSent(r.opcode, BinaryStatus::kSuccess)) return "";
        return Packet(protocol::BinaryCounterResponse(r.opcode, r.opaque, cas, value));
      }
      case MetaCode::kNF:
      case MetaCode::kNS:
        return Status(r, BinaryStatus::kKeyNotFound);
      case MetaCode::kEX:
        return Status(r, BinaryStatus::kKeyExists);
      default:
        return Status(r, BinaryStatus::kInternalError);
    }
  }
  switch (code) {
    case MetaCode::kHD:
      if (!protocol::BinaryResponseIsSent(r.opcode, BinaryStatus::kSuccess)) return "";
      return Packet(protocol::BinarySuccessResponse(
          r.opcode, r.opaque, r.command == BinaryOpcode::kDelete ? 0 : cas));
    case MetaCode::kNF:
      return Status(r, BinaryStatus::kKeyNotFound);
    case MetaCode::kEX:
      return Status(r, BinaryStatus::kKeyExists);
    case MetaCode::kNS:
      // memcached's binary codes for a store that did not happen.
      if (r.command == BinaryOpcode::kAdd) return Status(r, BinaryStatus::kKeyExists);
      if (r.command == BinaryOpcode::kReplace) return Status(r, BinaryStatus::kKeyNotFound);
      return Status(r, BinaryStatus::kNotStored);
    default:
      return Status(r, BinaryStatus::kInternalError);
  }
}

std::string TextFlushForBinary(const protocol::BinaryRequest& request) {
  if (request.exptime == 0) return "flush_all\r\n";
  return absl::StrCat("flush_all ", request.exptime, "\r\n");
}

MetaTranslation TranslateToMeta(const protocol::BinaryRequest& request) {
  MetaTranslation t;
  t.reply.opcode = static_cast<uint8_t>(request.opcode);
  t.reply.command = request.command;
  t.reply.opaque = request.opaque;
  protocol::StringSink sink(&t.bytes);
  auto translated = WriteMetaForBinary(request, &sink);
  if (!translated.ok()) {
    t.status = translated.status();
    t.bytes.clear();
    return t;
  }
  t.reply = std::move(*translated);
  t.retrieval = IsGetFamily(request.command) && request.command != BinaryOpcode::kTouch;
  return t;
}

std::string UntranslatablePacket(const MetaTranslation& t) {
  const BinaryStatus status = t.status.code() == absl::StatusCode::kUnimplemented
                                  ? BinaryStatus::kUnknownCommand
                                  : BinaryStatus::kInvalidArguments;
  return Packet(protocol::BinaryErrorResponse(t.reply.opcode, t.reply.opaque, status));
}

uint16_t PacketStatus(absl::string_view packet) {
  // The 24-byte header's status is bytes 6 and 7, big-endian.
  if (packet.size() < 8) return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(packet[6]) << 8) |
                               static_cast<uint8_t>(packet[7]));
}

}  // namespace proxy
}  // namespace memkit
