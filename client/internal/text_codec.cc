// The text protocol codec: get/gets/gat/gats lines with many keys, one line
// per other request, replies in request order.

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/internal/codec.h"
#include "client/internal/codecs.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/text_request_writer.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {
namespace {

using protocol::AsciiCommand;
using protocol::AsciiResponse;
using protocol::AsciiResponseKind;

// Keys per get line: memcached reads long get lines fine, but shorter lines
// let it start answering while the rest is still arriving.
constexpr size_t kKeysPerLine = 100;

// Reply parsing limits: generous, but never unbounded.
const protocol::AsciiResponseParserOptions& ParserOptions() {
  static const protocol::AsciiResponseParserOptions options;
  return options;
}

AsciiCommand StorageCommand(Op op) {
  switch (op) {
    case Op::kAdd:
      return AsciiCommand::kAdd;
    case Op::kReplace:
      return AsciiCommand::kReplace;
    case Op::kAppend:
      return AsciiCommand::kAppend;
    case Op::kPrepend:
      return AsciiCommand::kPrepend;
    case Op::kCas:
      return AsciiCommand::kCas;
    default:
      return AsciiCommand::kSet;
  }
}

// "<word>[ <exptime>] k1 k2 ...\r\n" lines of up to kKeysPerLine keys,
// written straight into `out` with one resize. Each key is checked once:
// by the client's KeyPolicy when spec.keys_verified, else here with
// protocol::CheckTextKey (a refused key is answered with its error and left
// off the line). core's WriteGetRequest would check every key yet again.
void EncodeGets(Batch* batch, std::string* out) {
  const OpSpec& spec = *batch->spec;
  char head[32];
  absl::string_view word;
  if (spec.op == Op::kGat) {
    word = spec.want_cas ? "gats" : "gat";
  } else {
    word = spec.want_cas ? "gets" : "get";
  }
  char* h = std::copy(word.begin(), word.end(), head);
  if (spec.op == Op::kGat) {
    *h++ = ' ';
    // Named: AlphaNum holds the digits, so a view of a temporary one dangles
    // (ASan: stack-use-after-scope).
    const absl::AlphaNum exptime_digits(spec.exptime);
    const absl::string_view exptime = exptime_digits.Piece();
    h = std::copy(exptime.begin(), exptime.end(), h);
  }
  const size_t head_size = static_cast<size_t>(h - head);

  size_t keys = 0;
  size_t key_bytes = 0;
  for (size_t i = 0; i < batch->size(); ++i) {
    Slot& slot = batch->slot(i);
    if (slot.answered) continue;
    if (!spec.keys_verified) {
      absl::Status s = protocol::CheckTextKey(slot.key);
      if (!s.ok()) {
        Answer(&slot, std::move(s));
        continue;
      }
    }
    ++keys;
    key_bytes += slot.key.size();
  }
  const size_t lines = (keys + kKeysPerLine - 1) / kKeysPerLine;
  batch->lines_pending = lines;
  if (lines == 0) {
    batch->expects_reply = false;
    batch->done = true;
    return;
  }
  const size_t start = out->size();
  out->resize(start + lines * (head_size + 2) + keys + key_bytes);
  char* p = &(*out)[start];
  size_t in_line = 0;
  for (size_t i = 0; i < batch->size(); ++i) {
    const Slot& slot = batch->slot(i);
    if (slot.answered) continue;
    if (in_line == 0) p = std::copy(head, head + head_size, p);
    *p++ = ' ';
    p = std::copy(slot.key.begin(), slot.key.end(), p);
    if (++in_line == kKeysPerLine) {
      *p++ = '\r';
      *p++ = '\n';
      in_line = 0;
    }
  }
  if (in_line > 0) {
    *p++ = '\r';
    *p++ = '\n';
  }
}

}  // namespace

void TextCodec::Encode(Batch* batch, uint32_t* /*next_opaque*/, std::string* out) const {
  const OpSpec& spec = *batch->spec;
  batch->cursor = 0;
  batch->expects_reply = true;
  protocol::StringSink sink(out);
  switch (spec.op) {
    case Op::kGet:
    case Op::kGat:
      EncodeGets(batch, out);
      return;
    case Op::kFlushAll:
      protocol::WriteFlushAllRequest(
          &sink,
          spec.number >= 0 ? absl::optional<int32_t>(static_cast<int32_t>(spec.number))
                           : absl::nullopt,
          spec.noreply);
      break;
    case Op::kVersion:
      protocol::WriteVersionRequest(&sink);
      break;
    case Op::kVerbosity:
      protocol::WriteVerbosityRequest(
          &sink, static_cast<uint32_t>(std::max<int64_t>(0, spec.number)), spec.noreply);
      break;
    case Op::kStats: {
      absl::Status s = protocol::WriteStatsRequest(&sink, spec.stats_args);
      if (!s.ok()) {
        batch->status = s;
        batch->expects_reply = false;
        batch->done = true;
        return;
      }
      break;
    }
    case Op::kLeaseGet: {
      FinishBatch(batch, absl::UnimplementedError("leases need the meta protocol"));
      batch->expects_reply = false;
      return;
    }
    default: {
      bool any_reply = false;
      for (size_t i = 0; i < batch->size(); ++i) {
        Slot& slot = batch->slot(i);
        if (slot.answered) continue;
        absl::Status s;
        if (IsStorageOp(spec.op)) {
          s = protocol::WriteStorageRequest(&sink, StorageCommand(spec.op), slot.key, slot.flags,
                                            spec.exptime, slot.value, slot.cas, spec.noreply);
        } else if (spec.op == Op::kDelete) {
          s = protocol::WriteDeleteRequest(&sink, slot.key, spec.noreply);
        } else if (spec.op == Op::kIncr || spec.op == Op::kDecr) {
          s = protocol::WriteArithmeticRequest(
              &sink, spec.op == Op::kIncr ? AsciiCommand::kIncr : AsciiCommand::kDecr, slot.key,
              spec.delta, spec.noreply);
        } else if (spec.op == Op::kTouch) {
          s = protocol::WriteTouchRequest(&sink, slot.key, spec.exptime, spec.noreply);
        } else {
          s = absl::InternalError("text codec: unexpected operation");
        }
        if (!s.ok()) {
          Answer(&slot, std::move(s));
        } else if (spec.noreply) {
          Answer(&slot, absl::OkStatus());
        } else {
          any_reply = true;
        }
      }
      if (!any_reply) {
        batch->expects_reply = false;
        batch->done = true;
      }
      return;
    }
  }
  if (spec.noreply && (spec.op == Op::kFlushAll || spec.op == Op::kVerbosity)) {
    batch->expects_reply = false;
    batch->done = true;
  }
}

DecodeProgress TextCodec::Decode(Batch* batch, absl::string_view in, CodecScratch* scratch,
                                 size_t* consumed, absl::Status* error) const {
  const OpSpec& spec = *batch->spec;
  AsciiResponse& resp = scratch->ascii;
  return DecodeReplies(
      batch, in, consumed, error,
      [&](absl::string_view bytes, absl::Status* error) {
        protocol::ParseResult r = protocol::ParseAsciiResponse(bytes, ParserOptions(), &resp);
        if (!r.ok() && !r.incomplete()) *error = resp.malformed_status();
        return r;
      },
      [&](absl::Status* error) -> ReplyAction {
        const AsciiResponseKind kind = resp.kind;
        const bool is_error = kind == AsciiResponseKind::kError ||
                              kind == AsciiResponseKind::kClientError ||
                              kind == AsciiResponseKind::kServerError;
        switch (spec.op) {
          case Op::kGet:
          case Op::kGat: {
            if (kind == AsciiResponseKind::kValue) {
              // Hits come back in request order: skip the misses before this key.
              size_t i = NextUnanswered(batch);
              while (i < batch->size() && batch->slot(i).key != resp.key) {
                batch->slot(i).answered = true;  // a miss
                ++batch->cursor;
                i = NextUnanswered(batch);
              }
              if (i == batch->size()) {
                *error = McError(McCode::kProtocolError, absl::StrCat("server returned key '",
                                                                      resp.key, "' not asked for"));
                return ReplyAction::kBroken;
              }
              StoreHit(&batch->slot(i), resp.value, resp.flags, resp.cas);
              ++batch->cursor;
            } else if (kind == AsciiResponseKind::kEnd || is_error) {
              if (is_error) {
                // The line was refused: its keys get the error. Lines are
                // answered in order, so they are the next kKeysPerLine.
                absl::Status s = resp.status();
                size_t n = 0;
                for (size_t i = NextUnanswered(batch); i < batch->size() && n < kKeysPerLine; ++i) {
                  if (!batch->slot(i).answered) {
                    Answer(&batch->slot(i), s);
                    ++n;
                  }
                }
              }
              if (--batch->lines_pending == 0) FinishAsMisses(batch);
            } else {
              *error = McError(McCode::kProtocolError,
                               absl::StrCat("unexpected reply to get: '", resp.line, "'"));
              return ReplyAction::kBroken;
            }
            break;
          }
          case Op::kStats:
            if (kind == AsciiResponseKind::kStat) {
              batch->stats.emplace_back(std::string(resp.stat_name), std::string(resp.stat_value));
            } else if (kind == AsciiResponseKind::kEnd || kind == AsciiResponseKind::kReset ||
                       kind == AsciiResponseKind::kOk) {
              batch->done = true;
            } else if (is_error) {
              batch->status = resp.status();
              batch->done = true;
            } else {
              // "stats detail dump" and friends send other lines: keep them whole.
              batch->stats.emplace_back(std::string(resp.line), std::string());
            }
            break;
          case Op::kVersion:
            if (kind == AsciiResponseKind::kVersion) {
              batch->version = std::string(resp.message);
            } else {
              batch->status =
                  is_error
                      ? resp.status()
                      : McError(McCode::kProtocolError,
                                absl::StrCat("unexpected reply to version: '", resp.line, "'"));
            }
            batch->done = true;
            break;
          case Op::kFlushAll:
          case Op::kVerbosity:
            batch->status = resp.status();
            batch->done = true;
            break;
          default: {
            size_t i = NextUnanswered(batch);
            if (i == batch->size()) {
              batch->done = true;
              break;
            }
            Slot& slot = batch->slot(i);
            if (kind == AsciiResponseKind::kNumber) {
              slot.number = resp.number;
              Answer(&slot, absl::OkStatus());
            } else if (kind == AsciiResponseKind::kValue || kind == AsciiResponseKind::kEnd ||
                       kind == AsciiResponseKind::kStat || kind == AsciiResponseKind::kMeta) {
              *error = McError(McCode::kProtocolError,
                               absl::StrCat("unexpected reply: '", resp.line, "'"));
              return ReplyAction::kBroken;
            } else {
              Answer(&slot, resp.status());
            }
            ++batch->cursor;
            if (NextUnanswered(batch) == batch->size()) batch->done = true;
            break;
          }
        }
        return ReplyAction::kNext;
      });
}

}  // namespace internal
}  // namespace client
}  // namespace memkit
