#include "tests/conformance/transcript.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"
#include "tests/conformance/request.h"

namespace memkit {
namespace conformance {
namespace {

uint64_t Fnv1a64(absl::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string RelativeCas(uint64_t cas, uint64_t base) {
  if (cas == 0) return "0";
  if (cas >= base) return absl::StrCat("{cas+", cas - base, "}");
  return absl::StrCat("{cas-", base - cas, "}");
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Rewrites the CAS values in one text reply line (without its line end).
std::string TranslateCasInLine(absl::string_view line, uint64_t base) {
  std::vector<std::string> tokens = absl::StrSplit(line, ' ');
  if (tokens.empty()) return std::string(line);
  const std::string& code = tokens[0];
  uint64_t cas = 0;
  if (code == "VALUE" && tokens.size() == 5 && absl::SimpleAtoi(tokens[4], &cas)) {
    tokens[4] = RelativeCas(cas, base);
  } else if (code == "VA" || code == "HD" || code == "EN" || code == "NF" || code == "NS" ||
             code == "EX" || code == "MN") {
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (tokens[i].size() > 1 && tokens[i][0] == 'c' && AllDigits(tokens[i].substr(1)) &&
          absl::SimpleAtoi(tokens[i].substr(1), &cas)) {
        tokens[i] = "c" + RelativeCas(cas, base);
      }
    }
  } else if (code == "ME") {
    for (size_t i = 1; i < tokens.size(); ++i) {
      absl::string_view token = tokens[i];
      if (absl::ConsumePrefix(&token, "cas=") && AllDigits(token) &&
          absl::SimpleAtoi(token, &cas)) {
        tokens[i] = "cas=" + RelativeCas(cas, base);
      }
    }
  }
  return absl::StrJoin(tokens, " ");
}

// The length of the data block that follows `line` (VALUE or VA), if any.
std::optional<uint64_t> DataLength(absl::string_view line) {
  std::vector<absl::string_view> tokens = absl::StrSplit(line, ' ');
  uint64_t length = 0;
  if (tokens[0] == "VALUE" && (tokens.size() == 4 || tokens.size() == 5) &&
      AllDigits(tokens[3]) && absl::SimpleAtoi(tokens[3], &length)) {
    return length;
  }
  if (tokens[0] == "VA" && tokens.size() >= 2 && AllDigits(tokens[1]) &&
      absl::SimpleAtoi(tokens[1], &length)) {
    return length;
  }
  return std::nullopt;
}

uint64_t ReadBigEndian(absl::string_view bytes) {
  uint64_t value = 0;
  for (unsigned char c : bytes) value = (value << 8) | c;
  return value;
}

}  // namespace

std::string EscapeBytes(absl::string_view bytes, size_t max_bytes) {
  absl::string_view shown = bytes.size() > max_bytes ? bytes.substr(0, 48) : bytes;
  std::string out;
  for (unsigned char c : shown) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c >= 0x20 && c < 0x7f && c != '"') {
          out.push_back(static_cast<char>(c));
        } else {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        }
    }
  }
  if (shown.size() != bytes.size()) {
    absl::StrAppendFormat(&out, "...\\<%d bytes, fnv1a64 %016x>", bytes.size(), Fnv1a64(bytes));
  }
  return out;
}

std::vector<std::string> RenderTextReply(absl::string_view reply, uint64_t cas_base) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t newline = reply.find('\n', pos);
    if (newline == absl::string_view::npos) {
      lines.push_back(EscapeBytes(reply.substr(pos)) + "\\<unterminated>");
      break;
    }
    absl::string_view body = reply.substr(pos, newline - pos);
    bool crlf = absl::ConsumeSuffix(&body, "\r");
    lines.push_back(EscapeBytes(TranslateCasInLine(body, cas_base), 4096) + (crlf ? "" : "\\n"));
    pos = newline + 1;

    std::optional<uint64_t> length = DataLength(body);
    if (!length.has_value()) continue;
    if (*length > reply.size() - pos || reply.size() - pos - *length < 2) {
      lines.push_back("  " + EscapeBytes(reply.substr(pos)) + "\\<truncated>");
      break;
    }
    absl::string_view block = reply.substr(pos, *length + 2);
    if (absl::EndsWith(block, "\r\n")) {
      lines.push_back("  " + EscapeBytes(block.substr(0, *length)));
    } else {
      lines.push_back("  " + EscapeBytes(block) + "\\<no-crlf>");
    }
    pos += *length + 2;
  }
  return lines;
}

std::vector<std::string> RenderBinaryReply(absl::string_view reply, uint64_t cas_base) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < reply.size()) {
    absl::string_view rest = reply.substr(pos);
    if (static_cast<unsigned char>(rest[0]) != 0x81) {
      lines.push_back("NOT-A-RESPONSE " + EscapeBytes(rest));
      break;
    }
    if (rest.size() < 24) {
      lines.push_back("BYTES " + EscapeBytes(rest) + "\\<truncated header>");
      break;
    }
    uint8_t opcode = static_cast<uint8_t>(rest[1]);
    uint64_t keylen = ReadBigEndian(rest.substr(2, 2));
    uint64_t extlen = ReadBigEndian(rest.substr(4, 1));
    uint64_t datatype = ReadBigEndian(rest.substr(5, 1));
    uint64_t status = ReadBigEndian(rest.substr(6, 2));
    uint64_t bodylen = ReadBigEndian(rest.substr(8, 4));
    uint64_t opaque = ReadBigEndian(rest.substr(12, 4));
    uint64_t cas = ReadBigEndian(rest.substr(16, 8));

    std::string line = "RES op=";
    absl::string_view name = BinaryOpcodeName(opcode);
    if (name.empty()) {
      absl::StrAppendFormat(&line, "0x%02x", opcode);
    } else {
      line += std::string(name);
    }
    absl::StrAppendFormat(&line, " status=0x%04x", status);
    if (datatype != 0) absl::StrAppendFormat(&line, " datatype=0x%02x", datatype);
    if (opaque != 0) absl::StrAppendFormat(&line, " opaque=0x%08x", opaque);
    absl::StrAppend(&line, " cas=", RelativeCas(cas, cas_base));

    absl::string_view body = rest.substr(24);
    bool truncated = body.size() < bodylen;
    if (!truncated) body = body.substr(0, bodylen);
    if (extlen + keylen > bodylen) {
      absl::StrAppend(&line, " keylen=", keylen, " extlen=", extlen, " bodylen=", bodylen,
                      " body=\"", EscapeBytes(body), "\"");
    } else {
      absl::string_view extras = body.substr(0, std::min<uint64_t>(extlen, body.size()));
      absl::string_view key = body.substr(extras.size(), std::min<uint64_t>(keylen, body.size() - extras.size()));
      absl::string_view value = body.substr(extras.size() + key.size());
      if (!extras.empty()) {
        line += " extras=";
        for (unsigned char c : extras) absl::StrAppendFormat(&line, "%02x", c);
      }
      if (!key.empty()) absl::StrAppend(&line, " key=\"", EscapeBytes(key), "\"");
      absl::StrAppend(&line, " value=\"", EscapeBytes(value), "\"");
    }
    if (truncated) {
      absl::StrAppend(&line, " \\<truncated body: ", body.size(), " of ", bodylen, " bytes>");
      lines.push_back(line);
      break;
    }
    lines.push_back(line);
    pos += 24 + bodylen;
  }
  return lines;
}

void ApplySubstitutions(const std::vector<Substitution>& substitutions,
                        std::vector<std::string>* lines) {
  for (const Substitution& s : substitutions) {
    RE2 re(s.pattern);  // Checked when the case file was parsed.
    if (!re.ok()) continue;
    for (std::string& line : *lines) RE2::GlobalReplace(&line, re, s.replacement);
  }
}

std::string DiffLines(const std::vector<std::string>& a, const std::vector<std::string>& b,
                      absl::string_view indent) {
  std::string out;
  const size_t n = a.size(), m = b.size();
  if (n * m > 4'000'000) {  // Too big for the table: show both whole.
    for (const std::string& line : a) absl::StrAppend(&out, indent, "- ", line, "\n");
    for (const std::string& line : b) absl::StrAppend(&out, indent, "+ ", line, "\n");
    return out;
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      absl::StrAppend(&out, indent, "  ", a[i++], "\n");
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      absl::StrAppend(&out, indent, "- ", a[i++], "\n");
    } else {
      absl::StrAppend(&out, indent, "+ ", b[j++], "\n");
    }
  }
  return out;
}

}  // namespace conformance
}  // namespace memkit
