// Socket addresses: parse, resolve and format `host:port`, `[ipv6]:port`,
// `/unix/path` and `unix:/path`.
//
// An Address is a small value type (a sockaddr_storage) that every other
// core/net API takes: listeners bind to one, connects go to one, and
// LocalAddress()/PeerAddress() return one. Parsing never touches the network;
// Resolve() is the only call that may (getaddrinfo), and it blocks, so call it
// at configuration time, never on an event-loop thread.
//
// Errors: malformed text is InvalidArgument (with the offending text in the
// message); a host name that does not resolve is Unavailable.
//
// Thread-safety: Address is a value; const methods are safe from any thread.
// The free functions are thread-safe.

#ifndef MEMKIT_CORE_NET_ADDRESS_H_
#define MEMKIT_CORE_NET_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace net {

class Address {
 public:
  enum class Family { kUnspecified, kIPv4, kIPv6, kUnix };

  // An unspecified address (family() == kUnspecified); valid() is false.
  Address();

  // Parses a numeric address, without any name lookup:
  //   "127.0.0.1:11211", "[::1]:11211", "[fe80::1%lo]:80",
  //   "/tmp/mc.sock", "unix:/tmp/mc.sock" (and "unix:relative/path").
  // Ports are decimal 0..65535 (0 = "let the kernel choose" when binding).
  // Host names ("localhost:11211") are InvalidArgument here: use Resolve().
  static absl::StatusOr<Address> Parse(absl::string_view text);

  // Like Parse(), but `text` may omit the port (":port" part), in which case
  // `default_port` is used. Unix paths never have a port.
  static absl::StatusOr<Address> Parse(absl::string_view text, uint16_t default_port);

  // From a kernel-filled sockaddr (accept, getsockname). InvalidArgument for an
  // unsupported family or a bad length.
  static absl::StatusOr<Address> FromSockaddr(const struct sockaddr* sa, socklen_t len);

  // Convenience constructors.
  static Address IPv4Loopback(uint16_t port);  // 127.0.0.1:port
  static Address IPv6Loopback(uint16_t port);  // [::1]:port
  static Address IPv4Any(uint16_t port);       // 0.0.0.0:port
  // InvalidArgument if `path` is empty or longer than sun_path allows (107).
  static absl::StatusOr<Address> Unix(absl::string_view path);

  bool valid() const { return family_ != Family::kUnspecified; }
  Family family() const { return family_; }
  bool is_ip() const { return family_ == Family::kIPv4 || family_ == Family::kIPv6; }
  bool is_unix() const { return family_ == Family::kUnix; }

  // The port for IP addresses; 0 for unix and unspecified ones.
  uint16_t port() const;
  // The same address with another port (IP only; unix addresses are returned as is).
  Address WithPort(uint16_t port) const;
  // The numeric host ("127.0.0.1", "::1" without brackets) or the unix path.
  std::string host() const;

  // "127.0.0.1:11211", "[::1]:11211", "/tmp/mc.sock"; "<unspecified>" when !valid().
  // Parse(ToString()) gives back an equal address.
  std::string ToString() const;

  // For bind/connect/sendto.
  const struct sockaddr* sockaddr() const {
    return reinterpret_cast<const struct sockaddr*>(&storage_);
  }
  socklen_t sockaddr_len() const { return len_; }
  // AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC.
  int sa_family() const;

  friend bool operator==(const Address& a, const Address& b);
  friend bool operator!=(const Address& a, const Address& b) { return !(a == b); }

 private:
  Family family_;
  socklen_t len_;
  struct sockaddr_storage storage_;
};

// An IP address and port in 24 bytes (an Address is 136): for records kept
// per connection, by the ten thousand (a server's clients). Unix and
// unspecified addresses become an unspecified one.
class CompactIpAddress {
 public:
  CompactIpAddress() = default;
  explicit CompactIpAddress(const Address& address);

  bool valid() const { return family_ != 0; }
  // The full address back (unspecified when !valid()).
  Address ToAddress() const;

 private:
  uint8_t family_ = 0;  // 0, 4 or 6
  uint16_t port_ = 0;   // network byte order
  uint32_t scope_id_ = 0;
  uint8_t ip_[16] = {};
};

// Options for Resolve().
struct ResolveOptions {
  // Used when the text has no ":port". -1 means a port is required.
  int default_port = -1;
  // Restrict results to one family (kIPv4 or kIPv6); kUnspecified = both.
  Address::Family family = Address::Family::kUnspecified;
};

// Everything Parse() accepts, plus host names ("localhost:11211",
// "cache-1.example:11211"), looked up with getaddrinfo. Returns at least one
// address, in getaddrinfo's preference order, without duplicates. Blocks.
//   InvalidArgument: malformed text (bad port, empty host, unbalanced brackets).
//   Unavailable: the name did not resolve (the resolver's message is included).
absl::StatusOr<std::vector<Address>> Resolve(absl::string_view text,
                                             const ResolveOptions& options = {});

// The first address Resolve() returns.
absl::StatusOr<Address> ResolveOne(absl::string_view text, const ResolveOptions& options = {});

// Splits "host:port" / "[v6]:port" / "host" without interpreting the host.
// `port` is -1 when absent. InvalidArgument on malformed text. Unix paths are
// not host:port and are rejected here.
struct HostPort {
  std::string host;  // without brackets
  int port = -1;
};
absl::StatusOr<HostPort> SplitHostPort(absl::string_view text);

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_ADDRESS_H_
