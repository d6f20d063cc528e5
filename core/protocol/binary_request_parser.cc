#include "core/protocol/binary_request_parser.h"

#include <utility>

#include "core/protocol/binary_response_writer.h"

namespace memkit {
namespace protocol {
namespace {

// memcached's sizeof(item) on 64-bit Linux, which counts against -I.
constexpr uint64_t kItemHeaderSize = 48;
// memcached's slab_chunk_size_max (half its 1 MiB slab page): SASL data must
// fit one chunk, or memcached answers "Out of memory".
constexpr uint64_t kSlabChunkMax = 512 * 1024;
// memcached's MAX_SASL_MECH_LEN.
constexpr size_t kMaxSaslMechanism = 32;

// memcached's item_size_ok(): whether an item with this key, flags and a value
// of `value_length` bytes (plus memcached's "\r\n") fits in -I.
bool ItemFits(size_t key_length, uint32_t flags, uint64_t value_length,
              const BinaryParserOptions& options) {
  uint64_t total = kItemHeaderSize + key_length + 1 + (flags != 0 ? 4 : 0) + value_length + 2 +
                   (options.use_cas ? 8 : 0);
  return total <= options.item_size_max;
}

ParseResult Refuse(const BinaryRequest& request, BinaryStatus status, bool close, size_t consumed,
                   size_t swallow) {
  ProtocolError error;
  error.reply =
      BinaryErrorResponse(static_cast<uint8_t>(request.opcode), request.opaque, status).ToString();
  error.close = close;
  error.swallow = swallow;
  return ParseResult::Error(consumed, std::move(error));
}

// memcached's refusals that close the connection; decided from the header.
ParseResult RefuseAndClose(const BinaryRequest& request, BinaryStatus status) {
  return Refuse(request, status, /*close=*/true, kBinaryHeaderSize, 0);
}

ParseResult CloseSilently() {
  ProtocolError error;
  error.close = true;
  return ParseResult::Error(kBinaryHeaderSize, std::move(error));
}

// memcached computes value lengths in an int: a body length that leaves
// 2 GiB or more for the value wraps negative.
int32_t MemcachedValueLength(uint32_t body_length, size_t key_and_extras) {
  return static_cast<int32_t>(body_length - static_cast<uint32_t>(key_and_extras));
}

bool NeedsAuth(BinaryOpcode opcode) {
  switch (opcode) {
    case BinaryOpcode::kSaslListMechs:
    case BinaryOpcode::kSaslAuth:
    case BinaryOpcode::kSaslStep:
    case BinaryOpcode::kVersion:
      return false;
    default:
      return true;
  }
}

}  // namespace

ParseResult ParseBinaryRequest(absl::string_view input, const BinaryParserOptions& options,
                               BinaryRequest* out) {
  const size_t available = input.size();
  if (available < kBinaryHeaderSize) return ParseResult::Incomplete(kBinaryHeaderSize - available);
  const char* p = input.data();

  // memcached closes on a bad magic without a word.
  if (static_cast<uint8_t>(p[0]) != kBinaryRequestMagic) return CloseSilently();

  const uint8_t raw_opcode = static_cast<uint8_t>(p[1]);
  const size_t key_length = LoadBigEndian16(p + 2);
  const size_t extras_length = static_cast<uint8_t>(p[4]);
  const uint32_t body_length = LoadBigEndian32(p + 8);
  const BinaryOpcode opcode = static_cast<BinaryOpcode>(raw_opcode);

  BinaryRequest& r = *out;
  r.opcode = opcode;
  r.command = BaseBinaryOpcode(opcode);
  r.quiet = IsQuietBinaryOpcode(raw_opcode);
  r.data_type = static_cast<uint8_t>(p[5]);
  r.vbucket = LoadBigEndian16(p + 6);
  r.opaque = LoadBigEndian32(p + 12);
  r.cas = LoadBigEndian64(p + 16);
  r.extras = absl::string_view();
  r.key = absl::string_view();
  r.value = absl::string_view();
  r.flags = 0;
  r.exptime = 0;
  r.delta = 0;
  r.initial = 0;

  // Header, extras and key: what memcached reads before it dispatches.
  const size_t head = kBinaryHeaderSize + extras_length + key_length;
  if (head > options.read_buffer_size) return CloseSilently();
  // memcached decides nothing until header, extras and key have all arrived
  // (try_read_command_binary), even when the header alone already shows
  // them overrunning the body: until then it waits, silently.
  if (available < head) return ParseResult::Incomplete(head - available);
  if (key_length + extras_length > body_length) {
    return RefuseAndClose(r, BinaryStatus::kUnknownCommand);
  }
  if (options.sasl_enabled && !options.authenticated && NeedsAuth(opcode)) {
    return RefuseAndClose(r, BinaryStatus::kAuthError);
  }
  if (key_length > kBinaryMaxKeyLength) return RefuseAndClose(r, BinaryStatus::kInvalidArguments);

  // The whole request: usually header + body; less where memcached stops
  // reading after the key (the rest is read as the next request).
  size_t total = kBinaryHeaderSize + body_length;
  bool has_value = false;

  switch (opcode) {
    case BinaryOpcode::kGet:
    case BinaryOpcode::kGetQ:
    case BinaryOpcode::kGetK:
    case BinaryOpcode::kGetKQ:
    case BinaryOpcode::kDelete:
    case BinaryOpcode::kDeleteQ:
      if (extras_length != 0 || key_length == 0 || body_length != key_length) {
        return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      }
      break;

    case BinaryOpcode::kSet:
    case BinaryOpcode::kSetQ:
    case BinaryOpcode::kAdd:
    case BinaryOpcode::kAddQ:
    case BinaryOpcode::kReplace:
    case BinaryOpcode::kReplaceQ:
    case BinaryOpcode::kAppend:
    case BinaryOpcode::kAppendQ:
    case BinaryOpcode::kPrepend:
    case BinaryOpcode::kPrependQ: {
      const bool concat = r.command == BinaryOpcode::kAppend || r.command == BinaryOpcode::kPrepend;
      if (extras_length != (concat ? 0u : 8u) || key_length == 0) {
        return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      }
      // The size check needs the flags: wait for header, extras and key.
      if (available < head) return ParseResult::Incomplete(head - available);
      uint32_t flags = 0;
      if (!concat) {
        flags = LoadBigEndian32(p + kBinaryHeaderSize);
        r.flags = flags;
        r.exptime = LoadBigEndian32(p + kBinaryHeaderSize + 4);
      }
      const int32_t value_length = MemcachedValueLength(body_length, key_length + extras_length);
      if (value_length < 0 ||
          !ItemFits(key_length, flags, static_cast<uint64_t>(value_length), options)) {
        r.extras = absl::string_view(p + kBinaryHeaderSize, extras_length);
        r.key = absl::string_view(p + kBinaryHeaderSize + extras_length, key_length);
        // A negative length swallows nothing: memcached then reads the
        // would-be value as requests.
        return Refuse(r, BinaryStatus::kTooLarge, /*close=*/false, head,
                      value_length < 0 ? 0 : static_cast<size_t>(value_length));
      }
      has_value = true;
      break;
    }

    case BinaryOpcode::kIncrement:
    case BinaryOpcode::kIncrementQ:
    case BinaryOpcode::kDecrement:
    case BinaryOpcode::kDecrementQ:
      if (key_length == 0 || extras_length != 20 || body_length != key_length + 20) {
        return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      }
      break;

    case BinaryOpcode::kQuit:
    case BinaryOpcode::kQuitQ:
    case BinaryOpcode::kNoop:
    case BinaryOpcode::kVersion:
    case BinaryOpcode::kSaslListMechs:
      if (body_length != 0) return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      if (opcode == BinaryOpcode::kSaslListMechs && !options.sasl_enabled) {
        return Refuse(r, BinaryStatus::kUnknownCommand, /*close=*/false, head, 0);
      }
      break;

    case BinaryOpcode::kFlush:
    case BinaryOpcode::kFlushQ:
      if (key_length != 0 || body_length != extras_length ||
          (extras_length != 0 && extras_length != 4)) {
        return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      }
      break;

    case BinaryOpcode::kStat:
      if (extras_length != 0) return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      total = head;
      break;

    case BinaryOpcode::kTouch:
    case BinaryOpcode::kGat:
    case BinaryOpcode::kGatQ:
    case BinaryOpcode::kGatK:
    case BinaryOpcode::kGatKQ:
      if (extras_length != 4 || key_length == 0) {
        return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      }
      total = head;
      break;

    case BinaryOpcode::kSaslAuth:
    case BinaryOpcode::kSaslStep: {
      if (extras_length != 0 || key_length == 0) {
        return RefuseAndClose(r, BinaryStatus::kInvalidArguments);
      }
      const int32_t value_length = MemcachedValueLength(body_length, key_length);
      const size_t swallow = value_length < 0 ? 0 : static_cast<size_t>(value_length);
      if (available < head) return ParseResult::Incomplete(head - available);
      r.key = absl::string_view(p + kBinaryHeaderSize, key_length);
      if (!options.sasl_enabled) {
        return Refuse(r, BinaryStatus::kUnknownCommand, /*close=*/false, head, swallow);
      }
      if (key_length > kMaxSaslMechanism) {
        return Refuse(r, BinaryStatus::kInvalidArguments, /*close=*/false, head, swallow);
      }
      // memcached reads the data into an item that must not be chunked.
      if (value_length < 0 || !ItemFits(key_length, 0, swallow, options) ||
          kItemHeaderSize + key_length + 1 + swallow + 2 > kSlabChunkMax) {
        return Refuse(r, BinaryStatus::kOutOfMemory, /*close=*/false, head, swallow);
      }
      has_value = true;
      break;
    }

    default:
      // Unknown opcodes (verbosity among them in 1.6.18). memcached swallows
      // `body length` bytes after the key although it has already read the
      // extras and key: it over-swallows, and so does this parser. (The
      // count is an int there too: 2 GiB or more swallows nothing.)
      if (available < head) return ParseResult::Incomplete(head - available);
      return Refuse(r, BinaryStatus::kUnknownCommand, /*close=*/false, head,
                    static_cast<int32_t>(body_length) < 0 ? 0 : body_length);
  }

  if (available < total) return ParseResult::Incomplete(total - available);

  const char* extras = p + kBinaryHeaderSize;
  r.extras = absl::string_view(extras, extras_length);
  r.key = absl::string_view(extras + extras_length, key_length);
  if (has_value) {
    r.value = absl::string_view(extras + extras_length + key_length, total - head);
  }
  switch (extras_length) {
    case 4:  // touch/gat*, flush
      r.exptime = LoadBigEndian32(extras);
      break;
    case 20:  // incr/decr
      r.delta = LoadBigEndian64(extras);
      r.initial = LoadBigEndian64(extras + 8);
      r.exptime = LoadBigEndian32(extras + 16);
      break;
    default:  // set/add/replace decoded above
      break;
  }
  return ParseResult::Ok(total);
}

}  // namespace protocol
}  // namespace memkit
