// memkit::stats::Histogram: a log-linear histogram of non-negative integers
// (latencies in nanoseconds, sizes in bytes), in the manner of HdrHistogram:
// values below 128 have a bucket each; above, every power of two is split
// into 128 equal buckets, so a bucket is at most 1/128 of its values wide and
// a percentile is reported within 0.4% (at most 1%) of the true value.
// Memory is fixed (kBucketCount counters, about 38 KB); values at or above
// kMaxTrackable land in the last bucket (max() stays exact).
//
//   stats::Histogram latency;                    // shared by every worker
//   latency.Record(absl::ToInt64Nanoseconds(elapsed));
//   stats::HistogramSnapshot s = latency.Snapshot();
//   double p99 = s.Percentile(99.0);
//
// Histogram is the recorder: Record() is lock-free (relaxed atomic adds),
// safe from any number of threads, and costs a few nanoseconds.
// HistogramSnapshot is a plain value copied out of it: percentiles, merging
// (several recorders into one), and subtraction (the values recorded between
// two snapshots of one recorder, for rates over an interval).
//
// Thread-safety: Histogram: every method from any thread; a Snapshot() taken
// while others record sees each bucket at some moment during the call (counts
// are consistent with the buckets, not with concurrent Record() calls that
// have not finished). HistogramSnapshot: a value type, not synchronised.

#ifndef MEMKIT_CORE_STATS_HISTOGRAM_H_
#define MEMKIT_CORE_STATS_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace memkit {
namespace stats {

// The bucket layout shared by Histogram and HistogramSnapshot.
struct HistogramLayout {
  // Buckets per power of two (and the count of exact buckets below it).
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 128
  // Values up to 2^44 - 1 (4.9 hours in nanoseconds) are tracked precisely.
  static constexpr int kMaxBits = 44;
  static constexpr uint64_t kMaxTrackable = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBucketCount =
      kSubBuckets + (kMaxBits - kSubBucketBits) * kSubBuckets;  // 4864

  // The bucket holding `value` (values above kMaxTrackable: the last).
  static size_t IndexOf(uint64_t value);
  // The smallest and largest values bucket `index` holds.
  static uint64_t LowerBound(size_t index);
  static uint64_t UpperBound(size_t index);
};

class HistogramSnapshot {
 public:
  HistogramSnapshot();

  // Values recorded.
  uint64_t count() const { return count_; }
  // Their sum (wraps after 2^64, which at nanoseconds is 584 years of latency).
  uint64_t sum() const { return sum_; }
  // Smallest and largest value recorded; 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;

  // The value below or at which `percentile` percent (0..100) of the values
  // fall: the middle of the bucket holding that rank, clamped to
  // [min(), max()]. 0 when empty; Percentile(100) is max().
  uint64_t Percentile(double percentile) const;

  // Values recorded that are <= `bound` (counted per bucket: a bucket
  // straddling `bound` counts when its lower bound is <= `bound`).
  uint64_t CountAtOrBelow(uint64_t bound) const;

  // Adds `other`'s values to this one (both must come from HistogramLayout).
  void Merge(const HistogramSnapshot& other);
  // The values recorded after `earlier` (an older snapshot of the same
  // recorder). min and max of the interval are those of its buckets
  // (bucket-accurate), since exact extremes of an interval are not kept.
  HistogramSnapshot Since(const HistogramSnapshot& earlier) const;

  // Bucket counts, indexed as HistogramLayout.
  const std::vector<uint64_t>& buckets() const { return buckets_; }

 private:
  friend class Histogram;

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

class Histogram {
 public:
  Histogram();
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one value (negative values record as 0).
  void Record(int64_t value) { RecordN(value, 1); }
  // Records `value` `n` times.
  void RecordN(int64_t value, uint64_t n);

  // A copy of everything recorded so far.
  HistogramSnapshot Snapshot() const;
  // Adds a snapshot's values (for a component that merges per-thread or
  // per-server recorders into one).
  void Merge(const HistogramSnapshot& snapshot);
  // Forgets everything recorded (not atomic with concurrent Record()s: a
  // value recorded during Reset may half survive, as in "stats reset").
  void Reset();

 private:
  std::array<std::atomic<uint64_t>, HistogramLayout::kBucketCount> buckets_;
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
  std::atomic<uint64_t> max_{0};
};

}  // namespace stats
}  // namespace memkit

#endif  // MEMKIT_CORE_STATS_HISTOGRAM_H_
