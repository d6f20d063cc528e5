// ProtocolCodec: how one wire protocol turns a Batch (request.h) into bytes
// and replies back into the Batch's Slots. One implementation per protocol
// (text_codec.cc, meta_codec.cc, binary_codec.cc); the Cluster owns the
// sockets and knows nothing of the protocols.
//
// Contract:
//   Encode appends every request of `batch` to `out` in one go (the Cluster
//   sends the whole buffer with one send per server). A slot whose request
//   cannot be written is answered with its error and costs no bytes. When
//   nothing needs an answer (noreply / quiet requests) Encode sets
//   batch->expects_reply = false.
//   Decode parses as many replies as `in` holds, consuming whole replies
//   only, using `scratch` (owned by the caller, reused across calls so that
//   no reply parser state is built per call). Replies to earlier quiet requests (stale opaques) are skipped.
//   kBroken: the bytes are not a reply to this batch; *error says why and the
//   connection must be closed.
//
// Thread-safety: codecs are stateless; one may serve any number of clients.

#ifndef MEMKIT_CLIENT_INTERNAL_CODEC_H_
#define MEMKIT_CLIENT_INTERNAL_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/client_options.h"
#include "client/internal/request.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace client {
namespace internal {

enum class DecodeProgress { kNeedMore, kDone, kBroken };

// Parser state a codec may reuse between Decode calls (an AsciiResponse is
// close to 1 KiB: building one per call would cost more than parsing a
// short reply). One per Cluster.
struct CodecScratch {
  protocol::AsciiResponse ascii;
};

class ProtocolCodec {
 public:
  virtual ~ProtocolCodec() = default;

  // `next_opaque` is the connection's opaque counter (binary and meta).
  virtual void Encode(Batch* batch, uint32_t* next_opaque, std::string* out) const = 0;

  // `*consumed` is set to the bytes of `in` used up (also on kBroken).
  virtual DecodeProgress Decode(Batch* batch, absl::string_view in, CodecScratch* scratch,
                                size_t* consumed, absl::Status* error) const = 0;
};

// The codec for `protocol` (a shared immutable instance).
const ProtocolCodec* CodecFor(Protocol protocol);

// ---- helpers shared by the codecs

// Marks `slot` answered with `status`.
inline void Answer(Slot* slot, absl::Status status) {
  slot->answered = true;
  slot->status = std::move(status);
}

// The position, at or after batch->cursor, of the next slot still waiting
// for its reply; batch->size() if none.
inline size_t NextUnanswered(Batch* batch) {
  while (batch->cursor < batch->size() && batch->slot(batch->cursor).answered) ++batch->cursor;
  return batch->cursor;
}

// Answers every unanswered slot of `batch` with `status` and marks it done.
void FinishBatch(Batch* batch, const absl::Status& status);

// Answers every unanswered slot of a get-style batch as a miss (status OK,
// no value: the caller turns that into NotFound) and marks it done.
void FinishAsMisses(Batch* batch);

// Stores a hit into `slot` (into out_arena when set, else out_value).
inline void StoreHit(Slot* slot, absl::string_view value, uint32_t flags, uint64_t cas) {
  slot->answered = true;
  slot->hit = true;
  if (slot->out_arena != nullptr) {
    slot->out_offset = slot->out_arena->size();
    slot->out_size = value.size();
    slot->out_arena->append(value.data(), value.size());
  } else if (slot->out_value != nullptr) {
    slot->out_value->assign(value.data(), value.size());
  }
  slot->out_flags = flags;
  slot->out_cas = cas;
}

// What a codec's reply handler tells DecodeReplies after one reply.
enum class ReplyAction {
  kNext,    // handled; parse the next reply if the batch is not done
  kStop,    // handled, and the batch takes no more input in this call
  kBroken,  // not a reply to this batch: *error says why
};

// The decode loop every codec shares: parses whole replies from `in` one at a
// time with `parse(bytes, error)` (a protocol::ParseResult; on a malformed
// reply it sets *error) and hands each to `handle(error)`, until the batch is
// done, the input runs out mid-reply, or a reply is broken. Sets *consumed to
// the bytes used up (on kBroken, through the bad reply). Inline, so each
// codec's parser and handler are called directly.
template <typename Parse, typename Handle>
DecodeProgress DecodeReplies(Batch* batch, absl::string_view in, size_t* consumed,
                             absl::Status* error, Parse&& parse, Handle&& handle) {
  size_t used = 0;
  while (!batch->done) {
    const protocol::ParseResult r = parse(in.substr(used), error);
    if (r.incomplete()) break;
    if (!r.ok()) {
      *consumed = used + r.consumed;
      return DecodeProgress::kBroken;
    }
    used += r.consumed;
    const ReplyAction action = handle(error);
    if (action == ReplyAction::kBroken) {
      *consumed = used;
      return DecodeProgress::kBroken;
    }
    if (action == ReplyAction::kStop) break;
  }
  *consumed = used;
  return batch->done ? DecodeProgress::kDone : DecodeProgress::kNeedMore;
}

}  // namespace internal
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_CODEC_H_
