#include "core/protocol/binary_response_parser.h"

#include <utility>

#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace {

ParseResult Malformed() {
  ProtocolError error;
  error.close = true;
  return ParseResult::Error(kBinaryHeaderSize, std::move(error));
}

// Responses whose success carries the item's flags as 4 bytes of extras.
bool HasFlagsExtras(BinaryOpcode opcode) {
  switch (opcode) {
    case BinaryOpcode::kGet:
    case BinaryOpcode::kGetQ:
    case BinaryOpcode::kGetK:
    case BinaryOpcode::kGetKQ:
    case BinaryOpcode::kTouch:
    case BinaryOpcode::kGat:
    case BinaryOpcode::kGatQ:
    case BinaryOpcode::kGatK:
    case BinaryOpcode::kGatKQ:
      return true;
    default:
      return false;
  }
}

bool IsCounter(BinaryOpcode opcode) {
  switch (opcode) {
    case BinaryOpcode::kIncrement:
    case BinaryOpcode::kIncrementQ:
    case BinaryOpcode::kDecrement:
    case BinaryOpcode::kDecrementQ:
      return true;
    default:
      return false;
  }
}

// The longest error body kept in a status message.
constexpr size_t kMaxErrorText = 256;

}  // namespace

absl::Status BinaryResponse::status() const {
  if (status_code == 0) return absl::OkStatus();
  // memcached's auth codes are 0x20/0x21; core/status knows the protocol
  // document's 0x08/0x09 only.
  if (status_code == static_cast<uint16_t>(BinaryStatus::kAuthError)) {
    return McError(McCode::kAuthError, "Auth failure");
  }
  if (status_code == static_cast<uint16_t>(BinaryStatus::kAuthContinue)) {
    return McError(McCode::kAuthContinue, "Auth continue");
  }
  absl::Status mapped = StatusFromBinaryStatus(status_code);
  // An error's body is the server's own text ("Out of memory", or what a
  // SERVER_ERROR said): keep it as the message, at most a line's worth.
  if (!value.empty()) return McError(GetMcCode(mapped), value.substr(0, kMaxErrorText));
  return mapped;
}

ParseResult ParseBinaryResponse(absl::string_view input, const BinaryResponseParserOptions& options,
                                BinaryResponse* out) {
  const size_t available = input.size();
  if (available < kBinaryHeaderSize) return ParseResult::Incomplete(kBinaryHeaderSize - available);
  const char* p = input.data();
  if (static_cast<uint8_t>(p[0]) != kBinaryResponseMagic) return Malformed();

  const size_t key_length = LoadBigEndian16(p + 2);
  const size_t extras_length = static_cast<uint8_t>(p[4]);
  const size_t body_length = LoadBigEndian32(p + 8);
  if (key_length + extras_length > body_length || body_length > options.max_body_length) {
    return Malformed();
  }
  const size_t total = kBinaryHeaderSize + body_length;
  if (available < total) return ParseResult::Incomplete(total - available);

  BinaryResponse& r = *out;
  r.opcode = static_cast<BinaryOpcode>(p[1]);
  r.data_type = static_cast<uint8_t>(p[5]);
  r.status_code = LoadBigEndian16(p + 6);
  r.opaque = LoadBigEndian32(p + 12);
  r.cas = LoadBigEndian64(p + 16);
  const char* extras = p + kBinaryHeaderSize;
  r.extras = absl::string_view(extras, extras_length);
  r.key = absl::string_view(extras + extras_length, key_length);
  r.value = absl::string_view(extras + extras_length + key_length,
                              body_length - extras_length - key_length);
  r.flags = 0;
  r.counter = 0;

  if (r.status_code == 0) {
    if (HasFlagsExtras(r.opcode)) {
      if (extras_length != 4) return Malformed();
      r.flags = LoadBigEndian32(extras);
    } else if (IsCounter(r.opcode)) {
      if (body_length != 8 || extras_length != 0) return Malformed();
      r.counter = LoadBigEndian64(extras);
    }
  }
  return ParseResult::Ok(total);
}

ParseResult BinaryStatStream::Parse(absl::string_view input) {
  BinaryResponse response;
  ParseResult result = ParseBinaryResponse(input, options_, &response);
  if (!result.ok()) return result;
  if (response.opcode != BinaryOpcode::kStat) return Malformed();
  if (!response.ok()) {
    done_ = true;
    status_ = response.status();
  } else if (response.key.empty()) {
    done_ = true;
  } else {
    stats_.emplace_back(std::string(response.key), std::string(response.value));
  }
  return result;
}

}  // namespace protocol
}  // namespace memkit
