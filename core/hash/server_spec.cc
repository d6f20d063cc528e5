#include "core/hash/server_spec.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/text/numbers.h"

namespace memkit {
namespace hash {
namespace {

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid server \"", absl::CEscape(text),
                                                 "\": ", why));
}

// Parses a non-empty run of decimal digits no larger than `max`.
bool ParseDecimal(absl::string_view digits, uint64_t max, uint64_t* out) {
  uint64_t value = 0;
  if (!text::ParseStrictU64(digits, &value) || value > max) return false;
  *out = value;
  return true;
}

bool IsAllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status ParsePort(absl::string_view text, absl::string_view port, ServerSpec* spec) {
  uint64_t value;
  if (!ParseDecimal(port, 65535, &value) || value == 0) {
    return Invalid(text, absl::StrCat("port \"", absl::CEscape(port),
                                      "\" is not a number in 1..65535"));
  }
  spec->port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

absl::Status ParseWeight(absl::string_view text, absl::string_view weight, ServerSpec* spec) {
  uint64_t value;
  if (!ParseDecimal(weight, std::numeric_limits<uint32_t>::max(), &value) || value == 0) {
    return Invalid(text, absl::StrCat("weight \"", absl::CEscape(weight),
                                      "\" is not a number in 1..4294967295"));
  }
  spec->weight = static_cast<uint32_t>(value);
  return absl::OkStatus();
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
         c == '_';
}

// Hex digits, ':' and '.' (an embedded IPv4), then optionally "%zone".
bool IsIpv6Literal(absl::string_view host) {
  if (host.find(':') == absl::string_view::npos) return false;
  bool in_zone = false;
  for (char c : host) {
    if (in_zone) {
      if (!IsHostChar(c)) return false;
    } else if (c == '%') {
      in_zone = true;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
      return false;
    }
  }
  return host.back() != '%';
}

absl::StatusOr<ServerSpec> ParseUnixSocket(absl::string_view text, absl::string_view rest) {
  ServerSpec spec;
  spec.unix_socket = true;
  spec.port = 0;
  // A trailing ":digits" is the weight; any other ':' belongs to the path.
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && IsAllDigits(rest.substr(colon + 1))) {
    absl::Status status = ParseWeight(text, rest.substr(colon + 1), &spec);
    if (!status.ok()) return status;
    rest = rest.substr(0, colon);
  }
  if (rest.size() < 2 || rest[0] != '/') {
    return Invalid(text, "a unix socket path must be absolute, like /var/run/memcached.sock");
  }
  if (rest.size() > kMaxHostLength) {
    return Invalid(text, absl::StrCat("socket path longer than ", kMaxHostLength, " bytes"));
  }
  for (char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f || c == ',') {
      return Invalid(text, "socket path contains a space, comma or control character");
    }
  }
  spec.host = std::string(rest);
  return spec;
}

// Parses what follows the host: "", ":port" or ":port:weight".
absl::Status ParsePortAndWeight(absl::string_view text, absl::string_view rest,
                                ServerSpec* spec) {
  if (rest.empty()) return absl::OkStatus();
  if (rest[0] != ':') {
    return Invalid(text, absl::StrCat("unexpected \"", absl::CEscape(rest),
                                      "\" after the host"));
  }
  rest.remove_prefix(1);
  const size_t colon = rest.find(':');
  absl::Status status = ParsePort(text, rest.substr(0, colon), spec);
  if (!status.ok()) return status;
  if (colon == absl::string_view::npos) return absl::OkStatus();
  return ParseWeight(text, rest.substr(colon + 1), spec);
}

}  // namespace

std::string ServerSpec::ToString() const {
  std::string out;
  if (unix_socket) {
    out = host;
  } else if (host.find(':') != std::string::npos && host[0] != '[') {
    out = absl::StrCat("[", host, "]:", port == 0 ? kDefaultPort : port);
  } else {
    out = absl::StrCat(host, ":", port == 0 ? kDefaultPort : port);
  }
  // A socket path that itself ends in ":digits" needs its weight spelled
  // out, or the parser would read those digits as the weight.
  const size_t colon = host.rfind(':');
  const bool ambiguous =
      unix_socket && colon != std::string::npos && IsAllDigits(absl::string_view(host).substr(colon + 1));
  if (weight > 1 || ambiguous) absl::StrAppend(&out, ":", weight == 0 ? 1 : weight);
  return out;
}

absl::StatusOr<ServerSpec> ParseServerSpec(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s.empty()) return Invalid(text, "empty server");
  // "unix:" names a socket only before a path, so a host called "unix" with
  // a port ("unix:11211") stays a host.
  if (absl::StartsWith(s, "unix:/")) s.remove_prefix(5);
  if (s[0] == '/') return ParseUnixSocket(text, s);

  ServerSpec spec;
  absl::string_view rest;
  if (s[0] == '[') {
    const size_t close = s.find(']');
    if (close == absl::string_view::npos) return Invalid(text, "missing ']' after IPv6 address");
    const absl::string_view host = s.substr(1, close - 1);
    if (!IsIpv6Literal(host)) {
      return Invalid(text, absl::StrCat("\"", absl::CEscape(host), "\" is not an IPv6 address"));
    }
    spec.host = std::string(host);
    rest = s.substr(close + 1);
  } else {
    const size_t colon = s.find(':');
    const absl::string_view host = s.substr(0, colon);
    // "::1" or "fe80::1:2" would otherwise read as host, port and weight
    // with an empty part.
    const auto colons = std::count(s.begin(), s.end(), ':');
    const bool empty_part = colons == 2 && (host.empty() || s[colon + 1] == ':');
    if ((colons > 2 || empty_part) && IsIpv6Literal(s)) {
      return Invalid(text, "IPv6 addresses need brackets, like [::1]:11211");
    }
    if (colons > 2) return Invalid(text, "too many ':'; expected host[:port[:weight]]");
    if (host.empty()) return Invalid(text, "empty host");
    for (char c : host) {
      if (!IsHostChar(c)) {
        return Invalid(text, absl::StrCat("host \"", absl::CEscape(host),
                                          "\" may contain only letters, digits, '-', '.' "
                                          "and '_'"));
      }
    }
    spec.host = std::string(host);
    rest = colon == absl::string_view::npos ? absl::string_view() : s.substr(colon);
  }
  if (spec.host.size() > kMaxHostLength) {
    return Invalid(text, absl::StrCat("host longer than ", kMaxHostLength, " bytes"));
  }
  absl::Status status = ParsePortAndWeight(text, rest, &spec);
  if (!status.ok()) return status;
  return spec;
}

absl::StatusOr<std::vector<ServerSpec>> ParseServerList(absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("empty server list");
  }
  std::vector<ServerSpec> servers;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    absl::StatusOr<ServerSpec> spec = ParseServerSpec(item);
    if (!spec.ok()) return spec.status();
    servers.push_back(*std::move(spec));
  }
  return servers;
}

}  // namespace hash
}  // namespace memkit
