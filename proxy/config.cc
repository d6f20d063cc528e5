#include "proxy/config.h"

#include <string>

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
  if (config.pools_size() > 1) {
    return FieldError("pools", absl::StrCat("this version routes through exactly one pool, got ",
                                            config.pools_size()));
  }
  if (absl::Status s = PoolFromConfig(config.pools(0), "pools[0]", &options.pool); !s.ok()) {
    return s;
  }
  return options;
}

}  // namespace proxy
}  // namespace memkit
