#include "tools/bench/report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/cli/output.h"

namespace memkit {
namespace bench {
namespace {

absl::string_view ProtocolName(WireProtocol protocol) {
  switch (protocol) {
    case WireProtocol::kText: return "text";
    case WireProtocol::kMeta: return "meta";
    case WireProtocol::kBinary: return "binary";
  }
  return "?";
}

double Micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

double CpuMicrosPerOp(const BenchResult& r) {
  return r.total.completed == 0
             ? 0
             : absl::ToDoubleMicroseconds(r.client_cpu) / static_cast<double>(r.total.completed);
}

std::string OpRow(absl::string_view name, const OpResult& op, double seconds) {
  const stats::HistogramSnapshot& h = op.latency_ns;
  return absl::StrFormat("%-9s %10d %10.0f %9d %9d %7d %8.1f %8.1f %8.1f %8.1f %9.1f\n", name,
                         op.completed, seconds > 0 ? op.completed / seconds : 0.0, op.hits,
                         op.misses, op.errors, Micros(h.Percentile(50)), Micros(h.Percentile(90)),
                         Micros(h.Percentile(99)), Micros(h.Percentile(99.9)), Micros(h.max()));
}

std::string OpJson(const OpResult& op, double seconds) {
  const stats::HistogramSnapshot& h = op.latency_ns;
  return absl::StrFormat(
      "{\"requests\": %d, \"completed\": %d, \"ops_per_sec\": %.1f, \"hits\": %d, "
      "\"misses\": %d, \"errors\": %d, \"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, "
      "\"p99\": %.1f, \"p99.9\": %.1f, \"max\": %.1f, \"mean\": %.1f}}",
      op.requests, op.completed, seconds > 0 ? op.completed / seconds : 0.0, op.hits, op.misses,
      op.errors, Micros(h.Percentile(50)), Micros(h.Percentile(90)), Micros(h.Percentile(99)),
      Micros(h.Percentile(99.9)), Micros(h.max()), h.Mean() / 1000.0);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

std::string FormatReport(const BenchOptions& options, const BenchResult& result) {
  const double seconds = absl::ToDoubleSeconds(result.elapsed);
  std::string out = absl::StrFormat(
      "memkit bench: %s %s, %d threads x %d connections, pipeline %d, %s, %.2f s\n",
      result.server, ProtocolName(options.protocol), options.threads,
      options.connections_per_thread, options.pipeline,
      options.rate > 0 ? absl::StrFormat("open loop at %.0f req/s", options.rate) : "closed loop",
      seconds);
  absl::StrAppend(&out, absl::StrFormat("%-9s %10s %10s %9s %9s %7s %8s %8s %8s %8s %9s\n",
                                        "type", "requests", "ops/s", "hits", "misses", "errors",
                                        "p50 us", "p90 us", "p99 us", "p99.9 us", "max us"));
  for (int i = 0; i < kOpTypes; ++i) {
    if (result.ops[i].requests == 0) continue;
    absl::StrAppend(&out, OpRow(OpTypeName(static_cast<OpType>(i)), result.ops[i], seconds));
  }
  absl::StrAppend(&out, OpRow("total", result.total, seconds));
  absl::StrAppend(&out, absl::StrFormat("hit rate %.1f%%, connection errors %d, client CPU %.2f us/op\n",
                                        100 * result.HitRate(), result.connection_errors,
                                        CpuMicrosPerOp(result)));
  return out;
}

std::string FormatJson(const BenchOptions& options, const BenchResult& result) {
  const double seconds = absl::ToDoubleSeconds(result.elapsed);
  std::vector<std::string> ops;
  for (int i = 0; i < kOpTypes; ++i) {
    if (result.ops[i].requests == 0) continue;
    ops.push_back(absl::StrCat("\"", OpTypeName(static_cast<OpType>(i)), "\": ",
                               OpJson(result.ops[i], seconds)));
  }
  return absl::StrFormat(
      "{\"server\": %s, \"protocol\": \"%s\", \"threads\": %d, \"connections_per_thread\": %d, "
      "\"pipeline\": %d, \"rate\": %.1f, \"elapsed_s\": %.3f, \"ops_per_sec\": %.1f, "
      "\"hit_rate\": %.4f, \"connection_errors\": %d, \"client_cpu_us_per_op\": %.3f, "
      "\"total\": %s, \"ops\": {%s}}",
      cli::JsonString(result.server), ProtocolName(options.protocol), options.threads,
      options.connections_per_thread, options.pipeline, options.rate, seconds,
      result.OpsPerSecond(), result.HitRate(), result.connection_errors, CpuMicrosPerOp(result),
      OpJson(result.total, seconds), absl::StrJoin(ops, ", "));
}

std::string FormatProgress(const Progress& p) {
  return absl::StrFormat("%5.0fs %10.0f ops/s  hit %5.1f%%  p50 %8.1f us  p99 %8.1f us  errors %d",
                         absl::ToDoubleSeconds(p.elapsed), p.ops_per_second, 100 * p.hit_rate,
                         Micros(p.p50_ns), Micros(p.p99_ns), p.errors);
}

std::string FormatComparison(const std::vector<BenchResult>& a, const std::vector<BenchResult>& b) {
  std::string out = absl::StrFormat("%-6s %12s %12s %10s %10s\n", "round", "A ops/s", "B ops/s",
                                    "A p99 us", "B p99 us");
  std::vector<double> throughput, p99;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double pa = Micros(a[i].total.latency_ns.Percentile(99));
    const double pb = Micros(b[i].total.latency_ns.Percentile(99));
    absl::StrAppend(&out, absl::StrFormat("%-6d %12.0f %12.0f %10.1f %10.1f\n", i + 1,
                                          a[i].OpsPerSecond(), b[i].OpsPerSecond(), pa, pb));
    if (a[i].OpsPerSecond() > 0) throughput.push_back(b[i].OpsPerSecond() / a[i].OpsPerSecond());
    if (pa > 0) p99.push_back(pb / pa);
  }
  absl::StrAppend(&out, absl::StrFormat("A = %s, B = %s\n", a.empty() ? "" : a[0].server,
                                        b.empty() ? "" : b[0].server));
  absl::StrAppend(&out, absl::StrFormat("median ratio B/A: ops/s %.3fx, p99 %.3fx\n",
                                        Median(throughput), Median(p99)));
  return out;
}

std::string FormatComparisonJson(const std::vector<BenchResult>& a,
                                 const std::vector<BenchResult>& b) {
  std::vector<std::string> rounds;
  std::vector<double> throughput, p99;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double pa = Micros(a[i].total.latency_ns.Percentile(99));
    const double pb = Micros(b[i].total.latency_ns.Percentile(99));
    rounds.push_back(absl::StrFormat(
        "{\"a_ops_per_sec\": %.1f, \"b_ops_per_sec\": %.1f, \"a_p99_us\": %.1f, \"b_p99_us\": %.1f}",
        a[i].OpsPerSecond(), b[i].OpsPerSecond(), pa, pb));
    if (a[i].OpsPerSecond() > 0) throughput.push_back(b[i].OpsPerSecond() / a[i].OpsPerSecond());
    if (pa > 0) p99.push_back(pb / pa);
  }
  return absl::StrFormat(
      "{\"a\": %s, \"b\": %s, \"rounds\": [%s], \"ops_per_sec_ratio\": %.4f, "
      "\"p99_ratio\": %.4f}",
      cli::JsonString(a.empty() ? "" : a[0].server),
      cli::JsonString(b.empty() ? "" : b[0].server),
      absl::StrJoin(rounds, ", "), Median(throughput), Median(p99));
}

}  // namespace bench
}  // namespace memkit
