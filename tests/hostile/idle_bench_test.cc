// Issue #15, tried as a new user would: `memkit bench` against a server
// holding 10,000 idle connections keeps its p99. The `memkit` binary runs a
// short closed-loop load (2 s, 90% get / 10% set, prefilled keys) against
// memkit-server, and against real memcached 1.6.18 for comparison, first
// with no other connection, then with up to 10,000 idle connections held
// open; the p99 under idle connections must stay within a generous factor of
// the p99 without them (kP99Factor, plus kP99Allowance for a busy machine),
// with no failed request.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_util.h"
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace hostile {
namespace {

constexpr int kMaxIdle = 10000;
// Two cores are shared with the load generator and, in CI, other tests:
// p99 moves by 2-3x between identical runs. A server that scanned its idle
// connections per event, or starved the active ones, misses this by far.
constexpr double kP99Factor = 5.0;
constexpr double kP99AllowanceUs = 2000;

struct BenchFigures {
  double p99_us = 0;
  double ops_per_sec = 0;
  std::string json;
};

// The number after `"name": ` that follows `after` in `json`.
bool JsonNumberAfter(const std::string& json, const std::string& after, const std::string& name,
                     double* out) {
  size_t at = json.find(after);
  if (at == std::string::npos) return false;
  at = json.find(absl::StrCat("\"", name, "\": "), at);
  if (at == std::string::npos) return false;
  at += name.size() + 4;
  const size_t end = json.find_first_of(",}", at);
  return absl::SimpleAtod(json.substr(at, end - at), out);
}

std::string MemkitPath() {
  const char* path = std::getenv("MEMKIT_CLI_BINARY");
  return path != nullptr ? path : "";
}

void RunBench(int port, BenchFigures* figures) {
  absl::StatusOr<test_support::CommandResult> run = test_support::RunCommand(
      {MemkitPath(), "bench", absl::StrCat("--servers=127.0.0.1:", port), "--threads=1",
       "--connections=4", "--keys=1000", "--value-size=100", "--prefill", "--duration=2",
       "--quiet", "--json"},
      absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_FALSE(run->timed_out) << run->output;
  ASSERT_EQ(run->exit_code, 0) << "memkit bench failed (3: some request failed):\n"
                               << run->output;
  figures->json = run->output;
  ASSERT_TRUE(JsonNumberAfter(run->output, "\"total\"", "p99", &figures->p99_us)) << run->output;
  ASSERT_TRUE(JsonNumberAfter(run->output, "\"elapsed_s\"", "ops_per_sec", &figures->ops_per_sec))
      << run->output;
  double errors = -1;
  ASSERT_TRUE(JsonNumberAfter(run->output, "\"total\"", "errors", &errors)) << run->output;
  EXPECT_EQ(errors, 0) << run->output;
}

void BenchUnderIdleConnections(const std::string& label, const std::string& path) {
  ASSERT_FALSE(MemkitPath().empty()) << "MEMKIT_CLI_BINARY is not set";
  const int n = std::min(kMaxIdle, RaiseFdLimit() - 256);
  ASSERT_GE(n, 1000) << "RLIMIT_NOFILE's hard limit is too low to test idle connections";
  absl::StatusOr<Server> server =
      StartServer(label, path, {"-t", "2", "-m", "64", "-c", absl::StrCat(n + 100)});
  ASSERT_TRUE(server.ok()) << server.status();

  BenchFigures quiet;
  ASSERT_NO_FATAL_FAILURE(RunBench(server->port(), &quiet));

  absl::StatusOr<std::unique_ptr<Socket>> observer = Socket::Connect(server->port());
  ASSERT_TRUE(observer.ok()) << observer.status();
  std::vector<std::unique_ptr<Socket>> idle;
  idle.reserve(n);
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<Socket>> s = Socket::Connect(server->port());
    ASSERT_TRUE(s.ok()) << label << ": idle connection " << i << ": " << s.status();
    idle.push_back(std::move(*s));
  }
  int64_t counted = 0;
  ASSERT_TRUE(test_support::Eventually(
      [&] {
        absl::StatusOr<std::map<std::string, std::string>> stats = Stats(**observer);
        return stats.ok() && absl::SimpleAtoi((*stats)["curr_connections"], &counted) &&
               counted >= n + 1;
      },
      absl::Seconds(30)))
      << label << " counts " << counted << " connections of " << n + 1;

  BenchFigures loaded;
  ASSERT_NO_FATAL_FAILURE(RunBench(server->port(), &loaded));
  ASSERT_TRUE(server->process->CheckAlive().ok()) << server->process->LogTail();

  Figure(label + ".bench_idle_connections", absl::StrCat(n));
  Figure(label + ".bench_p99_us_without_idle", absl::StrCat(quiet.p99_us));
  Figure(label + ".bench_p99_us_with_idle", absl::StrCat(loaded.p99_us));
  Figure(label + ".bench_ops_per_sec_without_idle", absl::StrCat(quiet.ops_per_sec));
  Figure(label + ".bench_ops_per_sec_with_idle", absl::StrCat(loaded.ops_per_sec));
  EXPECT_LE(loaded.p99_us, kP99Factor * quiet.p99_us + kP99AllowanceUs)
      << label << ": p99 " << quiet.p99_us << " us without idle connections, " << loaded.p99_us
      << " us with " << n;
}

TEST(IdleBenchTest, MemkitBenchKeepsItsP99UnderIdleConnections) {
  BenchUnderIdleConnections("memkit-server", MemkitServerPath());
}

// The same run against memcached, for the figures beside memkit's.
TEST(IdleBenchTest, MemcachedForComparison) {
  BenchUnderIdleConnections("memcached", test_support::kMemcachedPath);
}

}  // namespace
}  // namespace hostile
}  // namespace memkit
