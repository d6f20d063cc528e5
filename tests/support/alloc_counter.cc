#include "tests/support/alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace memkit {
namespace test_support {
namespace {

std::atomic<int64_t> g_total{0};
std::atomic<size_t> g_largest{0};
// Plain thread_locals (trivially constructed): operator new may run before
// any constructor, and on any thread.
thread_local int64_t t_this_thread = 0;
thread_local bool t_uncounted = false;

void* CountedAlloc(size_t n) {
  if (!t_uncounted) {
    g_total.fetch_add(1, std::memory_order_relaxed);
    ++t_this_thread;
  }
  size_t seen = g_largest.load(std::memory_order_relaxed);
  while (n > seen && !g_largest.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
  return std::malloc(n == 0 ? 1 : n);
}

void* CountedAllocOrAbort(size_t n) {
  void* p = CountedAlloc(n);
  if (p == nullptr) std::abort();  // memkit has no exceptions: out of memory ends the test
  return p;
}

}  // namespace

AllocCounter::Snapshot AllocCounter::Now() {
  Snapshot s;
  s.total = g_total.load(std::memory_order_relaxed);
  s.this_thread = t_this_thread;
  return s;
}

AllocCounter::Snapshot AllocCounter::Since(const Snapshot& before) {
  Snapshot now = Now();
  now.total -= before.total;
  now.this_thread -= before.this_thread;
  return now;
}

size_t AllocCounter::Largest() { return g_largest.load(std::memory_order_relaxed); }

void AllocCounter::ResetLargest() { g_largest.store(0, std::memory_order_relaxed); }

ScopedUncountedThread::ScopedUncountedThread() : was_uncounted_(t_uncounted) { t_uncounted = true; }

ScopedUncountedThread::~ScopedUncountedThread() { t_uncounted = was_uncounted_; }

}  // namespace test_support
}  // namespace memkit

using memkit::test_support::CountedAlloc;
using memkit::test_support::CountedAllocOrAbort;

void* operator new(size_t n) { return CountedAllocOrAbort(n); }
void* operator new[](size_t n) { return CountedAllocOrAbort(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
