#include "core/admin/stats_collector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace memkit {
namespace admin {
namespace {

void SetLabels(const Labels& labels, google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& [k, v] : labels) (*out)[k] = v;
}

void FillPercentiles(const stats::HistogramSnapshot& h, double scale, v1::Percentiles* out) {
  out->set_p50(h.Percentile(50) * scale);
  out->set_p90(h.Percentile(90) * scale);
  out->set_p99(h.Percentile(99) * scale);
  out->set_p999(h.Percentile(99.9) * scale);
  out->set_max(h.max() * scale);
  out->set_min(h.min() * scale);
  out->set_mean(h.Mean() * scale);
}

double ScaleOf(const std::map<std::string, double>& scales, const std::string& key) {
  auto it = scales.find(key);
  return it == scales.end() ? 1.0 : it->second;
}

}  // namespace

const std::vector<double>& LatencyBucketBoundsMicros() {
  static const std::vector<double>* bounds = new std::vector<double>{
      10,    25,    50,     100,    250,    500,     1000,    2500,    5000,    10000,
      25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
  return *bounds;
}

std::string MetricKey(const v1::StatsScope& scope, absl::string_view name,
                      const google::protobuf::Map<std::string, std::string>& labels) {
  std::vector<std::pair<std::string, std::string>> sorted(labels.begin(), labels.end());
  std::sort(sorted.begin(), sorted.end());
  std::string key =
      absl::StrCat(scope.kind(), "\x1f", scope.name(), "\x1f", scope.pool(), "\x1f", name);
  for (const auto& [k, v] : sorted) absl::StrAppend(&key, "\x1f", k, "=", v);
  return key;
}

StatsBuilder::StatsBuilder(const CollectOptions& options, v1::StatsSnapshot* snapshot,
                           std::map<std::string, stats::HistogramSnapshot>* histograms)
    : options_(options), snapshot_(snapshot), histograms_(histograms) {}

v1::StatsScope* StatsBuilder::scope() {
  // A provider that forgot BeginScope reports into a nameless component scope.
  if (snapshot_->scopes_size() == 0) BeginScope(v1::SCOPE_KIND_COMPONENT, "");
  return snapshot_->mutable_scopes(snapshot_->scopes_size() - 1);
}

void StatsBuilder::BeginScope(v1::ScopeKind kind, absl::string_view name, absl::string_view pool) {
  v1::StatsScope* s = snapshot_->add_scopes();
  s->set_kind(kind);
  s->set_name(std::string(name));
  s->set_pool(std::string(pool));
}

void StatsBuilder::AddCounter(absl::string_view name, absl::string_view help, uint64_t value,
                              const Labels& labels) {
  v1::Counter* c = scope()->add_counters();
  c->set_name(std::string(name));
  c->set_help(std::string(help));
  c->set_value(value);
  SetLabels(labels, c->mutable_labels());
}

void StatsBuilder::AddGauge(absl::string_view name, absl::string_view help, double value,
                            const Labels& labels) {
  v1::Gauge* g = scope()->add_gauges();
  g->set_name(std::string(name));
  g->set_help(std::string(help));
  g->set_value(value);
  SetLabels(labels, g->mutable_labels());
}

void StatsBuilder::AddHistogram(absl::string_view name, absl::string_view help,
                                const stats::HistogramSnapshot& histogram, double scale,
                                const Labels& labels) {
  v1::StatsScope* s = scope();
  v1::Histogram* h = s->add_histograms();
  h->set_name(std::string(name));
  h->set_help(std::string(help));
  h->set_unit("microseconds");
  SetLabels(labels, h->mutable_labels());
  h->set_count(histogram.count());
  h->set_sum(static_cast<double>(histogram.sum()) * scale);
  FillPercentiles(histogram, scale, h->mutable_total());
  if (options_.include_histogram_buckets) {
    for (double bound : LatencyBucketBoundsMicros()) {
      v1::HistogramBucket* b = h->add_buckets();
      b->set_upper_bound(bound);
      b->set_cumulative_count(histogram.CountAtOrBelow(static_cast<uint64_t>(bound / scale)));
    }
  }
  const std::string key = MetricKey(*s, name, h->labels());
  (*histograms_)[key] = histogram;
  scales_[key] = scale;
}

void StatsBuilder::AddMemcachedStat(absl::string_view name, absl::string_view value) {
  if (!options_.include_memcached_stats) return;
  v1::MemcachedStat* m = scope()->add_memcached_stats();
  m->set_name(std::string(name));
  m->set_value(std::string(value));
}

CollectedStats CollectStats(StatsProvider& provider, const CollectOptions& options) {
  CollectedStats out;
  StatsBuilder builder(options, &out.snapshot, &out.histograms);
  provider.Collect(&builder);
  out.scales = builder.scales();
  out.snapshot.set_time_unix_nanos(absl::ToUnixNanos(absl::Now()));
  out.snapshot.set_component(provider.component());
  return out;
}

void ApplyInterval(const CollectedStats& previous, CollectedStats* current) {
  const int64_t interval_ns =
      current->snapshot.time_unix_nanos() - previous.snapshot.time_unix_nanos();
  current->snapshot.set_interval_ms(interval_ns / 1000000);
  const double seconds = interval_ns > 0 ? interval_ns / 1e9 : 0.0;

  std::map<std::string, uint64_t> old_counters;
  for (const v1::StatsScope& s : previous.snapshot.scopes()) {
    for (const v1::Counter& c : s.counters())
      old_counters[MetricKey(s, c.name(), c.labels())] = c.value();
  }
  for (v1::StatsScope& s : *current->snapshot.mutable_scopes()) {
    for (v1::Counter& c : *s.mutable_counters()) {
      auto it = old_counters.find(MetricKey(s, c.name(), c.labels()));
      const uint64_t before = it == old_counters.end() ? 0 : it->second;
      const uint64_t delta =
          c.value() >= before ? c.value() - before : c.value();  // reset: restart
      c.set_delta(delta);
      c.set_rate_per_second(seconds > 0 ? delta / seconds : 0.0);
    }
    for (v1::Histogram& h : *s.mutable_histograms()) {
      const std::string key = MetricKey(s, h.name(), h.labels());
      auto now_it = current->histograms.find(key);
      if (now_it == current->histograms.end()) continue;
      auto old_it = previous.histograms.find(key);
      const stats::HistogramSnapshot interval = old_it == previous.histograms.end()
                                                    ? now_it->second
                                                    : now_it->second.Since(old_it->second);
      h.set_delta_count(interval.count());
      h.set_rate_per_second(seconds > 0 ? interval.count() / seconds : 0.0);
      FillPercentiles(interval, ScaleOf(current->scales, key), h.mutable_interval());
    }
  }
}

}  // namespace admin
}  // namespace memkit
