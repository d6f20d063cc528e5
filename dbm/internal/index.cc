#include "dbm/internal/index.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace memkit {
namespace dbm {
namespace internal {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t CapacityFor(size_t expected) {
  size_t capacity = Index::kMinCapacity;
  while (Index::MaxLoad(capacity) < expected) capacity *= 2;
  return capacity;
}

}  // namespace

void SlotArrayDeleter::operator()(Slot* slots) const {
  if (mapped) {
    munmap(slots, bytes);
  } else {
    std::free(slots);
  }
}

SlotArray Index::AllocateSlots(size_t capacity, bool zero) {
  const size_t bytes = capacity * sizeof(Slot);
  if (bytes >= kHugePage) {
    // Anonymous mappings come zeroed; over-allocate to align to a huge page.
    const size_t mapped = bytes + kHugePage;
    void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();  // out of memory, as operator new would
    const uintptr_t start = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned > start) munmap(p, aligned - start);
    const size_t tail = mapped - (aligned - start) - bytes;
    if (tail > 0) munmap(reinterpret_cast<char*>(aligned) + bytes, tail);
    madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
    return SlotArray(reinterpret_cast<Slot*>(aligned), SlotArrayDeleter{bytes, true});
  }
  void* p = zero ? std::calloc(capacity, sizeof(Slot)) : std::malloc(bytes);
  if (p == nullptr) std::abort();
  return SlotArray(static_cast<Slot*>(p), SlotArrayDeleter{bytes, false});
}

Index::Index(size_t expected)
    : slots_(AllocateSlots(CapacityFor(expected), /*zero=*/true)),
      mask_(CapacityFor(expected) - 1),
      count_(0) {
  Publish();
}

Index::Index(SlotArray slots, size_t capacity, size_t count)
    : slots_(std::move(slots)), mask_(capacity - 1), count_(count) {
  Publish();
}

Index::Index(Index&& other) noexcept
    : slots_(std::move(other.slots_)), mask_(other.mask_), count_(other.count_) {
  Publish();
}

Index& Index::operator=(Index&& other) noexcept {
  slots_ = std::move(other.slots_);
  mask_ = other.mask_;
  count_ = other.count_;
  Publish();
  return *this;
}

Index Index::Clone() const {
  SlotArray copy = AllocateSlots(capacity(), /*zero=*/false);
  std::memcpy(copy.get(), slots_.get(), capacity() * sizeof(Slot));
  return Index(std::move(copy), capacity(), count_);
}

void Index::Grow() {
  const size_t old_capacity = capacity();
  const size_t new_capacity = old_capacity * 2;
  auto fresh = AllocateSlots(new_capacity, /*zero=*/true);
  const size_t new_mask = new_capacity - 1;
  for (size_t j = 0; j < old_capacity; ++j) {
    const Slot& s = slots_[j];
    if (s.offset == 0) continue;
    size_t i = s.hash & new_mask;
    while (fresh[i].offset != 0) i = (i + 1) & new_mask;
    fresh[i] = s;
  }
  slots_ = std::move(fresh);
  mask_ = new_mask;
  Publish();
}

void Index::EraseSlot(size_t i) {
  // Backward-shift deletion: move each later entry of the cluster into the
  // hole unless its home slot lies cyclically in (hole, entry].
  size_t hole = i;
  for (size_t j = (i + 1) & mask_; slots_[j].offset != 0; j = (j + 1) & mask_) {
    const size_t home = slots_[j].hash & mask_;
    const bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole].offset = 0;
  slots_[hole].hash = 0;
  --count_;
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
