// server_bench: memcaslap throughput of real memcached (the reference) and the
// server under test, side by side in one run, alternating so that machine
// noise hits both alike. Not a test: run it by hand, optimised:
//
//   bazel run -c opt //tests/conformance:server_bench [-- --time=10s --runs=3]
//
// Scenarios (memcaslap from libmemcached-tools, 127.0.0.1 only):
//   get_set      -t TIME -T 2 -c 32 -X 100        90% get / 10% set   (--runs each)
//   multiget_10  the same with -d 10: 10-key multi-gets                (--extra_runs each)
//   binary       the same with -B: binary protocol                     (--extra_runs each)
// Prints ops/s per run, the median of each server, the ratio sut/reference,
// and memcaslap's latency as the log2 bucket holding the 99th percentile.
// The defaults take about 100 s.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "tests/conformance/peer_output.h"
#include "tests/conformance/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace conformance {
namespace {

constexpr const char* kMemcaslap = "/usr/bin/memcaslap";

struct Options {
  std::string reference;                      // Reference server command.
  std::string sut;                            // Server under test command.
  int seconds = 10;                           // memcaslap -t, per run.
  int runs = 3;                               // Runs per server, get_set scenario.
  int extra_runs = 1;                         // Runs per server, other scenarios.
  int threads = 2;                            // memcaslap -T.
  int concurrency = 32;                       // memcaslap -c.
  int value_size = 100;                       // memcaslap -X.
  std::vector<std::string> server_args = {"-t", "2", "-m", "256", "-c", "1024"};
};

struct Scenario {
  std::string name;
  std::vector<std::string> extra_flags;
  int runs;
};

struct Sample {
  double ops_per_second = 0;
  std::optional<int64_t> p99_us;
  std::optional<int64_t> avg_us;
};

std::optional<Sample> RunMemcaslap(const Options& options, const Scenario& scenario, int port) {
  std::vector<std::string> argv = {
      kMemcaslap,
      "-s", absl::StrCat("127.0.0.1:", port),
      "-t", absl::StrCat(options.seconds, "s"),
      "-T", absl::StrCat(options.threads),
      "-c", absl::StrCat(options.concurrency),
      "-X", absl::StrCat(options.value_size),
      // One statistics dump at the end: it carries the latency histogram.
      "-S", absl::StrCat(options.seconds, "s"),
  };
  argv.insert(argv.end(), scenario.extra_flags.begin(), scenario.extra_flags.end());
  auto run = RunCommand(argv, absl::Seconds(options.seconds + 60));
  if (!run.ok()) {
    std::fprintf(stderr, "server_bench: %s\n", std::string(run.status().message()).c_str());
    return std::nullopt;
  }
  auto parsed = ParseMemcaslapOutput(run->output);
  if (!parsed.has_value() || run->exit_code != 0) {
    std::fprintf(stderr, "server_bench: `%s` failed (exit %d):\n%s\n",
                 absl::StrJoin(argv, " ").c_str(), run->exit_code, run->output.c_str());
    return std::nullopt;
  }
  return Sample{parsed->ops_per_second, parsed->p99_us_upper_bound, parsed->avg_us};
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string Latency(const Sample& sample) {
  std::string out;
  if (sample.avg_us.has_value()) absl::StrAppend(&out, "  avg ", *sample.avg_us, " us");
  if (sample.p99_us.has_value()) absl::StrAppend(&out, "  p99 < ", *sample.p99_us, " us");
  return out;
}

int RunScenario(const Options& options, const Scenario& scenario) {
  // Fresh servers per scenario, both with the same flags.
  auto reference = ServerProcess::Start(ReferenceServer(options.reference, options.server_args));
  auto sut = ServerProcess::Start(ServerUnderTest(options.sut, options.server_args));
  if (!reference.ok() || !sut.ok()) {
    std::fprintf(stderr, "server_bench: cannot start servers: %s %s\n",
                 std::string(reference.status().message()).c_str(),
                 std::string(sut.status().message()).c_str());
    return 1;
  }
  std::printf("\n%s: memcaslap -t %ds -T %d -c %d -X %d %s; %d run(s) each, alternating\n",
              scenario.name.c_str(), options.seconds, options.threads, options.concurrency,
              options.value_size, absl::StrJoin(scenario.extra_flags, " ").c_str(), scenario.runs);
  std::vector<double> reference_ops, sut_ops;
  std::vector<int64_t> reference_p99, sut_p99;
  for (int run = 1; run <= scenario.runs; ++run) {
    for (ServerProcess* server : {reference->get(), sut->get()}) {
      std::optional<Sample> sample = RunMemcaslap(options, scenario, server->port());
      if (!sample.has_value()) return 1;
      if (absl::Status alive = server->CheckAlive(); !alive.ok()) {
        std::fprintf(stderr, "server_bench: %s\n", std::string(alive.message()).c_str());
        return 1;
      }
      bool is_reference = server == reference->get();
      (is_reference ? reference_ops : sut_ops).push_back(sample->ops_per_second);
      if (sample->p99_us.has_value()) (is_reference ? reference_p99 : sut_p99).push_back(*sample->p99_us);
      std::printf("  run %d  %-9s %10.0f ops/s%s\n", run, server->command().label.c_str(),
                  sample->ops_per_second, Latency(*sample).c_str());
      std::fflush(stdout);
    }
  }
  double ref = Median(reference_ops), mine = Median(sut_ops);
  std::printf("  median    reference %10.0f ops/s   sut %10.0f ops/s   ratio sut/reference %.2f\n",
              ref, mine, ref > 0 ? mine / ref : 0.0);
  if (!reference_p99.empty() && !sut_p99.empty()) {
    std::printf("  p99 (log2 bucket upper bound, worst run)  reference < %lld us   sut < %lld us\n",
                static_cast<long long>(*std::max_element(reference_p99.begin(), reference_p99.end())),
                static_cast<long long>(*std::max_element(sut_p99.begin(), sut_p99.end())));
  }
  return 0;
}

bool ParseInt(absl::string_view text, int* out) { return absl::SimpleAtoi(text, out) && *out > 0; }

int Main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    bool ok = true;
    if (absl::ConsumePrefix(&arg, "--reference=")) {
      options.reference = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--sut=")) {
      options.sut = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--time=")) {
      absl::ConsumeSuffix(&arg, "s");
      ok = ParseInt(arg, &options.seconds);
    } else if (absl::ConsumePrefix(&arg, "--runs=")) {
      ok = ParseInt(arg, &options.runs);
    } else if (absl::ConsumePrefix(&arg, "--extra_runs=")) {
      ok = absl::SimpleAtoi(arg, &options.extra_runs) && options.extra_runs >= 0;
    } else if (absl::ConsumePrefix(&arg, "--threads=")) {
      ok = ParseInt(arg, &options.threads);
    } else if (absl::ConsumePrefix(&arg, "--concurrency=")) {
      ok = ParseInt(arg, &options.concurrency);
    } else if (absl::ConsumePrefix(&arg, "--value=")) {
      ok = ParseInt(arg, &options.value_size);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: server_bench [--reference=PATH] [--sut=PATH] [--time=10s] [--runs=3]\n"
                   "                    [--extra_runs=1] [--threads=2] [--concurrency=32] [--value=100]\n"
                   "bad argument: %s\n",
                   argv[i]);
      return 2;
    }
  }
  if (access(kMemcaslap, X_OK) != 0) {
    std::fprintf(stderr, "server_bench: %s is missing; run tools/setup.sh (libmemcached-tools)\n",
                 kMemcaslap);
    return 1;
  }
  if (options.reference.empty()) options.reference = "/usr/bin/memcached";
  std::printf("server_bench: reference = %s, sut = %s, servers get %s\n",
              ReferenceServer(options.reference, {}).path.c_str(),
              ServerUnderTest(options.sut, {}).path.c_str(),
              absl::StrJoin(options.server_args, " ").c_str());
  std::vector<Scenario> scenarios = {{"get_set", {}, options.runs}};
  if (options.extra_runs > 0) {
    scenarios.push_back({"multiget_10", {"-d", "10"}, options.extra_runs});
    scenarios.push_back({"binary", {"-B"}, options.extra_runs});
  }
  for (const Scenario& scenario : scenarios) {
    if (int code = RunScenario(options, scenario); code != 0) return code;
  }
  return 0;
}

}  // namespace
}  // namespace conformance
}  // namespace memkit

int main(int argc, char** argv) { return memkit::conformance::Main(argc, argv); }
