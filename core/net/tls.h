// TlsContext: server-side TLS over Debian's OpenSSL 3 for memcached
// listeners (memkit-server -Z). It holds the certificate chain, key, CA
// list and verification mode (memcached's ssl_* options) and makes one
// net::Transport per accepted connection; the handshake runs inside the
// transport's first reads and writes, on the connection's event loop,
// never blocking it.
//
// Thread-safety: thread-safe (OpenSSL's SSL_CTX is, once configured);
// each Transport belongs to one connection.

#ifndef MEMKIT_CORE_NET_TLS_H_
#define MEMKIT_CORE_NET_TLS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net/transport.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace net {

struct TlsOptions {
  // The certificate chain (PEM), leaf first.
  std::string chain_cert;
  // The private key (PEM); empty: in chain_cert.
  std::string key;
  // CA certificates (PEM) client certificates must chain to; also sent to
  // clients as the acceptable CA names. Empty: none.
  std::string ca_cert;
  // memcached's ssl_verify_mode: 0 no client certificate asked, 1 asked but
  // optional (a bad one still fails), 2 required, 3 required once (no
  // renegotiation; like 2 here, as OpenSSL 3 servers do not renegotiate).
  int verify_mode = 0;
  // OpenSSL cipher list for TLS 1.2 and below; empty: OpenSSL's default.
  std::string ciphers;
  // Lowest protocol: 0 TLS 1.0, 1 TLS 1.1, 2 TLS 1.2, 3 TLS 1.3.
  int min_version = 2;
  // Keep a server-side session cache (resumption); off: no tickets, no cache.
  bool session_cache = false;
};

class TlsContext {
 public:
  // InvalidArgument naming the file and OpenSSL's reason when a certificate
  // or key does not load (memcached: "Error loading the certificate chain").
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side transport over the connected socket `fd` (not owned: the
  // connection keeps and closes it).
  absl::StatusOr<std::unique_ptr<Transport>> NewServerTransport(int fd) ABSL_LOCKS_EXCLUDED(mu_);

  // memcached's "refresh_certs": loads the certificate, key and CA files
  // again; connections accepted from now on use them (open ones keep
  // theirs). On error nothing changes and the message is memcached's
  // ("Error loading the certificate chain: FILE : REASON").
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);

  // memcached's "stats": handshakes that failed.
  uint64_t handshake_errors() const { return handshake_errors_.load(std::memory_order_relaxed); }
  // Sessions newly created (with session_cache).
  uint64_t new_sessions() const { return new_sessions_.load(std::memory_order_relaxed); }

 private:
  friend class TlsTransport;
  TlsContext(const TlsOptions& options, void* ctx) : options_(options), ctx_(ctx) {}

  const TlsOptions options_;
  mutable Mutex mu_;
  void* ctx_ ABSL_GUARDED_BY(mu_);  // SSL_CTX*; opaque so this header needs no OpenSSL
  std::atomic<uint64_t> handshake_errors_{0};
  std::atomic<uint64_t> new_sessions_{0};
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_TLS_H_
