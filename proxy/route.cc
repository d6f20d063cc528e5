#include "proxy/route.h"

#include <utility>

#include "absl/strings/match.h"

namespace memkit {
namespace proxy {

namespace {
constexpr absl::string_view kNoBackend = "no backend available";
}  // namespace

absl::Status NoBackendError() { return absl::UnavailableError(kNoBackend); }

bool IsNoBackend(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable && status.message() == kNoBackend;
}

bool IsFailure(const RouteReply& reply) {
  if (!reply.status.ok()) return true;
  if (!reply.error_line.empty()) return true;
  if (absl::StartsWith(reply.bytes, "SERVER_ERROR")) return true;
  return reply.binary_status >= 0x82;
}

bool IsMiss(const RouteRequest& request, const RouteReply& reply) {
  if (request.kind == RouteRequest::Kind::kKeyed) return reply.miss;
  for (const std::string& v : reply.values) {
    if (v.empty()) return true;
  }
  return false;
}

int Severity(const RouteRequest& request, const RouteReply& reply) {
  if (!reply.status.ok()) return 3;
  if (!reply.error_line.empty() || reply.text_error || reply.binary_status >= 0x80) return 2;
  if (IsMiss(request, reply) || (reply.binary_status != 0)) return 1;
  if (request.kind == RouteRequest::Kind::kKeyed && !request.binary) {
    for (absl::string_view refusal : {"NOT_STORED", "NOT_FOUND", "EXISTS", "NS", "NF", "EX"}) {
      if (absl::StartsWith(reply.bytes, refusal)) return 1;
    }
  }
  return 0;
}

std::shared_ptr<const RouteRequest> SubGet(const RouteRequest& request,
                                           std::vector<std::string> keys) {
  auto sub = std::make_shared<RouteRequest>();
  sub->kind = RouteRequest::Kind::kGet;
  sub->command = request.command;
  sub->exptime = request.exptime;
  sub->keys = std::move(keys);
  return sub;
}

}  // namespace proxy
}  // namespace memkit
