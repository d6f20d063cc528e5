// Client side of the binary protocol: builds requests for every opcode
// memcached 1.6.18 implements (and verbosity), with their quiet variants, an
// opaque and a cas, as BinaryPackets: header and extras are formatted into
// the packet's inline head, key and value are referenced, not copied (send
// them with writev, or BinaryPacket::AppendTo a buffer).
//
// Each builder checks what memcached would refuse with "Invalid arguments" and
// a closed connection: an opcode that does not belong to the builder, an empty
// key where one is needed, a key over 250 bytes (McCode::kBadKey, that is
// InvalidArgument), and a body beyond 4 GiB.
//
// Thread-safety: pure functions. Views in a packet must outlive its sending.

#ifndef MEMKIT_CORE_PROTOCOL_BINARY_REQUEST_WRITER_H_
#define MEMKIT_CORE_PROTOCOL_BINARY_REQUEST_WRITER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/protocol/binary_codes.h"

namespace memkit {
namespace protocol {

// get, getq, getk, getkq.
absl::Status BuildBinaryGet(BinaryOpcode opcode, absl::string_view key, uint32_t opaque,
                            BinaryPacket* packet);

// set, setq, add, addq, replace, replaceq: flags and exptime as extras; a
// nonzero cas makes it a compare-and-swap.
absl::Status BuildBinaryStore(BinaryOpcode opcode, absl::string_view key, absl::string_view value,
                              uint32_t flags, uint32_t exptime, uint64_t cas, uint32_t opaque,
                              BinaryPacket* packet);

// append, appendq, prepend, prependq (no extras).
absl::Status BuildBinaryConcat(BinaryOpcode opcode, absl::string_view key, absl::string_view value,
                               uint64_t cas, uint32_t opaque, BinaryPacket* packet);

// delete, deleteq.
absl::Status BuildBinaryDelete(BinaryOpcode opcode, absl::string_view key, uint64_t cas,
                               uint32_t opaque, BinaryPacket* packet);

// increment(q), decrement(q): delta, initial value and exptime as extras.
// exptime 0xffffffff asks memcached not to create a missing counter.
absl::Status BuildBinaryCounter(BinaryOpcode opcode, absl::string_view key, uint64_t delta,
                                uint64_t initial, uint32_t exptime, uint64_t cas, uint32_t opaque,
                                BinaryPacket* packet);

// touch, gat, gatq, gatk, gatkq: exptime as extras.
absl::Status BuildBinaryTouch(BinaryOpcode opcode, absl::string_view key, uint32_t exptime,
                              uint32_t opaque, BinaryPacket* packet);

// flush, flushq, with an optional delay in seconds (4 bytes of extras).
absl::Status BuildBinaryFlush(BinaryOpcode opcode, absl::optional<uint32_t> delay, uint32_t opaque,
                              BinaryPacket* packet);

// noop, version, quit, quitq, sasl_list_mechs: a bare header.
absl::Status BuildBinaryBare(BinaryOpcode opcode, uint32_t opaque, BinaryPacket* packet);

// stat with an optional group ("" for the general stats, "settings", "slabs",
// "items", "sizes", "detail dump", "reset", ...).
absl::Status BuildBinaryStat(absl::string_view group, uint32_t opaque, BinaryPacket* packet);

// verbosity with its level as extras (memcached 1.6.18 answers "Unknown command").
absl::Status BuildBinaryVerbosity(uint32_t level, uint32_t opaque, BinaryPacket* packet);

// sasl_auth, sasl_step: the mechanism as key, the client's data as value.
absl::Status BuildBinarySasl(BinaryOpcode opcode, absl::string_view mechanism,
                             absl::string_view data, uint32_t opaque, BinaryPacket* packet);

// Any request, unchecked but for what cannot be encoded (extras over 20
// bytes, key over 65535, body over 4 GiB): for tests and hostile inputs.
absl::Status BuildBinaryRequest(uint8_t opcode, absl::string_view extras, absl::string_view key,
                                absl::string_view value, uint64_t cas, uint32_t opaque,
                                BinaryPacket* packet);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_BINARY_REQUEST_WRITER_H_
