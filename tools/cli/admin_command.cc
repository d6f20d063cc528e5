// `memkit admin --admin=HOST:PORT COMMAND ...`: one subcommand per RPC of the
// admin API (core/admin/admin.proto), readable tables by default, `--json`
// for machines (protobuf's JSON mapping, one object per line).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/cli/admin_format.h"
#include "tools/cli/args.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

namespace v1 = ::memkit::admin::v1;

int Usage(absl::string_view message) { return ReportUsage("admin", message); }

// Everything a subcommand needs: its arguments, the stubs, how to print.
class Session {
 public:
  Session(ParsedArgs args, std::shared_ptr<grpc::Channel> channel, std::string token,
          absl::Duration timeout)
      : args_(std::move(args)),
        token_(std::move(token)),
        timeout_(timeout),
        stats_(v1::Stats::NewStub(channel)),
        pools_(v1::Pools::NewStub(channel)),
        config_(v1::Config::NewStub(channel)),
        cache_(v1::Cache::NewStub(channel)),
        testing_(v1::Testing::NewStub(channel)) {}

  const ParsedArgs& args() const { return args_; }
  const std::string& command() const { return args_.positional[0]; }
  // Positional arguments after the subcommand.
  size_t argc() const { return args_.positional.size() - 1; }
  const std::string& arg(size_t i) const { return args_.positional[i + 1]; }
  bool json() const { return args_.bools.contains("json"); }

  // A context with the token and, for unary calls, the deadline.
  std::unique_ptr<grpc::ClientContext> Context(bool unary = true) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token_.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    if (unary)
      ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoSeconds(timeout_));
    return ctx;
  }

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
  int Failed(const grpc::Status& status) const {
    absl::FPrintF(stderr, "memkit admin: %s: %s: %s\n", command(), CodeName(status.error_code()),
                  status.error_message());
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) return kExitNo;
    return ExitCodeFor(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                    status.error_message()));
  }

  v1::Stats::Stub& stats() { return *stats_; }
  v1::Pools::Stub& pools() { return *pools_; }
  v1::Config::Stub& config() { return *config_; }
  v1::Cache::Stub& cache() { return *cache_; }
  v1::Testing::Stub& testing() { return *testing_; }

  // Flag parsers record the first usage error (and return 0); a
  // subcommand checks bad() before it sends anything.
  bool bad() const { return !error_.empty(); }
  int UsageExit() const { return Usage(error_); }
  // Records `message` and prints the usage error: the exit status.
  int UsageError(std::string message) {
    Bad(std::move(message));
    return UsageExit();
  }
  int Bad(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return 2;
  }
  int64_t IntFlag(absl::string_view name, int64_t fallback) {
    if (!args_.values.contains(name)) return fallback;
    return ParseInt(args_.Get(name), absl::StrCat("--", name));
  }
  int64_t ParseInt(const std::string& text, absl::string_view what) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(text, &v)) Bad(absl::StrCat(what, ": not a number: ", text));
    return v;
  }
  // "250ms", "1.5s", "2m"; a bare number is milliseconds.
  int64_t ParseMillis(const std::string& text, absl::string_view what) {
    int64_t ms = 0;
    if (absl::SimpleAtoi(text, &ms)) return ms;
    absl::Duration d;
    if (!absl::ParseDuration(text, &d)) {
      Bad(absl::StrCat(what, ": not a duration (like 250ms, 90s, 2m): ", text));
      return 0;
    }
    return absl::ToInt64Milliseconds(d);
  }
  // Whether the positional count fits; records the usage line if not.
  bool Need(size_t min, size_t max, absl::string_view usage) {
    if (argc() >= min && argc() <= max) return true;
    Bad(absl::StrCat("usage: memkit admin ", usage));
    return false;
  }

 private:
  static const char* CodeName(grpc::StatusCode code) {
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

  const ParsedArgs args_;
  const std::string token_;
  const absl::Duration timeout_;
  std::string error_;
  std::unique_ptr<v1::Stats::Stub> stats_;
  std::unique_ptr<v1::Pools::Stub> pools_;
  std::unique_ptr<v1::Config::Stub> config_;
  std::unique_ptr<v1::Cache::Stub> cache_;
  std::unique_ptr<v1::Testing::Stub> testing_;
};

std::string PoolText(const v1::PoolInfo& p) { return FormatPool(p); }

// ---- Stats

int Stats(Session& s) {
  if (!s.Need(0, 0, "stats [--memcached] [--buckets]")) return s.UsageExit();
  v1::GetStatsRequest req;
  req.set_include_memcached_stats(s.args().bools.contains("memcached"));
  req.set_include_histogram_buckets(s.args().bools.contains("buckets"));
  v1::GetStatsResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.stats().GetStats(s.Context().get(), req, &out);
  return s.Done<v1::GetStatsResponse>(
      st, out, [](const v1::GetStatsResponse& r) { return FormatSnapshot(r.snapshot()); });
}

int Watch(Session& s) {
  if (!s.Need(0, 0, "watch [--interval=1s] [--count=N] [--memcached]")) return s.UsageExit();
  v1::WatchStatsRequest req;
  req.set_interval_ms(s.ParseMillis(s.args().Get("interval", "1000"), "--interval"));
  const int64_t count = s.IntFlag("count", 0);
  if (count < 0) return s.UsageError("--count must be >= 0");
  req.set_max_snapshots(static_cast<uint64_t>(count));
  req.set_include_memcached_stats(s.args().bools.contains("memcached"));
  if (s.bad()) return s.UsageExit();
  auto ctx = s.Context(/*unary=*/false);
  if (s.bad()) return s.UsageExit();
  auto reader = s.stats().WatchStats(ctx.get(), req);
  v1::StatsSnapshot snap;
  while (reader->Read(&snap)) {
    std::cout << (s.json() ? ToJson(snap) + "\n" : FormatSnapshot(snap) + "\n") << std::flush;
  }
  grpc::Status st = reader->Finish();
  return st.ok() ? 0 : s.Failed(st);
}

// ---- Pools

int Pools(Session& s) {
  if (!s.Need(0, 1, "pools [POOL]")) return s.UsageExit();
  if (s.argc() == 1) {
    v1::GetPoolRequest req;
    req.set_pool(s.arg(0));
    v1::GetPoolResponse out;
    if (s.bad()) return s.UsageExit();
    grpc::Status st = s.pools().GetPool(s.Context().get(), req, &out);
    return s.Done<v1::GetPoolResponse>(
        st, out, [](const v1::GetPoolResponse& r) { return PoolText(r.pool()); });
  }
  v1::ListPoolsResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().ListPools(s.Context().get(), v1::ListPoolsRequest(), &out);
  return s.Done<v1::ListPoolsResponse>(st, out, [](const v1::ListPoolsResponse& r) {
    std::string text;
    for (const auto& p : r.pools()) text += PoolText(p);
    return text.empty() ? std::string("no pools\n") : text;
  });
}

template <typename Reply>
std::string PoolOf(const Reply& r) {
  return PoolText(r.pool());
}

int Eject(Session& s) {
  if (!s.Need(1, 1, "eject [--pool=P] [--for=DURATION] [--reason=TEXT] ADDRESS"))
    return s.UsageExit();
  v1::EjectServerRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  if (s.args().Has("for")) req.set_duration_ms(s.ParseMillis(s.args().Get("for"), "--for"));
  req.set_reason(s.args().Get("reason"));
  v1::EjectServerResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().EjectServer(s.Context().get(), req, &out);
  return s.Done<v1::EjectServerResponse>(st, out, PoolOf<v1::EjectServerResponse>);
}

int Restore(Session& s) {
  if (!s.Need(1, 1, "restore [--pool=P] ADDRESS")) return s.UsageExit();
  v1::RestoreServerRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  v1::RestoreServerResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().RestoreServer(s.Context().get(), req, &out);
  return s.Done<v1::RestoreServerResponse>(st, out, PoolOf<v1::RestoreServerResponse>);
}

int Drain(Session& s) {
  if (!s.Need(1, 1, "drain [--pool=P] [--wait=DURATION] ADDRESS")) return s.UsageExit();
  v1::DrainServerRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  const int64_t wait = s.ParseMillis(s.args().Get("wait", "0"), "--wait");
  req.set_timeout_ms(wait);
  if (s.bad()) return s.UsageExit();
  auto ctx = s.Context(/*unary=*/false);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(wait) +
                    std::chrono::seconds(10));
  v1::DrainServerResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().DrainServer(ctx.get(), req, &out);
  return s.Done<v1::DrainServerResponse>(st, out, [](const v1::DrainServerResponse& r) {
    return absl::StrCat(PoolText(r.pool()), "in flight: ", r.in_flight(), "\n");
  });
}

int Weight(Session& s) {
  if (!s.Need(2, 2, "weight [--pool=P] ADDRESS WEIGHT")) return s.UsageExit();
  v1::SetServerWeightRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  const int64_t w = s.ParseInt(s.arg(1), "WEIGHT");
  if (w < 1 || w > UINT32_MAX) return s.UsageError("WEIGHT must be at least 1");
  req.set_weight(static_cast<uint32_t>(w));
  v1::SetServerWeightResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().SetServerWeight(s.Context().get(), req, &out);
  return s.Done<v1::SetServerWeightResponse>(st, out, PoolOf<v1::SetServerWeightResponse>);
}

int AddServer(Session& s) {
  if (!s.Need(1, 2, "add-server [--pool=P] ADDRESS [WEIGHT]")) return s.UsageExit();
  v1::AddServerRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  if (s.argc() == 2) {
    const int64_t w = s.ParseInt(s.arg(1), "WEIGHT");
    if (w < 1 || w > UINT32_MAX) return s.UsageError("WEIGHT must be at least 1");
    req.set_weight(static_cast<uint32_t>(w));
  }
  v1::AddServerResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().AddServer(s.Context().get(), req, &out);
  return s.Done<v1::AddServerResponse>(st, out, PoolOf<v1::AddServerResponse>);
}

int RemoveServer(Session& s) {
  if (!s.Need(1, 1, "remove-server [--pool=P] ADDRESS")) return s.UsageExit();
  v1::RemoveServerRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  v1::RemoveServerResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().RemoveServer(s.Context().get(), req, &out);
  return s.Done<v1::RemoveServerResponse>(st, out, PoolOf<v1::RemoveServerResponse>);
}

// ---- Config

// FILE's text, "-" for stdin, "" without FILE.
std::string ReadConfigArg(Session& s) {
  if (s.argc() == 0) return "";
  if (s.arg(0) == "-") return ReadAllStdin();
  std::ifstream in(s.arg(0));
  if (!in) {
    s.Bad(absl::StrCat("cannot read ", s.arg(0)));
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int Config(Session& s) {
  if (!s.Need(0, 0, "config")) return s.UsageExit();
  v1::GetConfigResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.config().GetConfig(s.Context().get(), v1::GetConfigRequest(), &out);
  return s.Done<v1::GetConfigResponse>(st, out, FormatConfig);
}

int Validate(Session& s) {
  if (!s.Need(0, 1, "validate [FILE|-]")) return s.UsageExit();
  v1::ValidateConfigRequest req;
  req.set_config_json(ReadConfigArg(s));
  v1::ValidateConfigResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.config().ValidateConfig(s.Context().get(), req, &out);
  const int rc =
      s.Done<v1::ValidateConfigResponse>(st, out, [](const v1::ValidateConfigResponse& r) {
        return FormatConfigErrors(r.valid(), r.valid() ? "valid" : "invalid", r.errors(),
                                  r.changes());
      });
  return rc != 0 ? rc : (out.valid() ? 0 : 1);
}

int Reload(Session& s) {
  if (!s.Need(0, 1, "reload [FILE|-]")) return s.UsageExit();
  v1::ReloadConfigRequest req;
  req.set_config_json(ReadConfigArg(s));
  v1::ReloadConfigResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.config().ReloadConfig(s.Context().get(), req, &out);
  const int rc = s.Done<v1::ReloadConfigResponse>(st, out, [](const v1::ReloadConfigResponse& r) {
    return FormatConfigErrors(r.applied(), r.applied() ? "applied" : "not applied", r.errors(),
                              r.changes());
  });
  return rc != 0 ? rc : (out.applied() ? 0 : 1);
}

// ---- Cache

int Flush(Session& s) {
  if (!s.Need(0, 0, "flush [--delay=SECONDS] [--pool=P]")) return s.UsageExit();
  v1::FlushAllRequest req;
  req.set_delay_seconds(s.IntFlag("delay", 0));
  req.set_pool(s.args().Get("pool"));
  v1::FlushAllResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.cache().FlushAll(s.Context().get(), req, &out);
  return s.Done<v1::FlushAllResponse>(st, out, [](const v1::FlushAllResponse& r) {
    return absl::StrCat("flushed, effective ", FormatUnixNanos(r.effective_unix_nanos()), "\n");
  });
}

int Connections(Session& s) {
  if (!s.Need(0, 0, "connections")) return s.UsageExit();
  v1::ListConnectionsResponse out;
  grpc::Status st =
      s.cache().ListConnections(s.Context().get(), v1::ListConnectionsRequest(), &out);
  return s.Done<v1::ListConnectionsResponse>(st, out, FormatConnections);
}

int CloseConnections(Session& s) {
  if (!s.Need(0, 1000, "close-connections [--reset] (--all | ID...)")) return s.UsageExit();
  v1::CloseConnectionsRequest req;
  req.set_all(s.args().bools.contains("all"));
  req.set_reset(s.args().bools.contains("reset"));
  for (size_t i = 0; i < s.argc(); ++i) {
    req.add_ids(static_cast<uint64_t>(s.ParseInt(s.arg(i), "ID")));
  }
  if (!req.all() && req.ids_size() == 0) return s.UsageError("give connection IDs or --all");
  v1::CloseConnectionsResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.cache().CloseConnections(s.Context().get(), req, &out);
  return s.Done<v1::CloseConnectionsResponse>(st, out, [](const v1::CloseConnectionsResponse& r) {
    return absl::StrCat("closed ", r.closed(), "\n");
  });
}

int Events(Session& s) {
  if (!s.Need(0, 0, "events [--types=fetchers,mutations,evictions,connevents] [--count=N]"))
    return s.UsageExit();
  v1::WatchRequest req;
  for (absl::string_view t : absl::StrSplit(s.args().Get("types"), ',', absl::SkipEmpty())) {
    const std::string name = absl::AsciiStrToLower(t);
    if (name == "fetchers")
      req.add_types(v1::WATCH_EVENT_TYPE_FETCHERS);
    else if (name == "mutations")
      req.add_types(v1::WATCH_EVENT_TYPE_MUTATIONS);
    else if (name == "evictions")
      req.add_types(v1::WATCH_EVENT_TYPE_EVICTIONS);
    else if (name == "connevents")
      req.add_types(v1::WATCH_EVENT_TYPE_CONNEVENTS);
    else
      return s.UsageError(absl::StrCat("unknown event type ", name));
  }
  req.set_max_events(static_cast<uint64_t>(std::max<int64_t>(0, s.IntFlag("count", 0))));
  if (s.bad()) return s.UsageExit();
  auto ctx = s.Context(/*unary=*/false);
  if (s.bad()) return s.UsageExit();
  auto reader = s.cache().Watch(ctx.get(), req);
  v1::WatchEvent ev;
  while (reader->Read(&ev)) {
    if (s.json()) {
      std::cout << ToJson(ev) << "\n" << std::flush;
    } else if (!ev.text().empty()) {
      std::cout << ev.text() << "\n" << std::flush;
    } else {
      std::cout << FormatUnixNanos(ev.time_unix_nanos()) << " " << ev.command() << " " << ev.key()
                << " " << ev.status() << "\n"
                << std::flush;
    }
  }
  grpc::Status st = reader->Finish();
  return st.ok() ? 0 : s.Failed(st);
}

// ---- Testing

int Clock(Session& s) {
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

int Fault(Session& s) {
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

int CloseAll(Session& s) {
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

struct Subcommand {
  const char* name;
  int (*run)(Session&);
};

const Subcommand kSubcommands[] = {
    {"stats", Stats},
    {"watch", Watch},
    {"pools", Pools},
    {"eject", Eject},
    {"restore", Restore},
    {"drain", Drain},
    {"weight", Weight},
    {"add-server", AddServer},
    {"remove-server", RemoveServer},
    {"config", Config},
    {"validate", Validate},
    {"reload", Reload},
    {"flush", Flush},
    {"connections", Connections},
    {"close-connections", CloseConnections},
    {"events", Events},
    {"clock", Clock},
    {"fault", Fault},
    {"close-all", CloseAll},
};

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is empty"));
  return token;
}

}  // namespace

int RunAdmin(const std::vector<std::string>& raw) {
  FlagSpec spec;
  spec.value_flags = {"admin",  "token-file", "timeout",  "tls-ca", "pool",  "for",
                      "reason", "wait",       "interval", "count",  "delay", "types"};
  spec.bool_flags = {"json", "memcached", "buckets", "all", "reset", "freeze", "run"};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(raw, spec);
  if (!parsed.ok()) return Usage(parsed.status().message());
  if (parsed->positional.empty()) return Usage("no command given");
  const Subcommand* sub = nullptr;
  for (const Subcommand& c : kSubcommands) {
    if (parsed->positional[0] == c.name) sub = &c;
  }
  if (sub == nullptr) return Usage(absl::StrCat("unknown command '", parsed->positional[0], "'"));

  std::string address = parsed->Get("admin");
  if (address.empty()) {
    const char* env = std::getenv("MEMKIT_ADMIN");
    if (env != nullptr) address = env;
  }
  if (address.empty()) return Usage("--admin=HOST:PORT (or $MEMKIT_ADMIN) is required");
  std::string token;
  if (parsed->Has("token-file")) {
    auto t = ReadToken(parsed->Get("token-file"));
    if (!t.ok()) return Usage(t.status().message());
    token = *t;
  }
  double seconds = 10;
  if (parsed->Has("timeout") &&
      (!absl::SimpleAtod(parsed->Get("timeout"), &seconds) || seconds <= 0)) {
    return Usage("--timeout must be a positive number of seconds");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (parsed->Has("tls-ca")) {
    std::ifstream in(parsed->Get("tls-ca"));
    if (!in) return Usage(absl::StrCat("cannot read ", parsed->Get("tls-ca")));
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = pem.str();
    creds = grpc::SslCredentials(o);
  }
  Session session(*std::move(parsed), grpc::CreateChannel(address, creds), token,
                  absl::Seconds(seconds));
  return sub->run(session);
}

}  // namespace cli
}  // namespace memkit
