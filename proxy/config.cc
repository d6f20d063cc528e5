#include "proxy/config.h"

#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/hash/hash.h"
#include "google/protobuf/util/json_util.h"

namespace memkit {
namespace proxy {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// `value` in milliseconds, or `fallback` when 0; negative is an error.
absl::Status Millis(absl::string_view field, int32_t value, absl::Duration* out) {
  if (value < 0) return FieldError(field, absl::StrCat("must not be negative, got ", value));
  if (value > 0) *out = absl::Milliseconds(value);
  return absl::OkStatus();
}

absl::Status ValidateRoute(const admin::v1::RouteConfig& route, const std::string& field,
                           const std::set<std::string>& pools, int depth);

absl::Status PoolFromConfig(const admin::v1::ProxyPoolConfig& pc, const std::string& field,
                            PoolOptions* pool) {
  if (!pc.name().empty()) {
    for (char c : pc.name()) {
      if (c <= ' ' || c == ':' || c == 0x7f) {
        return FieldError(field + ".name", absl::StrCat("\"", pc.name(),
                                                        "\" holds a space, ':' or control byte"));
      }
    }
    pool->name = pc.name();
  }
  if (pc.servers().empty()) return FieldError(field + ".servers", "at least one server is needed");
  for (int i = 0; i < pc.servers_size(); ++i) {
    const std::string f = absl::StrCat(field, ".servers[", i, "]");
    auto spec = hash::ParseServerSpec(pc.servers(i));
    if (!spec.ok()) {
      return FieldError(f, absl::StrCat("bad address \"", pc.servers(i), "\": ",
                                        spec.status().message()));
    }
    absl::StatusOr<net::Address> address;
    if (spec->unix_socket) {
      address = net::Address::Unix(spec->host);
    } else {
      address = net::ResolveOne(absl::StrCat(spec->host.find(':') != std::string::npos
                                                 ? absl::StrCat("[", spec->host, "]")
                                                 : spec->host,
                                             ":", spec->port == 0 ? hash::kDefaultPort : spec->port));
    }
    if (!address.ok()) {
      return FieldError(f, absl::StrCat("bad address \"", pc.servers(i), "\": ",
                                        address.status().message()));
    }
    for (size_t j = 0; j < pool->servers.size(); ++j) {
      if (pool->servers[j].host == spec->host && pool->servers[j].port == spec->port) {
        return FieldError(f, absl::StrCat("\"", pc.servers(i), "\" is listed twice (also servers[",
                                          j, "])"));
      }
    }
    pool->servers.push_back(*spec);
    pool->addresses.push_back(*address);
  }
  pool->placement.distribution = hash::Distribution::kKetamaWeighted;
  if (!pc.distribution().empty()) {
    auto d = hash::ParseDistribution(pc.distribution());
    if (!d.ok()) return FieldError(field + ".distribution", d.status().message());
    pool->placement.distribution = *d;
  }
  if (!pc.hash().empty()) {
    auto h = hash::ParseHashAlgorithm(pc.hash());
    if (!h.ok()) return FieldError(field + ".hash", h.status().message());
    pool->placement.hash = *h;
  }
  if (pc.connections_per_server() < 0 || pc.connections_per_server() > 64) {
    return FieldError(field + ".connections_per_server",
                      absl::StrCat("must be 0 (default) to 64, got ", pc.connections_per_server()));
  }
  if (pc.connections_per_server() > 0) {
    pool->backend.connections_per_server = pc.connections_per_server();
  }
  if (absl::Status s = Millis(field + ".connect_timeout_ms", pc.connect_timeout_ms(),
                              &pool->backend.connect_timeout);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          Millis(field + ".read_timeout_ms", pc.read_timeout_ms(), &pool->backend.read_timeout);
      !s.ok()) {
    return s;
  }
  if (pc.failure_limit() < 0) {
    return FieldError(field + ".failure_limit",
                      absl::StrCat("must not be negative, got ", pc.failure_limit()));
  }
  if (pc.failure_limit() > 0) pool->health.failure_limit = pc.failure_limit();
  if (absl::Status s =
          Millis(field + ".probe_initial_ms", pc.probe_initial_ms(), &pool->health.probe_initial);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Millis(field + ".probe_max_ms", pc.probe_max_ms(), &pool->health.probe_max);
      !s.ok()) {
    return s;
  }
  if (pool->health.probe_max < pool->health.probe_initial) {
    return FieldError(field + ".probe_max_ms", "must not be below probe_initial_ms");
  }
  if (pc.backend_protocol() == "meta") {
    pool->backend_protocol = BackendProtocol::kMeta;
  } else if (!pc.backend_protocol().empty() && pc.backend_protocol() != "binary") {
    return FieldError(field + ".backend_protocol",
                      absl::StrCat("want \"binary\" or \"meta\", got \"", pc.backend_protocol(),
                                   "\""));
  }
  // The placement must build (weights, sizes, hash/distribution pairs).
  auto placement = hash::Placement::Create(pool->servers, pool->placement);
  if (!placement.ok()) return FieldError(field, placement.status().message());
  return absl::OkStatus();
}

// Deep trees are a config mistake (and would recurse without bound).
constexpr int kMaxRouteDepth = 16;

absl::Status ValidateChildren(const google::protobuf::RepeatedPtrField<admin::v1::RouteConfig>& c,
                              const std::string& field, const std::set<std::string>& pools,
                              int depth) {
  if (c.size() < 2) {
    return FieldError(field, absl::StrCat("at least two children are needed, got ", c.size()));
  }
  for (int i = 0; i < c.size(); ++i) {
    if (absl::Status s = ValidateRoute(c.Get(i), absl::StrCat(field, "[", i, "]"), pools, depth + 1);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRoute(const admin::v1::RouteConfig& route, const std::string& field,
                           const std::set<std::string>& pools, int depth) {
  using admin::v1::RouteConfig;
  if (depth > kMaxRouteDepth) {
    return FieldError(field, absl::StrCat("routes nest deeper than ", kMaxRouteDepth));
  }
  switch (route.kind_case()) {
    case RouteConfig::KIND_NOT_SET:
      return FieldError(field, "a route needs one of pool, failover, replicated, prefix, warmup, "
                               "shadow");
    case RouteConfig::kPool:
      if (pools.count(route.pool()) == 0) {
        return FieldError(field + ".pool", absl::StrCat("no pool named \"", route.pool(), "\""));
      }
      return absl::OkStatus();
    case RouteConfig::kFailover: {
      const auto& f = route.failover();
      const std::string ff = field + ".failover";
      if (f.max_attempts() < 0) {
        return FieldError(ff + ".max_attempts",
                          absl::StrCat("must not be negative, got ", f.max_attempts()));
      }
      return ValidateChildren(f.children(), ff + ".children", pools, depth);
    }
    case RouteConfig::kReplicated: {
      const auto& r = route.replicated();
      const std::string rf = field + ".replicated";
      if (!r.mode().empty() && r.mode() != "all_sync" && r.mode() != "all_async") {
        return FieldError(rf + ".mode",
                          absl::StrCat("want all_sync or all_async, got \"", r.mode(), "\""));
      }
      if (!r.read_policy().empty() && r.read_policy() != "first" && r.read_policy() != "random" &&
          r.read_policy() != "fastest") {
        return FieldError(rf + ".read_policy", absl::StrCat("want first, random or fastest, got \"",
                                                            r.read_policy(), "\""));
      }
      return ValidateChildren(r.children(), rf + ".children", pools, depth);
    }
    case RouteConfig::kPrefix: {
      const auto& p = route.prefix();
      const std::string pf = field + ".prefix";
      if (!p.has_default_route()) return FieldError(pf + ".default_route", "is required");
      for (const auto& [prefix, child] : p.routes()) {
        const std::string cf = absl::StrCat(pf, ".routes[\"", prefix, "\"]");
        if (prefix.empty()) return FieldError(cf, "an empty prefix (use default_route)");
        if (absl::Status s = ValidateRoute(child, cf, pools, depth + 1); !s.ok()) return s;
      }
      return ValidateRoute(p.default_route(), pf + ".default_route", pools, depth + 1);
    }
    case RouteConfig::kWarmup: {
      const auto& w = route.warmup();
      const std::string wf = field + ".warmup";
      if (!w.has_cold()) return FieldError(wf + ".cold", "is required");
      if (!w.has_warm()) return FieldError(wf + ".warm", "is required");
      if (w.ttl_s() < 0) {
        return FieldError(wf + ".ttl_s", absl::StrCat("must not be negative, got ", w.ttl_s()));
      }
      if (absl::Status s = ValidateRoute(w.cold(), wf + ".cold", pools, depth + 1); !s.ok()) {
        return s;
      }
      return ValidateRoute(w.warm(), wf + ".warm", pools, depth + 1);
    }
    case RouteConfig::kShadow: {
      const auto& sh = route.shadow();
      const std::string sf = field + ".shadow";
      if (!sh.has_main()) return FieldError(sf + ".main", "is required");
      if (!sh.has_shadow()) return FieldError(sf + ".shadow", "is required");
      if (!(sh.fraction() >= 0 && sh.fraction() <= 1)) {
        return FieldError(sf + ".fraction", absl::StrCat("want 0 to 1, got ", sh.fraction()));
      }
      for (char c : sh.name()) {
        if (c <= ' ' || c == ':' || c == 0x7f) {
          return FieldError(sf + ".name", "holds a space, ':' or control byte");
        }
      }
      if (absl::Status s = ValidateRoute(sh.main(), sf + ".main", pools, depth + 1); !s.ok()) {
        return s;
      }
      return ValidateRoute(sh.shadow(), sf + ".shadow", pools, depth + 1);
    }
  }
  return FieldError(field, "unknown route kind");
}

}  // namespace

absl::StatusOr<admin::v1::ProxyConfig> ParseProxyConfigJson(absl::string_view json) {
  admin::v1::ProxyConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config is not a valid ProxyConfig: ", std::string(status.message())));
  }
  return config;
}

absl::StatusOr<ProxyOptions> ProxyOptionsFromConfig(const admin::v1::ProxyConfig& config) {
  ProxyOptions options;
  if (!config.listen().empty()) {
    auto split = net::SplitHostPort(config.listen());
    if (!split.ok() || split->port < 0) {
      return FieldError("listen", absl::StrCat("bad address \"", config.listen(),
                                               "\": want HOST:PORT"));
    }
    options.listen = config.listen();
  }
  if (config.threads() < 0 || config.threads() > 256) {
    return FieldError("threads", absl::StrCat("must be 0 (default) to 256, got ", config.threads()));
  }
  if (config.threads() > 0) options.threads = config.threads();
  if (config.pools().empty()) return FieldError("pools", "one pool is needed");
  std::set<std::string> names;
  for (int i = 0; i < config.pools_size(); ++i) {
    const std::string field = absl::StrCat("pools[", i, "]");
    PoolOptions pool;
    if (absl::Status s = PoolFromConfig(config.pools(i), field, &pool); !s.ok()) return s;
    if (!names.insert(pool.name).second) {
      return FieldError(field + ".name",
                        absl::StrCat("\"", pool.name, "\" names two pools (give each a name)"));
    }
    options.pools.push_back(std::move(pool));
  }
  if (config.has_route()) {
    if (absl::Status s = ValidateRoute(config.route(), "route", names, 0); !s.ok()) return s;
    options.route = config.route();
  } else {
    options.route.set_pool(options.pools[0].name);
  }
  return options;
}

bool SamePool(const PoolOptions& a, const PoolOptions& b) {
  if (a.name != b.name || a.backend_protocol != b.backend_protocol ||
      a.servers.size() != b.servers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.servers.size(); ++i) {
    if (a.servers[i].ToString() != b.servers[i].ToString() ||
        a.servers[i].weight != b.servers[i].weight ||
        !(a.addresses[i] == b.addresses[i])) {
      return false;
    }
  }
  return a.placement.distribution == b.placement.distribution &&
         a.placement.hash == b.placement.hash &&
         a.backend.connections_per_server == b.backend.connections_per_server &&
         a.backend.connect_timeout == b.backend.connect_timeout &&
         a.backend.read_timeout == b.backend.read_timeout &&
         a.backend.max_reply_bytes == b.backend.max_reply_bytes &&
         a.health.failure_limit == b.health.failure_limit &&
         a.health.probe_initial == b.health.probe_initial &&
         a.health.probe_max == b.health.probe_max;
}

std::vector<std::string> DescribeChanges(const ProxyOptions& from, const ProxyOptions& to) {
  std::vector<std::string> changes;
  auto find = [](const ProxyOptions& o, const std::string& name) -> const PoolOptions* {
    for (const PoolOptions& p : o.pools) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  for (const PoolOptions& p : to.pools) {
    const PoolOptions* old = find(from, p.name);
    if (old == nullptr) {
      changes.push_back(absl::StrCat("pool \"", p.name, "\": added"));
    } else if (!SamePool(*old, p)) {
      // A changed pool is made anew: runtime Pools changes to it are lost.
      changes.push_back(absl::StrCat("pool \"", p.name, "\": changed (made anew)"));
    }
  }
  for (const PoolOptions& p : from.pools) {
    if (find(to, p.name) == nullptr) {
      changes.push_back(absl::StrCat("pool \"", p.name, "\": removed"));
    }
  }
  if (from.route.SerializeAsString() != to.route.SerializeAsString()) {
    changes.push_back("route: changed");
  }
  return changes;
}

}  // namespace proxy
}  // namespace memkit
