#include "tools/cli/admin_session.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

namespace v1 = ::memkit::admin::v1;

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "UNKNOWN";
}

}  // namespace

int AdminUsage(absl::string_view message) { return ReportUsage("admin", message); }

AdminSession::AdminSession(ParsedArgs args, std::shared_ptr<grpc::Channel> channel,
                           std::string token, absl::Duration timeout)
    : args_(std::move(args)),
      token_(std::move(token)),
      timeout_(timeout),
      stats_(v1::Stats::NewStub(channel)),
      pools_(v1::Pools::NewStub(channel)),
      config_(v1::Config::NewStub(channel)),
      cache_(v1::Cache::NewStub(channel)),
      testing_(v1::Testing::NewStub(channel)) {}

std::unique_ptr<grpc::ClientContext> AdminSession::Context(bool unary) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (unary) ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoSeconds(timeout_));
  return ctx;
}

int AdminSession::Failed(const grpc::Status& status) const {
  absl::FPrintF(stderr, "memkit admin: %s: %s: %s\n", command(), CodeName(status.error_code()),
                status.error_message());
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) return kExitNo;
  return ExitCodeFor(
      absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()));
}

int AdminSession::UsageError(std::string message) {
  Bad(std::move(message));
  return UsageExit();
}

int AdminSession::Bad(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return 2;
}

int64_t AdminSession::IntFlag(absl::string_view name, int64_t fallback) {
  if (!args_.values.contains(name)) return fallback;
  return ParseInt(args_.Get(name), absl::StrCat("--", name));
}

int64_t AdminSession::ParseInt(const std::string& text, absl::string_view what) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) Bad(absl::StrCat(what, ": not a number: ", text));
  return v;
}

int64_t AdminSession::ParseMillis(const std::string& text, absl::string_view what) {
  int64_t ms = 0;
  if (absl::SimpleAtoi(text, &ms)) return ms;
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    Bad(absl::StrCat(what, ": not a duration (like 250ms, 90s, 2m): ", text));
    return 0;
  }
  return absl::ToInt64Milliseconds(d);
}

bool AdminSession::Need(size_t min, size_t max, absl::string_view usage) {
  if (argc() >= min && argc() <= max) return true;
  Bad(absl::StrCat("usage: memkit admin ", usage));
  return false;
}

}  // namespace cli
}  // namespace memkit
