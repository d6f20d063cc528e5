// pool_admin_demo: a program that embeds a ClientPool and serves its Pools and
// Stats admin services, to try `memkit admin pools|eject|drain|stats|watch`
// against live client traffic (and to test the CLI black-box):
//
//   pool_admin_demo --servers=127.0.0.1:11211,127.0.0.1:11212
//       --admin-listen=127.0.0.1:0 --admin-port-file=/tmp/port --load-threads=2
//   (one command line; --admin-token-file=F requires a bearer token)
//
// --load-threads=N runs N threads doing set+get through the pool and prints
// "requests=R failures=F" on exit (SIGINT/SIGTERM), so a script can check
// that steering the pool failed nothing. Exits 1 if any request failed.

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/pool.h"
#include "client/pool_admin.h"
#include "core/admin/admin_server.h"
#include "core/hash/placement.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Die(const std::string& message) {
  std::fprintf(stderr, "pool_admin_demo: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using memkit::client::ClientOptions;
  using memkit::client::ClientPool;
  std::string servers, listen = "127.0.0.1:0", port_file, pool_name = "main";
  std::string distribution = "ketama", token_file;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto value = [&](absl::string_view flag, std::string* out) {
      if (!absl::StartsWith(a, absl::StrCat(flag, "="))) return false;
      *out = std::string(a.substr(flag.size() + 1));
      return true;
    };
    std::string n;
    if (value("--servers", &servers) || value("--admin-listen", &listen) ||
        value("--admin-port-file", &port_file) || value("--pool", &pool_name) ||
        value("--distribution", &distribution) || value("--admin-token-file", &token_file)) {
      continue;
    }
    if (value("--load-threads", &n) && absl::SimpleAtoi(n, &threads)) continue;
    return Die(absl::StrCat("unknown argument ", a));
  }
  ClientOptions options;
  options.servers = absl::StrSplit(servers, ',', absl::SkipEmpty());
  auto d = memkit::hash::ParseDistribution(distribution);
  if (!d.ok()) return Die(d.status().ToString());
  options.distribution = *d;
  memkit::client::ClientPoolOptions po;
  po.acquire_timeout = absl::Seconds(10);
  auto pool = ClientPool::Create(options, po);
  if (!pool.ok()) return Die(pool.status().ToString());

  memkit::client::ClientPoolAdmin pools({{pool_name, pool->get()}},
                                        memkit::client::ClientPoolAdminOptions{"pool_admin_demo"});
  memkit::admin::AdminServerOptions ao;
  ao.listen = listen;
  ao.token_file = token_file;
  ao.services = pools.services();
  auto server = memkit::admin::AdminServer::Create(ao);
  if (!server.ok()) return Die(server.status().ToString());
  const int port = (*server)->port();
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), port_file.c_str());  // appears whole
  }
  std::fprintf(stderr, "pool_admin_demo: admin on %s\n", (*server)->address().c_str());

  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  std::atomic<long> requests{0}, failures{0};
  std::vector<std::thread> load;
  for (int t = 0; t < threads; ++t) {
    load.emplace_back([&, t] {
      for (long i = 0; !g_stop.load(); ++i) {
        auto h = (*pool)->Acquire();
        if (!h.ok()) {
          ++failures;
          continue;
        }
        const std::string key = absl::StrCat("demo:", t, ":", i % 1000);
        if (!(*h)->Set(key, "v").ok()) ++failures;
        auto got = (*h)->Get(key);
        if (!got.ok() && !absl::IsNotFound(got.status())) ++failures;
        requests += 2;
      }
    });
  }
  while (!g_stop.load()) absl::SleepFor(absl::Milliseconds(20));
  for (auto& th : load) th.join();
  pools.Stop();
  (*server)->Shutdown();
  std::printf("requests=%ld failures=%ld\n", requests.load(), failures.load());
  return failures.load() == 0 ? 0 : 1;
}
