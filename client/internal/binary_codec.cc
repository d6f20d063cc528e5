// The binary protocol codec: one packet per request, each with an opaque;
// multi-key batches use the quiet opcodes (memcached leaves out misses and
// plain successes) and end with a noop whose response closes the batch.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/internal/codec.h"
#include "client/internal/codecs.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_parser.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {
namespace {

using protocol::BinaryOpcode;
using protocol::BinaryPacket;

// No opaque a keyed request uses: marks the noop and per-server commands.
constexpr uint32_t kControlOpaque = 0xffffffffu;

BinaryOpcode LoudOpcode(const OpSpec& spec) {
  switch (spec.op) {
    case Op::kGet:
      return BinaryOpcode::kGetK;
    case Op::kGat:
      return BinaryOpcode::kGatK;
    case Op::kSet:
    case Op::kCas:
      return BinaryOpcode::kSet;
    case Op::kAdd:
      return BinaryOpcode::kAdd;
    case Op::kReplace:
      return BinaryOpcode::kReplace;
    case Op::kAppend:
      return BinaryOpcode::kAppend;
    case Op::kPrepend:
      return BinaryOpcode::kPrepend;
    case Op::kDelete:
      return BinaryOpcode::kDelete;
    case Op::kIncr:
      return BinaryOpcode::kIncrement;
    case Op::kDecr:
      return BinaryOpcode::kDecrement;
    case Op::kTouch:
      return BinaryOpcode::kTouch;
    default:
      return BinaryOpcode::kNoop;
  }
}

// memcached reads exptimes above 30 days as unix times; this one is long
// past, so it expires the item at once, as a negative exptime does in the
// text protocol (the binary field is unsigned).
constexpr uint32_t kExpireNow = 30 * 24 * 3600 + 1;

// The binary protocol answers add on an existing key with "exists" and
// replace/append/prepend on a missing one with "not found"; the text and meta
// protocols say NOT_STORED. memkit reports NOT_STORED for all three.
absl::Status StorageStatus(Op op, const protocol::BinaryResponse& resp) {
  using protocol::BinaryStatus;
  if ((op == Op::kAdd && resp.status_code == static_cast<uint16_t>(BinaryStatus::kKeyExists)) ||
      ((op == Op::kReplace || op == Op::kAppend || op == Op::kPrepend) &&
       resp.status_code == static_cast<uint16_t>(BinaryStatus::kKeyNotFound))) {
    return StatusFromBinaryStatus(static_cast<uint16_t>(BinaryStatus::kNotStored));
  }
  return resp.status();
}

absl::Status BuildOne(const OpSpec& spec, const Slot& slot, BinaryOpcode opcode, uint32_t opaque,
                      BinaryPacket* packet) {
  const uint32_t exptime = spec.exptime < 0 ? kExpireNow : static_cast<uint32_t>(spec.exptime);
  switch (spec.op) {
    case Op::kGet:
      return protocol::BuildBinaryGet(opcode, slot.key, opaque, packet);
    case Op::kGat:
    case Op::kTouch:
      return protocol::BuildBinaryTouch(opcode, slot.key, exptime, opaque, packet);
    case Op::kSet:
    case Op::kCas:
    case Op::kAdd:
    case Op::kReplace:
      return protocol::BuildBinaryStore(opcode, slot.key, slot.value, slot.flags, exptime,
                                        spec.op == Op::kCas ? slot.cas : 0, opaque, packet);
    case Op::kAppend:
    case Op::kPrepend:
      return protocol::BuildBinaryConcat(opcode, slot.key, slot.value, 0, opaque, packet);
    case Op::kDelete:
      return protocol::BuildBinaryDelete(opcode, slot.key, 0, opaque, packet);
    case Op::kIncr:
    case Op::kDecr:
      return protocol::BuildBinaryCounter(opcode, slot.key, spec.delta, spec.initial,
                                          spec.has_initial ? exptime : 0xffffffffu, 0, opaque,
                                          packet);
    default:
      return absl::UnimplementedError("binary codec: this operation needs the meta protocol");
  }
}

}  // namespace

void BinaryCodec::Encode(Batch* batch, uint32_t* next_opaque, std::string* out) const {
  const OpSpec& spec = *batch->spec;
  batch->cursor = 0;
  batch->expects_reply = true;
  BinaryPacket packet;
  absl::Status s;
  switch (spec.op) {
    case Op::kFlushAll:
      s = protocol::BuildBinaryFlush(
          spec.noreply ? BinaryOpcode::kFlushQ : BinaryOpcode::kFlush,
          spec.number >= 0 ? absl::optional<uint32_t>(static_cast<uint32_t>(spec.number))
                           : absl::nullopt,
          kControlOpaque, &packet);
      break;
    case Op::kVersion:
      s = protocol::BuildBinaryBare(BinaryOpcode::kVersion, kControlOpaque, &packet);
      break;
    case Op::kVerbosity:
      s = protocol::BuildBinaryVerbosity(static_cast<uint32_t>(spec.number < 0 ? 0 : spec.number),
                                         kControlOpaque, &packet);
      break;
    case Op::kStats:
      s = protocol::BuildBinaryStat(spec.stats_args, kControlOpaque, &packet);
      break;
    case Op::kLeaseGet:
      FinishBatch(batch, absl::UnimplementedError("leases need the meta protocol"));
      batch->expects_reply = false;
      return;
    default: {
      batch->opaque_base = *next_opaque;
      uint32_t n = static_cast<uint32_t>(batch->size());
      // Never hand out the control opaque.
      if (batch->opaque_base + n < batch->opaque_base || batch->opaque_base + n == 0) {
        batch->opaque_base = 0;
      }
      *next_opaque = batch->opaque_base + n;
      const bool quiet = spec.noreply || batch->size() > 1;
      const BinaryOpcode loud = LoudOpcode(spec);
      const BinaryOpcode opcode = quiet ? protocol::QuietBinaryOpcode(loud) : loud;
      size_t sent = 0;
      for (size_t i = 0; i < batch->size(); ++i) {
        Slot& slot = batch->slot(i);
        if (slot.answered) continue;
        absl::Status one =
            BuildOne(spec, slot, opcode, batch->opaque_base + static_cast<uint32_t>(i), &packet);
        if (!one.ok()) {
          Answer(&slot, std::move(one));
          continue;
        }
        packet.AppendTo(out);
        ++sent;
        if (spec.noreply) Answer(&slot, absl::OkStatus());
      }
      if (sent == 0 || spec.noreply) {
        batch->expects_reply = false;
        batch->done = true;
        return;
      }
      if (quiet) {
        (void)protocol::BuildBinaryBare(BinaryOpcode::kNoop, kControlOpaque, &packet);
        packet.AppendTo(out);
      }
      return;
    }
  }
  if (!s.ok()) {
    batch->status = s;
    batch->expects_reply = false;
    batch->done = true;
    return;
  }
  packet.AppendTo(out);
  if (spec.noreply && spec.op == Op::kFlushAll) {
    batch->expects_reply = false;
    batch->done = true;
  }
}

DecodeProgress BinaryCodec::Decode(Batch* batch, absl::string_view in, CodecScratch* /*scratch*/,
                                   size_t* consumed, absl::Status* error) const {
  const OpSpec& spec = *batch->spec;
  static const protocol::BinaryResponseParserOptions kOptions;
  protocol::BinaryResponse resp;
  return DecodeReplies(
      batch, in, consumed, error,
      [&](absl::string_view bytes, absl::Status* error) {
        protocol::ParseResult r = protocol::ParseBinaryResponse(bytes, kOptions, &resp);
        if (!r.ok() && !r.incomplete()) {
          *error = McError(McCode::kProtocolError, "malformed binary response");
        }
        return r;
      },
      [&](absl::Status* /*error*/) -> ReplyAction {
        if (resp.opaque == kControlOpaque) {
          switch (spec.op) {
            case Op::kStats:
              if (!resp.ok()) {
                batch->status = resp.status();
                batch->done = true;
              } else if (resp.key.empty()) {
                batch->done = true;
              } else {
                batch->stats.emplace_back(std::string(resp.key), std::string(resp.value));
              }
              break;
            case Op::kVersion:
              if (resp.ok()) {
                batch->version = std::string(resp.value);
              } else {
                batch->status = resp.status();
              }
              batch->done = true;
              break;
            case Op::kFlushAll:
            case Op::kVerbosity:
              batch->status = resp.status();
              batch->done = true;
              break;
            default:
              if (resp.opcode == BinaryOpcode::kNoop) FinishAsMisses(batch);
              break;
          }
          return ReplyAction::kNext;
        }
        const uint32_t offset = resp.opaque - batch->opaque_base;
        if (!IsKeyedOp(spec.op) || offset >= batch->size())
          return ReplyAction::kNext;  // late quiet reply
        Slot& slot = batch->slot(offset);
        if (slot.answered) return ReplyAction::kNext;
        if (spec.op == Op::kGet || spec.op == Op::kGat) {
          if (resp.ok()) {
            StoreHit(&slot, resp.value, resp.flags, resp.cas);
          } else if (resp.status_code ==
                     static_cast<uint16_t>(protocol::BinaryStatus::kKeyNotFound)) {
            slot.answered = true;  // a miss
          } else {
            Answer(&slot, resp.status());
          }
        } else if (spec.op == Op::kIncr || spec.op == Op::kDecr) {
          if (resp.ok()) slot.number = resp.counter;
          Answer(&slot, resp.status());
        } else {
          if (resp.ok()) slot.out_cas = resp.cas;
          Answer(&slot, StorageStatus(spec.op, resp));
        }
        if (batch->size() == 1) batch->done = true;
        return ReplyAction::kNext;
      });
}

const ProtocolCodec* CodecFor(Protocol protocol) {
  static const TextCodec text;
  static const MetaCodec meta;
  static const BinaryCodec binary;
  switch (protocol) {
    case Protocol::kBinary:
      return &binary;
    case Protocol::kMeta:
      return &meta;
    default:
      return &text;
  }
}

}  // namespace internal
}  // namespace client
}  // namespace memkit
