// ItemPins: keeps stored items alive while their value bytes sit, by
// reference, in a connection's output queue (net::OutputQueue::AppendRef),
// so a get reply is written straight from item memory without a copy.
//
// Each pin is a slot holding an ItemRef; the output queue's release
// callback empties the slot and returns it to a free list. Slots come in
// blocks that are never freed while the owner lives, so once a connection
// has reached its working set of in-flight values nothing allocates.
//
// The owner must outlive every queue it pinned into (a session declares its
// ItemPins before its Connection, so the connection and its queue go first).
//
// Thread-compatible: the owning connection's loop thread.

#ifndef MEMKIT_SERVER_HANDLERS_ITEM_PINS_H_
#define MEMKIT_SERVER_HANDLERS_ITEM_PINS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/strings/string_view.h"
#include "core/net/output_queue.h"
#include "server/cache_types.h"

namespace memkit {
namespace server {
namespace internal {

class ItemPins {
 public:
  ItemPins() = default;
  ItemPins(const ItemPins&) = delete;
  ItemPins& operator=(const ItemPins&) = delete;

  // Appends `bytes` (which `ref` keeps alive) to `out`: by reference, pinned
  // until written, or copied when small.
  void AppendValue(net::OutputQueue* out, const ItemRef& ref, absl::string_view bytes) {
    if (bytes.size() <= net::OutputQueue::kCopyThreshold) {
      out->Append(bytes);
      return;
    }
    Slot* slot = Take();
    slot->ref = ref;
    out->AppendRef(bytes, &ItemPins::Release, slot);
  }

  // Slots currently pinning an item (tests).
  size_t in_use() const { return in_use_; }

 private:
  struct Slot {
    ItemRef ref;
    Slot* next_free = nullptr;
    ItemPins* owner = nullptr;
  };
  static constexpr size_t kBlockSize = 32;

  Slot* Take() {
    if (free_ == nullptr) Grow();
    Slot* slot = free_;
    free_ = slot->next_free;
    ++in_use_;
    return slot;
  }

  static void Release(void* arg) {
    Slot* slot = static_cast<Slot*>(arg);
    slot->ref.reset();
    ItemPins* owner = slot->owner;
    slot->next_free = owner->free_;
    owner->free_ = slot;
    --owner->in_use_;
  }

  // A block of slots and the next (older) block: a chain, so an owner that
  // never pins anything costs one pointer.
  struct Block {
    explicit Block(size_t n) : slots(std::make_unique<Slot[]>(n)) {}
    std::unique_ptr<Slot[]> slots;
    std::unique_ptr<Block> next;
  };

  void Grow() {
    // Blocks grow 1, 2, 4, ..., kBlockSize slots: most connections pin one or
    // two values at a time, and 10,000 idle ones should not hold 32 each.
    const size_t n = std::min(kBlockSize, size_t{1} << std::min<uint32_t>(block_count_, 5));
    auto block = std::make_unique<Block>(n);
    for (size_t i = 0; i < n; ++i) {
      block->slots[i].owner = this;
      block->slots[i].next_free = free_;
      free_ = &block->slots[i];
    }
    block->next = std::move(blocks_);
    blocks_ = std::move(block);
    ++block_count_;
  }

  std::unique_ptr<Block> blocks_;
  Slot* free_ = nullptr;
  uint32_t in_use_ = 0;
  uint32_t block_count_ = 0;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_ITEM_PINS_H_
