// frontend::Authenticator: who may use a listener. The front end asks it to
// check the credentials a client sends -- memcached's ASCII authentication
// (-Y: a "set" whose value is "user pass") and the binary protocol's SASL
// PLAIN (-S) -- and keeps each connection's authenticated state itself.
//
// The server implements it over memcached's user file (server/auth_file.h)
// and counts auth_cmds/auth_errors there; a test may implement it inline.
//
// Thread-safety: implementations must be safe to call from every loop
// thread at once.

#ifndef MEMKIT_CORE_FRONTEND_AUTHENTICATOR_H_
#define MEMKIT_CORE_FRONTEND_AUTHENTICATOR_H_

#include "absl/strings/string_view.h"

namespace memkit {
namespace frontend {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // One authentication attempt: true if `user` may log in with `password`.
  // Called once per attempt (memcached counts each as an auth_cmd, each
  // false as an auth_error).
  virtual bool Check(absl::string_view user, absl::string_view password) = 0;
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_AUTHENTICATOR_H_
