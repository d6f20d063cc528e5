#include "tests/conformance/request.h"

#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace memkit {
namespace conformance {
namespace {

struct OpcodeName {
  uint8_t opcode;
  const char* name;
};

constexpr std::array<OpcodeName, 33> kOpcodes = {{
    {0x00, "get"},        {0x01, "set"},        {0x02, "add"},
    {0x03, "replace"},    {0x04, "delete"},     {0x05, "increment"},
    {0x06, "decrement"},  {0x07, "quit"},       {0x08, "flush"},
    {0x09, "getq"},       {0x0a, "noop"},       {0x0b, "version"},
    {0x0c, "getk"},       {0x0d, "getkq"},      {0x0e, "append"},
    {0x0f, "prepend"},    {0x10, "stat"},       {0x11, "setq"},
    {0x12, "addq"},       {0x13, "replaceq"},   {0x14, "deleteq"},
    {0x15, "incrementq"}, {0x16, "decrementq"}, {0x17, "quitq"},
    {0x18, "flushq"},     {0x19, "appendq"},    {0x1a, "prependq"},
    {0x1b, "verbosity"},  {0x1c, "touch"},      {0x1d, "gat"},
    {0x1e, "gatq"},       {0x20, "sasl_list_mechs"}, {0x21, "sasl_auth"},
}};

// Parses a decimal or 0x-hex integer; negative values wrap modulo 2^64.
std::optional<uint64_t> ParseNumber(absl::string_view text) {
  bool negative = absl::ConsumePrefix(&text, "-");
  uint64_t value = 0;
  bool ok = absl::ConsumePrefix(&text, "0x") ? absl::SimpleHexAtoi(text, &value)
                                             : absl::SimpleAtoi(text, &value);
  if (!ok || text.empty()) return std::nullopt;
  return negative ? ~value + 1 : value;
}

absl::StatusOr<std::string> ExpandTemplate(absl::string_view body, const ExpandContext& context) {
  // {STR*N}
  if (size_t star = body.rfind('*'); star != absl::string_view::npos) {
    absl::string_view unit = body.substr(0, star);
    uint64_t count = 0;
    if (unit.empty() || !absl::SimpleAtoi(body.substr(star + 1), &count)) {
      return absl::InvalidArgumentError(absl::StrCat("bad repeat template {", body, "}"));
    }
    if (unit.find_first_of("*{}") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad repeat unit in {", body, "}"));
    }
    if (count > kMaxRepeatBytes / unit.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("{", body, "} expands past ", kMaxRepeatBytes, " bytes"));
    }
    std::string out;
    out.reserve(unit.size() * count);
    for (uint64_t i = 0; i < count; ++i) out.append(unit.data(), unit.size());
    return out;
  }
  // {cas...} / {now...}
  int64_t base = 0;
  absl::string_view rest = body;
  if (absl::ConsumePrefix(&rest, "cas")) {
    base = static_cast<int64_t>(context.cas_base);
  } else if (absl::ConsumePrefix(&rest, "now")) {
    base = context.now;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown template {", body, "}"));
  }
  int64_t offset = 0;
  if (!rest.empty()) {
    bool minus = rest[0] == '-';
    if ((rest[0] != '+' && !minus) || !absl::SimpleAtoi(rest.substr(1), &offset) ||
        offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad offset in template {", body, "}"));
    }
    if (minus) offset = -offset;
  }
  if (absl::StartsWith(body, "cas")) {
    return absl::StrCat(static_cast<uint64_t>(base) + static_cast<uint64_t>(offset));
  }
  return absl::StrCat(base + offset);
}

void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

absl::StatusOr<std::string> ExpandBytes(absl::string_view text, const ExpandContext& context) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size()) return absl::InvalidArgumentError("trailing backslash");
      char e = text[++i];
      switch (e) {
        case 'r': out.push_back('\r'); break;
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case '0': out.push_back('\0'); break;
        case '\\': out.push_back('\\'); break;
        case '{': out.push_back('{'); break;
        case '}': out.push_back('}'); break;
        case 'x': {
          int value = 0;
          if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
              !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            return absl::InvalidArgumentError("\\x needs two hex digits");
          }
          for (int k = 1; k <= 2; ++k) {
            char h = static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(text[i + k])));
            value = value * 16 + (h <= '9' ? h - '0' : h - 'a' + 10);
          }
          out.push_back(static_cast<char>(value));
          i += 2;
          break;
        }
        default:
          return absl::InvalidArgumentError(absl::StrCat("unknown escape \\", std::string(1, e)));
      }
    } else if (c == '{') {
      size_t close = text.find('}', i);
      if (close == absl::string_view::npos) return absl::InvalidArgumentError("unclosed {");
      absl::StatusOr<std::string> expanded = ExpandTemplate(text.substr(i + 1, close - i - 1), context);
      if (!expanded.ok()) return expanded.status();
      out += *expanded;
      i = close;
    } else if (c == '}') {
      return absl::InvalidArgumentError("unmatched } (write \\} for a literal brace)");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::string_view BinaryOpcodeName(uint8_t opcode) {
  for (const OpcodeName& entry : kOpcodes) {
    if (entry.opcode == opcode) return entry.name;
  }
  return "";
}

absl::StatusOr<std::string> EncodeBinaryRequest(absl::string_view spec,
                                                const ExpandContext& context) {
  std::vector<absl::string_view> tokens = absl::StrSplit(spec, ' ', absl::SkipWhitespace());
  if (tokens.empty()) return absl::InvalidArgumentError("@bin needs an opcode");

  std::optional<uint64_t> opcode;
  for (const OpcodeName& entry : kOpcodes) {
    if (tokens[0] == entry.name) opcode = entry.opcode;
  }
  if (!opcode.has_value() && absl::StartsWith(tokens[0], "0x")) opcode = ParseNumber(tokens[0]);
  if (!opcode.has_value() || *opcode > 0xff) {
    return absl::InvalidArgumentError(absl::StrCat("unknown binary opcode `", tokens[0], "`"));
  }

  uint64_t magic = 0x80, datatype = 0, vbucket = 0, opaque = 0, cas = 0;
  std::optional<uint64_t> keylen, extlen, bodylen, truncate, skip;
  std::string key, value, extras;
  for (size_t t = 1; t < tokens.size(); ++t) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(tokens[t], absl::MaxSplits('=', 1));
    absl::string_view name = field.first, text = field.second;
    if (tokens[t].find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("binary field `", tokens[t], "` has no '='"));
    }
    if (name == "key" || name == "value") {
      absl::StatusOr<std::string> bytes = ExpandBytes(text, context);
      if (!bytes.ok()) return bytes.status();
      (name == "key" ? key : value) = *std::move(bytes);
      continue;
    }
    if (name == "extras") {
      std::string hex(text);
      if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("extras=`", text, "` is not hex"));
      }
      extras += absl::HexStringToBytes(hex);
      continue;
    }
    absl::StatusOr<std::string> expanded = ExpandBytes(text, context);
    if (!expanded.ok()) return expanded.status();
    std::optional<uint64_t> number = ParseNumber(*expanded);
    if (!number.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("binary field `", tokens[t], "` needs a number"));
    }
    uint64_t n = *number;
    if (name == "flags" || name == "exptime" || name == "u32") {
      AppendBigEndian(n, 4, &extras);
    } else if (name == "delta" || name == "initial" || name == "u64") {
      AppendBigEndian(n, 8, &extras);
    } else if (name == "u16") {
      AppendBigEndian(n, 2, &extras);
    } else if (name == "u8") {
      AppendBigEndian(n, 1, &extras);
    } else if (name == "cas") {
      cas = n;
    } else if (name == "opaque") {
      opaque = n;
    } else if (name == "vbucket") {
      vbucket = n;
    } else if (name == "magic") {
      magic = n;
    } else if (name == "datatype") {
      datatype = n;
    } else if (name == "keylen") {
      keylen = n;
    } else if (name == "extlen") {
      extlen = n;
    } else if (name == "bodylen") {
      bodylen = n;
    } else if (name == "truncate") {
      truncate = n;
    } else if (name == "skip") {
      skip = n;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown binary field `", name, "`"));
    }
  }

  std::string packet;
  AppendBigEndian(magic, 1, &packet);
  AppendBigEndian(*opcode, 1, &packet);
  AppendBigEndian(keylen.value_or(key.size()), 2, &packet);
  AppendBigEndian(extlen.value_or(extras.size()), 1, &packet);
  AppendBigEndian(datatype, 1, &packet);
  AppendBigEndian(vbucket, 2, &packet);
  AppendBigEndian(bodylen.value_or(extras.size() + key.size() + value.size()), 4, &packet);
  AppendBigEndian(opaque, 4, &packet);
  AppendBigEndian(cas, 8, &packet);
  packet += extras;
  packet += key;
  packet += value;
  if (truncate.has_value() && *truncate < packet.size()) packet.resize(*truncate);
  if (skip.has_value()) packet.erase(0, std::min<uint64_t>(*skip, packet.size()));
  return packet;
}

std::string BinarySentinel() {
  std::string packet(24, '\0');
  packet[0] = static_cast<char>(0x80);
  packet[1] = 0x0a;
  for (int i = 0; i < 4; ++i) packet[12 + i] = static_cast<char>((kSentinelOpaque >> (24 - 8 * i)) & 0xff);
  return packet;
}

std::string BinarySentinelReply() {
  std::string packet = BinarySentinel();
  packet[0] = static_cast<char>(0x81);
  return packet;
}

bool EndsWithSentinelReply(absl::string_view reply, bool binary) {
  if (binary) return absl::EndsWith(reply, BinarySentinelReply());
  if (!absl::EndsWith(reply, kTextSentinelReply)) return false;
  return reply.size() == kTextSentinelReply.size() ||
         reply[reply.size() - kTextSentinelReply.size() - 1] == '\n';
}

}  // namespace conformance
}  // namespace memkit
