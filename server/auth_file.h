// AuthFile: memcached's user file for -Y (ASCII authentication) and, in
// memkit, for -S (SASL PLAIN): lines of "user:password". The same rules as
// memcached 1.6.18's authfile.c: the user ends at the first ':', the
// password at the first \r, \n or NUL; a line without ':' (an empty line
// too) makes the whole file malformed; only the first 8 entries count.
//
// It is the server's frontend::Authenticator and keeps memcached's
// auth_cmds / auth_errors counters. Reload() swaps in a new file only if it
// loads (memcached reloads on SIGHUP and keeps the old users on error).
//
// Thread-safety: thread-safe.

#ifndef MEMKIT_SERVER_AUTH_FILE_H_
#define MEMKIT_SERVER_AUTH_FILE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/frontend/authenticator.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace server {

class AuthFile final : public frontend::Authenticator {
 public:
  // Loads `path`. NotFound/PermissionDenied (memcached: "Could not open
  // authfile [...] for reading"), InvalidArgument for a malformed entry.
  static absl::StatusOr<std::unique_ptr<AuthFile>> Create(const std::string& path);

  // Parses a user file's text (exposed for tests).
  static absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Parse(
      absl::string_view text);

  // Re-reads the file; on error keeps the users it had.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);

  // frontend::Authenticator: counts an auth_cmd, and an auth_error if false.
  bool Check(absl::string_view user, absl::string_view password) override
      ABSL_LOCKS_EXCLUDED(mu_);
  // An attempt that failed before any credentials were checked (an unknown
  // SASL mechanism, a SASL step): counted like a failed Check.
  void CountFailure();

  uint64_t auth_cmds() const { return auth_cmds_.load(std::memory_order_relaxed); }
  uint64_t auth_errors() const { return auth_errors_.load(std::memory_order_relaxed); }
  void ResetCounters();

  const std::string& path() const { return path_; }

 private:
  explicit AuthFile(std::string path) : path_(std::move(path)) {}

  const std::string path_;
  mutable SharedMutex mu_;
  std::vector<std::pair<std::string, std::string>> users_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> auth_cmds_{0};
  std::atomic<uint64_t> auth_errors_{0};
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_AUTH_FILE_H_
