// Counts heap allocations, for tests that promise a path allocates nothing
// once warm (or allocates at most so much). Linking `//tests/support:alloc_counter`
// replaces the global operator new / delete of the whole binary with
// counting versions over malloc/free, so it belongs in a test (or bench)
// binary of its own.
//
//   const AllocCounter::Snapshot before = AllocCounter::Now();
//   client->Get("k", &value);
//   EXPECT_EQ(AllocCounter::Since(before).total, 0);
//
// Thread-safety: every function may be called from any thread. Totals count
// every thread; per-thread counts only the calling thread.

#ifndef MEMKIT_TESTS_SUPPORT_ALLOC_COUNTER_H_
#define MEMKIT_TESTS_SUPPORT_ALLOC_COUNTER_H_

#include <cstddef>
#include <cstdint>

namespace memkit {
namespace test_support {

class AllocCounter {
 public:
  struct Snapshot {
    int64_t total = 0;        // operator new calls on counted threads
    int64_t this_thread = 0;  // of which on the calling thread
  };

  // The counts so far.
  static Snapshot Now();
  // The counts since `before` (taken on the same thread).
  static Snapshot Since(const Snapshot& before);

  // The largest single allocation (bytes) since the last ResetLargest().
  static size_t Largest();
  static void ResetLargest();
};

// While one lives, the calling thread's allocations are not counted at all
// (e.g. a test's client thread, when only the server's threads are measured).
class ScopedUncountedThread {
 public:
  ScopedUncountedThread();
  ~ScopedUncountedThread();
  ScopedUncountedThread(const ScopedUncountedThread&) = delete;
  ScopedUncountedThread& operator=(const ScopedUncountedThread&) = delete;

 private:
  const bool was_uncounted_;
};

}  // namespace test_support
}  // namespace memkit

#endif  // MEMKIT_TESTS_SUPPORT_ALLOC_COUNTER_H_
