#include "core/protocol/binary_codes.h"

#include <array>

namespace memkit {
namespace protocol {
namespace {

struct OpcodeInfo {
  const char* name = nullptr;  // nullptr: not an opcode memkit knows
  uint8_t base = 0;            // loud form
  uint8_t quiet_form = 0;      // quiet form (== own value when none)
  bool quiet = false;
  bool memcached = false;  // dispatched by memcached 1.6.18
};

constexpr std::array<OpcodeInfo, 256> MakeOpcodeTable() {
  std::array<OpcodeInfo, 256> t{};
  auto add = [&t](BinaryOpcode op, const char* name, bool memcached) {
    uint8_t v = static_cast<uint8_t>(op);
    t[v].name = name;
    t[v].base = v;
    t[v].quiet_form = v;
    t[v].memcached = memcached;
  };
  auto pair = [&t](BinaryOpcode loud, BinaryOpcode quiet) {
    uint8_t l = static_cast<uint8_t>(loud);
    uint8_t q = static_cast<uint8_t>(quiet);
    t[l].quiet_form = q;
    t[q].base = l;
    t[q].quiet = true;
  };
  add(BinaryOpcode::kGet, "get", true);
  add(BinaryOpcode::kSet, "set", true);
  add(BinaryOpcode::kAdd, "add", true);
  add(BinaryOpcode::kReplace, "replace", true);
  add(BinaryOpcode::kDelete, "delete", true);
  add(BinaryOpcode::kIncrement, "increment", true);
  add(BinaryOpcode::kDecrement, "decrement", true);
  add(BinaryOpcode::kQuit, "quit", true);
  add(BinaryOpcode::kFlush, "flush", true);
  add(BinaryOpcode::kGetQ, "getq", true);
  add(BinaryOpcode::kNoop, "noop", true);
  add(BinaryOpcode::kVersion, "version", true);
  add(BinaryOpcode::kGetK, "getk", true);
  add(BinaryOpcode::kGetKQ, "getkq", true);
  add(BinaryOpcode::kAppend, "append", true);
  add(BinaryOpcode::kPrepend, "prepend", true);
  add(BinaryOpcode::kStat, "stat", true);
  add(BinaryOpcode::kSetQ, "setq", true);
  add(BinaryOpcode::kAddQ, "addq", true);
  add(BinaryOpcode::kReplaceQ, "replaceq", true);
  add(BinaryOpcode::kDeleteQ, "deleteq", true);
  add(BinaryOpcode::kIncrementQ, "incrementq", true);
  add(BinaryOpcode::kDecrementQ, "decrementq", true);
  add(BinaryOpcode::kQuitQ, "quitq", true);
  add(BinaryOpcode::kFlushQ, "flushq", true);
  add(BinaryOpcode::kAppendQ, "appendq", true);
  add(BinaryOpcode::kPrependQ, "prependq", true);
  add(BinaryOpcode::kVerbosity, "verbosity", false);
  add(BinaryOpcode::kTouch, "touch", true);
  add(BinaryOpcode::kGat, "gat", true);
  add(BinaryOpcode::kGatQ, "gatq", true);
  add(BinaryOpcode::kSaslListMechs, "sasl_list_mechs", true);
  add(BinaryOpcode::kSaslAuth, "sasl_auth", true);
  add(BinaryOpcode::kSaslStep, "sasl_step", true);
  add(BinaryOpcode::kGatK, "gatk", true);
  add(BinaryOpcode::kGatKQ, "gatkq", true);
  pair(BinaryOpcode::kGet, BinaryOpcode::kGetQ);
  pair(BinaryOpcode::kGetK, BinaryOpcode::kGetKQ);
  pair(BinaryOpcode::kSet, BinaryOpcode::kSetQ);
  pair(BinaryOpcode::kAdd, BinaryOpcode::kAddQ);
  pair(BinaryOpcode::kReplace, BinaryOpcode::kReplaceQ);
  pair(BinaryOpcode::kDelete, BinaryOpcode::kDeleteQ);
  pair(BinaryOpcode::kIncrement, BinaryOpcode::kIncrementQ);
  pair(BinaryOpcode::kDecrement, BinaryOpcode::kDecrementQ);
  pair(BinaryOpcode::kQuit, BinaryOpcode::kQuitQ);
  pair(BinaryOpcode::kFlush, BinaryOpcode::kFlushQ);
  pair(BinaryOpcode::kAppend, BinaryOpcode::kAppendQ);
  pair(BinaryOpcode::kPrepend, BinaryOpcode::kPrependQ);
  pair(BinaryOpcode::kGat, BinaryOpcode::kGatQ);
  pair(BinaryOpcode::kGatK, BinaryOpcode::kGatKQ);
  return t;
}

constexpr std::array<OpcodeInfo, 256> kOpcodes = MakeOpcodeTable();

}  // namespace

absl::string_view BinaryOpcodeName(uint8_t opcode) {
  const char* name = kOpcodes[opcode].name;
  return name == nullptr ? "unknown" : name;
}

bool IsMemcachedBinaryOpcode(uint8_t opcode) { return kOpcodes[opcode].memcached; }

bool IsQuietBinaryOpcode(uint8_t opcode) { return kOpcodes[opcode].quiet; }

BinaryOpcode BaseBinaryOpcode(BinaryOpcode opcode) {
  const OpcodeInfo& info = kOpcodes[static_cast<uint8_t>(opcode)];
  return info.name == nullptr ? opcode : static_cast<BinaryOpcode>(info.base);
}

BinaryOpcode QuietBinaryOpcode(BinaryOpcode opcode) {
  const OpcodeInfo& info = kOpcodes[static_cast<uint8_t>(opcode)];
  return info.name == nullptr ? opcode : static_cast<BinaryOpcode>(info.quiet_form);
}

absl::string_view BinaryStatusText(BinaryStatus status) {
  // memcached's write_bin_error() texts, periods included where it has them.
  switch (status) {
    case BinaryStatus::kSuccess:
      return "";
    case BinaryStatus::kKeyNotFound:
      return "Not found";
    case BinaryStatus::kKeyExists:
      return "Data exists for key.";
    case BinaryStatus::kTooLarge:
      return "Too large.";
    case BinaryStatus::kInvalidArguments:
      return "Invalid arguments";
    case BinaryStatus::kNotStored:
      return "Not stored.";
    case BinaryStatus::kNonNumeric:
      return "Non-numeric server-side value for incr or decr";
    case BinaryStatus::kAuthError:
      return "Auth failure.";
    case BinaryStatus::kUnknownCommand:
      return "Unknown command";
    case BinaryStatus::kOutOfMemory:
      return "Out of memory";
    // memcached never sends these; the texts follow the protocol document.
    case BinaryStatus::kAuthContinue:
      return "Auth continue";
    case BinaryStatus::kNotSupported:
      return "Not supported";
    case BinaryStatus::kInternalError:
      return "Internal error";
    case BinaryStatus::kBusy:
      return "Busy";
    case BinaryStatus::kTemporaryFailure:
      return "Temporary failure";
  }
  return "Unknown error";
}

void BinaryPacket::AppendTo(std::string* out) const {
  // append() does not zero-fill first, unlike resize() + memcpy.
  out->append(head_bytes, head_size);
  if (!key.empty()) out->append(key.data(), key.size());
  if (!body.empty()) out->append(body.data(), body.size());
}

std::string BinaryPacket::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

}  // namespace protocol
}  // namespace memkit
