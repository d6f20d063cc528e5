#include "server/internal/shard.h"

#include <cstring>
#include <new>
#include <utility>

namespace memkit {
namespace server {
namespace internal {
namespace {

// Stop doubling past this many buckets per shard (8 GiB of bucket array).
constexpr size_t kMaxBuckets = size_t{1} << 30;

}  // namespace

Shard::Shard(size_t initial_buckets)
    : buckets_(new Item*[initial_buckets]()), mask_(initial_buckets - 1) {}

Shard::~Shard() {
  MutexLock lock(&mu);
  for (int cls = 0; cls < kMaxSlabClasses; ++cls) {
    Item* it = heads_[cls];
    while (it != nullptr) {
      Item* next = it->next;
      it->iflags &= static_cast<uint8_t>(~kItemLinked);
      it->h_next = it->prev = it->next = nullptr;
      UnrefItem(it);
      it = next;
    }
    heads_[cls] = tails_[cls] = nullptr;
  }
  count_ = 0;
}

Item* Shard::Find(absl::string_view key, uint64_t hash) const {
  for (Item* it = buckets_[hash & mask_]; it != nullptr; it = it->h_next) {
    if (it->nkey == key.size() && std::memcmp(it->key_data(), key.data(), key.size()) == 0) {
      return it;
    }
  }
  return nullptr;
}

void Shard::Insert(Item* it, uint64_t hash) {
  Item** bucket = &buckets_[hash & mask_];
  it->h_next = *bucket;
  *bucket = it;
  Item*& head = heads_[it->slab_class];
  it->prev = nullptr;
  it->next = head;
  if (head != nullptr) head->prev = it;
  head = it;
  if (tails_[it->slab_class] == nullptr) tails_[it->slab_class] = it;
  ++count_;
  if (count_ > (mask_ + 1) + (mask_ + 1) / 2 && mask_ + 1 < kMaxBuckets) Grow();
}

void Shard::Remove(Item* it, uint64_t hash) {
  Item** link = &buckets_[hash & mask_];
  while (*link != nullptr && *link != it) link = &(*link)->h_next;
  if (*link == it) *link = it->h_next;
  it->h_next = nullptr;
  if (it->prev != nullptr) {
    it->prev->next = it->next;
  } else {
    heads_[it->slab_class] = it->next;
  }
  if (it->next != nullptr) {
    it->next->prev = it->prev;
  } else {
    tails_[it->slab_class] = it->prev;
  }
  it->prev = it->next = nullptr;
  --count_;
}

void Shard::MoveToHead(Item* it) {
  Item*& head = heads_[it->slab_class];
  if (head == it) return;
  // Unlink from the list (it is not the head, so it->prev is set).
  it->prev->next = it->next;
  if (it->next != nullptr) {
    it->next->prev = it->prev;
  } else {
    tails_[it->slab_class] = it->prev;
  }
  it->prev = nullptr;
  it->next = head;
  head->prev = it;
  head = it;
}

void Shard::Grow() {
  const size_t new_size = (mask_ + 1) * 2;
  // A failed allocation only leaves the chains longer.
  std::unique_ptr<Item*[]> grown(new (std::nothrow) Item*[new_size]());
  if (grown == nullptr) return;
  const size_t new_mask = new_size - 1;
  for (size_t i = 0; i <= mask_; ++i) {
    Item* it = buckets_[i];
    while (it != nullptr) {
      Item* next = it->h_next;
      Item** bucket = &grown[KeyHash(it->key()) & new_mask];
      it->h_next = *bucket;
      *bucket = it;
      it = next;
    }
  }
  buckets_ = std::move(grown);
  mask_ = new_mask;
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
