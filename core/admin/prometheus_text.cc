#include "core/admin/prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace memkit {
namespace admin {
namespace {

using LabelList = std::vector<std::pair<std::string, std::string>>;

constexpr double kMicrosToSeconds = 1e-6;

std::string EscapeLabelValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return absl::StrCat(v);
}

LabelList ScopeLabels(const v1::StatsScope& scope) {
  LabelList labels;
  switch (scope.kind()) {
    case v1::SCOPE_KIND_POOL:
      labels.emplace_back("pool", scope.name());
      break;
    case v1::SCOPE_KIND_SERVER:
      if (!scope.pool().empty()) labels.emplace_back("pool", scope.pool());
      labels.emplace_back("server", scope.name());
      break;
    default:
      break;
  }
  return labels;
}

LabelList AllLabels(const v1::StatsScope& scope,
                    const google::protobuf::Map<std::string, std::string>& own) {
  LabelList labels = ScopeLabels(scope);
  LabelList extra(own.begin(), own.end());
  std::sort(extra.begin(), extra.end());
  labels.insert(labels.end(), extra.begin(), extra.end());
  return labels;
}

std::string LabelText(const LabelList& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, labels[i].first, "=\"", EscapeLabelValue(labels[i].second), "\"");
  }
  out += "}";
  return out;
}

// One metric family: its header and its sample lines, in first-seen order.
struct Family {
  std::string type;
  std::string help;
  std::vector<std::string> lines;
};

class Families {
 public:
  Family& Get(const std::string& name, absl::string_view type, absl::string_view help) {
    auto it = index_.find(name);
    if (it != index_.end()) return families_[it->second].second;
    index_[name] = families_.size();
    families_.push_back({name, Family{std::string(type), std::string(help), {}}});
    return families_.back().second;
  }

  std::string Render() const {
    std::string out;
    for (const auto& [name, f] : families_) {
      absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(f.help.empty() ? name : f.help), "\n");
      absl::StrAppend(&out, "# TYPE ", name, " ", f.type, "\n");
      for (const std::string& line : f.lines) absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

 private:
  std::map<std::string, size_t> index_;
  std::vector<std::pair<std::string, Family>> families_;
};

}  // namespace

std::string FormatPrometheus(const v1::StatsSnapshot& snapshot, absl::string_view prefix) {
  Families families;
  for (const v1::StatsScope& scope : snapshot.scopes()) {
    for (const v1::Counter& c : scope.counters()) {
      std::string name = absl::StrCat(prefix, c.name());
      if (!absl::EndsWith(name, "_total")) name += "_total";
      families.Get(name, "counter", c.help())
          .lines.push_back(
              absl::StrCat(name, LabelText(AllLabels(scope, c.labels())), " ", c.value()));
    }
    for (const v1::Gauge& g : scope.gauges()) {
      const std::string name = absl::StrCat(prefix, g.name());
      families.Get(name, "gauge", g.help())
          .lines.push_back(absl::StrCat(name, LabelText(AllLabels(scope, g.labels())), " ",
                                        FormatDouble(g.value())));
    }
    for (const v1::Histogram& h : scope.histograms()) {
      const bool micros = h.unit() == "microseconds";
      const double factor = micros ? kMicrosToSeconds : 1.0;
      const std::string name = absl::StrCat(prefix, h.name(), micros ? "_seconds" : "");
      Family& f = families.Get(name, "histogram", h.help());
      const LabelList labels = AllLabels(scope, h.labels());
      for (const v1::HistogramBucket& b : h.buckets()) {
        LabelList with_le = labels;
        with_le.emplace_back("le", FormatDouble(b.upper_bound() * factor));
        f.lines.push_back(
            absl::StrCat(name, "_bucket", LabelText(with_le), " ", b.cumulative_count()));
      }
      LabelList inf = labels;
      inf.emplace_back("le", "+Inf");
      f.lines.push_back(absl::StrCat(name, "_bucket", LabelText(inf), " ", h.count()));
      f.lines.push_back(
          absl::StrCat(name, "_sum", LabelText(labels), " ", FormatDouble(h.sum() * factor)));
      f.lines.push_back(absl::StrCat(name, "_count", LabelText(labels), " ", h.count()));
    }
  }
  return families.Render();
}

std::string CollectPrometheus(StatsProvider& provider) {
  CollectOptions collect;
  collect.include_histogram_buckets = true;
  return FormatPrometheus(CollectStats(provider, collect).snapshot);
}

}  // namespace admin
}  // namespace memkit
