// `memkit admin --admin=HOST:PORT COMMAND ...`: one subcommand per RPC of the
// admin API (core/admin/admin.proto), readable tables by default, `--json`
// for machines (protobuf's JSON mapping, one object per line).
//
// This file: the Stats, Pools, Config and Cache subcommands and the dispatch.
// The Testing service's are in admin_testing_commands.cc; the connection,
// output and flag handling they all share is AdminSession (admin_session.h).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/cli/admin_format.h"
#include "tools/cli/admin_session.h"
#include "tools/cli/admin_testing_commands.h"
#include "tools/cli/args.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

namespace v1 = ::memkit::admin::v1;

std::string PoolText(const v1::PoolInfo& p) { return FormatPool(p); }

// ---- Stats

int Stats(AdminSession& s) {
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

int Watch(AdminSession& s) {
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

int Pools(AdminSession& s) {
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

int Eject(AdminSession& s) {
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

int Restore(AdminSession& s) {
  if (!s.Need(1, 1, "restore [--pool=P] ADDRESS")) return s.UsageExit();
  v1::RestoreServerRequest req;
  req.set_pool(s.args().Get("pool"));
  req.set_address(s.arg(0));
  v1::RestoreServerResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.pools().RestoreServer(s.Context().get(), req, &out);
  return s.Done<v1::RestoreServerResponse>(st, out, PoolOf<v1::RestoreServerResponse>);
}

int Drain(AdminSession& s) {
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

int Weight(AdminSession& s) {
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

int AddServer(AdminSession& s) {
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

int RemoveServer(AdminSession& s) {
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
std::string ReadConfigArg(AdminSession& s) {
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

int Config(AdminSession& s) {
  if (!s.Need(0, 0, "config")) return s.UsageExit();
  v1::GetConfigResponse out;
  if (s.bad()) return s.UsageExit();
  grpc::Status st = s.config().GetConfig(s.Context().get(), v1::GetConfigRequest(), &out);
  return s.Done<v1::GetConfigResponse>(st, out, FormatConfig);
}

int Validate(AdminSession& s) {
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

int Reload(AdminSession& s) {
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

int Flush(AdminSession& s) {
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

int Connections(AdminSession& s) {
  if (!s.Need(0, 0, "connections")) return s.UsageExit();
  v1::ListConnectionsResponse out;
  grpc::Status st =
      s.cache().ListConnections(s.Context().get(), v1::ListConnectionsRequest(), &out);
  return s.Done<v1::ListConnectionsResponse>(st, out, FormatConnections);
}

int CloseConnections(AdminSession& s) {
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

int Events(AdminSession& s) {
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

struct Subcommand {
  const char* name;
  int (*run)(AdminSession&);
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
    {"clock", RunAdminClock},
    {"fault", RunAdminFault},
    {"close-all", RunAdminCloseAll},
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
  if (!parsed.ok()) return AdminUsage(parsed.status().message());
  if (parsed->positional.empty()) return AdminUsage("no command given");
  const Subcommand* sub = nullptr;
  for (const Subcommand& c : kSubcommands) {
    if (parsed->positional[0] == c.name) sub = &c;
  }
  if (sub == nullptr)
    return AdminUsage(absl::StrCat("unknown command '", parsed->positional[0], "'"));

  std::string address = parsed->Get("admin");
  if (address.empty()) {
    const char* env = std::getenv("MEMKIT_ADMIN");
    if (env != nullptr) address = env;
  }
  if (address.empty()) return AdminUsage("--admin=HOST:PORT (or $MEMKIT_ADMIN) is required");
  std::string token;
  if (parsed->Has("token-file")) {
    auto t = ReadToken(parsed->Get("token-file"));
    if (!t.ok()) return AdminUsage(t.status().message());
    token = *t;
  }
  double seconds = 10;
  if (parsed->Has("timeout") &&
      (!absl::SimpleAtod(parsed->Get("timeout"), &seconds) || seconds <= 0)) {
    return AdminUsage("--timeout must be a positive number of seconds");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (parsed->Has("tls-ca")) {
    std::ifstream in(parsed->Get("tls-ca"));
    if (!in) return AdminUsage(absl::StrCat("cannot read ", parsed->Get("tls-ca")));
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = pem.str();
    creds = grpc::SslCredentials(o);
  }
  AdminSession session(*std::move(parsed), grpc::CreateChannel(address, creds), token,
                       absl::Seconds(seconds));
  return sub->run(session);
}

}  // namespace cli
}  // namespace memkit
