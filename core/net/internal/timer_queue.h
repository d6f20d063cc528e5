// The timer structure behind EventLoop::RunAfter/RunEvery: a binary min-heap
// of (deadline, sequence) with an index back into a slot table, so that
// adding, cancelling and firing are O(log n) and reuse memory (no allocation
// once the heap and slot table have grown to the peak number of timers,
// unless a callback's captures exceed AnyInvocable's inline storage).
//
// Time is whatever the caller passes in (the loop passes monotonic
// nanoseconds), which keeps this class deterministic under test.
//
// Ordering: timers fire by deadline; equal deadlines fire in the order they
// were added. A repeating timer that falls behind skips the missed periods
// instead of firing in a burst. Timers added by a callback during
// RunExpired() never fire in that same call, so a callback re-arming itself
// with a zero delay cannot starve I/O.
//
// Thread-compatible: one thread at a time (the loop thread).

#ifndef MEMKIT_CORE_NET_INTERNAL_TIMER_QUEUE_H_
#define MEMKIT_CORE_NET_INTERNAL_TIMER_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace memkit {
namespace net {
namespace internal {

class TimerQueue {
 public:
  using Callback = absl::AnyInvocable<void()>;
  // 0 is never a valid id.
  using TimerId = uint64_t;
  static constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Schedules `cb` at `deadline`; with `interval` > 0 it repeats every
  // `interval` after that until cancelled.
  TimerId Add(int64_t deadline, int64_t interval, Callback cb);

  // Cancels a pending timer, or a repeating one (even from inside its own
  // callback). Returns false if `id` already fired (one-shot), was cancelled,
  // or never existed. Never runs or destroys a callback that is executing.
  bool Cancel(TimerId id);

  // The earliest deadline, or kNoDeadline when no timer is pending.
  int64_t NextDeadline() const { return heap_.empty() ? kNoDeadline : heap_.front().deadline; }

  // Runs every timer whose deadline is <= `now`. Returns how many ran.
  size_t RunExpired(int64_t now);

  // Pending timers (a repeating timer counts once).
  size_t size() const { return heap_.size() + (firing_ != kNone ? 1 : 0); }
  bool empty() const { return size() == 0; }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  struct Entry {
    int64_t deadline;
    uint64_t seq;
    uint32_t slot;
  };
  struct Slot {
    Callback cb;
    int64_t interval = 0;
    uint32_t heap_index = kNone;  // kNone while firing or free
    uint32_t generation = 1;      // bumped when the slot is freed
    bool in_use = false;
    bool cancelled = false;  // cancelled while its callback runs
  };

  static bool Before(const Entry& a, const Entry& b) {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  static TimerId MakeId(uint32_t slot, uint32_t generation) {
    return (static_cast<uint64_t>(generation) << 32) | slot;
  }

  uint32_t AllocSlot();
  void FreeSlot(uint32_t slot);
  void Push(Entry e);
  void RemoveAt(size_t index);
  void SiftUp(size_t index);
  void SiftDown(size_t index);
  void Place(size_t index, const Entry& e);

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_seq_ = 0;
  uint32_t firing_ = kNone;  // slot whose callback is running
};

}  // namespace internal
}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_INTERNAL_TIMER_QUEUE_H_
