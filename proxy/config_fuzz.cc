// Fuzzes memkit-proxy's config loader: the input is the JSON text of a
// ProxyConfig, handed to ParseProxyConfigJson and, when it parses, to
// ProxyOptionsFromConfig (the same path as --config and the admin API's
// ReloadConfig). Neither may crash; every rejection is InvalidArgument with a
// message, and an accepted config has at least one pool, each with its
// servers and one address per server.
//
// Resolution never reaches the network: before validation, a server whose
// host is not an IP literal or a unix socket is rewritten to 127.0.0.1 with
// its port and weight kept, so only numeric hosts reach net::ResolveOne
// (which answers those without getaddrinfo) and the fuzzer stays
// deterministic and offline.

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/hash/server_spec.h"
#include "proxy/config.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Rewrites every server whose host would go to getaddrinfo.
void KeepResolutionOffline(memkit::admin::v1::ProxyConfig* config) {
  for (auto& pool : *config->mutable_pools()) {
    for (std::string& server : *pool.mutable_servers()) {
      auto spec = memkit::hash::ParseServerSpec(server);
      if (!spec.ok() || spec->unix_socket || IsIpLiteral(spec->host)) continue;
      spec->host = "127.0.0.1";
      server = spec->ToString();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  auto config = memkit::proxy::ParseProxyConfigJson(json);
  if (!config.ok()) {
    Check(config.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!config.status().message().empty());
    return 0;
  }
  KeepResolutionOffline(&*config);
  auto options = memkit::proxy::ProxyOptionsFromConfig(*config);
  if (!options.ok()) {
    Check(options.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!options.status().message().empty());
    return 0;
  }
  Check(!options->pools.empty());
  for (const auto& pool : options->pools) {
    Check(!pool.servers.empty());
    Check(pool.servers.size() == pool.addresses.size());
  }
  Check(options->threads >= 1 && options->threads <= 256);
  return 0;
}
