// client_bench: memkit's Client beside the system libmemcached (and a raw
// socket loop, the floor) against the same real memcached servers.
//
//   bazel run --config=opt //client:client_bench -- [--seconds=0.25] [--rounds=12]
//
// Workloads (text protocol for everyone, TCP_NODELAY on for both clients):
//   get        ping-pong get of a 32-byte hit on one connection
//   set        ping-pong set of 32 bytes on one connection
//   multiget   100 keys over 4 servers (ketama), all hits, 32-byte values
//              (--value_size=N for others): memkit into a reused
//              MultiGetResult ("memkit") and into an ItemMap cleared each
//              call ("memkit map"); libmemcached's mget + fetch_result into
//              a reused memcached_result_st
//
// The contenders of a workload run in alternating rounds (the order rotates
// each round), so a change of machine load hits them alike. Each round
// measures wall ops/s and this thread's CPU time per operation
// (CLOCK_THREAD_CPUTIME_ID), the latter being much steadier on a loaded
// machine. The ratio lines compare memkit with each other contender round by
// round (adjacent in time): the median of those paired ratios, and the ratio
// of the best rounds.
//
// For syscall counts and instruction counts, run one contender for a fixed
// number of operations against servers started elsewhere, so that only the
// client is traced:
//   client_bench --servers=127.0.0.1:P1,...:P4 --workload=multiget
//       --client=memkit --ops=20000 --rounds=1
// under `perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_poll,
// context-switches,task-clock` (or `strace -c -f`, which slows the client and
// so changes how often poll() finds data ready), or under
// `valgrind --tool=callgrind --toggle-collect='*OneMemkitMultiGet*'` (each
// operation is a named, non-inlined function One<Client><Workload>: only
// the client's own instructions are counted). For perf and strace, run it
// with --ops=0 too and subtract: what is left is per operation.
// client/profile_client_bench.py does all that and prints a table.

#include <arpa/inet.h>
#include <libmemcached/memcached.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "client/testing/memcached_process.h"

namespace memkit {
namespace client {
namespace {

struct Flags {
  // Many short rounds: load on a shared machine changes by the second, and
  // the paired ratios of adjacent short rounds see the least of it.
  double seconds = 0.25;
  int rounds = 12;
  long ops = -1;              // >= 0: a fixed count per round instead of `seconds`
  std::string workload = "all";  // get, set, multiget, all
  std::string client = "all";    // memkit, libmemcached, raw, all
  std::vector<std::string> servers;  // empty: start four memcached
  long value_size = 32;              // of the multiget's values
};
Flags g_flags;

// ---- measuring ---------------------------------------------------------------

// CPU seconds (user + system) of the calling thread: the scheduler's exact
// runtime (getrusage's figures can be tick-sampled, too coarse for short
// rounds).
double ThreadCpuSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Round {
  double ops_per_second = 0;
  double cpu_us_per_op = 0;
};

Round Measure(const std::function<bool()>& op) {
  constexpr int kChunk = 100;
  long ops = 0;
  const double cpu0 = ThreadCpuSeconds();
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(g_flags.seconds);
  if (g_flags.ops >= 0) {
    for (; ops < g_flags.ops; ++ops) {
      if (!op()) {
        std::fprintf(stderr, "operation failed\n");
        std::exit(1);
      }
    }
  } else {
    while (absl::Now() < end) {
      for (int i = 0; i < kChunk; ++i) {
        if (!op()) {
          std::fprintf(stderr, "operation failed\n");
          std::exit(1);
        }
      }
      ops += kChunk;
    }
  }
  Round r;
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  if (ops > 0) {
    r.ops_per_second = static_cast<double>(ops) / wall;
    r.cpu_us_per_op = (ThreadCpuSeconds() - cpu0) * 1e6 / static_cast<double>(ops);
  }
  return r;
}

struct Contender {
  std::string name;
  std::function<bool()> op;
  std::vector<Round> rounds;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Best(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

std::vector<double> OpsOf(const Contender& c) {
  std::vector<double> v;
  for (const Round& r : c.rounds) v.push_back(r.ops_per_second);
  return v;
}

std::vector<double> CpuOf(const Contender& c) {
  std::vector<double> v;
  for (const Round& r : c.rounds) v.push_back(r.cpu_us_per_op);
  return v;
}

bool Selected(absl::string_view name) {
  return g_flags.client == "all" || name == g_flags.client ||
         (g_flags.client == "raw" && name == "raw socket");
}

// Runs the selected contenders in alternating rounds and prints the table.
void Compare(const std::string& workload, std::vector<Contender> all) {
  std::vector<Contender> cs;
  for (Contender& c : all) {
    if (Selected(c.name)) cs.push_back(std::move(c));
  }
  if (cs.empty()) return;
  for (int r = 0; r < g_flags.rounds; ++r) {
    for (size_t k = 0; k < cs.size(); ++k) {
      Contender& c = cs[(k + static_cast<size_t>(r)) % cs.size()];
      c.rounds.push_back(Measure(c.op));
    }
  }
  std::printf("%s\n", workload.c_str());
  std::printf("  %-14s %11s %11s %13s   rounds (ops/s)\n", "", "median ops/s", "best ops/s",
              "CPU us/op");
  for (const Contender& c : cs) {
    std::printf("  %-14s %11.0f %11.0f %13.2f  ", c.name.c_str(), Median(OpsOf(c)), Best(OpsOf(c)),
                Median(CpuOf(c)));
    for (const Round& r : c.rounds) std::printf(" %.0f", r.ops_per_second);
    std::printf("\n");
  }
  for (const Contender& m : cs) {
    if (!absl::StartsWith(m.name, "memkit")) continue;
    for (const Contender& o : cs) {
      if (absl::StartsWith(o.name, "memkit")) continue;
      std::vector<double> paired;
      for (size_t r = 0; r < m.rounds.size(); ++r) {
        paired.push_back(m.rounds[r].ops_per_second / o.rounds[r].ops_per_second);
      }
      std::printf(
          "  %s/%s = %.2fx ops/s (median of paired rounds; best rounds %.2fx); "
          "CPU per op %.2fx of %s's\n",
          m.name.c_str(), o.name.c_str(), Median(paired), Best(OpsOf(m)) / Best(OpsOf(o)),
          Median(CpuOf(m)) / Median(CpuOf(o)), o.name.c_str());
    }
  }
  std::printf("\n");
}

// ---- the raw-socket floor ---------------------------------------------------

int ConnectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

// One blocking socket: one send(), then recv() until the whole known reply is in.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) : fd_(ConnectLoopback(port)) {}
  ~RawSocket() { close(fd_); }
  bool Call(absl::string_view request, size_t reply_size) {
    if (send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size())) {
      return false;
    }
    size_t got = 0;
    while (got < reply_size) {
      ssize_t n = recv(fd_, buf_ + got, sizeof(buf_) - got, 0);
      if (n <= 0) return false;
      got += size_t(n);
    }
    return true;
  }

 private:
  int fd_;
  char buf_[4096];
};

// Multi-get with hand-made requests: one send() per server, then poll() and
// one 64 KiB recv() per readable server until each known reply is complete.
// No parsing: the floor the kernel and the servers set.
class RawMulti {
 public:
  struct Part {
    int fd;
    std::string request;
    size_t reply_size;
  };
  explicit RawMulti(std::vector<Part> parts) : parts_(std::move(parts)), got_(parts_.size()) {}
  ~RawMulti() {
    for (Part& p : parts_) close(p.fd);
  }
  bool Call() {
    for (size_t i = 0; i < parts_.size(); ++i) {
      const Part& p = parts_[i];
      if (send(p.fd, p.request.data(), p.request.size(), MSG_NOSIGNAL) !=
          ssize_t(p.request.size())) {
        return false;
      }
      got_[i] = 0;
    }
    for (;;) {
      struct pollfd fds[8];
      size_t owner[8];
      nfds_t n = 0;
      for (size_t i = 0; i < parts_.size(); ++i) {
        if (got_[i] < parts_[i].reply_size) {
          fds[n] = {parts_[i].fd, POLLIN, 0};
          owner[n++] = i;
        }
      }
      if (n == 0) return true;
      if (poll(fds, n, 1000) <= 0) return false;
      for (nfds_t k = 0; k < n; ++k) {
        if (fds[k].revents == 0) continue;
        ssize_t r = recv(fds[k].fd, buf_, sizeof(buf_), MSG_DONTWAIT);
        if (r <= 0) return false;
        got_[owner[k]] += size_t(r);
      }
    }
  }

 private:
  std::vector<Part> parts_;
  std::vector<size_t> got_;
  char buf_[64 * 1024];
};

// ---- the operations (named and not inlined, for callgrind's toggle-collect) --

struct PingPong {
  Client* mk;
  memcached_st* lm;
  RawSocket* raw;
  std::string value;
  std::string got;
  std::string raw_request;
  size_t raw_reply = 0;
};

__attribute__((noinline)) bool OneMemkitGet(PingPong* p) {
  return p->mk->Get("bench:key", &p->got).ok() && p->got.size() == 32;
}
__attribute__((noinline)) bool OneLibmemcachedGet(PingPong* p) {
  size_t len = 0;
  uint32_t flags = 0;
  memcached_return_t rc;
  char* v = memcached_get(p->lm, "bench:key", 9, &len, &flags, &rc);
  free(v);
  return rc == MEMCACHED_SUCCESS && len == 32;
}
__attribute__((noinline)) bool OneRawGet(PingPong* p) {
  return p->raw->Call(p->raw_request, p->raw_reply);
}
__attribute__((noinline)) bool OneMemkitSet(PingPong* p) {
  return p->mk->Set("bench:set", p->value).ok();
}
__attribute__((noinline)) bool OneLibmemcachedSet(PingPong* p) {
  return memcached_set(p->lm, "bench:set", 9, p->value.data(), p->value.size(), 0, 0) ==
         MEMCACHED_SUCCESS;
}

struct Multi {
  Client* mk;
  memcached_st* lm;
  RawMulti* raw;
  std::vector<absl::string_view> views;
  std::vector<const char*> key_ptrs;
  std::vector<size_t> key_lens;
  MultiGetResult result_kept;  // memkit's reusable result
  ItemMap found;               // memkit's map form, cleared per call
  memcached_result_st result;  // libmemcached's reused result
};

__attribute__((noinline)) bool OneMemkitMultiGet(Multi* m) {
  return m->mk->GetMulti(m->views, &m->result_kept).ok() &&
         m->result_kept.hits() == m->views.size();
}
__attribute__((noinline)) bool OneMemkitMapMultiGet(Multi* m) {
  m->found.clear();
  return m->mk->GetMulti(m->views, &m->found).ok() && m->found.size() == m->views.size();
}
__attribute__((noinline)) bool OneLibmemcachedMultiGet(Multi* m) {
  if (memcached_mget(m->lm, m->key_ptrs.data(), m->key_lens.data(), m->key_ptrs.size()) !=
      MEMCACHED_SUCCESS) {
    return false;
  }
  size_t n = 0;
  memcached_return_t rc;
  while (memcached_fetch_result(m->lm, &m->result, &rc) != nullptr) ++n;
  return n == m->key_ptrs.size();
}
__attribute__((noinline)) bool OneRawMultiGet(Multi* m) { return m->raw->Call(); }

// ---- setup -------------------------------------------------------------------

memcached_st* NewLibmemcached(const std::vector<std::string>& servers, bool ketama) {
  memcached_st* mc = memcached_create(nullptr);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  if (ketama) {
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                           MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  }
  for (const std::string& s : servers) {
    std::string host = s.substr(0, s.find(':'));
    int port = std::atoi(s.substr(s.find(':') + 1).c_str());
    memcached_server_add(mc, host.c_str(), in_port_t(port));
  }
  return mc;
}

uint16_t PortOf(const std::string& address) {
  return static_cast<uint16_t>(std::atoi(address.substr(address.rfind(':') + 1).c_str()));
}

bool Want(absl::string_view workload) {
  return g_flags.workload == "all" || g_flags.workload == workload;
}

int Main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    bool ok = true;
    if (absl::ConsumePrefix(&a, "--seconds=")) {
      ok = absl::SimpleAtod(a, &g_flags.seconds);
    } else if (absl::ConsumePrefix(&a, "--rounds=")) {
      ok = absl::SimpleAtoi(a, &g_flags.rounds);
    } else if (absl::ConsumePrefix(&a, "--ops=")) {
      ok = absl::SimpleAtoi(a, &g_flags.ops);
    } else if (absl::ConsumePrefix(&a, "--value_size=")) {
      ok = absl::SimpleAtoi(a, &g_flags.value_size) && g_flags.value_size >= 0 &&
           g_flags.value_size <= 1000000;
    } else if (absl::ConsumePrefix(&a, "--workload=")) {
      g_flags.workload = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--client=")) {
      g_flags.client = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--servers=")) {
      g_flags.servers = absl::StrSplit(a, ',', absl::SkipEmpty());
      ok = g_flags.servers.size() == 4;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: client_bench [--seconds=S] [--rounds=N] [--ops=N] "
                   "[--workload=get|set|multiget|all] [--client=memkit|\"memkit map\"|libmemcached|raw|all] "
                   "[--servers=h:p,h:p,h:p,h:p] [--value_size=N (multiget; 32)]\n");
      return 2;
    }
  }
  std::vector<std::unique_ptr<testing::MemcachedProcess>> servers;
  std::vector<std::string> addresses = g_flags.servers;
  if (addresses.empty()) {
    for (int i = 0; i < 4; ++i) {
      auto p = testing::MemcachedProcess::Start();
      if (!p.ok()) {
        std::fprintf(stderr, "memcached: %s\n", std::string(p.status().message()).c_str());
        return 1;
      }
      addresses.push_back((*p)->address());
      servers.push_back(std::move(*p));
    }
  }
  if (g_flags.ops >= 0) {
    std::printf("client_bench: 4 memcached on 127.0.0.1, %ld ops x %d alternating rounds\n\n",
                g_flags.ops, g_flags.rounds);
  } else {
    std::printf("client_bench: 4 memcached on 127.0.0.1, %g s x %d alternating rounds\n\n",
                g_flags.seconds, g_flags.rounds);
  }
  const std::string value(32, 'v');

  // ---- ping-pong on one connection
  ClientOptions one;
  one.servers = {addresses[0]};
  std::unique_ptr<Client> mk = *Client::Create(one);
  PingPong pp;
  pp.mk = mk.get();
  pp.lm = NewLibmemcached({addresses[0]}, false);
  pp.value = value;
  RawSocket raw(PortOf(addresses[0]));
  pp.raw = &raw;
  pp.raw_request = "get bench:key\r\n";
  pp.raw_reply = std::strlen("VALUE bench:key 0 32\r\n") + 32 + 2 + 5;
  if (!mk->Set("bench:key", value).ok()) return 1;
  // Connect everyone before measuring.
  if (!OneMemkitGet(&pp) || !OneLibmemcachedGet(&pp) || !OneRawGet(&pp)) return 1;
  if (Want("get")) {
    Compare("ping-pong get (32-byte hit)",
            {{"memkit", [&] { return OneMemkitGet(&pp); }, {}},
             {"libmemcached", [&] { return OneLibmemcachedGet(&pp); }, {}},
             {"raw socket", [&] { return OneRawGet(&pp); }, {}}});
  }
  if (Want("set")) {
    Compare("ping-pong set (32 bytes)",
            {{"memkit", [&] { return OneMemkitSet(&pp); }, {}},
             {"libmemcached", [&] { return OneLibmemcachedSet(&pp); }, {}}});
  }

  // ---- 100-key multiget over 4 servers
  ClientOptions four;
  four.servers = addresses;
  four.distribution = hash::Distribution::kKetama;
  std::unique_ptr<Client> mk4 = *Client::Create(four);
  Multi m;
  m.mk = mk4.get();
  m.lm = NewLibmemcached(addresses, true);
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(absl::StrCat("bench:multi:", i));
  m.views.assign(keys.begin(), keys.end());
  const std::string multi_value(static_cast<size_t>(g_flags.value_size), 'm');
  std::vector<RawMulti::Part> parts;
  for (const std::string& a : addresses) parts.push_back({ConnectLoopback(PortOf(a)), "get", 0});
  for (const std::string& k : keys) {
    if (!mk4->Set(k, multi_value).ok()) return 1;
    m.key_ptrs.push_back(k.data());
    m.key_lens.push_back(k.size());
    absl::StatusOr<std::string> server = mk4->ServerForKey(k);
    if (!server.ok()) return 1;
    for (size_t s = 0; s < addresses.size(); ++s) {
      if (addresses[s] != *server) continue;
      absl::StrAppend(&parts[s].request, " ", k);
      parts[s].reply_size +=
          absl::StrCat("VALUE ", k, " 0 ", multi_value.size(), "\r\n").size() + multi_value.size() + 2;
    }
  }
  std::vector<RawMulti::Part> used;
  for (RawMulti::Part& p : parts) {
    if (p.reply_size == 0) {
      close(p.fd);
      continue;
    }
    p.request += "\r\n";
    p.reply_size += 5;  // END\r\n
    used.push_back(std::move(p));
  }
  RawMulti raw_multi(std::move(used));
  m.raw = &raw_multi;
  memcached_result_create(m.lm, &m.result);
  if (!OneMemkitMultiGet(&m) || !OneMemkitMapMultiGet(&m) || !OneLibmemcachedMultiGet(&m) ||
      !OneRawMultiGet(&m)) {
    return 1;
  }
  if (Want("multiget")) {
    Compare(absl::StrCat("multiget, 100 keys over 4 servers, ", multi_value.size(),
                         "-byte values (ops = multigets)"),
            {{"memkit", [&] { return OneMemkitMultiGet(&m); }, {}},
             {"memkit map", [&] { return OneMemkitMapMultiGet(&m); }, {}},
             {"libmemcached", [&] { return OneLibmemcachedMultiGet(&m); }, {}},
             {"raw socket", [&] { return OneRawMultiGet(&m); }, {}}});
  }
  memcached_result_free(&m.result);
  memcached_free(pp.lm);
  memcached_free(m.lm);
  return 0;
}

}  // namespace
}  // namespace client
}  // namespace memkit

int main(int argc, char** argv) { return memkit::client::Main(argc, argv); }
