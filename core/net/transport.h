// Transport: the byte stream a net::Connection reads and writes through when
// its bytes are not the socket's own -- TLS (core/net/tls.h). A plain
// connection has none and calls read(2)/sendmsg(2) directly, so plain stays
// exactly as cheap as before: one null check per read and per write.
//
// The connection's event loop drives it: every call is non-blocking, and
// when a call cannot progress the transport says which socket readiness it
// waits for (a TLS handshake or key update may need to write while the
// application reads, or read while it writes).
//
// Thread-safety: used by one connection on its loop thread.

#ifndef MEMKIT_CORE_NET_TRANSPORT_H_
#define MEMKIT_CORE_NET_TRANSPORT_H_

#include <sys/types.h>

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace net {

class Transport {
 public:
  // Read() could not progress for want of socket readiness.
  static constexpr ssize_t kWouldBlock = -1;

  virtual ~Transport() = default;

  // Up to `len` application bytes into `buf`: the count (> 0), 0 at the end
  // of the stream, kWouldBlock, or an error (the connection closes).
  virtual absl::StatusOr<ssize_t> Read(char* buf, size_t len) = 0;
  // Application bytes from the start of `data`: how many were taken (0 when
  // it would block). After a short or zero write the next call must offer
  // the same bytes again first (the connection's queue guarantees it).
  virtual absl::StatusOr<size_t> Write(absl::string_view data) = 0;
  // The last Read or Write waits for the socket to become writable (e.g. a
  // handshake reply stuck behind a full socket buffer).
  virtual bool WantsWritable() const = 0;
  // Decrypted bytes are buffered inside: read again without waiting for the
  // socket (epoll cannot report them).
  virtual bool HasBufferedInput() const = 0;
  // Best effort, never blocking: tell the peer this side is done (TLS
  // close_notify) before the socket is shut down or closed.
  virtual void Shutdown() = 0;
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_TRANSPORT_H_
