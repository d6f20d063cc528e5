#include "core/sync/mutex.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace memkit {
namespace {

class GuardedCounter {
 public:
  void Add(int n) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    total_ += n;
  }
  int Get() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    return total_;
  }

 private:
  Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(MutexTest, SerialisesWriters) {
  GuardedCounter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < 10000; ++i) counter.Add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.Get(), 40000);
}

TEST(MutexTest, TryLockFailsWhileHeld) {
  Mutex mu;
  mu.Lock();
  bool taken = true;
  std::thread other([&] {
    taken = false;
    if (mu.TryLock()) {
      taken = true;
      mu.Unlock();
    }
  });
  other.join();
  mu.Unlock();
  EXPECT_FALSE(taken);
  bool relocked = false;
  if (mu.TryLock()) {
    relocked = true;
    mu.Unlock();
  }
  EXPECT_TRUE(relocked);
}

TEST(MutexTest, ReleasableLockReleasesEarly) {
  Mutex mu;
  ReleasableMutexLock lock(&mu);
  lock.Release();
  bool relocked = false;
  if (mu.TryLock()) {
    relocked = true;
    mu.Unlock();
  }
  EXPECT_TRUE(relocked);
}

TEST(SharedMutexTest, ReadersShareWritersExclude) {
  SharedMutex mu;
  int value = 0;
  {
    ReaderMutexLock a(&mu);
    // A second reader gets in while the first holds the lock.
    std::thread reader([&] { ReaderMutexLock b(&mu); });
    reader.join();
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        WriterMutexLock w(&mu);
        ++value;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(value, 40000);
}

TEST(CondVarTest, WaitSeesTheSignalledState) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::thread signaller([&] {
    MutexLock lock(&mu);
    ready = true;
    cv.SignalAll();
  });
  {
    MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
    EXPECT_TRUE(ready);
  }
  signaller.join();
}

TEST(CondVarTest, WaitWithTimeoutTimesOutWithoutSignal) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  const absl::Time start = absl::Now();
  bool timed_out = false;
  // Spurious wake-ups return false early; loop until the deadline passes.
  while (!timed_out && absl::Now() - start < absl::Seconds(5)) {
    timed_out = cv.WaitWithTimeout(&mu, absl::Milliseconds(5));
  }
  EXPECT_TRUE(timed_out);
}

}  // namespace
}  // namespace memkit
