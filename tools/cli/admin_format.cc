#include "tools/cli/admin_format.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace memkit {
namespace cli {
namespace {

namespace v1 = ::memkit::admin::v1;

const char* KindName(v1::ScopeKind kind) {
  switch (kind) {
    case v1::SCOPE_KIND_COMPONENT:
      return "component";
    case v1::SCOPE_KIND_POOL:
      return "pool";
    case v1::SCOPE_KIND_SERVER:
      return "server";
    default:
      return "scope";
  }
}

const char* StateName(v1::ServerState state) {
  switch (state) {
    case v1::SERVER_STATE_UP:
      return "up";
    case v1::SERVER_STATE_EJECTED:
      return "ejected";
    case v1::SERVER_STATE_DRAINING:
      return "draining";
    case v1::SERVER_STATE_DRAINED:
      return "drained";
    case v1::SERVER_STATE_FAILING:
      return "failing";
    default:
      return "?";
  }
}

// "name{k=v,...}" with the labels sorted.
std::string Metric(const std::string& name,
                   const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return name;
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  return absl::StrCat(name, "{", absl::StrJoin(sorted, ",", absl::PairFormatter("=")), "}");
}

// A number without a pointless ".000000".
std::string Number(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v < 1e15 && v > -1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.3f", v);
}

// Rows of cells, padded to each column's width.
std::string Table(const std::vector<std::vector<std::string>>& rows, absl::string_view indent) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace

std::string FormatUnixNanos(int64_t nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(nanos), absl::UTCTimeZone());
}

std::string FormatSnapshot(const v1::StatsSnapshot& snapshot) {
  const bool interval = snapshot.interval_ms() > 0;
  std::string out =
      absl::StrCat(snapshot.component(), " at ", FormatUnixNanos(snapshot.time_unix_nanos()));
  if (interval) absl::StrAppend(&out, " (interval ", snapshot.interval_ms(), " ms)");
  absl::StrAppend(&out, "\n");
  for (const v1::StatsScope& scope : snapshot.scopes()) {
    absl::StrAppend(&out, KindName(scope.kind()), " ", scope.name());
    if (!scope.pool().empty()) absl::StrAppend(&out, " (pool ", scope.pool(), ")");
    absl::StrAppend(&out, "\n");
    std::vector<std::vector<std::string>> rows;
    for (const v1::Counter& c : scope.counters()) {
      std::vector<std::string> row = {Metric(c.name(), c.labels()), absl::StrCat(c.value())};
      if (interval) row.push_back(absl::StrFormat("%+d  %.1f/s", c.delta(), c.rate_per_second()));
      rows.push_back(std::move(row));
    }
    for (const v1::Gauge& g : scope.gauges()) {
      rows.push_back({Metric(g.name(), g.labels()), Number(g.value())});
    }
    out += Table(rows, "  ");
    if (scope.histograms_size() > 0) {
      std::vector<std::vector<std::string>> h = {
          {"HISTOGRAM", "UNIT", "COUNT", "P50", "P90", "P99", "P99.9", "MAX"}};
      for (const v1::Histogram& hist : scope.histograms()) {
        const v1::Percentiles& p = interval ? hist.interval() : hist.total();
        h.push_back({Metric(hist.name(), hist.labels()), hist.unit(),
                     absl::StrCat(interval ? hist.delta_count() : hist.count()), Number(p.p50()),
                     Number(p.p90()), Number(p.p99()), Number(p.p999()), Number(p.max())});
      }
      out += Table(h, "  ");
    }
    if (scope.memcached_stats_size() > 0) {
      std::vector<std::vector<std::string>> m;
      for (const v1::MemcachedStat& s : scope.memcached_stats()) m.push_back({s.name(), s.value()});
      absl::StrAppend(&out, "  memcached stats:\n", Table(m, "    "));
    }
  }
  return out;
}

std::string FormatPool(const v1::PoolInfo& pool) {
  std::string out = absl::StrCat("pool ", pool.name(), "  distribution=", pool.distribution(),
                                 " hash=", pool.hash(), "\n");
  std::vector<std::vector<std::string>> rows = {
      {"ADDRESS", "STATE", "WEIGHT", "SHARE", "REQUESTS", "FAILURES", "CONNS", "REASON"}};
  for (const v1::PoolServer& s : pool.servers()) {
    std::string reason = s.state_reason();
    if (s.ejected_until_unix_nanos() != 0) {
      absl::StrAppend(&reason, " (until ", FormatUnixNanos(s.ejected_until_unix_nanos()), ")");
    }
    rows.push_back({s.address(), StateName(s.state()), absl::StrCat(s.weight()),
                    absl::StrFormat("%.1f%%", 100 * s.placement_share()),
                    absl::StrCat(s.requests_total()), absl::StrCat(s.failures_total()),
                    absl::StrCat(s.connections()), reason});
  }
  out += Table(rows, "  ");
  if (pool.settings_size() > 0) {
    std::vector<std::string> settings;
    for (const v1::PoolSetting& s : pool.settings()) {
      settings.push_back(absl::StrCat(s.name(), "=", s.value()));
    }
    absl::StrAppend(&out, "  settings: ", absl::StrJoin(settings, " "), "\n");
  }
  return out;
}

std::string FormatConfig(const v1::GetConfigResponse& config) {
  std::string out = absl::StrCat(config.component());
  if (!config.config_path().empty()) absl::StrAppend(&out, " (", config.config_path(), ")");
  absl::StrAppend(&out, "\n");
  if (config.command_line_size() > 0) {
    absl::StrAppend(&out, "  command line: ", absl::StrJoin(config.command_line(), " "), "\n");
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::ConfigSetting& s : config.settings()) rows.push_back({s.name(), s.value()});
  out += Table(rows, "  ");
  if (!config.config_json().empty()) absl::StrAppend(&out, config.config_json(), "\n");
  return out;
}

std::string FormatConnections(const v1::ListConnectionsResponse& list) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PEER", "LOCAL", "PROTOCOL", "STATE", "IDLE_MS", "REQUESTS"}};
  for (const v1::ConnectionInfo& c : list.connections()) {
    rows.push_back({absl::StrCat(c.id()), c.peer_address(), c.local_address(),
                    c.protocol().empty() ? "-" : c.protocol(), c.state(), absl::StrCat(c.idle_ms()),
                    absl::StrCat(c.requests())});
  }
  return Table(rows, "");
}

std::string FormatFaults(const v1::FaultState& state) {
  const char* outage = state.outage() == v1::OUTAGE_KIND_REFUSE  ? "refuse"
                       : state.outage() == v1::OUTAGE_KIND_RESET ? "reset"
                                                                 : "none";
  return absl::StrCat("outage=", outage, " latency_us=", state.latency_us(),
                      " failures_pending=", state.failures_pending(),
                      " drops_pending=", state.drops_pending(), "\n");
}

std::string FormatConfigErrors(bool /*ok*/, absl::string_view verdict,
                               const google::protobuf::RepeatedPtrField<v1::ConfigError>& errors,
                               const google::protobuf::RepeatedPtrField<std::string>& changes) {
  std::string out = absl::StrCat(verdict, "\n");
  for (const v1::ConfigError& e : errors) {
    absl::StrAppend(&out, "  error: ", e.path().empty() ? "" : absl::StrCat(e.path(), ": "),
                    e.message(), "\n");
  }
  for (const std::string& c : changes) absl::StrAppend(&out, "  change: ", c, "\n");
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) {
    return "{}";
  }
  return out;
}

}  // namespace cli
}  // namespace memkit
