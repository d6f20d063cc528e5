// frontend::Request and frontend::ReplyWriter: the protocol-neutral layer of
// the front end, for back ends that need none of memcached's per-protocol
// quirks (the proxy's router, test fakes).
//
// Request is a view of one decoded request, whichever protocol it came in:
// the command, key(s), value, flags, exptime, cas, delta/initial, quiet
// (noreply, meta q, a quiet binary opcode) and, for meta, the original
// request's flags (Request::text). ReplyWriter encodes neutral outcomes
// (a value, a miss, stored, not found, a number, an error, ...) in the
// client's protocol, honouring noreply, meta q and quiet opcodes, and appends
// values by reference (pinned by the caller's release function).
//
//   void OnTextRequest(const protocol::AsciiRequest& r, Exchange* ex) override {
//     Handle(Request::FromText(r), ex);
//   }
//   void OnBinaryRequest(const protocol::BinaryRequest& r, Exchange* ex) override {
//     Handle(Request::FromBinary(r), ex);
//   }
//   void Handle(const Request& req, Exchange* ex) {
//     ReplyWriter reply(req, ex->out());
//     if (req.command == Command::kGet) { ...; reply.Value(key, flags, cas, bytes); reply.End(); }
//     ex->Finish();
//   }
//
// The server's cache engine does not use this layer: it reproduces
// memcached's byte-exact per-protocol replies with core/protocol's writers.
//
// Thread-compatible. A Request's views live as long as the decoded request
// they came from (see backend.h).

#ifndef MEMKIT_CORE_FRONTEND_REQUEST_H_
#define MEMKIT_CORE_FRONTEND_REQUEST_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/net/output_queue.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/meta_reply_writer.h"

namespace memkit {
namespace frontend {

// The protocol a request came in, as its reply must go out.
enum class Wire : uint8_t { kText, kMeta, kBinary };

// What is asked, whatever the protocol.
enum class Command : uint8_t {
  kGet,        // text get/gets/gat/gats (keys), mg, binary get/getk/gat/gatk/touch
  kSet,        // set, ms (mode set), binary set
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,        // text cas; a store with a CAS value elsewhere keeps its mode and sets cas
  kDelete,     // delete, md, binary delete
  kIncr,       // incr, ma (mode incr), binary increment
  kDecr,
  kTouch,      // text touch (binary touch is a kGet with touch set)
  kFlushAll,
  kVersion,
  kOther,      // everything else: read Request::text / Request::binary
};

struct Request {
  Wire wire = Wire::kText;
  Command command = Command::kOther;
  // Retrieval: every key (one for meta and binary); others: the one key.
  absl::Span<const absl::string_view> keys() const {
    if (!multi_keys_.empty()) return multi_keys_;
    return absl::Span<const absl::string_view>(&key_, key_.empty() ? 0 : 1);
  }
  absl::string_view key() const { return multi_keys_.empty() ? key_ : multi_keys_[0]; }
  absl::string_view value;
  uint32_t flags = 0;
  int64_t exptime = 0;
  bool has_exptime = false;  // gat/touch/meta T: set the item's exptime
  uint64_t cas = 0;          // compare-and-swap value (0: none)
  bool return_cas = false;   // gets/gats, meta c: the reply carries the cas
  bool with_value = true;    // meta get without v answers HD, not the value
  uint64_t delta = 0;
  uint64_t initial = 0;
  bool create = false;       // incr/decr may create with `initial` (meta N, binary)
  bool quiet = false;        // noreply, meta q, a quiet binary opcode
  uint32_t opaque = 0;       // binary opaque (meta opaques stay in `text`)
  // The decoded request (one of them), for what is not neutral.
  const protocol::AsciiRequest* text = nullptr;
  const protocol::BinaryRequest* binary = nullptr;

  static Request FromText(const protocol::AsciiRequest& request);
  static Request FromBinary(const protocol::BinaryRequest& request);

 private:
  absl::string_view key_;
  absl::Span<const absl::string_view> multi_keys_;  // text retrieval
};

// Encodes one request's outcome in its client's protocol into `out`.
class ReplyWriter {
 public:
  ReplyWriter(const Request& request, net::OutputQueue* out) : req_(request), out_(out) {}
  ReplyWriter(const ReplyWriter&) = delete;
  ReplyWriter& operator=(const ReplyWriter&) = delete;

  // ---- retrieval: Value() per hit (Miss() per miss for meta and binary),
  // then End() (text's END; nothing for the others).
  // `release(arg)` runs once `value` is written (may be null for bytes that
  // outlive the reply).
  void Value(absl::string_view key, uint32_t flags, uint64_t cas, absl::string_view value,
             net::OutputQueue::ReleaseFn release = nullptr, void* arg = nullptr);
  void Miss(absl::string_view key);
  void End();

  // ---- outcomes of stores, deletes, touches, arithmetic
  void Stored(uint64_t cas = 0);
  void NotStored();
  void Exists();
  void NotFound();
  void Deleted();
  void Touched();
  void Number(uint64_t value, uint64_t cas = 0);
  void Ok();                           // flush_all, verbosity
  void Version(absl::string_view version);
  // "SERVER_ERROR <message>" / "CLIENT_ERROR <message>", or the binary
  // status for them (internal error / invalid arguments).
  void ServerError(absl::string_view message);
  void ClientError(absl::string_view message);
  // An unknown or unsupported command: "ERROR" / binary "Unknown command".
  void UnknownCommand();

 private:
  // A one-line outcome in the client's protocol: `text_line` (unless quiet),
  // the meta status `meta`, or the binary status `binary`.
  void Outcome(absl::string_view text_line, protocol::MetaCode meta, protocol::BinaryStatus binary,
               uint64_t cas);
  // SERVER_ERROR / CLIENT_ERROR lines: binary status `binary` with
  // `message` as its body, or `text_prefix` + `message` (unless text noreply).
  void ErrorLine(protocol::BinaryStatus binary, absl::string_view text_prefix,
                 absl::string_view message);
  void AppendPacket(const protocol::BinaryPacket& packet);
  void MetaStatus(int code, uint64_t cas);
  void Binary(uint16_t status, uint64_t cas);

  const Request& req_;
  net::OutputQueue* const out_;
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_REQUEST_H_
