// SecurityOptions: memkit-server's authentication and TLS settings, the
// part of ServerOptions that mirrors memcached's -Y, -S, -Z and the ssl_*
// extended options (docs/server.md, "Authentication and TLS").
//
// Thread-safety: a plain struct.

#ifndef MEMKIT_SERVER_SECURITY_OPTIONS_H_
#define MEMKIT_SERVER_SECURITY_OPTIONS_H_

#include <string>

namespace memkit {
namespace server {

struct SecurityOptions {
  // -Y: memcached's user file ("user:password" lines, at most 8 used). Text
  // clients must log in with "set <key> 0 0 <n>\r\n<user> <password>\r\n"
  // before anything else runs. Reloaded by Server::ReloadAuthFile (SIGHUP).
  // Empty: off.
  std::string auth_file;
  // -S: SASL PLAIN in the binary protocol. The users come from
  // `sasl_pwdb`, a file of the same format as -Y's (memcached's
  // --enable-sasl-pwdb build reads $MEMCACHED_SASL_PWDB).
  bool sasl = false;
  // The -S user file; empty: the MEMCACHED_SASL_PWDB environment variable.
  std::string sasl_pwdb;

  // -Z: TLS on every TCP listener except those listed as "notls:ADDR[:PORT]"
  // in -l.
  bool tls = false;
  // -o ssl_chain_cert: the certificate chain (PEM).
  std::string ssl_chain_cert;
  // -o ssl_key: the private key (PEM); empty: in ssl_chain_cert.
  std::string ssl_key;
  // -o ssl_keyformat: 1 (PEM) is the only one supported.
  int ssl_keyformat = 1;
  // -o ssl_verify_mode: 0 none, 1 request a client certificate, 2 require
  // one, 3 require one once (no renegotiation; the same as 2 here).
  int ssl_verify_mode = 0;
  // -o ssl_ciphers: OpenSSL cipher list (TLS 1.2 and below); empty: default.
  std::string ssl_ciphers;
  // -o ssl_ca_cert: CA certificates (PEM) that client certificates must
  // chain to; also sent as the acceptable CA list.
  std::string ssl_ca_cert;
  // -o ssl_wbuf_size: memcached's per-connection TLS output buffer, in
  // kilobytes. Shown in "stats settings"; memkit writes through OpenSSL's
  // own buffer.
  int ssl_wbuf_size_kb = 16;
  // -o ssl_session_cache: server-side session cache (resumption).
  bool ssl_session_cache = false;
  // -o ssl_kernel_tls: accepted and shown; not used (no kTLS offload).
  bool ssl_kernel_tls = false;
  // -o ssl_min_version: 0 TLS 1.0, 1 TLS 1.1, 2 TLS 1.2, 3 TLS 1.3.
  int ssl_min_version = 2;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SECURITY_OPTIONS_H_
