#include "core/stats/histogram.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "core/stats/counter.h"
#include "gtest/gtest.h"

namespace memkit {
namespace stats {
namespace {

// |got - want| <= 1% of want.
void ExpectWithinOnePercent(double got, double want, const char* what) {
  EXPECT_LE(std::fabs(got - want), 0.01 * want) << what << ": got " << got << ", want " << want;
}

TEST(HistogramLayoutTest, EveryBucketHoldsItsValuesWithinOnePercent) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    if (v > HistogramLayout::kMaxTrackable) continue;
    const size_t index = HistogramLayout::IndexOf(v);
    ASSERT_LT(index, HistogramLayout::kBucketCount);
    const uint64_t lo = HistogramLayout::LowerBound(index);
    const uint64_t hi = HistogramLayout::UpperBound(index);
    ASSERT_LE(lo, v);
    ASSERT_GE(hi, v);
    ASSERT_LE(static_cast<double>(hi - lo), 0.01 * static_cast<double>(lo) + 0.5) << v;
  }
  // Buckets tile the range: each starts right after the previous one.
  for (size_t i = 1; i < HistogramLayout::kBucketCount; ++i) {
    ASSERT_EQ(HistogramLayout::LowerBound(i), HistogramLayout::UpperBound(i - 1) + 1) << i;
  }
  EXPECT_EQ(HistogramLayout::UpperBound(HistogramLayout::kBucketCount - 1),
            HistogramLayout::kMaxTrackable);
}

TEST(HistogramTest, EmptyReadsZero) {
  Histogram h;
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.Percentile(50), 0u);
  EXPECT_EQ(s.min(), 0u);
  EXPECT_EQ(s.max(), 0u);
}

TEST(HistogramTest, ConstantDistributionIsExact) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.Record(123456789);
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count(), 1000u);
  for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(s.Percentile(p), 123456789u) << p;  // clamped to [min, max]
  }
  EXPECT_EQ(s.Mean(), 123456789.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (int v = 0; v < 100; ++v) h.Record(v);  // 0..99
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.Percentile(50), 49u);
  EXPECT_EQ(s.Percentile(90), 89u);
  EXPECT_EQ(s.Percentile(99), 98u);
  EXPECT_EQ(s.Percentile(100), 99u);
  EXPECT_EQ(s.min(), 0u);
}

TEST(HistogramTest, UniformDistributionPercentiles) {
  Histogram h;
  constexpr int kN = 1000000;
  for (int v = 1; v <= kN; ++v) h.Record(v);
  const HistogramSnapshot s = h.Snapshot();
  ASSERT_EQ(s.count(), static_cast<uint64_t>(kN));
  ExpectWithinOnePercent(s.Percentile(50), 500000, "p50");
  ExpectWithinOnePercent(s.Percentile(90), 900000, "p90");
  ExpectWithinOnePercent(s.Percentile(99), 990000, "p99");
  ExpectWithinOnePercent(s.Percentile(99.9), 999000, "p99.9");
  EXPECT_EQ(s.Percentile(100), static_cast<uint64_t>(kN));
  EXPECT_EQ(s.min(), 1u);
  EXPECT_DOUBLE_EQ(s.Mean(), (kN + 1) / 2.0);
}

TEST(HistogramTest, ExponentialDistributionPercentiles) {
  // Deterministic exponential sample: the (i + 0.5)/N quantiles of an
  // exponential with mean 100 us, in nanoseconds; its p-th percentile is
  // -mean * ln(1 - p).
  constexpr double kMean = 100000.0;
  constexpr int kN = 200000;
  Histogram h;
  for (int i = 0; i < kN; ++i) {
    h.Record(static_cast<int64_t>(-kMean * std::log(1.0 - (i + 0.5) / kN)));
  }
  const HistogramSnapshot s = h.Snapshot();
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    ExpectWithinOnePercent(s.Percentile(p), -kMean * std::log(1.0 - p / 100.0), "percentile");
  }
  ExpectWithinOnePercent(s.Mean(), kMean, "mean");
}

TEST(HistogramTest, HugeValuesLandInTheLastBucketWithExactMax) {
  Histogram h;
  h.Record(int64_t{1} << 60);
  h.Record(-5);  // as 0
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.buckets()[HistogramLayout::kBucketCount - 1], 1u);
  EXPECT_EQ(s.buckets()[0], 1u);
  EXPECT_EQ(s.max(), uint64_t{1} << 60);
  EXPECT_EQ(s.Percentile(100), uint64_t{1} << 60);
}

TEST(HistogramTest, MergeAddsDistributions) {
  Histogram a;
  Histogram b;
  for (int v = 1; v <= 1000; ++v) a.Record(v);
  for (int v = 1001; v <= 2000; ++v) b.Record(v);
  HistogramSnapshot merged = a.Snapshot();
  merged.Merge(b.Snapshot());
  EXPECT_EQ(merged.count(), 2000u);
  EXPECT_EQ(merged.min(), 1u);
  EXPECT_EQ(merged.max(), 2000u);
  ExpectWithinOnePercent(merged.Percentile(50), 1000, "p50");
  ExpectWithinOnePercent(merged.Percentile(75), 1500, "p75");

  Histogram c;  // a recorder can absorb snapshots too
  c.Merge(a.Snapshot());
  c.Merge(b.Snapshot());
  EXPECT_EQ(c.Snapshot().count(), 2000u);
  EXPECT_EQ(c.Snapshot().sum(), merged.sum());
  EXPECT_EQ(c.Snapshot().max(), 2000u);
}

TEST(HistogramTest, SinceIsTheIntervalsValues) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.Record(1000);
  const HistogramSnapshot before = h.Snapshot();
  for (int i = 0; i < 100; ++i) h.Record(50000);
  const HistogramSnapshot interval = h.Snapshot().Since(before);
  EXPECT_EQ(interval.count(), 100u);
  EXPECT_EQ(interval.sum(), 100u * 50000u);
  ExpectWithinOnePercent(interval.Percentile(50), 50000, "interval p50");
  ExpectWithinOnePercent(interval.min(), 50000, "interval min");
}

TEST(HistogramTest, CountAtOrBelow) {
  Histogram h;
  for (int v = 1; v <= 1000; ++v) h.Record(v * 1000);
  const HistogramSnapshot s = h.Snapshot();
  ExpectWithinOnePercent(s.CountAtOrBelow(500000), 500, "<= 500000");
  EXPECT_EQ(s.CountAtOrBelow(2000000), 1000u);
  EXPECT_EQ(s.CountAtOrBelow(0), 0u);
}

TEST(HistogramTest, ResetForgets) {
  Histogram h;
  h.Record(7);
  h.Reset();
  EXPECT_EQ(h.Snapshot().count(), 0u);
  EXPECT_EQ(h.Snapshot().max(), 0u);
}

TEST(HistogramTest, ConcurrentRecordersLoseNothing) {
  Histogram h;
  Counter counter;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, &counter, t] {
      for (int i = 0; i < kPerThread; ++i) {
        h.Record(t * kPerThread + i + 1);
        counter.Increment();
      }
    });
  }
  // Snapshots while recording must stay self-consistent.
  for (int i = 0; i < 20; ++i) {
    const HistogramSnapshot s = h.Snapshot();
    uint64_t total = 0;
    for (uint64_t b : s.buckets()) total += b;
    EXPECT_EQ(total, s.count());
  }
  for (auto& t : threads) t.join();
  const HistogramSnapshot s = h.Snapshot();
  constexpr uint64_t kN = uint64_t{kThreads} * kPerThread;
  EXPECT_EQ(s.count(), kN);
  EXPECT_EQ(counter.value(), kN);
  EXPECT_EQ(s.sum(), kN * (kN + 1) / 2);
  EXPECT_EQ(s.min(), 1u);
  EXPECT_EQ(s.max(), kN);
  ExpectWithinOnePercent(s.Percentile(50), kN / 2.0, "p50");
}

TEST(GaugeTest, GoesUpAndDown) {
  Gauge g;
  g.Add(5);
  g.Add(-2);
  EXPECT_EQ(g.value(), 3);
  g.Set(-1);
  EXPECT_EQ(g.value(), -1);
}

}  // namespace
}  // namespace stats
}  // namespace memkit
