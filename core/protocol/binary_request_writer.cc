#include "core/protocol/binary_request_writer.h"

#include <cstring>
#include <initializer_list>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace {

constexpr size_t kMaxExtras = BinaryPacket::kMaxHead - kBinaryHeaderSize;

// Formats the header and extras; key and value are referenced.
void Format(uint8_t opcode, absl::string_view extras, absl::string_view key,
            absl::string_view value, uint64_t cas, uint32_t opaque, BinaryPacket* packet) {
  char* p = packet->head_bytes;
  p[0] = static_cast<char>(kBinaryRequestMagic);
  p[1] = static_cast<char>(opcode);
  StoreBigEndian16(static_cast<uint16_t>(key.size()), p + 2);
  p[4] = static_cast<char>(extras.size());
  p[5] = 0;  // data type: raw bytes
  StoreBigEndian16(0, p + 6);
  StoreBigEndian32(static_cast<uint32_t>(extras.size() + key.size() + value.size()), p + 8);
  StoreBigEndian32(opaque, p + 12);
  StoreBigEndian64(cas, p + 16);
  if (!extras.empty()) std::memcpy(p + kBinaryHeaderSize, extras.data(), extras.size());
  packet->head_size = static_cast<uint8_t>(kBinaryHeaderSize + extras.size());
  packet->key = key;
  packet->body = value;
}

absl::Status CheckOpcode(BinaryOpcode opcode, std::initializer_list<BinaryOpcode> allowed,
                         absl::string_view builder) {
  for (BinaryOpcode a : allowed) {
    if (a == opcode) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      builder, " cannot build a ", BinaryOpcodeName(static_cast<uint8_t>(opcode)), " request"));
}

// memcached refuses an empty key (where one is needed) and a key over 250
// bytes with "Invalid arguments" and closes the connection.
absl::Status CheckKey(absl::string_view key) {
  if (key.empty()) return McError(McCode::kBadKey, "empty key");
  if (key.size() > kBinaryMaxKeyLength) {
    return McError(McCode::kBadKey,
                   absl::StrCat("key of ", key.size(), " bytes; at most ", kBinaryMaxKeyLength));
  }
  return absl::OkStatus();
}

absl::Status CheckBody(size_t extras, size_t key, size_t value) {
  if (value > std::numeric_limits<uint32_t>::max() - extras - key) {
    return McError(McCode::kTooLarge, "value does not fit a binary request's 32-bit body length");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildBinaryGet(BinaryOpcode opcode, absl::string_view key, uint32_t opaque,
                            BinaryPacket* packet) {
  absl::Status s = CheckOpcode(
      opcode, {BinaryOpcode::kGet, BinaryOpcode::kGetQ, BinaryOpcode::kGetK, BinaryOpcode::kGetKQ},
      "BuildBinaryGet");
  if (s.ok()) s = CheckKey(key);
  if (!s.ok()) return s;
  Format(static_cast<uint8_t>(opcode), {}, key, {}, 0, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryStore(BinaryOpcode opcode, absl::string_view key, absl::string_view value,
                              uint32_t flags, uint32_t exptime, uint64_t cas, uint32_t opaque,
                              BinaryPacket* packet) {
  absl::Status s =
      CheckOpcode(opcode,
                  {BinaryOpcode::kSet, BinaryOpcode::kSetQ, BinaryOpcode::kAdd, BinaryOpcode::kAddQ,
                   BinaryOpcode::kReplace, BinaryOpcode::kReplaceQ},
                  "BuildBinaryStore");
  if (s.ok()) s = CheckKey(key);
  if (s.ok()) s = CheckBody(8, key.size(), value.size());
  if (!s.ok()) return s;
  char extras[8];
  StoreBigEndian32(flags, extras);
  StoreBigEndian32(exptime, extras + 4);
  Format(static_cast<uint8_t>(opcode), absl::string_view(extras, 8), key, value, cas, opaque,
         packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryConcat(BinaryOpcode opcode, absl::string_view key, absl::string_view value,
                               uint64_t cas, uint32_t opaque, BinaryPacket* packet) {
  absl::Status s = CheckOpcode(opcode,
                               {BinaryOpcode::kAppend, BinaryOpcode::kAppendQ,
                                BinaryOpcode::kPrepend, BinaryOpcode::kPrependQ},
                               "BuildBinaryConcat");
  if (s.ok()) s = CheckKey(key);
  if (s.ok()) s = CheckBody(0, key.size(), value.size());
  if (!s.ok()) return s;
  Format(static_cast<uint8_t>(opcode), {}, key, value, cas, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryDelete(BinaryOpcode opcode, absl::string_view key, uint64_t cas,
                               uint32_t opaque, BinaryPacket* packet) {
  absl::Status s =
      CheckOpcode(opcode, {BinaryOpcode::kDelete, BinaryOpcode::kDeleteQ}, "BuildBinaryDelete");
  if (s.ok()) s = CheckKey(key);
  if (!s.ok()) return s;
  Format(static_cast<uint8_t>(opcode), {}, key, {}, cas, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryCounter(BinaryOpcode opcode, absl::string_view key, uint64_t delta,
                                uint64_t initial, uint32_t exptime, uint64_t cas, uint32_t opaque,
                                BinaryPacket* packet) {
  absl::Status s = CheckOpcode(opcode,
                               {BinaryOpcode::kIncrement, BinaryOpcode::kIncrementQ,
                                BinaryOpcode::kDecrement, BinaryOpcode::kDecrementQ},
                               "BuildBinaryCounter");
  if (s.ok()) s = CheckKey(key);
  if (!s.ok()) return s;
  char extras[20];
  StoreBigEndian64(delta, extras);
  StoreBigEndian64(initial, extras + 8);
  StoreBigEndian32(exptime, extras + 16);
  Format(static_cast<uint8_t>(opcode), absl::string_view(extras, 20), key, {}, cas, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryTouch(BinaryOpcode opcode, absl::string_view key, uint32_t exptime,
                              uint32_t opaque, BinaryPacket* packet) {
  absl::Status s = CheckOpcode(opcode,
                               {BinaryOpcode::kTouch, BinaryOpcode::kGat, BinaryOpcode::kGatQ,
                                BinaryOpcode::kGatK, BinaryOpcode::kGatKQ},
                               "BuildBinaryTouch");
  if (s.ok()) s = CheckKey(key);
  if (!s.ok()) return s;
  char extras[4];
  StoreBigEndian32(exptime, extras);
  Format(static_cast<uint8_t>(opcode), absl::string_view(extras, 4), key, {}, 0, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryFlush(BinaryOpcode opcode, absl::optional<uint32_t> delay, uint32_t opaque,
                              BinaryPacket* packet) {
  absl::Status s =
      CheckOpcode(opcode, {BinaryOpcode::kFlush, BinaryOpcode::kFlushQ}, "BuildBinaryFlush");
  if (!s.ok()) return s;
  char extras[4];
  size_t extras_length = 0;
  if (delay.has_value()) {
    StoreBigEndian32(*delay, extras);
    extras_length = 4;
  }
  Format(static_cast<uint8_t>(opcode), absl::string_view(extras, extras_length), {}, {}, 0, opaque,
         packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryBare(BinaryOpcode opcode, uint32_t opaque, BinaryPacket* packet) {
  absl::Status s = CheckOpcode(opcode,
                               {BinaryOpcode::kNoop, BinaryOpcode::kVersion, BinaryOpcode::kQuit,
                                BinaryOpcode::kQuitQ, BinaryOpcode::kSaslListMechs},
                               "BuildBinaryBare");
  if (!s.ok()) return s;
  Format(static_cast<uint8_t>(opcode), {}, {}, {}, 0, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryStat(absl::string_view group, uint32_t opaque, BinaryPacket* packet) {
  if (group.size() > kBinaryMaxKeyLength) {
    return McError(McCode::kBadKey, absl::StrCat("stat group of ", group.size(), " bytes"));
  }
  Format(static_cast<uint8_t>(BinaryOpcode::kStat), {}, group, {}, 0, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryVerbosity(uint32_t level, uint32_t opaque, BinaryPacket* packet) {
  char extras[4];
  StoreBigEndian32(level, extras);
  Format(static_cast<uint8_t>(BinaryOpcode::kVerbosity), absl::string_view(extras, 4), {}, {}, 0,
         opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinarySasl(BinaryOpcode opcode, absl::string_view mechanism,
                             absl::string_view data, uint32_t opaque, BinaryPacket* packet) {
  absl::Status s =
      CheckOpcode(opcode, {BinaryOpcode::kSaslAuth, BinaryOpcode::kSaslStep}, "BuildBinarySasl");
  if (s.ok()) s = CheckKey(mechanism);
  if (s.ok()) s = CheckBody(0, mechanism.size(), data.size());
  if (!s.ok()) return s;
  Format(static_cast<uint8_t>(opcode), {}, mechanism, data, 0, opaque, packet);
  return absl::OkStatus();
}

absl::Status BuildBinaryRequest(uint8_t opcode, absl::string_view extras, absl::string_view key,
                                absl::string_view value, uint64_t cas, uint32_t opaque,
                                BinaryPacket* packet) {
  if (extras.size() > kMaxExtras) {
    return absl::InvalidArgumentError(absl::StrCat("extras of ", extras.size(), " bytes"));
  }
  if (key.size() > std::numeric_limits<uint16_t>::max()) {
    return McError(McCode::kBadKey, absl::StrCat("key of ", key.size(), " bytes"));
  }
  absl::Status s = CheckBody(extras.size(), key.size(), value.size());
  if (!s.ok()) return s;
  Format(opcode, extras, key, value, cas, opaque, packet);
  return absl::OkStatus();
}

}  // namespace protocol
}  // namespace memkit
