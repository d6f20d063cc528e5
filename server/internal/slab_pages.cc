#include "server/internal/slab_pages.h"

namespace memkit {
namespace server {
namespace internal {

SlabPages::SlabPages(const SlabClasses* classes, uint64_t limit)
    : classes_(classes), limit_(limit) {}

bool SlabPages::TakeChunk(int id) {
  ClassState& c = states_[id];
  const uint64_t per_page = classes_->chunks_per_page(id);
  uint64_t used = c.used.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t capacity = c.pages.load(std::memory_order_acquire) * per_page;
    if (used < capacity) {
      if (c.used.compare_exchange_weak(used, used + 1, std::memory_order_relaxed)) return true;
      continue;  // `used` was reloaded by the failed exchange.
    }
    if (!AddPage(id)) return false;
    used = c.used.load(std::memory_order_relaxed);
  }
}

void SlabPages::ReturnChunk(int id) { states_[id].used.fetch_sub(1, std::memory_order_relaxed); }

bool SlabPages::AddPage(int id) {
  ClassState& c = states_[id];
  const uint64_t per_page = classes_->chunks_per_page(id);
  MutexLock lock(&grow_mu_);
  const uint64_t pages = c.pages.load(std::memory_order_relaxed);
  // Another thread added a page (or chunks came back) while we waited.
  if (c.used.load(std::memory_order_relaxed) < pages * per_page) return true;
  const uint64_t page = classes_->page_size();
  const uint64_t malloced = malloced_.load(std::memory_order_relaxed);
  if (pages > 0 && malloced + page > limit()) return false;
  malloced_.store(malloced + page, std::memory_order_relaxed);
  c.pages.store(pages + 1, std::memory_order_release);
  return true;
}

uint64_t SlabPages::pages(int id) const {
  return states_[id].pages.load(std::memory_order_relaxed);
}

uint64_t SlabPages::used_chunks(int id) const {
  return states_[id].used.load(std::memory_order_relaxed);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
