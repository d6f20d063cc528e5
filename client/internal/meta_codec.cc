// The meta protocol codec: every keyed request carries an opaque (O<n>) so
// replies are matched by opaque, not by position; multi-key batches are quiet
// (q: memcached leaves out misses and plain successes) and end with mn, whose
// MN reply says everything before it has been answered.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/internal/codec.h"
#include "client/internal/codecs.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/meta_request_writer.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {
namespace {

using protocol::AsciiResponse;
using protocol::AsciiResponseKind;
using protocol::MetaCode;
using protocol::MetaFlags;

bool IsTextOnlyOp(Op op) {
  return op == Op::kFlushAll || op == Op::kVersion || op == Op::kVerbosity || op == Op::kStats;
}

const TextCodec& Text() {
  static const TextCodec codec;
  return codec;
}

char StorageMode(Op op) {
  switch (op) {
    case Op::kAdd:
      return 'E';
    case Op::kReplace:
      return 'R';
    case Op::kAppend:
      return 'A';
    case Op::kPrepend:
      return 'P';
    default:
      return 'S';
  }
}

absl::Status EncodeOne(const OpSpec& spec, const Slot& slot, uint32_t opaque, bool quiet,
                       protocol::AsciiSink* sink) {
  MetaFlags flags;
  const absl::AlphaNum opaque_digits(opaque);  // formatted in place, no allocation
  const absl::string_view opaque_token = opaque_digits.Piece();
  switch (spec.op) {
    case Op::kGet:
    case Op::kGat:
    case Op::kLeaseGet:
      flags.Add('v').Add('f');
      if (spec.want_cas || spec.op == Op::kLeaseGet) flags.Add('c');
      if (spec.op == Op::kGat) flags.AddSigned('T', spec.exptime);
      if (spec.op == Op::kLeaseGet) {
        if (spec.vivify_ttl > 0) flags.AddSigned('N', spec.vivify_ttl);
        if (spec.recache_ttl > 0) flags.AddSigned('R', spec.recache_ttl);
        flags.Add('t');
      }
      if (quiet) flags.Add('q');
      flags.Add('O', opaque_token);
      if (!flags.status().ok()) return flags.status();
      return protocol::WriteMetaGetRequest(sink, slot.key, flags);
    case Op::kTouch:
      flags.AddSigned('T', spec.exptime);
      if (quiet) flags.Add('q');
      flags.Add('O', opaque_token);
      if (!flags.status().ok()) return flags.status();
      return protocol::WriteMetaGetRequest(sink, slot.key, flags);
    case Op::kDelete:
      if (quiet) flags.Add('q');
      flags.Add('O', opaque_token);
      if (!flags.status().ok()) return flags.status();
      return protocol::WriteMetaDeleteRequest(sink, slot.key, flags);
    case Op::kIncr:
    case Op::kDecr:
      flags.AddNumber('D', spec.delta);
      if (spec.op == Op::kDecr) flags.Mode('D');
      if (spec.has_initial) {
        flags.AddSigned('N', spec.exptime).AddNumber('J', spec.initial);
      }
      flags.Add('v');
      if (quiet) flags.Add('q');
      flags.Add('O', opaque_token);
      if (!flags.status().ok()) return flags.status();
      return protocol::WriteMetaArithmeticRequest(sink, slot.key, flags);
    default:
      if (!IsStorageOp(spec.op)) return absl::InternalError("meta codec: unexpected operation");
      flags.AddNumber('F', slot.flags).AddSigned('T', spec.exptime);
      if (spec.op == Op::kCas) flags.AddNumber('C', slot.cas);
      if (StorageMode(spec.op) != 'S') flags.Mode(StorageMode(spec.op));
      if (quiet) flags.Add('q');
      flags.Add('O', opaque_token);
      if (!flags.status().ok()) return flags.status();
      return protocol::WriteMetaSetRequest(sink, slot.key, slot.value, flags);
  }
}

// The status of a meta reply for `op`: EN/NF are misses, NS/EX failures.
absl::Status MetaStatus(const AsciiResponse& resp) { return resp.status(); }

}  // namespace

void MetaCodec::Encode(Batch* batch, uint32_t* next_opaque, std::string* out) const {
  const OpSpec& spec = *batch->spec;
  if (IsTextOnlyOp(spec.op)) {
    Text().Encode(batch, next_opaque, out);
    return;
  }
  protocol::StringSink sink(out);
  batch->cursor = 0;
  batch->expects_reply = true;
  batch->opaque_base = *next_opaque;
  *next_opaque += static_cast<uint32_t>(batch->size());
  // One request waits for its own reply; several (or noreply) go quiet.
  const bool quiet = spec.noreply || batch->size() > 1;
  size_t sent = 0;
  for (size_t i = 0; i < batch->size(); ++i) {
    Slot& slot = batch->slot(i);
    if (slot.answered) continue;
    absl::Status s =
        EncodeOne(spec, slot, batch->opaque_base + static_cast<uint32_t>(i), quiet, &sink);
    if (!s.ok()) {
      Answer(&slot, std::move(s));
      continue;
    }
    ++sent;
    if (spec.noreply) Answer(&slot, absl::OkStatus());
  }
  if (sent == 0 || spec.noreply) {
    // Replies to quiet requests that fail still come back later, tagged with
    // opaques no batch owns: Decode skips them.
    batch->expects_reply = false;
    batch->done = true;
    return;
  }
  if (quiet) protocol::WriteMetaNoopRequest(&sink);
}

DecodeProgress MetaCodec::Decode(Batch* batch, absl::string_view in, CodecScratch* scratch,
                                 size_t* consumed, absl::Status* error) const {
  const OpSpec& spec = *batch->spec;
  if (IsTextOnlyOp(spec.op)) return Text().Decode(batch, in, scratch, consumed, error);
  static const protocol::AsciiResponseParserOptions kOptions;
  AsciiResponse& resp = scratch->ascii;
  return DecodeReplies(
      batch, in, consumed, error,
      [&](absl::string_view bytes, absl::Status* error) {
        protocol::ParseResult r = protocol::ParseAsciiResponse(bytes, kOptions, &resp);
        if (!r.ok() && !r.incomplete()) *error = resp.malformed_status();
        return r;
      },
      [&](absl::Status* error) -> ReplyAction {
        if (resp.kind == AsciiResponseKind::kMeta && resp.meta_code == MetaCode::kMN) {
          FinishAsMisses(batch);  // quiet: what was not answered was a miss or a success
          return ReplyAction::kStop;
        }
        if (resp.kind == AsciiResponseKind::kError ||
            resp.kind == AsciiResponseKind::kClientError ||
            resp.kind == AsciiResponseKind::kServerError) {
          // Error lines carry no opaque: they answer the oldest request waiting.
          size_t i = NextUnanswered(batch);
          if (i < batch->size()) Answer(&batch->slot(i), resp.status());
          if (batch->size() == 1) batch->done = true;
          return ReplyAction::kNext;
        }
        if (resp.kind != AsciiResponseKind::kMeta) {
          *error = McError(McCode::kProtocolError,
                           absl::StrCat("unexpected reply to a meta request: '", resp.line, "'"));
          return ReplyAction::kBroken;
        }
        uint64_t opaque = 0;
        if (!resp.MetaNumber('O', &opaque)) {
          *error = McError(McCode::kProtocolError,
                           absl::StrCat("meta reply without an opaque: '", resp.line, "'"));
          return ReplyAction::kBroken;
        }
        const uint32_t offset = static_cast<uint32_t>(opaque) - batch->opaque_base;
        if (offset >= batch->size())
          return ReplyAction::kNext;  // a late reply to an earlier quiet request
        Slot& slot = batch->slot(offset);
        if (slot.answered) return ReplyAction::kNext;
        switch (spec.op) {
          case Op::kGet:
          case Op::kGat:
          case Op::kLeaseGet: {
            uint64_t flags = 0, cas = 0;
            if (resp.meta_code == MetaCode::kVA) {
              resp.MetaNumber('f', &flags);
              resp.MetaNumber('c', &cas);
              StoreHit(&slot, resp.value, static_cast<uint32_t>(flags), cas);
            } else if (resp.meta_code == MetaCode::kEN) {
              slot.answered = true;  // a miss
            } else {
              Answer(&slot, MetaStatus(resp));
            }
            slot.won = resp.HasMetaFlag('W');
            slot.stale = resp.HasMetaFlag('X');
            slot.win_sent = resp.HasMetaFlag('Z');
            break;
          }
          case Op::kIncr:
          case Op::kDecr:
            if (resp.meta_code == MetaCode::kVA) {
              uint64_t n = 0;
              if (!absl::SimpleAtoi(resp.value, &n)) {
                *error = McError(McCode::kProtocolError,
                                 absl::StrCat("ma returned a non-number '", resp.value, "'"));
                return ReplyAction::kBroken;
              }
              slot.number = n;
              Answer(&slot, absl::OkStatus());
            } else {
              Answer(&slot, MetaStatus(resp));
            }
            break;
          default:
            Answer(&slot, MetaStatus(resp));
            break;
        }
        if (batch->size() == 1) batch->done = true;
        return ReplyAction::kNext;
      });
}

}  // namespace internal
}  // namespace client
}  // namespace memkit
