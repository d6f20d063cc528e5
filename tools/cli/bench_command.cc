// `memkit bench`: a load generator with latency percentiles (tools/bench).

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/report.h"
#include "tools/bench/workload.h"
#include "tools/cli/args.h"
#include "tools/cli/client_flags.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

// Fills `options` from the flags; InvalidArgument naming the bad flag.
absl::Status ParseBenchFlags(const ParsedArgs& args, bench::BenchOptions* options) {
  auto bad = [](absl::string_view flag, absl::string_view want) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " ", want));
  };
  auto int_flag = [&](absl::string_view flag, auto* out) -> absl::Status {
    if (args.Has(flag) && !absl::SimpleAtoi(args.Get(flag), out)) {
      return bad(flag, "takes a whole number");
    }
    return absl::OkStatus();
  };
  const std::vector<std::string> servers = ServersFromFlags(args);
  if (servers.size() != 1) return absl::InvalidArgumentError("bench loads exactly one server");
  options->server = servers[0];
  const std::string protocol = args.Get("protocol", "text");
  if (protocol == "text") {
    options->protocol = bench::WireProtocol::kText;
  } else if (protocol == "meta") {
    options->protocol = bench::WireProtocol::kMeta;
  } else if (protocol == "binary") {
    options->protocol = bench::WireProtocol::kBinary;
  } else {
    return bad("protocol", "must be text, meta or binary");
  }
  for (absl::Status s : {int_flag("threads", &options->threads),
                         int_flag("connections", &options->connections_per_thread),
                         int_flag("pipeline", &options->pipeline),
                         int_flag("multiget-width", &options->multiget_width),
                         int_flag("keys", &options->key_count),
                         int_flag("requests", &options->requests),
                         int_flag("exptime", &options->exptime)}) {
    if (!s.ok()) return s;
  }
  if (args.Has("ratio")) {
    std::vector<std::string> parts = absl::StrSplit(args.Get("ratio"), ':');
    int weights[3] = {0, 0, 0};
    if (parts.size() < 2 || parts.size() > 3) return bad("ratio", "is GET:SET or GET:SET:MULTIGET");
    for (size_t i = 0; i < parts.size(); ++i) {
      if (!absl::SimpleAtoi(parts[i], &weights[i])) return bad("ratio", "takes whole numbers");
    }
    options->get_weight = weights[0];
    options->set_weight = weights[1];
    options->multiget_weight = weights[2];
  }
  if (args.Has("key-prefix")) options->key_prefix = args.Get("key-prefix");
  if (args.Has("key-pattern")) {
    const std::string p = args.Get("key-pattern");
    if (p == "sequential") {
      options->key_pattern = bench::KeyPattern::kSequential;
    } else if (p == "uniform") {
      options->key_pattern = bench::KeyPattern::kUniform;
    } else if (p == "zipfian") {
      options->key_pattern = bench::KeyPattern::kZipfian;
    } else {
      return bad("key-pattern", "must be sequential, uniform or zipfian");
    }
  }
  if (args.Has("zipf") && !absl::SimpleAtod(args.Get("zipf"), &options->zipf_theta)) {
    return bad("zipf", "takes a number between 0 and 1");
  }
  if (args.Has("value-size")) {
    std::vector<std::string> range = absl::StrSplit(args.Get("value-size"), '-');
    if (range.size() > 2 || !absl::SimpleAtoi(range[0], &options->value_min) ||
        !absl::SimpleAtoi(range.back(), &options->value_max)) {
      return bad("value-size", "is BYTES or MIN-MAX");
    }
  }
  if (args.Has("duration")) {
    double seconds = 0;
    if (!absl::SimpleAtod(args.Get("duration"), &seconds) || seconds < 0) {
      return bad("duration", "takes seconds");
    }
    options->duration = absl::Seconds(seconds);
  } else if (options->requests > 0) {
    options->duration = absl::ZeroDuration();  // the count alone ends the run
  }
  if (args.Has("rate") && (!absl::SimpleAtod(args.Get("rate"), &options->rate))) {
    return bad("rate", "takes requests per second");
  }
  options->prefill = args.Has("prefill");
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) return timeout.status();
  options->connect_timeout = *timeout;
  return options->Validate();
}

}  // namespace

int RunBench(const std::vector<std::string>& raw) {
  FlagSpec spec{{"threads", "connections", "pipeline", "ratio", "multiget-width", "keys",
                 "key-prefix", "key-pattern", "zipf", "value-size", "exptime", "duration",
                 "requests", "rate", "compare", "rounds"},
                {"prefill", "progress", "quiet"}};
  AddClientFlags(&spec);
  absl::StatusOr<ParsedArgs> args = ParseArgs(raw, spec);
  if (!args.ok()) return ReportUsage("bench", args.status().message());
  if (!args->positional.empty()) return ReportUsage("bench", "bench takes no arguments");
  bench::BenchOptions options;
  absl::Status parsed = ParseBenchFlags(*args, &options);
  if (!parsed.ok()) return ReportUsage("bench", parsed.message());
  const bool json = args->Has("json");
  // A live line a second on a terminal (or with --progress), never with --quiet.
  const bool show_progress =
      !args->Has("quiet") && (args->Has("progress") || ::isatty(STDERR_FILENO));
  bench::ProgressFn progress;
  if (show_progress) {
    progress = [](const bench::Progress& p) {
      absl::FPrintF(stderr, "%s\n", bench::FormatProgress(p));
    };
  }

  if (!args->Has("compare")) {
    absl::StatusOr<bench::BenchResult> result = bench::RunBench(options, progress);
    if (!result.ok()) return ReportFailure("bench", result.status());
    absl::PrintF("%s", json ? bench::FormatJson(options, *result) + "\n"
                            : bench::FormatReport(options, *result));
    return result->connection_errors > 0 || result->total.errors > 0 ? kExitError : kExitOk;
  }

  int rounds = 3;
  if (args->Has("rounds") && (!absl::SimpleAtoi(args->Get("rounds"), &rounds) || rounds < 1)) {
    return ReportUsage("bench", "--rounds takes a whole number >= 1");
  }
  bench::BenchOptions other = options;
  other.server = args->Get("compare");
  std::vector<bench::BenchResult> a, b;
  for (int round = 0; round < rounds; ++round) {
    // Alternate which target goes first, so drift in the machine's load
    // does not always favour the same one.
    for (int side = 0; side < 2; ++side) {
      const bool first_a = round % 2 == 0;
      const bench::BenchOptions& target = (side == 0) == first_a ? options : other;
      absl::StatusOr<bench::BenchResult> r = bench::RunBench(target, bench::ProgressFn());
      if (!r.ok()) return ReportFailure(absl::StrCat("bench ", target.server), r.status());
      ((side == 0) == first_a ? a : b).push_back(*std::move(r));
      if (show_progress) {
        absl::FPrintF(stderr, "round %d %s: %.0f ops/s\n", round + 1, target.server,
                      ((side == 0) == first_a ? a : b).back().OpsPerSecond());
      }
    }
  }
  absl::PrintF("%s", json ? bench::FormatComparisonJson(a, b) + "\n" : bench::FormatComparison(a, b));
  return kExitOk;
}

}  // namespace cli
}  // namespace memkit
