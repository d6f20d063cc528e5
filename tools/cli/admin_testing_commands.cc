// `memkit admin clock|fault|close-all`: the Testing service's controls over a
// server's clock, injected faults and client connections.

#include "tools/cli/admin_testing_commands.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/cli/admin_format.h"
#include "tools/cli/admin_session.h"

namespace memkit {
namespace cli {

namespace v1 = ::memkit::admin::v1;

int RunAdminClock(AdminSession& s) {
  if (!s.Need(1, 2,
              "clock advance DURATION | clock set UNIX_SECONDS|now | clock freeze | clock run"))
    return s.UsageExit();
  const std::string& what = s.arg(0);
  auto print = [](int64_t nanos) {
    return absl::StrCat("server time ", FormatUnixNanos(nanos), "\n");
  };
  if (what == "advance") {
    if (!s.Need(2, 2, "clock advance DURATION   (e.g. 90s, -1h, 1500ms)")) return s.UsageExit();
    v1::AdvanceClockRequest req;
    std::string text = s.arg(1);
    req.set_delta_ms(s.ParseMillis(text, "DURATION"));
    v1::AdvanceClockResponse out;
    if (s.bad()) return s.UsageExit();
    grpc::Status st = s.testing().AdvanceClock(s.Context().get(), req, &out);
    return s.Done<v1::AdvanceClockResponse>(
        st, out, [&](const v1::AdvanceClockResponse& r) { return print(r.now_unix_nanos()); });
  }
  v1::SetClockRequest req;
  if (what == "set") {
    if (!s.Need(2, 2, "clock set UNIX_SECONDS|now")) return s.UsageExit();
    if (s.arg(1) != "now") {
      req.set_time_unix_nanos(s.ParseInt(s.arg(1), "UNIX_SECONDS") * 1000000000);
    } else {
      req.set_time_unix_nanos(absl::ToUnixNanos(absl::Now()));
    }
  } else if (what == "freeze" || what == "run") {
    if (!s.Need(1, 1, "clock freeze|run")) return s.UsageExit();
  } else {
    return s.UsageError(absl::StrCat("unknown clock command ", what));
  }
  if (what == "freeze" || s.args().bools.contains("freeze")) req.set_mode(v1::CLOCK_MODE_FROZEN);
  if (what == "run" || s.args().bools.contains("run")) req.set_mode(v1::CLOCK_MODE_RUNNING);
  v1::SetClockResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.testing().SetClock(s.Context().get(), req, &out);
  return s.Done<v1::SetClockResponse>(
      st, out, [&](const v1::SetClockResponse& r) { return print(r.now_unix_nanos()); });
}

int RunAdminFault(AdminSession& s) {
  if (!s.Need(1, 3,
              "fault outage refuse|reset | fault latency DURATION | fault fail N [MESSAGE] | "
              "fault drop N | fault clear"))
    return s.UsageExit();
  const std::string& what = s.arg(0);
  auto state = [](const v1::FaultState& f) { return FormatFaults(f); };
  if (what == "clear") {
    if (!s.Need(1, 1, "fault clear")) return s.UsageExit();
    v1::ClearFaultsResponse out;
    if (s.bad()) return s.UsageExit();
    grpc::Status st = s.testing().ClearFaults(s.Context().get(), v1::ClearFaultsRequest(), &out);
    return s.Done<v1::ClearFaultsResponse>(
        st, out, [&](const v1::ClearFaultsResponse& r) { return state(r.state()); });
  }
  v1::SetFaultRequest req;
  if (what == "outage") {
    if (!s.Need(2, 2, "fault outage refuse|reset")) return s.UsageExit();
    if (s.arg(1) == "refuse")
      req.mutable_outage()->set_kind(v1::OUTAGE_KIND_REFUSE);
    else if (s.arg(1) == "reset")
      req.mutable_outage()->set_kind(v1::OUTAGE_KIND_RESET);
    else
      return s.UsageError("outage kind must be refuse or reset");
  } else if (what == "latency") {
    if (!s.Need(2, 2, "fault latency DURATION   (e.g. 50ms; 0 removes it)")) return s.UsageExit();
    req.mutable_latency()->set_latency_us(s.ParseMillis(s.arg(1), "DURATION") * 1000);
  } else if (what == "fail") {
    if (!s.Need(2, 3, "fault fail N [MESSAGE]")) return s.UsageExit();
    req.mutable_fail_commands()->set_count(s.ParseInt(s.arg(1), "N"));
    if (s.argc() == 3) req.mutable_fail_commands()->set_message(s.arg(2));
  } else if (what == "drop") {
    if (!s.Need(2, 2, "fault drop N")) return s.UsageExit();
    req.mutable_drop_replies()->set_count(s.ParseInt(s.arg(1), "N"));
  } else {
    return s.UsageError(absl::StrCat("unknown fault ", what));
  }
  v1::SetFaultResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.testing().SetFault(s.Context().get(), req, &out);
  return s.Done<v1::SetFaultResponse>(
      st, out, [&](const v1::SetFaultResponse& r) { return state(r.state()); });
}

int RunAdminCloseAll(AdminSession& s) {
  if (!s.Need(0, 0, "close-all [--reset]")) return s.UsageExit();
  v1::CloseAllConnectionsRequest req;
  req.set_reset(s.args().bools.contains("reset"));
  v1::CloseAllConnectionsResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.testing().CloseAllConnections(s.Context().get(), req, &out);
  return s.Done<v1::CloseAllConnectionsResponse>(st, out,
                                                 [](const v1::CloseAllConnectionsResponse& r) {
                                                   return absl::StrCat("closed ", r.closed(), "\n");
                                                 });
}

}  // namespace cli
}  // namespace memkit
