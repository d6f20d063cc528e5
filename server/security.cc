#include "server/security.h"

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "server/auth_file.h"
#include "server/handlers/server_core.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

const char* YesNo(bool b) { return b ? "yes" : "no"; }

// memcached formats a stat's value with snprintf(buf, STAT_VAL_LEN - 1, ...):
// a longer path shows its first 126 bytes.
constexpr size_t kStatValueMax = 126;

absl::string_view OrNull(const std::string& s, absl::string_view null_text) {
  if (s.empty()) return null_text;
  return absl::string_view(s).substr(0, kStatValueMax);
}

}  // namespace

absl::Status ValidateSecurityOptions(const ServerOptions& o) {
  const SecurityOptions& s = o.security;
  if (!s.auth_file.empty() && o.protocol == BindingProtocol::kBinary) {
    return absl::InvalidArgumentError(
        "You cannot allow the BINARY protocol while using ascii authentication tokens.");
  }
  if (s.sasl && o.protocol == BindingProtocol::kAscii) {
    return absl::InvalidArgumentError("You cannot allow the ASCII protocol while using SASL.");
  }
  if (s.ssl_min_version < 0 || s.ssl_min_version > 3) {
    return absl::InvalidArgumentError("ssl_min_version must be 0 to 3");
  }
  if (s.ssl_verify_mode < 0 || s.ssl_verify_mode > 3) {
    return absl::InvalidArgumentError("ssl_verify_mode must be 0 to 3");
  }
  if (s.tls && !o.unix_socket.empty()) {
    return absl::InvalidArgumentError("You cannot enable SSL without a TCP port.");
  }
  if (s.ssl_keyformat != 1) {
    return absl::InvalidArgumentError("ssl_keyformat: only 1 (PEM) is supported");
  }
  return absl::OkStatus();
}

namespace {

// A user file memcached cannot use stops it with AuthFile's message (its
// words) and exit 1 (see Server::kMemcachedStartupPayload); the open errors
// end with a newline, the malformed-entry one without.
absl::Status AsStartupError(const absl::Status& s) {
  std::string message(s.message());
  if (absl::IsNotFound(s) || absl::IsPermissionDenied(s)) message += "\n";
  absl::Status startup(s.code(), message);
  startup.SetPayload(Server::kMemcachedStartupPayload, absl::Cord("1"));
  return startup;
}

}  // namespace

absl::Status SetUpSecurity(ServerCore* core) {
  const SecurityOptions& s = core->options.security;
  if (!s.auth_file.empty()) {
    auto users = AuthFile::Create(s.auth_file);
    if (!users.ok()) return AsStartupError(users.status());
    core->ascii_users = std::move(*users);
    core->frontend_options.ascii_auth = core->ascii_users.get();
    // memcached reads an authenticating connection as text, whatever its
    // first byte.
    core->frontend_options.protocols = frontend::Protocols::kText;
  }
  if (s.sasl) {
    std::string path = s.sasl_pwdb;
    if (path.empty()) {
      const char* env = std::getenv("MEMCACHED_SASL_PWDB");
      if (env != nullptr) path = env;
    }
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "-S needs a user file: set MEMCACHED_SASL_PWDB to a file of user:password lines");
    }
    auto users = AuthFile::Create(path);
    if (!users.ok()) return AsStartupError(users.status());
    core->sasl_users = std::move(*users);
    core->frontend_options.binary.sasl_enabled = true;
    core->frontend_options.protocols = frontend::Protocols::kBinary;
  }
  if (s.tls) {
    net::TlsOptions tls;
    tls.chain_cert = s.ssl_chain_cert;
    tls.key = s.ssl_key;
    tls.ca_cert = s.ssl_ca_cert;
    tls.verify_mode = s.ssl_verify_mode;
    tls.ciphers = s.ssl_ciphers;
    tls.min_version = s.ssl_min_version;
    tls.session_cache = s.ssl_session_cache;
    auto context = net::TlsContext::Create(tls);
    if (!context.ok()) return context.status();
    core->tls = std::move(*context);
    core->tls_loaded_at.store(absl::ToUnixSeconds(absl::Now()), std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

void WriteTlsStats(const ServerCore& core, StatSink sink) {
  if (core.tls == nullptr) return;
  if (core.options.security.ssl_session_cache) {
    sink("ssl_new_sessions", absl::StrCat(core.tls->new_sessions()));
  }
  sink("ssl_handshake_errors", absl::StrCat(core.tls->handshake_errors()));
  sink("time_since_server_cert_refresh",
       absl::StrCat(absl::ToUnixSeconds(absl::Now()) -
                    core.tls_loaded_at.load(std::memory_order_relaxed)));
}

void WriteAuthStats(const ServerCore& core, StatSink sink) {
  uint64_t cmds = 0, errors = 0;
  for (const AuthFile* users : {core.ascii_users.get(), core.sasl_users.get()}) {
    if (users == nullptr) continue;
    cmds += users->auth_cmds();
    errors += users->auth_errors();
  }
  sink("auth_cmds", absl::StrCat(cmds));
  sink("auth_errors", absl::StrCat(errors));
}

void WriteAuthSettings(const ServerCore& core, StatSink sink) {
  sink("auth_enabled_sasl", YesNo(core.options.security.sasl));
  sink("auth_enabled_ascii", OrNull(core.options.security.auth_file, "no"));
}

void WriteTlsSettings(const ServerCore& core, StatSink sink) {
  const SecurityOptions& s = core.options.security;
  sink("ssl_enabled", YesNo(s.tls));
  sink("ssl_chain_cert", OrNull(s.ssl_chain_cert, "(null)"));
  sink("ssl_key", OrNull(s.ssl_key, "(null)"));
  // memcached keeps (and shows) OpenSSL's verify flags, not the mode given:
  // 2 is PEER|FAIL_IF_NO_PEER_CERT (3), 3 adds CLIENT_ONCE (7).
  static const int kVerifyFlags[] = {0, 1, 3, 7};
  sink("ssl_verify_mode", absl::StrCat(kVerifyFlags[s.ssl_verify_mode & 3]));
  sink("ssl_keyformat", absl::StrCat(s.ssl_keyformat));
  sink("ssl_ciphers", OrNull(s.ssl_ciphers, "NULL"));
  sink("ssl_ca_cert", OrNull(s.ssl_ca_cert, "NULL"));
  sink("ssl_wbuf_size", absl::StrCat(s.ssl_wbuf_size_kb * 1024));
  sink("ssl_session_cache", YesNo(s.ssl_session_cache));
  sink("ssl_kernel_tls", YesNo(s.ssl_kernel_tls));
  static const char* const kVersions[] = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
  sink("ssl_min_version", kVersions[s.ssl_min_version & 3]);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
