// Closed-loop text-protocol load against one or more servers, one after the
// other, printing throughput, p50/p99/p999 latency and the ratio to the first:
//
//   bazel run --config=opt //server:server_bench --
//       --servers=127.0.0.1:11211,127.0.0.1:11311 --threads=2 --conns=16 --seconds=5
//
// Each thread keeps --conns connections with one request in flight each
// (poll()-driven); requests are gets (--get_ratio) and sets of --value bytes
// over --keys keys, preloaded. Run real memcached and memkit-server with the
// same -t; the first server is the baseline.

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/net/address.h"
#include "core/net/socket.h"

ABSL_FLAG(std::string, servers, "127.0.0.1:11211", "comma-separated host:port list");
ABSL_FLAG(int, threads, 2, "client threads");
ABSL_FLAG(int, conns, 16, "connections per thread");
ABSL_FLAG(int, seconds, 5, "seconds per server");
ABSL_FLAG(int, value, 100, "value bytes");
ABSL_FLAG(int, keys, 10000, "distinct keys");
ABSL_FLAG(double, get_ratio, 0.9, "fraction of gets");

namespace {

struct Result {
  uint64_t ops = 0;
  std::vector<uint32_t> latencies_us;
};

struct Conn {
  memkit::net::UniqueFd fd;
  std::string want;  // reply suffix
  std::string got;
  absl::Time sent;
};

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void Preload(const memkit::net::Address& addr, int keys, const std::string& value) {
  auto fd = memkit::net::ConnectWithTimeout(addr, absl::Seconds(5));
  if (!fd.ok()) return;
  std::string batch;
  for (int k = 0; k < keys; ++k) {
    absl::StrAppend(&batch, "set key:", k, " 0 0 ", value.size(), " noreply\r\n", value, "\r\n");
  }
  batch += "version\r\n";
  SendAll(fd->get(), batch);
  char buf[256];
  (void)::recv(fd->get(), buf, sizeof(buf), 0);
}

void Worker(const memkit::net::Address& addr, int nconns, absl::Time deadline, int seed,
            Result* out) {
  const int keys = absl::GetFlag(FLAGS_keys);
  const std::string value(absl::GetFlag(FLAGS_value), 'x');
  const double get_ratio = absl::GetFlag(FLAGS_get_ratio);
  std::mt19937 rng(seed);
  std::vector<Conn> conns(nconns);
  std::vector<struct pollfd> pfds(nconns);
  auto issue = [&](Conn& c) {
    const int k = static_cast<int>(rng() % keys);
    std::string req;
    if (std::uniform_real_distribution<double>(0, 1)(rng) < get_ratio) {
      req = absl::StrCat("get key:", k, "\r\n");
      c.want = "END\r\n";
    } else {
      req = absl::StrCat("set key:", k, " 0 0 ", value.size(), "\r\n", value, "\r\n");
      // Any one-line reply: STORED, or memcached's "SERVER_ERROR out of
      // memory storing object" when its slab classes have calcified.
      c.want = "\r\n";
    }
    c.got.clear();
    c.sent = absl::Now();
    return SendAll(c.fd.get(), req);
  };
  for (int i = 0; i < nconns; ++i) {
    auto fd = memkit::net::ConnectWithTimeout(addr, absl::Seconds(5));
    if (!fd.ok()) return;
    conns[i].fd = std::move(*fd);
    pfds[i] = {conns[i].fd.get(), POLLIN, 0};
    if (!issue(conns[i])) return;
  }
  char buf[64 * 1024];
  while (absl::Now() < deadline) {
    if (::poll(pfds.data(), pfds.size(), 100) <= 0) continue;
    for (int i = 0; i < nconns; ++i) {
      if ((pfds[i].revents & POLLIN) == 0) continue;
      ssize_t n = ::recv(pfds[i].fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      Conn& c = conns[i];
      c.got.append(buf, static_cast<size_t>(n));
      if (!absl::EndsWith(c.got, c.want)) continue;
      out->latencies_us.push_back(
          static_cast<uint32_t>(absl::ToInt64Microseconds(absl::Now() - c.sent)));
      ++out->ops;
      if (!issue(c)) return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::vector<std::string> servers = absl::StrSplit(absl::GetFlag(FLAGS_servers), ',');
  const int threads = absl::GetFlag(FLAGS_threads);
  const int seconds = absl::GetFlag(FLAGS_seconds);
  double baseline = 0;
  for (const std::string& s : servers) {
    auto addr = memkit::net::ResolveOne(s);
    if (!addr.ok()) {
      std::fprintf(stderr, "bad server %s: %s\n", s.c_str(), addr.status().ToString().c_str());
      return 1;
    }
    Preload(*addr, absl::GetFlag(FLAGS_keys), std::string(absl::GetFlag(FLAGS_value), 'x'));
    std::vector<Result> results(threads);
    std::vector<std::thread> workers;
    const absl::Time deadline = absl::Now() + absl::Seconds(seconds);
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back(Worker, *addr, absl::GetFlag(FLAGS_conns), deadline, 17 + t,
                           &results[t]);
    }
    for (auto& w : workers) w.join();
    Result all;
    for (auto& r : results) {
      all.ops += r.ops;
      all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(),
                              r.latencies_us.end());
    }
    std::sort(all.latencies_us.begin(), all.latencies_us.end());
    auto pct = [&](double p) -> uint32_t {
      if (all.latencies_us.empty()) return 0;
      return all.latencies_us[static_cast<size_t>(p * (all.latencies_us.size() - 1))];
    };
    const double ops_per_sec = static_cast<double>(all.ops) / seconds;
    if (baseline == 0) baseline = ops_per_sec;
    std::printf("%-22s %10.0f ops/s  p50 %5u us  p99 %5u us  p99.9 %5u us  ratio %.2f\n",
                s.c_str(), ops_per_sec, pct(0.5), pct(0.99), pct(0.999), ops_per_sec / baseline);
  }
  return 0;
}
