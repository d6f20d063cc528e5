// Server side of the binary protocol: builds the responses memcached 1.6.18
// sends, byte for byte, as BinaryPackets (header and extras formatted into a
// small inline buffer; key, value and message referenced, not copied), so a
// server can writev() [head, key, body] straight from its item memory.
//
// Every builder takes the request's opcode as sent (memcached echoes the quiet
// opcode, e.g. 0x12 for a failed addq) and its opaque. Whether a response is
// sent at all for a quiet opcode is BinaryResponseIsSent()'s call.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_BINARY_RESPONSE_WRITER_H_
#define MEMKIT_CORE_PROTOCOL_BINARY_RESPONSE_WRITER_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/protocol/binary_codes.h"

namespace memkit {
namespace protocol {

// Any response: `extras` (at most 20 bytes; longer is truncated) is copied
// into the head; `key` and `body` are referenced and must outlive the packet.
BinaryPacket MakeBinaryResponse(uint8_t opcode, BinaryStatus status, uint32_t opaque, uint64_t cas,
                                absl::string_view extras, absl::string_view key,
                                absl::string_view body);

// A hit for get, getq, getk, getkq, touch, gat, gatq, gatk, gatkq: 4 bytes of
// flags as extras and the item's cas; the key only for the *k* opcodes, the
// value for all but touch (memcached's touch answers flags and cas only).
BinaryPacket BinaryGetHitResponse(uint8_t opcode, uint32_t opaque, uint32_t flags, uint64_t cas,
                                  absl::string_view key, absl::string_view value);

// A miss for the same family: for getk/gatk (and their quiet forms) status 1
// with the key and no text; for the others status 1 with "Not found".
BinaryPacket BinaryGetMissResponse(uint8_t opcode, uint32_t opaque, absl::string_view key);

// Success without a body: set/add/replace/append/prepend (with the new cas),
// delete, flush, noop, quit.
BinaryPacket BinarySuccessResponse(uint8_t opcode, uint32_t opaque, uint64_t cas = 0);

// Success of increment/decrement: the new value as an 8-byte body.
BinaryPacket BinaryCounterResponse(uint8_t opcode, uint32_t opaque, uint64_t cas, uint64_t value);

// An error with memcached's text for `status` as its body (cas 0).
BinaryPacket BinaryErrorResponse(uint8_t opcode, uint32_t opaque, BinaryStatus status);

// An error with a message of the caller's, e.g. memcached's out-of-memory
// replies ("Out of memory allocating item", referenced, not copied).
BinaryPacket BinaryErrorResponse(uint8_t opcode, uint32_t opaque, BinaryStatus status,
                                 absl::string_view message);

// The answer to version: the version string as the body.
BinaryPacket BinaryVersionResponse(uint32_t opaque, absl::string_view version);

// One packet of a stat answer; the stream ends with BinaryStatResponse(opaque, "", "").
BinaryPacket BinaryStatResponse(uint32_t opaque, absl::string_view key, absl::string_view value);

// Whether memcached sends a response with `status` to a request with
// `opcode`: quiet gets (getq, getkq, gatq, gatkq) are silent on a miss,
// other quiet opcodes on success; every other combination is answered.
bool BinaryResponseIsSent(uint8_t opcode, BinaryStatus status);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_BINARY_RESPONSE_WRITER_H_
