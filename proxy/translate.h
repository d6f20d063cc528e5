// Binary-to-meta translation: how memkit-proxy serves binary-protocol
// clients from a pool whose servers it talks to in the meta protocol
// (PoolOptions::backend_protocol = kMeta).
//
// Each binary request becomes one loud meta request (quiet opcodes too: the
// proxy, not the server, drops what a quiet opcode must not answer), and
// the meta reply becomes the packet memcached 1.6.18 would have sent, with
// the client's opcode and opaque:
//
//   get/getq/getk/getkq        mg <key> f v c            VA -> hit, EN -> miss
//   gat/gatq/gatk/gatkq        mg <key> f v c T<exp>
//   touch                      mg <key> f c T<exp>       HD -> flags and cas
//   set/add/replace (+q)       ms <key> <n> F<flags> T<exp> c [C<cas>] M<S|E|R>
//   append/prepend (+q)        ms <key> <n> c [C<cas>] M<A|P>
//   delete (+q)                md <key> [C<cas>]
//   incr/decr (+q)             ma <key> v c M<I|D> D<delta> [N<exp> J<initial>]
//                              (N and J unless the expiration is 0xffffffff,
//                              memcached's "do not create")
//   flush/flushq               flush_all [<delay>]       to every server up
//
// Status codes as memcached gives them: a miss is Key not found (getk: with
// the key, no text); add of an existing key and a cas mismatch Key exists;
// replace of a missing key Key not found; append/prepend of a missing key
// Not stored; incr of a non-number Non-numeric; the server's SERVER_ERROR
// out of memory / too large become Out of memory / Too large. A key that is
// not a valid text key (spaces, control bytes) goes base64 ('b' flag).
//
// Thread-safety: pure functions.

#ifndef MEMKIT_PROXY_TRANSLATE_H_
#define MEMKIT_PROXY_TRANSLATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "proxy/pool.h"

namespace memkit {
namespace proxy {

// What the reply's translation needs of its request (kept past the
// request's buffers).
struct BinaryToMeta {
  uint8_t opcode = 0;  // as sent (quiet or not)
  protocol::BinaryOpcode command = protocol::BinaryOpcode::kNoop;
  uint32_t opaque = 0;
  std::string key;  // for the *k* opcodes' replies
};

// True for the opcodes translated (the list above).
bool IsTranslatedBinaryCommand(protocol::BinaryOpcode command);

// Writes the meta request for `request` to `sink`. InvalidArgument when it
// cannot be written (a key too long for base64), Unimplemented for an
// opcode not in the list; nothing is written then.
absl::StatusOr<BinaryToMeta> WriteMetaForBinary(const protocol::BinaryRequest& request,
                                                protocol::AsciiSink* sink);

// The binary response to `reply` (one meta reply element or error line, as
// the server sent it), or "" when the quiet opcode says nothing. `hit` is
// set for a retrieval that found its key.
std::string BinaryForMetaReply(const BinaryToMeta& request, absl::string_view reply,
                               bool* hit = nullptr);

// flush / flushq as the text "flush_all [<delay>]\r\n" (the proxy sends it
// to every server up and answers once all have).
std::string TextFlushForBinary(const protocol::BinaryRequest& request);

// A binary request's meta form, made by the session when the current route
// table has a meta pool (RouteRequest::meta), and sent by the PoolRoute of
// such a pool in place of the binary bytes, so a translated request takes
// the same route path (failover, replication, ...) as any other.
struct MetaTranslation {
  // Not OK when the request has no meta form (WriteMetaForBinary's error);
  // a meta pool then answers with UntranslatablePacket().
  absl::Status status;
  // The meta request (one loud request).
  std::string bytes;
  // What the reply's translation needs; opcode and opaque always set.
  BinaryToMeta reply;
  // A retrieval (get/gat family, not touch): its reply counts a hit or miss.
  bool retrieval = false;
};

MetaTranslation TranslateToMeta(const protocol::BinaryRequest& request);

// The packet a meta pool answers for a request without a meta form:
// Unknown command for an opcode not translated, Invalid arguments else.
std::string UntranslatablePacket(const MetaTranslation& t);

// The status field of a binary response packet (0 for "", a quiet reply).
uint16_t PacketStatus(absl::string_view packet);

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_TRANSLATE_H_
