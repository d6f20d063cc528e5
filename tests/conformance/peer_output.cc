#include "tests/conformance/peer_output.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace memkit {
namespace conformance {
namespace {

// The position of `name` starting a line of `output` at or after `from`,
// followed by a space (memccapable pads names to 40 columns).
size_t FindHeader(absl::string_view output, absl::string_view name, size_t from) {
  while (from <= output.size()) {
    size_t at = output.find(name, from);
    if (at == absl::string_view::npos) return at;
    bool line_start = at == 0 || output[at - 1] == '\n';
    bool followed = at + name.size() < output.size() && output[at + name.size()] == ' ';
    if (line_start && followed) return at;
    from = at + 1;
  }
  return absl::string_view::npos;
}

}  // namespace

const std::vector<std::string>& MemccapableAsciiTests() {
  static const auto* tests = new std::vector<std::string>{
      "ascii version",         "ascii quit",           "ascii verbosity",
      "ascii set",             "ascii set noreply",    "ascii get",
      "ascii gets",            "ascii mget",           "ascii flush",
      "ascii flush noreply",   "ascii add",            "ascii add noreply",
      "ascii replace",         "ascii replace noreply", "ascii cas",
      "ascii cas noreply",     "ascii delete",         "ascii delete noreply",
      "ascii incr",            "ascii incr noreply",   "ascii decr",
      "ascii decr noreply",    "ascii append",         "ascii append noreply",
      "ascii prepend",         "ascii prepend noreply", "ascii stat",
  };
  return *tests;
}

const std::vector<std::string>& MemccapableBinaryTests() {
  static const auto* tests = new std::vector<std::string>{
      "binary noop",     "binary quit",     "binary quitq",    "binary set",
      "binary setq",     "binary flush",    "binary flushq",   "binary add",
      "binary addq",     "binary replace",  "binary replaceq", "binary delete",
      "binary deleteq",  "binary get",      "binary getq",     "binary getk",
      "binary getkq",    "binary incr",     "binary incrq",    "binary decr",
      "binary decrq",    "binary version",  "binary append",   "binary appendq",
      "binary prepend",  "binary prependq", "binary stat",
  };
  return *tests;
}

std::map<std::string, std::string> ParseMemccapableVerdicts(absl::string_view output,
                                                            const std::vector<std::string>& names) {
  // Every header position, so each test's text ends where the next begins.
  std::vector<std::pair<size_t, std::string>> headers;
  for (const std::string& name : names) {
    size_t at = FindHeader(output, name, 0);
    // "ascii set" is also the start of "ascii set noreply": skip such lines.
    while (at != absl::string_view::npos) {
      absl::string_view rest = output.substr(at + name.size());
      absl::string_view padding = rest.substr(0, rest.find_first_not_of(' '));
      absl::string_view after = rest.substr(padding.size());
      if (absl::StartsWith(after, "[") || after.empty() || padding.size() > 1) break;
      at = FindHeader(output, name, at + 1);
    }
    if (at != absl::string_view::npos) headers.emplace_back(at, name);
  }
  std::sort(headers.begin(), headers.end());
  std::map<std::string, std::string> verdicts;
  for (size_t i = 0; i < headers.size(); ++i) {
    size_t end = i + 1 < headers.size() ? headers[i + 1].first : output.size();
    absl::string_view text = output.substr(headers[i].first, end - headers[i].first);
    for (const char* verdict : {"pass", "FAIL", "skip"}) {
      if (absl::StrContains(text, std::string("[") + verdict + "]")) {
        verdicts[headers[i].second] = verdict;
        break;
      }
    }
  }
  return verdicts;
}

std::optional<MemcaslapResult> ParseMemcaslapOutput(absl::string_view output) {
  MemcaslapResult result;
  bool have_summary = false;
  bool in_total = false;
  std::vector<int64_t> buckets;  // buckets[i]: latencies in [2^i, 2^(i+1)) us.
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "Run time:")) {
      // "Run time: 10.0s Ops: 2133640 TPS: 213321 Net_rate: 50.6M/s"
      std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
      for (size_t i = 0; i + 1 < words.size(); ++i) {
        if (words[i] == "TPS:") have_summary = absl::SimpleAtod(words[i + 1], &result.ops_per_second);
        // A count that does not parse stays 0: the summary's TPS is what matters.
        if (words[i] == "Ops:" && !absl::SimpleAtoi(words[i + 1], &result.ops)) result.ops = 0;
      }
      continue;
    }
    if (absl::StartsWith(line, "Total Statistics (")) {
      in_total = true;
      buckets.clear();
      continue;
    }
    if (!in_total) continue;
    if (line.empty() || absl::StartsWith(line, "cmd_")) {
      in_total = false;
      continue;
    }
    if (absl::ConsumePrefix(&line, "Avg:")) {
      int64_t avg = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &avg)) result.avg_us = avg;
      continue;
    }
    // "   4:   132019    27007    55559   175518": buckets 4..7.
    size_t colon = line.find(':');
    int64_t first = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(line.substr(0, colon), &first)) continue;
    std::vector<absl::string_view> counts =
        absl::StrSplit(line.substr(colon + 1), ' ', absl::SkipEmpty());
    for (size_t i = 0; i < counts.size(); ++i) {
      int64_t count = 0;
      if (!absl::SimpleAtoi(counts[i], &count)) break;
      size_t index = static_cast<size_t>(first) + i;
      if (buckets.size() <= index) buckets.resize(index + 1, 0);
      buckets[index] = count;
    }
  }
  if (!have_summary) return std::nullopt;
  int64_t total = 0;
  for (int64_t count : buckets) total += count;
  if (total > 0) {
    int64_t seen = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
      seen += buckets[i];
      if (seen * 100 >= total * 99) {
        result.p99_us_upper_bound = int64_t{1} << (i + 1);
        break;
      }
    }
  }
  return result;
}

}  // namespace conformance
}  // namespace memkit
