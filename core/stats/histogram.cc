#include "core/stats/histogram.h"

#include <algorithm>
#include <cmath>

namespace memkit {
namespace stats {

size_t HistogramLayout::IndexOf(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const int exponent = 63 - __builtin_clzll(value);  // >= kSubBucketBits
  if (exponent >= kMaxBits) return kBucketCount - 1;
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub = (value >> shift) - kSubBuckets;  // 0 .. kSubBuckets-1
  return static_cast<size_t>(kSubBuckets + uint64_t(shift) * kSubBuckets + sub);
}

uint64_t HistogramLayout::LowerBound(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (index - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t HistogramLayout::UpperBound(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  return LowerBound(index) + (uint64_t{1} << shift) - 1;
}

HistogramSnapshot::HistogramSnapshot() : buckets_(HistogramLayout::kBucketCount, 0) {}

double HistogramSnapshot::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t HistogramSnapshot::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  if (percentile >= 100.0) return max_;
  if (percentile < 0.0) percentile = 0.0;
  // The rank of the value asked for, 1-based: the smallest value with at
  // least `percentile`% of the values at or below it.
  uint64_t rank =
      static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const uint64_t lo = HistogramLayout::LowerBound(i);
      const uint64_t hi = HistogramLayout::UpperBound(i);
      const uint64_t mid = lo + (hi - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

uint64_t HistogramSnapshot::CountAtOrBelow(uint64_t bound) const {
  uint64_t n = 0;
  const size_t last = HistogramLayout::IndexOf(bound);
  for (size_t i = 0; i <= last; ++i) n += buckets_[i];
  return n;
}

void HistogramSnapshot::Merge(const HistogramSnapshot& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

HistogramSnapshot HistogramSnapshot::Since(const HistogramSnapshot& earlier) const {
  HistogramSnapshot out;
  size_t first = buckets_.size();
  size_t last = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    // A recorder only grows; guard anyway against a Reset() in between.
    const uint64_t n = buckets_[i] >= earlier.buckets_[i] ? buckets_[i] - earlier.buckets_[i] : 0;
    out.buckets_[i] = n;
    out.count_ += n;
    if (n != 0) {
      first = std::min(first, i);
      last = i;
    }
  }
  out.sum_ = sum_ >= earlier.sum_ ? sum_ - earlier.sum_ : 0;
  if (out.count_ != 0) {
    out.min_ = std::max(HistogramLayout::LowerBound(first), min());
    out.max_ = std::min(HistogramLayout::UpperBound(last), max_);
  }
  return out;
}

Histogram::Histogram() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
}

void Histogram::RecordN(int64_t value, uint64_t n) {
  if (n == 0) return;
  const uint64_t v = value < 0 ? 0 : static_cast<uint64_t>(value);
  buckets_[HistogramLayout::IndexOf(v)].fetch_add(n, std::memory_order_relaxed);
  sum_.fetch_add(v * n, std::memory_order_relaxed);
  // Extremes: a CAS only when this value is a new one (rare once warm).
  uint64_t cur = min_.load(std::memory_order_relaxed);
  while (v < cur && !min_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
  cur = max_.load(std::memory_order_relaxed);
  while (v > cur && !max_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot s;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const uint64_t n = buckets_[i].load(std::memory_order_relaxed);
    s.buckets_[i] = n;
    s.count_ += n;
  }
  s.sum_ = sum_.load(std::memory_order_relaxed);
  s.min_ = min_.load(std::memory_order_relaxed);
  s.max_ = max_.load(std::memory_order_relaxed);
  if (s.count_ == 0) {
    s.min_ = UINT64_MAX;
    s.max_ = 0;
  }
  return s;
}

void Histogram::Merge(const HistogramSnapshot& snapshot) {
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (snapshot.buckets_[i] != 0) {
      buckets_[i].fetch_add(snapshot.buckets_[i], std::memory_order_relaxed);
    }
  }
  sum_.fetch_add(snapshot.sum_, std::memory_order_relaxed);
  if (snapshot.count_ == 0) return;
  uint64_t cur = min_.load(std::memory_order_relaxed);
  while (snapshot.min_ < cur &&
         !min_.compare_exchange_weak(cur, snapshot.min_, std::memory_order_relaxed)) {
  }
  cur = max_.load(std::memory_order_relaxed);
  while (snapshot.max_ > cur &&
         !max_.compare_exchange_weak(cur, snapshot.max_, std::memory_order_relaxed)) {
  }
}

void Histogram::Reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  min_.store(UINT64_MAX, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

}  // namespace stats
}  // namespace memkit
