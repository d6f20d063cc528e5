// memkit-proxy's settings: ProxyOptions (what the proxy runs with), built
// from a ProxyConfig message (core/admin/proxy_config.proto) that comes from
// a JSON file or from the quick-start flags (-l, -p, --servers, -t).
//
// Validation errors are InvalidArgument and name the field, e.g.
// "pools[0].servers[1]: bad address \"10.0.0.1:x\": ..." or
// "route.failover.children[1]: no pool named \"b\"".
//
// Thread-safety: plain values and pure functions.

#ifndef MEMKIT_PROXY_CONFIG_H_
#define MEMKIT_PROXY_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/admin/proxy_config.pb.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "core/net/address.h"

namespace memkit {
namespace proxy {

// How one worker thread talks to one backend server.
struct BackendOptions {
  // Persistent connections per server per worker thread.
  int connections_per_server = 2;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // A request unanswered for this long fails its connection.
  absl::Duration read_timeout = absl::Seconds(1);
  // The largest reply buffered (a multi-get's whole answer).
  size_t max_reply_bytes = 64 * 1024 * 1024;
};

// When a server leaves and rejoins the placement.
struct HealthOptions {
  // Consecutive failures before ejection.
  int failure_limit = 3;
  // Probe backoff: first delay, doubled per failed probe (+ up to 25% jitter).
  absl::Duration probe_initial = absl::Milliseconds(200);
  absl::Duration probe_max = absl::Seconds(5);
};

// How binary clients' requests reach a pool's servers.
enum class BackendProtocol : uint8_t {
  kBinary,  // forwarded as sent
  kMeta,    // translated to meta commands (proxy/translate.h)
};

struct PoolOptions {
  std::string name = "default";
  BackendProtocol backend_protocol = BackendProtocol::kBinary;
  // As written in the config (ketama labels use these hosts).
  std::vector<hash::ServerSpec> servers;
  // Where to connect, one per server (resolved at start-up).
  std::vector<net::Address> addresses;
  hash::PlacementOptions placement;
  BackendOptions backend;
  HealthOptions health;
};

struct ProxyOptions {
  // Client listener.
  std::string listen = "127.0.0.1:11211";
  int threads = 4;
  // At least one; names unique.
  std::vector<PoolOptions> pools;
  // The validated route tree (route_builder.h builds it). A config without
  // one gets {pool: pools[0].name}.
  admin::v1::RouteConfig route;
  // What "version" answers.
  std::string version = "1.6.18-memkit-proxy";
};

// JSON text -> ProxyConfig (protobuf's JSON mapping; unknown fields are
// errors). InvalidArgument quoting the parser's message.
absl::StatusOr<admin::v1::ProxyConfig> ParseProxyConfigJson(absl::string_view json);

// Validates `config` and resolves its servers. InvalidArgument naming the
// field on any problem.
absl::StatusOr<ProxyOptions> ProxyOptionsFromConfig(const admin::v1::ProxyConfig& config);

// The pool options equal in every field (a reload keeps such a pool, its
// connections and health, instead of replacing it).
bool SamePool(const PoolOptions& a, const PoolOptions& b);

// What a reload from `from` to `to` changes, one line each ("pool \"x\":
// added", "... changed", "... removed", "route: changed"); none when equal.
std::vector<std::string> DescribeChanges(const ProxyOptions& from, const ProxyOptions& to);

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_CONFIG_H_
