#include "tools/cli/output.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace memkit {
namespace cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:            // miss
    case absl::StatusCode::kFailedPrecondition:  // NOT_STORED
    case absl::StatusCode::kAborted:             // EXISTS: CAS mismatch
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kDataLoss:            // damage found by verify
      return kExitNo;
    case absl::StatusCode::kInvalidArgument:     // a bad key, flag or value
      return kExitUsage;
    default:                                     // Unavailable, DeadlineExceeded, ...
      return kExitError;
  }
}

int ReportUsage(absl::string_view command, absl::string_view message) {
  absl::FPrintF(stderr, "memkit %s: %s (see `memkit help %s`)\n", command, message, command);
  return kExitUsage;
}

int ReportFailure(absl::string_view what, const absl::Status& status) {
  absl::FPrintF(stderr, "memkit: %s: %s: %s\n", what, absl::StatusCodeToString(status.code()),
                status.message());
  return ExitCodeFor(status);
}

std::string JsonString(absl::string_view bytes) {
  std::string out = "\"";
  size_t i = 0;
  while (i < bytes.size()) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      // Copy a well-formed UTF-8 sequence as it is; otherwise one Latin-1 byte.
      size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      bool valid = len > 0 && i + len <= bytes.size();
      for (size_t k = 1; valid && k < len; ++k) {
        valid = (static_cast<unsigned char>(bytes[i + k]) & 0xc0) == 0x80;
      }
      if (valid) {
        out.append(bytes.data() + i, len);
        i += len;
      } else {
        absl::StrAppendFormat(&out, "\\u%04x", c);
        ++i;
      }
    }
  }
  out.push_back('"');
  return out;
}

void AppendEscaped(absl::string_view bytes, std::string* out) {
  for (unsigned char c : bytes) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          absl::StrAppendFormat(out, "\\x%02x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> Unescape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (++i == text.size()) return absl::InvalidArgumentError("a line ends in a lone backslash");
    switch (text[i]) {
      case '\\': out.push_back('\\'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'x': {
        const int hi = i + 1 < text.size() ? HexDigit(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) return absl::InvalidArgumentError("\\x needs two hex digits");
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("unknown escape \\", text.substr(i, 1)));
    }
  }
  return out;
}

int WorseExit(int a, int b) {
  auto rank = [](int code) {
    switch (code) {
      case kExitError: return 3;
      case kExitUsage: return 2;
      case kExitNo: return 1;
      default: return 0;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace cli
}  // namespace memkit
