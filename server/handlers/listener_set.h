// ListenerSet: a server's listening sockets (-l/-p, or -s, and -U's UDP
// sockets on the same interfaces), bound once at Create and opened/closed as
// outages and shutdown ask, plus what "stats conns" and
// Server::port()/address() say of them. A UDP datagram reaches the server
// as a short-lived accepted connection (server/udp_listener.h).
//
// Thread-safety: Bind() before the server's threads start; Open() and
// Close() on the acceptor loop; the addresses, port and client address are
// constant after Bind(); accepting() and ForEachOpen() from any thread.

#ifndef MEMKIT_SERVER_HANDLERS_LISTENER_SET_H_
#define MEMKIT_SERVER_HANDLERS_LISTENER_SET_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "core/net/address.h"
#include "core/net/event_loop.h"
#include "core/net/listener.h"
#include "core/net/socket.h"
#include "server/server.h"
#include "server/udp_listener.h"

namespace memkit {
namespace server {
namespace internal {

// One listening socket and what "stats conns" says of it.
struct ListenerSlot {
  net::Address address;    // as bound (real port)
  std::string stats_name;  // "tcp:127.0.0.1:11211", "unix:/tmp/mc.sock"
  std::unique_ptr<net::Listener> listener;  // acceptor loop only; null while refused
  std::atomic<int> fd{-1};  // the listening fd for "stats conns"; -1 while closed
  bool started = false;     // acceptor loop only
  bool notls = false;       // -l "notls:ADDR": plain even under -Z
};

class ListenerSet {
 public:
  using AcceptFn =
      std::function<void(net::UniqueFd fd, const net::Address& peer, const ListenerSlot* slot)>;

  ListenerSet() = default;
  ListenerSet(const ListenerSet&) = delete;
  ListenerSet& operator=(const ListenerSet&) = delete;

  // Resolves and binds every listener of `options` (memcached's -l, -p, -s,
  // -b, -a, -U; a wildcard also takes IPv6 when the machine has it).
  absl::Status Bind(const ServerOptions& options);

  // (Re)creates and starts every listener that is not accepting, on `loop`
  // (acceptor loop). `on_accept` runs there for each connection, and for
  // each UDP datagram (its reply channel, with a "udp:" slot).
  absl::Status Open(net::EventLoop* loop, const AcceptFn& on_accept);
  // Closes every listening socket (acceptor loop).
  void Close();

  bool accepting() const { return accepting_.load(std::memory_order_relaxed); }
  size_t size() const { return slots_.size(); }
  // The TCP port of the first TCP listener; 0 with only a unix socket.
  int tcp_port() const { return tcp_port_; }
  const std::vector<net::Address>& addresses() const { return addresses_; }
  // The bound UDP sockets' addresses (-U), in binding order.
  std::vector<net::Address> udp_addresses() const;
  // Where a client on this machine connects.
  const net::Address& client_address() const { return client_address_; }
  // Calls `fn(fd, stats_name)` for every listener that is open.
  void ForEachOpen(absl::FunctionRef<void(int fd, const std::string& stats_name)> fn) const;

 private:
  // -U: binds a UDP socket per IP address of `wanted` (and the wildcard's
  // IPv6 one when the machine has it).
  absl::Status BindUdp(const ServerOptions& options, const std::vector<net::Address>& wanted,
                       bool wildcard);

  net::Listener::Options listener_options_;
  std::vector<std::unique_ptr<ListenerSlot>> slots_;  // fixed after Bind
  std::vector<net::Address> addresses_;
  // -U: a UDP listener and the slot its datagrams' connections name.
  struct UdpSlot {
    std::unique_ptr<UdpListener> listener;
    ListenerSlot slot;
  };
  std::vector<std::unique_ptr<UdpSlot>> udp_;  // fixed after Bind
  net::Address client_address_;
  int tcp_port_ = 0;
  std::atomic<bool> accepting_{true};
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_LISTENER_SET_H_
