#include "core/net/internal/timer_queue.h"

#include <utility>

namespace memkit {
namespace net {
namespace internal {

uint32_t TimerQueue::AllocSlot() {
  uint32_t s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
  } else {
    s = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[s].in_use = true;
  slots_[s].cancelled = false;
  slots_[s].heap_index = kNone;
  return s;
}

void TimerQueue::FreeSlot(uint32_t s) {
  // Move the callback out first: destroying it may run arbitrary destructors
  // that call back into this queue, which must then see a consistent state.
  Callback dead = std::move(slots_[s].cb);
  Slot& slot = slots_[s];
  slot.cb = nullptr;
  slot.in_use = false;
  slot.cancelled = false;
  slot.heap_index = kNone;
  slot.interval = 0;
  if (++slot.generation == 0) slot.generation = 1;  // ids are never 0
  free_slots_.push_back(s);
}

TimerQueue::TimerId TimerQueue::Add(int64_t deadline, int64_t interval, Callback cb) {
  uint32_t s = AllocSlot();
  slots_[s].cb = std::move(cb);
  slots_[s].interval = interval > 0 ? interval : 0;
  Push(Entry{deadline, next_seq_++, s});
  return MakeId(s, slots_[s].generation);
}

bool TimerQueue::Cancel(TimerId id) {
  uint32_t s = static_cast<uint32_t>(id & 0xffffffffu);
  uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (id == 0 || s >= slots_.size()) return false;
  Slot& slot = slots_[s];
  if (!slot.in_use || slot.generation != generation) return false;
  if (slot.heap_index != kNone) {
    RemoveAt(slot.heap_index);
    FreeSlot(s);
    return true;
  }
  if (firing_ == s && !slot.cancelled) {
    // Its callback is running right now: RunExpired frees the slot after.
    slot.cancelled = true;
    return true;
  }
  return false;
}

size_t TimerQueue::RunExpired(int64_t now) {
  // Timers added from here on (including re-armed repeating ones) have a
  // sequence >= limit and wait for the next call.
  const uint64_t limit = next_seq_;
  size_t ran = 0;
  while (!heap_.empty() && heap_.front().deadline <= now && heap_.front().seq < limit) {
    const Entry e = heap_.front();
    RemoveAt(0);
    const uint32_t s = e.slot;
    Callback cb = std::move(slots_[s].cb);
    const int64_t interval = slots_[s].interval;
    ++ran;
    if (interval == 0) {
      FreeSlot(s);  // a Cancel() from inside the callback now returns false
      cb();
      continue;
    }
    firing_ = s;
    cb();
    firing_ = kNone;
    if (slots_[s].cancelled) {
      FreeSlot(s);
      continue;
    }
    int64_t next = e.deadline + interval;
    if (next <= now) next = now + interval;  // fell behind: skip missed periods
    slots_[s].cb = std::move(cb);
    Push(Entry{next, next_seq_++, s});
  }
  return ran;
}

void TimerQueue::Place(size_t index, const Entry& e) {
  heap_[index] = e;
  slots_[e.slot].heap_index = static_cast<uint32_t>(index);
}

void TimerQueue::Push(Entry e) {
  heap_.push_back(e);
  Place(heap_.size() - 1, e);
  SiftUp(heap_.size() - 1);
}

void TimerQueue::RemoveAt(size_t index) {
  slots_[heap_[index].slot].heap_index = kNone;
  Entry last = heap_.back();
  heap_.pop_back();
  if (index < heap_.size()) {
    Place(index, last);
    SiftUp(index);
    SiftDown(slots_[last.slot].heap_index);
  }
}

void TimerQueue::SiftUp(size_t index) {
  Entry e = heap_[index];
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (!Before(e, heap_[parent])) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, e);
}

void TimerQueue::SiftDown(size_t index) {
  Entry e = heap_[index];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], e)) break;
    Place(index, heap_[child]);
    index = child;
  }
  Place(index, e);
}

}  // namespace internal
}  // namespace net
}  // namespace memkit
