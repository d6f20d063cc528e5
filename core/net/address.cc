#include "core/net/address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/text/numbers.h"

namespace memkit {
namespace net {
namespace {

constexpr size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;  // keep a NUL

absl::Status Invalid(absl::string_view what, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": \"", absl::CEscape(text), "\""));
}

absl::StatusOr<int> ParsePort(absl::string_view digits, absl::string_view text) {
  uint64_t port = 0;
  if (digits.size() > 5 || !text::ParseStrictU64(digits, &port)) return Invalid("bad port", text);
  if (port > 65535) return Invalid("port out of range (0..65535)", text);
  return static_cast<int>(port);
}

// Whether `text` looks like a unix socket path rather than host:port.
bool IsUnixText(absl::string_view text) {
  return absl::StartsWith(text, "/") || absl::StartsWith(text, "unix:");
}

absl::string_view UnixPathOf(absl::string_view text) {
  if (absl::StartsWith(text, "unix:")) text.remove_prefix(5);
  return text;
}

// A numeric IPv4 or IPv6 host (IPv6 possibly with a %zone) plus port.
absl::StatusOr<Address> NumericHost(const std::string& host, uint16_t port,
                                    absl::string_view text) {
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    sockaddr_in sin;
    std::memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr = v4;
    return Address::FromSockaddr(reinterpret_cast<struct sockaddr*>(&sin), sizeof(sin));
  }
  if (host.find(':') != std::string::npos) {
    // getaddrinfo with AI_NUMERICHOST understands zone ids ("fe80::1%lo")
    // and never performs a lookup.
    addrinfo hints;
    std::memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET6;
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &result) == 0 && result != nullptr) {
      auto addr = Address::FromSockaddr(result->ai_addr, result->ai_addrlen);
      freeaddrinfo(result);
      if (addr.ok()) return addr->WithPort(port);
      return addr.status();
    }
    if (result != nullptr) freeaddrinfo(result);
  }
  return Invalid("not a numeric IPv4 or IPv6 address (use Resolve() for host names)", text);
}

}  // namespace

Address::Address() : family_(Family::kUnspecified), len_(0) {
  std::memset(&storage_, 0, sizeof(storage_));
  storage_.ss_family = AF_UNSPEC;
}

absl::StatusOr<HostPort> SplitHostPort(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty address");
  if (IsUnixText(text)) return Invalid("a unix socket path is not host:port", text);
  HostPort out;
  absl::string_view rest;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) return Invalid("missing ']'", text);
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return Invalid("junk after ']'", text);
    if (out.host.find(':') == std::string::npos) {
      return Invalid("brackets are only for IPv6 addresses", text);
    }
  } else {
    size_t first = text.find(':');
    if (first != absl::string_view::npos && text.find(':', first + 1) != absl::string_view::npos) {
      // Two or more colons and no brackets: a bare IPv6 address, no port.
      out.host = std::string(text);
      rest = absl::string_view();
    } else {
      out.host = std::string(text.substr(0, first));
      rest = first == absl::string_view::npos ? absl::string_view() : text.substr(first);
    }
  }
  if (out.host.empty()) return Invalid("empty host", text);
  for (char c : out.host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c)) || c == '[' || c == ']' || c == '/') {
      return Invalid("bad character in host", text);
    }
  }
  if (!rest.empty()) {
    rest.remove_prefix(1);  // ':'
    auto port = ParsePort(rest, text);
    if (!port.ok()) return port.status();
    out.port = *port;
  }
  return out;
}

absl::StatusOr<Address> Address::Parse(absl::string_view text) {
  if (IsUnixText(text)) return Unix(UnixPathOf(text));
  auto hp = SplitHostPort(text);
  if (!hp.ok()) return hp.status();
  if (hp->port < 0) return Invalid("missing port", text);
  return NumericHost(hp->host, static_cast<uint16_t>(hp->port), text);
}

absl::StatusOr<Address> Address::Parse(absl::string_view text, uint16_t default_port) {
  if (IsUnixText(text)) return Unix(UnixPathOf(text));
  auto hp = SplitHostPort(text);
  if (!hp.ok()) return hp.status();
  uint16_t port = hp->port < 0 ? default_port : static_cast<uint16_t>(hp->port);
  return NumericHost(hp->host, port, text);
}

absl::StatusOr<Address> Address::FromSockaddr(const struct sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t)) ||
      len > static_cast<socklen_t>(sizeof(sockaddr_storage))) {
    return absl::InvalidArgumentError("bad sockaddr length");
  }
  Address a;
  switch (sa->sa_family) {
    case AF_INET:
      if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) {
        return absl::InvalidArgumentError("short sockaddr_in");
      }
      a.family_ = Family::kIPv4;
      len = sizeof(sockaddr_in);
      break;
    case AF_INET6:
      if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        return absl::InvalidArgumentError("short sockaddr_in6");
      }
      a.family_ = Family::kIPv6;
      len = sizeof(sockaddr_in6);
      break;
    case AF_UNIX:
      a.family_ = Family::kUnix;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unsupported address family ", sa->sa_family));
  }
  std::memcpy(&a.storage_, sa, len);
  a.len_ = len;
  return a;
}

Address Address::IPv4Loopback(uint16_t port) {
  sockaddr_in sin;
  std::memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return *FromSockaddr(reinterpret_cast<struct sockaddr*>(&sin), sizeof(sin));
}

Address Address::IPv4Any(uint16_t port) {
  sockaddr_in sin;
  std::memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  return *FromSockaddr(reinterpret_cast<struct sockaddr*>(&sin), sizeof(sin));
}

Address Address::IPv6Loopback(uint16_t port) {
  sockaddr_in6 sin6;
  std::memset(&sin6, 0, sizeof(sin6));
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = in6addr_loopback;
  return *FromSockaddr(reinterpret_cast<struct sockaddr*>(&sin6), sizeof(sin6));
}

absl::StatusOr<Address> Address::Unix(absl::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("empty unix socket path");
  if (path.size() > kMaxUnixPath) {
    return Invalid(absl::StrCat("unix socket path longer than ", kMaxUnixPath, " bytes"), path);
  }
  if (path.find('\0') != absl::string_view::npos) {
    return Invalid("NUL byte in unix socket path", path);
  }
  sockaddr_un sun;
  std::memset(&sun, 0, sizeof(sun));
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return FromSockaddr(reinterpret_cast<struct sockaddr*>(&sun), len);
}

int Address::sa_family() const { return storage_.ss_family; }

uint16_t Address::port() const {
  switch (family_) {
    case Family::kIPv4:
      return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case Family::kIPv6:
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default:
      return 0;
  }
}

Address Address::WithPort(uint16_t port) const {
  Address a = *this;
  switch (family_) {
    case Family::kIPv4:
      reinterpret_cast<sockaddr_in*>(&a.storage_)->sin_port = htons(port);
      break;
    case Family::kIPv6:
      reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_port = htons(port);
      break;
    default:
      break;
  }
  return a;
}

std::string Address::host() const {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  switch (family_) {
    case Family::kIPv4: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
      if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) == nullptr) return "?";
      return buf;
    }
    case Family::kIPv6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)) == nullptr) return "?";
      std::string out = buf;
      if (sin6->sin6_scope_id != 0) {
        char ifname[IF_NAMESIZE];
        if (if_indextoname(sin6->sin6_scope_id, ifname) != nullptr) {
          absl::StrAppend(&out, "%", ifname);
        } else {
          absl::StrAppend(&out, "%", sin6->sin6_scope_id);
        }
      }
      return out;
    }
    case Family::kUnix: {
      const auto* sun = reinterpret_cast<const sockaddr_un*>(&storage_);
      size_t max = len_ > offsetof(sockaddr_un, sun_path) ? len_ - offsetof(sockaddr_un, sun_path) : 0;
      return std::string(sun->sun_path, strnlen(sun->sun_path, max));
    }
    default:
      return "";
  }
}

std::string Address::ToString() const {
  switch (family_) {
    case Family::kIPv4:
      return absl::StrCat(host(), ":", port());
    case Family::kIPv6:
      return absl::StrCat("[", host(), "]:", port());
    case Family::kUnix: {
      std::string path = host();
      if (path.empty()) return "unix:<unnamed>";
      return absl::StartsWith(path, "/") ? path : absl::StrCat("unix:", path);
    }
    default:
      return "<unspecified>";
  }
}

CompactIpAddress::CompactIpAddress(const Address& address) {
  if (address.family() == Address::Family::kIPv4) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address.sockaddr());
    family_ = 4;
    port_ = sin->sin_port;
    std::memcpy(ip_, &sin->sin_addr, sizeof(sin->sin_addr));
  } else if (address.family() == Address::Family::kIPv6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddr());
    family_ = 6;
    port_ = sin6->sin6_port;
    scope_id_ = sin6->sin6_scope_id;
    std::memcpy(ip_, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
  }
}

Address CompactIpAddress::ToAddress() const {
  if (family_ == 4) {
    sockaddr_in sin;
    std::memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = port_;
    std::memcpy(&sin.sin_addr, ip_, sizeof(sin.sin_addr));
    auto address = Address::FromSockaddr(reinterpret_cast<const struct sockaddr*>(&sin), sizeof(sin));
    if (address.ok()) return *address;
  } else if (family_ == 6) {
    sockaddr_in6 sin6;
    std::memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = port_;
    sin6.sin6_scope_id = scope_id_;
    std::memcpy(&sin6.sin6_addr, ip_, sizeof(sin6.sin6_addr));
    auto address =
        Address::FromSockaddr(reinterpret_cast<const struct sockaddr*>(&sin6), sizeof(sin6));
    if (address.ok()) return *address;
  }
  return Address();
}

bool operator==(const Address& a, const Address& b) {
  if (a.family_ != b.family_) return false;
  switch (a.family_) {
    case Address::Family::kIPv4: {
      const auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage_);
      const auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage_);
      return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    case Address::Family::kIPv6: {
      const auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage_);
      const auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage_);
      return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
             std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
    }
    case Address::Family::kUnix:
      return a.host() == b.host();
    default:
      return true;
  }
}

absl::StatusOr<std::vector<Address>> Resolve(absl::string_view text,
                                             const ResolveOptions& options) {
  if (IsUnixText(text)) {
    auto a = Address::Unix(UnixPathOf(text));
    if (!a.ok()) return a.status();
    return std::vector<Address>{*a};
  }
  auto hp = SplitHostPort(text);
  if (!hp.ok()) return hp.status();
  int port = hp->port >= 0 ? hp->port : options.default_port;
  if (port < 0 || port > 65535) return Invalid("missing port", text);

  auto wanted = [&](const Address& a) {
    return options.family == Address::Family::kUnspecified || a.family() == options.family;
  };
  // Numeric hosts never go to the resolver.
  auto numeric = NumericHost(hp->host, static_cast<uint16_t>(port), text);
  if (numeric.ok()) {
    if (!wanted(*numeric)) {
      return absl::InvalidArgumentError(
          absl::StrCat("address family not allowed here: \"", text, "\""));
    }
    return std::vector<Address>{*numeric};
  }

  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = options.family == Address::Family::kIPv4   ? AF_INET
                    : options.family == Address::Family::kIPv6 ? AF_INET6
                                                               : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: it hides "localhost" on machines whose only interface
  // is loopback, which is exactly where tests run.
  addrinfo* result = nullptr;
  int rc = getaddrinfo(hp->host.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    std::string why = rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc);
    if (result != nullptr) freeaddrinfo(result);
    return absl::UnavailableError(absl::StrCat("cannot resolve \"", hp->host, "\": ", why));
  }
  std::vector<Address> out;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    auto a = Address::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!a.ok() || !a->is_ip() || !wanted(*a)) continue;
    Address with_port = a->WithPort(static_cast<uint16_t>(port));
    bool seen = false;
    for (const Address& o : out) seen = seen || o == with_port;
    if (!seen) out.push_back(with_port);
  }
  freeaddrinfo(result);
  if (out.empty()) {
    return absl::UnavailableError(absl::StrCat("\"", hp->host, "\" has no usable address"));
  }
  return out;
}

absl::StatusOr<Address> ResolveOne(absl::string_view text, const ResolveOptions& options) {
  auto all = Resolve(text, options);
  if (!all.ok()) return all.status();
  return all->front();
}

}  // namespace net
}  // namespace memkit
