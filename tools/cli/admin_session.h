// The state one `memkit admin` subcommand runs with: its parsed arguments,
// a stub per admin service (core/admin/admin.proto) on one channel, the
// bearer token and deadline every call carries, and how replies, failed calls
// and usage errors are printed and turned into exit codes (output.h).
//
// Thread-safety: not thread-safe; one per `memkit admin` run, used by the one
// subcommand it runs.

#ifndef MEMKIT_TOOLS_CLI_ADMIN_SESSION_H_
#define MEMKIT_TOOLS_CLI_ADMIN_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/cli/admin_format.h"
#include "tools/cli/args.h"

namespace memkit {
namespace cli {

// Prints "memkit admin: MESSAGE (see `memkit help admin`)"; kExitUsage.
int AdminUsage(absl::string_view message);

class AdminSession {
 public:
  AdminSession(ParsedArgs args, std::shared_ptr<grpc::Channel> channel, std::string token,
               absl::Duration timeout);

  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  const ParsedArgs& args() const { return args_; }
  const std::string& command() const { return args_.positional[0]; }
  // Positional arguments after the subcommand.
  size_t argc() const { return args_.positional.size() - 1; }
  const std::string& arg(size_t i) const { return args_.positional[i + 1]; }
  bool json() const { return args_.bools.contains("json"); }

  // A context with the token and, for unary calls, the deadline.
  std::unique_ptr<grpc::ClientContext> Context(bool unary = true) const;

  // Prints `reply` (as JSON or through `format`) or the error; the exit status.
  template <typename Reply>
  int Done(const grpc::Status& status, const Reply& reply,
           const std::function<std::string(const Reply&)>& format) const {
    if (!status.ok()) return Failed(status);
    std::cout << (json() ? ToJson(reply) + "\n" : format(reply)) << std::flush;
    return 0;
  }
  // The exit status of a failed call, as for every memkit command (output.h):
  // the component saying no (NOT_FOUND, FAILED_PRECONDITION, UNIMPLEMENTED,
  // ...) is 1, a bad argument 2, no answer or no access 3.
  int Failed(const grpc::Status& status) const;

  admin::v1::Stats::Stub& stats() { return *stats_; }
  admin::v1::Pools::Stub& pools() { return *pools_; }
  admin::v1::Config::Stub& config() { return *config_; }
  admin::v1::Cache::Stub& cache() { return *cache_; }
  admin::v1::Testing::Stub& testing() { return *testing_; }

  // Flag parsers record the first usage error (and return 0); a
  // subcommand checks bad() before it sends anything.
  bool bad() const { return !error_.empty(); }
  int UsageExit() const { return AdminUsage(error_); }
  // Records `message` and prints the usage error: the exit status.
  int UsageError(std::string message);
  // Records `message` unless an error is already recorded; kExitUsage.
  int Bad(std::string message);
  int64_t IntFlag(absl::string_view name, int64_t fallback);
  int64_t ParseInt(const std::string& text, absl::string_view what);
  // "250ms", "1.5s", "2m"; a bare number is milliseconds.
  int64_t ParseMillis(const std::string& text, absl::string_view what);
  // Whether the positional count fits; records the usage line if not.
  bool Need(size_t min, size_t max, absl::string_view usage);

 private:
  const ParsedArgs args_;
  const std::string token_;
  const absl::Duration timeout_;
  std::string error_;
  std::unique_ptr<admin::v1::Stats::Stub> stats_;
  std::unique_ptr<admin::v1::Pools::Stub> pools_;
  std::unique_ptr<admin::v1::Config::Stub> config_;
  std::unique_ptr<admin::v1::Cache::Stub> cache_;
  std::unique_ptr<admin::v1::Testing::Stub> testing_;
};

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_ADMIN_SESSION_H_
