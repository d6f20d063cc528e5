#include "tools/bench/workload.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace bench {

absl::string_view OpTypeName(OpType type) {
  switch (type) {
    case OpType::kGet: return "get";
    case OpType::kSet: return "set";
    case OpType::kMultiGet: return "multiget";
  }
  return "?";
}

absl::Status BenchOptions::Validate() const {
  auto bad = [](absl::string_view what) { return absl::InvalidArgumentError(what); };
  if (server.empty()) return bad("server is empty");
  if (threads < 1 || threads > 256) return bad("threads must be 1..256");
  if (connections_per_thread < 1 || connections_per_thread > 10000) {
    return bad("connections must be 1..10000 per thread");
  }
  if (pipeline < 1 || pipeline > 10000) return bad("pipeline must be 1..10000");
  if (get_weight < 0 || set_weight < 0 || multiget_weight < 0 ||
      get_weight + set_weight + multiget_weight == 0) {
    return bad("the ratio needs non-negative weights, not all zero");
  }
  if (multiget_width < 1 || multiget_width > 10000) return bad("multiget width must be 1..10000");
  if (key_count < 1) return bad("key count must be at least 1");
  if (key_prefix.size() + 20 > 250) return bad("key prefix is too long for a memcached key");
  for (char c : key_prefix) {
    if (c <= ' ' || c == 0x7f) return bad("key prefix must not hold spaces or control characters");
  }
  if (!(zipf_theta > 0 && zipf_theta < 1)) return bad("zipf theta must be between 0 and 1");
  if (value_min > value_max) return bad("value size range is empty (min > max)");
  if (value_max > (size_t{1} << 30)) return bad("value size must be at most 1 GiB");
  if (duration <= absl::ZeroDuration() && requests == 0) {
    return bad("give a positive duration or a request count");
  }
  if (rate < 0) return bad("rate must not be negative");
  return absl::OkStatus();
}

namespace {

double Zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; ++i) sum += 1.0 / std::pow(static_cast<double>(i), theta);
  return sum;
}

}  // namespace

Workload::Workload(const BenchOptions& options) : options_(options) {
  total_weight_ = options.get_weight + options.set_weight + options.multiget_weight;
  value_bytes_.resize(options.value_max);
  WorkloadRandom rng(42);
  for (char& c : value_bytes_) c = static_cast<char>('a' + rng() % 26);
  if (options.key_pattern == KeyPattern::kZipfian) {
    const double theta = options.zipf_theta;
    zeta_n_ = Zeta(options.key_count, theta);
    zeta_2_ = Zeta(2, theta);
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1 - std::pow(2.0 / static_cast<double>(options.key_count), 1 - theta)) /
           (1 - zeta_2_ / zeta_n_);
  }
}

OpType Workload::NextOp(WorkloadRandom* rng) const {
  int pick = static_cast<int>((*rng)() % static_cast<uint64_t>(total_weight_));
  if (pick < options_.get_weight) return OpType::kGet;
  pick -= options_.get_weight;
  if (pick < options_.set_weight) return OpType::kSet;
  return OpType::kMultiGet;
}

uint64_t Workload::NextZipfian(WorkloadRandom* rng) const {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
  const double uz = u * zeta_n_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + std::pow(0.5, options_.zipf_theta)) return 1;
  const uint64_t n = options_.key_count;
  uint64_t index = static_cast<uint64_t>(static_cast<double>(n) * std::pow(eta_ * u - eta_ + 1, alpha_));
  return index >= n ? n - 1 : index;
}

uint64_t Workload::NextKeyIndex(WorkloadRandom* rng, uint64_t* cursor) const {
  switch (options_.key_pattern) {
    case KeyPattern::kSequential: {
      const uint64_t index = *cursor % options_.key_count;
      ++*cursor;
      return index;
    }
    case KeyPattern::kUniform:
      return (*rng)() % options_.key_count;
    case KeyPattern::kZipfian:
      return NextZipfian(rng);
  }
  return 0;
}

void Workload::AppendKey(uint64_t index, std::string* out) const {
  absl::StrAppend(out, options_.key_prefix, index);
}

size_t Workload::NextValueSize(WorkloadRandom* rng) const {
  if (options_.value_min == options_.value_max) return options_.value_min;
  return options_.value_min + (*rng)() % (options_.value_max - options_.value_min + 1);
}

}  // namespace bench
}  // namespace memkit
