// CacheSession's security commands: "refresh_certs" (-Z), and the SASL
// opcodes (-S): memcached 1.6.18's binary SASL with one mechanism, PLAIN,
// over the -S user file (server/auth_file.h).
//
//   list mechs (0x20) -> "PLAIN"
//   auth (0x21), key "PLAIN", value "[authzid]\0user\0password"
//        -> "Authenticated" (status 0), or 0x20 "Auth failure."
//   step (0x22) -> 0x20 "Auth failure." (PLAIN has no second step)
//
// Until a connection has authenticated, every other opcode but version gets
// 0x20 and the connection closes: the binary parser does that
// (BinaryParserOptions::authenticated), so only these three reach here.

#include "absl/time/clock.h"
#include "core/protocol/binary_response_writer.h"
#include "server/auth_file.h"
#include "server/handlers/cache_session.h"

namespace memkit {
namespace server {
namespace internal {

using protocol::BinaryOpcode;
using protocol::BinaryStatus;

namespace {

constexpr absl::string_view kMechanisms = "PLAIN";

// RFC 4616: message = [authzid] NUL authcid NUL passwd.
bool ParsePlain(absl::string_view message, absl::string_view* user,
                absl::string_view* password) {
  const size_t first = message.find('\0');
  if (first == absl::string_view::npos) return false;
  const size_t second = message.find('\0', first + 1);
  if (second == absl::string_view::npos) return false;
  *user = message.substr(first + 1, second - first - 1);
  *password = message.substr(second + 1);
  return password->find('\0') == absl::string_view::npos && !user->empty();
}

}  // namespace

void CacheSession::BinarySasl() {
  const uint8_t op = static_cast<uint8_t>(binary()->opcode);
  AuthFile* users = core_->sasl_users.get();
  if (users == nullptr) {  // the parser refuses these without -S
    SendBinaryError(BinaryStatus::kUnknownCommand);
    return;
  }
  switch (binary()->command) {
    case BinaryOpcode::kSaslListMechs:
      SendPacket(protocol::MakeBinaryResponse(op, BinaryStatus::kSuccess, binary()->opaque, 0, "",
                                              "", kMechanisms));
      return;
    case BinaryOpcode::kSaslAuth: {
      absl::string_view user, password;
      if (binary()->key != "PLAIN" || !ParsePlain(binary()->value, &user, &password)) {
        users->CountFailure();
        SendBinaryError(BinaryStatus::kAuthError);
        return;
      }
      if (!users->Check(user, password)) {
        SendBinaryError(BinaryStatus::kAuthError);
        return;
      }
      ex()->MarkAuthenticated();
      SendPacket(protocol::MakeBinaryResponse(op, BinaryStatus::kSuccess, binary()->opaque, 0, "",
                                              "", "Authenticated"));
      return;
    }
    default:  // kSaslStep: nothing was started that a step could continue
      users->CountFailure();
      SendBinaryError(BinaryStatus::kAuthError);
      return;
  }
}

void CacheSession::RefreshCerts(bool noreply) {
  if (core_->tls == nullptr) {
    // memcached built with TLS but not serving it (Debian's 1.6.18); the
    // reply ignores noreply.
    out()->Append("Error TLS not enabled\r\n");
    return;
  }
  absl::Status reloaded = core_->tls->Reload();
  // memcached restarts time_since_server_cert_refresh even when it fails.
  core_->tls_loaded_at.store(absl::ToUnixSeconds(absl::Now()), std::memory_order_relaxed);
  if (!reloaded.ok()) {
    out()->Append({reloaded.message(), "\r\n"});  // noreply or not
    return;
  }
  if (!noreply) out()->Append("OK\r\n");
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
