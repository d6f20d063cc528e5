#include "core/protocol/binary_response_writer.h"

#include <algorithm>
#include <cstring>

namespace memkit {
namespace protocol {
namespace {

constexpr size_t kMaxExtras = BinaryPacket::kMaxHead - kBinaryHeaderSize;

// Formats the header and extras; key and body lengths only declared.
inline void FormatHead(uint8_t opcode, BinaryStatus status, uint32_t opaque, uint64_t cas,
                       absl::string_view extras, size_t key_length, size_t body_length,
                       BinaryPacket* packet) {
  char* p = packet->head_bytes;
  p[0] = static_cast<char>(kBinaryResponseMagic);
  p[1] = static_cast<char>(opcode);
  StoreBigEndian16(static_cast<uint16_t>(key_length), p + 2);
  p[4] = static_cast<char>(extras.size());
  p[5] = 0;  // data type: raw bytes
  StoreBigEndian16(static_cast<uint16_t>(status), p + 6);
  StoreBigEndian32(static_cast<uint32_t>(extras.size() + key_length + body_length), p + 8);
  StoreBigEndian32(opaque, p + 12);
  StoreBigEndian64(cas, p + 16);
  if (!extras.empty()) std::memcpy(p + kBinaryHeaderSize, extras.data(), extras.size());
  packet->head_size = static_cast<uint8_t>(kBinaryHeaderSize + extras.size());
}

inline bool ReturnsKey(uint8_t opcode) {
  switch (static_cast<BinaryOpcode>(opcode)) {
    case BinaryOpcode::kGetK:
    case BinaryOpcode::kGetKQ:
    case BinaryOpcode::kGatK:
    case BinaryOpcode::kGatKQ:
      return true;
    default:
      return false;
  }
}

inline bool IsQuietGet(uint8_t opcode) {
  switch (static_cast<BinaryOpcode>(opcode)) {
    case BinaryOpcode::kGetQ:
    case BinaryOpcode::kGetKQ:
    case BinaryOpcode::kGatQ:
    case BinaryOpcode::kGatKQ:
      return true;
    default:
      return false;
  }
}

}  // namespace

BinaryPacket MakeBinaryResponse(uint8_t opcode, BinaryStatus status, uint32_t opaque, uint64_t cas,
                                absl::string_view extras, absl::string_view key,
                                absl::string_view body) {
  BinaryPacket packet;
  extras = extras.substr(0, std::min(extras.size(), kMaxExtras));
  FormatHead(opcode, status, opaque, cas, extras, key.size(), body.size(), &packet);
  packet.key = key;
  packet.body = body;
  return packet;
}

BinaryPacket BinaryGetHitResponse(uint8_t opcode, uint32_t opaque, uint32_t flags, uint64_t cas,
                                  absl::string_view key, absl::string_view value) {
  BinaryPacket packet;
  char extras[4];
  StoreBigEndian32(flags, extras);
  if (!ReturnsKey(opcode)) key = absl::string_view();
  if (static_cast<BinaryOpcode>(opcode) == BinaryOpcode::kTouch) value = absl::string_view();
  FormatHead(opcode, BinaryStatus::kSuccess, opaque, cas, absl::string_view(extras, 4), key.size(),
             value.size(), &packet);
  packet.key = key;
  packet.body = value;
  return packet;
}

BinaryPacket BinaryGetMissResponse(uint8_t opcode, uint32_t opaque, absl::string_view key) {
  BinaryPacket packet;
  if (ReturnsKey(opcode)) {
    FormatHead(opcode, BinaryStatus::kKeyNotFound, opaque, 0, {}, key.size(), 0, &packet);
    packet.key = key;
  } else {
    absl::string_view text = BinaryStatusText(BinaryStatus::kKeyNotFound);
    FormatHead(opcode, BinaryStatus::kKeyNotFound, opaque, 0, {}, 0, text.size(), &packet);
    packet.body = text;
  }
  return packet;
}

BinaryPacket BinarySuccessResponse(uint8_t opcode, uint32_t opaque, uint64_t cas) {
  BinaryPacket packet;
  FormatHead(opcode, BinaryStatus::kSuccess, opaque, cas, {}, 0, 0, &packet);
  return packet;
}

BinaryPacket BinaryCounterResponse(uint8_t opcode, uint32_t opaque, uint64_t cas, uint64_t value) {
  BinaryPacket packet;
  FormatHead(opcode, BinaryStatus::kSuccess, opaque, cas, {}, 0, 8, &packet);
  // The value is the body, but it is small: it lives in the head's storage.
  StoreBigEndian64(value, packet.head_bytes + kBinaryHeaderSize);
  packet.head_size = kBinaryHeaderSize + 8;
  return packet;
}

BinaryPacket BinaryErrorResponse(uint8_t opcode, uint32_t opaque, BinaryStatus status) {
  return BinaryErrorResponse(opcode, opaque, status, BinaryStatusText(status));
}

BinaryPacket BinaryErrorResponse(uint8_t opcode, uint32_t opaque, BinaryStatus status,
                                 absl::string_view message) {
  BinaryPacket packet;
  FormatHead(opcode, status, opaque, 0, {}, 0, message.size(), &packet);
  packet.body = message;
  return packet;
}

BinaryPacket BinaryVersionResponse(uint32_t opaque, absl::string_view version) {
  BinaryPacket packet;
  FormatHead(static_cast<uint8_t>(BinaryOpcode::kVersion), BinaryStatus::kSuccess, opaque, 0, {}, 0,
             version.size(), &packet);
  packet.body = version;
  return packet;
}

BinaryPacket BinaryStatResponse(uint32_t opaque, absl::string_view key, absl::string_view value) {
  BinaryPacket packet;
  FormatHead(static_cast<uint8_t>(BinaryOpcode::kStat), BinaryStatus::kSuccess, opaque, 0, {},
             key.size(), value.size(), &packet);
  packet.key = key;
  packet.body = value;
  return packet;
}

bool BinaryResponseIsSent(uint8_t opcode, BinaryStatus status) {
  if (!IsQuietBinaryOpcode(opcode)) return true;
  if (IsQuietGet(opcode)) return status != BinaryStatus::kKeyNotFound;
  return status != BinaryStatus::kSuccess;
}

}  // namespace protocol
}  // namespace memkit
