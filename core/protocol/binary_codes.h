// The memcached binary protocol's vocabulary: magic bytes, opcodes, status
// codes, the 24-byte header, and BinaryPacket, the scatter/gather form in
// which memkit's binary writers hand out a message (requests and responses).
//
// Reference: memcached 1.6.18's protocol_binary.h and proto_bin.c; the
// behaviour described here was checked against a running memcached 1.6.18
// (see docs/protocol-binary.md).
//
// Thread-safety: everything here is a value type or a pure function.

#ifndef MEMKIT_CORE_PROTOCOL_BINARY_CODES_H_
#define MEMKIT_CORE_PROTOCOL_BINARY_CODES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace memkit {
namespace protocol {

inline constexpr size_t kBinaryHeaderSize = 24;
inline constexpr uint8_t kBinaryRequestMagic = 0x80;
inline constexpr uint8_t kBinaryResponseMagic = 0x81;
// memcached's KEY_MAX_LENGTH: the wire allows 16-bit key lengths, but
// memcached answers a longer key with "Invalid arguments" and closes.
inline constexpr size_t kBinaryMaxKeyLength = 250;

// Every opcode of protocol_binary.h that memcached 1.6.18 or its clients use.
// kVerbosity is written by clients (libmemcached) but memcached 1.6.18 answers
// it with "Unknown command".
enum class BinaryOpcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kVerbosity = 0x1b,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

// Response status codes. memcached sends the first nine plus kOutOfMemory;
// note that its auth codes are 0x20/0x21 (not 0x08/0x09 as some drafts of
// the protocol document say).
enum class BinaryStatus : uint16_t {
  kSuccess = 0x0000,
  kKeyNotFound = 0x0001,
  kKeyExists = 0x0002,
  kTooLarge = 0x0003,
  kInvalidArguments = 0x0004,
  kNotStored = 0x0005,
  kNonNumeric = 0x0006,
  kAuthError = 0x0020,
  kAuthContinue = 0x0021,
  kUnknownCommand = 0x0081,
  kOutOfMemory = 0x0082,
  kNotSupported = 0x0083,
  kInternalError = 0x0084,
  kBusy = 0x0085,
  kTemporaryFailure = 0x0086,
};

// "get", "setq", ... for the opcodes above; "unknown" for any other byte.
absl::string_view BinaryOpcodeName(uint8_t opcode);

// True for the opcodes memcached 1.6.18 dispatches (kVerbosity is not one).
bool IsMemcachedBinaryOpcode(uint8_t opcode);

// True for getq, getkq, setq, ..., gatkq: the opcodes whose ordinary outcome
// memcached does not answer (a miss for the get family, success otherwise).
bool IsQuietBinaryOpcode(uint8_t opcode);

// The loud form of a quiet opcode (kSetQ -> kSet); any other opcode as is.
BinaryOpcode BaseBinaryOpcode(BinaryOpcode opcode);

// The quiet form of a loud opcode that has one (kSet -> kSetQ); else as is.
BinaryOpcode QuietBinaryOpcode(BinaryOpcode opcode);

// The text memcached puts in the body of an error response with this status
// ("Not found", "Data exists for key.", "Too large.", ...).
absl::string_view BinaryStatusText(BinaryStatus status);

// The 24-byte header in host byte order. In a request the two bytes at offset
// 6 are the reserved ("vbucket") field; in a response, the status.
struct BinaryHeader {
  uint8_t magic = 0;
  uint8_t opcode = 0;
  uint16_t key_length = 0;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  uint16_t status_or_vbucket = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

// Big-endian loads and stores; `p` need not be aligned.
inline uint16_t LoadBigEndian16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return __builtin_bswap16(v);
}
inline uint32_t LoadBigEndian32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return __builtin_bswap32(v);
}
inline uint64_t LoadBigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return __builtin_bswap64(v);
}
inline void StoreBigEndian16(uint16_t v, char* p) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof(v));
}
inline void StoreBigEndian32(uint32_t v, char* p) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof(v));
}
inline void StoreBigEndian64(uint64_t v, char* p) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof(v));
}

// Decodes kBinaryHeaderSize bytes at `p`.
inline BinaryHeader DecodeBinaryHeader(const char* p) {
  BinaryHeader h;
  h.magic = static_cast<uint8_t>(p[0]);
  h.opcode = static_cast<uint8_t>(p[1]);
  h.key_length = LoadBigEndian16(p + 2);
  h.extras_length = static_cast<uint8_t>(p[4]);
  h.data_type = static_cast<uint8_t>(p[5]);
  h.status_or_vbucket = LoadBigEndian16(p + 6);
  h.body_length = LoadBigEndian32(p + 8);
  h.opaque = LoadBigEndian32(p + 12);
  h.cas = LoadBigEndian64(p + 16);
  return h;
}

// Encodes `h` into kBinaryHeaderSize bytes at `p`.
inline void EncodeBinaryHeader(const BinaryHeader& h, char* p) {
  p[0] = static_cast<char>(h.magic);
  p[1] = static_cast<char>(h.opcode);
  StoreBigEndian16(h.key_length, p + 2);
  p[4] = static_cast<char>(h.extras_length);
  p[5] = static_cast<char>(h.data_type);
  StoreBigEndian16(h.status_or_vbucket, p + 6);
  StoreBigEndian32(h.body_length, p + 8);
  StoreBigEndian32(h.opaque, p + 12);
  StoreBigEndian64(h.cas, p + 16);
}

// One binary message as it goes on the wire: `head()` (the header, the
// extras and any small fixed body, formatted into inline storage), then
// `key`, then `body`. key and body are views, not copies: whoever sends the
// packet keeps their bytes alive until it is written, and may hand the three
// parts to writev() as they are.
struct BinaryPacket {
  // The largest head: header + the 20 bytes of incr/decr request extras.
  static constexpr size_t kMaxHead = kBinaryHeaderSize + 20;

  char head_bytes[kMaxHead];
  uint8_t head_size = 0;
  absl::string_view key;
  absl::string_view body;

  absl::string_view head() const { return absl::string_view(head_bytes, head_size); }
  // Bytes on the wire.
  size_t size() const { return head_size + key.size() + body.size(); }
  // Appends the whole message to `out`.
  void AppendTo(std::string* out) const;
  // The whole message as one string (tests, small messages).
  std::string ToString() const;
};

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_BINARY_CODES_H_
