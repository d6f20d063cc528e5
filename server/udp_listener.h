// UdpListener: memcached's UDP service (-U) on one bound UDP socket. Each
// request datagram (udp_frame.h) is served by the same code as a TCP
// connection: its payload is written into one end of a socketpair whose
// other end is handed to `serve` as an accepted client connection, then
// half-closed, so the front end answers everything in it (memcached's
// protocol rules, byte for byte) and closes; the replies read back are
// split into memcached's responses and sent, framed, to the sender.
//
// memcached serves UDP from its worker threads; here one thread per UDP
// socket runs datagrams one at a time (UDP's users send small gets and
// sets). A datagram that never finishes (a "watch", which memcached does not
// serve over UDP either) is given up after kUdpServeTimeout, unanswered.
//
// Thread-safety: Start() and Stop() from one thread; the datagram thread
// only calls `serve`, which must be safe from it.

#ifndef MEMKIT_SERVER_UDP_LISTENER_H_
#define MEMKIT_SERVER_UDP_LISTENER_H_

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/net/address.h"
#include "core/net/socket.h"

namespace memkit {
namespace server {

inline constexpr absl::Duration kUdpServeTimeout = absl::Seconds(2);

class UdpListener {
 public:
  // Hands one end of a connected stream socket to the server, as an
  // accepted connection from `peer` (it owns the fd from then on).
  using ServeFn = std::function<void(net::UniqueFd fd, const net::Address& peer)>;

  // Binds a UDP socket to `address` (port 0: any free one). Not started.
  static absl::StatusOr<std::unique_ptr<UdpListener>> Bind(const net::Address& address);
  ~UdpListener();

  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // As bound (the real port).
  const net::Address& address() const { return address_; }
  int fd() const { return socket_.get(); }

  // Starts the datagram thread; idempotent while started.
  absl::Status Start(ServeFn serve);
  // Stops and joins it (a datagram being served is abandoned). Idempotent.
  void Stop();

 private:
  UdpListener(net::Address address, net::UniqueFd socket);
  void Run();
  // Serves one request payload; returns the reply bytes, or nothing when
  // stopped or timed out.
  bool Serve(absl::string_view payload, const net::Address& peer, std::string* replies);

  const net::Address address_;
  const net::UniqueFd socket_;
  net::UniqueFd stop_read_;   // a pipe: Stop() closes stop_write_
  net::UniqueFd stop_write_;
  ServeFn serve_;
  std::thread thread_;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_UDP_LISTENER_H_
