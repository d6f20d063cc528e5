// The in-memory index of a dbm file: key hash -> offset of the key's record.
//
// Open addressing with linear probing over 16-byte slots {hash, offset}; an
// offset of 0 marks an empty slot (offset 0 is the file header, never a
// record). Keys are not stored: callers pass an `eq(offset)` predicate that
// compares the key of the record at `offset` with the wanted key, and it is
// only called for slots whose full 64-bit hash matches. Deletion shifts later
// entries back, so there are no tombstones and probe lengths stay short.
//
// The slot array is the hint file's payload, so opening a database can load
// the index with one read instead of re-reading every record.
//
// Thread-safety: none; the Db guards it with its lock.

#ifndef MEMKIT_DBM_INTERNAL_INDEX_H_
#define MEMKIT_DBM_INTERNAL_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace memkit {
namespace dbm {
namespace internal {

struct Slot {
  uint64_t hash;
  uint64_t offset;  // 0: empty
};
static_assert(sizeof(Slot) == 16, "the hint file stores slots verbatim");

// Frees a slot array from Index::AllocateSlots.
struct SlotArrayDeleter {
  size_t bytes = 0;
  bool mapped = false;  // from mmap (large arrays) rather than malloc
  void operator()(Slot* slots) const;
};
using SlotArray = std::unique_ptr<Slot[], SlotArrayDeleter>;

class Index {
 public:
  static constexpr size_t kMinCapacity = 16;

  // An empty index with room for about `expected` keys before it grows.
  explicit Index(size_t expected = 0);

  // Takes a slot array of `capacity` (a power of two >= kMinCapacity) holding
  // `count` entries, such as one loaded from a hint file. Requires
  // count <= MaxLoad(capacity) so probes always meet an empty slot.
  Index(SlotArray slots, size_t capacity, size_t count);

  Index(Index&& other) noexcept;
  Index& operator=(Index&& other) noexcept;

  // Starts loading the slot where `hash` would be found. Callable from any
  // thread without the lock that guards the index: it may use a stale
  // table, which is harmless since a prefetch never faults. Lets a writer
  // overlap the table's cache miss with its other work.
  void Prefetch(uint64_t hash) const {
    const Slot* slots = published_slots_.load(std::memory_order_relaxed);
    const size_t mask = published_mask_.load(std::memory_order_relaxed);
    __builtin_prefetch(slots + (hash & mask), 1);
  }

  // A slot array for the constructor above, zeroed or not. Large arrays are
  // mapped with transparent huge pages requested: a lookup is one random
  // access into the table, and 4 KiB pages would add a TLB miss to it.
  static SlotArray AllocateSlots(size_t capacity, bool zero);
  static size_t MaxLoad(size_t capacity) { return capacity - capacity / 4; }

  // A copy of the table, for writing a hint without holding a lock.
  Index Clone() const;

  size_t size() const { return count_; }
  size_t capacity() const { return mask_ + 1; }
  const Slot* slots() const { return slots_.get(); }
  Slot* mutable_slots() { return slots_.get(); }

  // The offset stored for the key, or 0.
  template <typename Eq>
  uint64_t Find(uint64_t hash, Eq eq) const {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.offset == 0) return 0;
      if (s.hash == hash && eq(s.offset)) return s.offset;
    }
  }

  static constexpr size_t kNoSlot = ~size_t{0};

  // The slot holding the key, or kNoSlot.
  template <typename Eq>
  size_t FindSlot(uint64_t hash, Eq eq) const {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.offset == 0) return kNoSlot;
      if (s.hash == hash && eq(s.offset)) return i;
    }
  }

  // Empties slot `i` (from FindSlot), keeping every other key findable.
  void EraseSlot(size_t i);

  // Points the key at `offset`; returns the offset it replaced, or 0.
  template <typename Eq>
  uint64_t Upsert(uint64_t hash, uint64_t offset, Eq eq) {
    if (count_ + 1 > MaxLoad(capacity())) Grow();
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.offset == 0) {
        s.hash = hash;
        s.offset = offset;
        ++count_;
        return 0;
      }
      if (s.hash == hash && eq(s.offset)) {
        const uint64_t old = s.offset;
        s.offset = offset;
        return old;
      }
    }
  }

  // Removes the key; returns its offset, or 0 if it was absent.
  template <typename Eq>
  uint64_t Erase(uint64_t hash, Eq eq) {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.offset == 0) return 0;
      if (s.hash == hash && eq(s.offset)) {
        const uint64_t old = s.offset;
        EraseSlot(i);
        return old;
      }
    }
  }

 private:
  void Grow();
  void Publish() {
    published_slots_.store(slots_.get(), std::memory_order_relaxed);
    published_mask_.store(mask_, std::memory_order_relaxed);
  }

  SlotArray slots_;
  size_t mask_;
  size_t count_;
  // Copies of slots_ and mask_ for Prefetch().
  std::atomic<const Slot*> published_slots_{nullptr};
  std::atomic<size_t> published_mask_{0};
};

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_INDEX_H_
