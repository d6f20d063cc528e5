#include "server/internal/item.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace memkit {
namespace server {
namespace internal {

Item* AllocateItem(absl::string_view key, uint32_t client_flags, uint32_t nbytes) {
  void* block = std::malloc(ItemAllocationSize(key.size(), nbytes));
  if (block == nullptr) return nullptr;
  Item* it = static_cast<Item*>(block);
  it->h_next = nullptr;
  it->prev = nullptr;
  it->next = nullptr;
  it->cas = 0;
  new (&it->refcount) std::atomic<uint32_t>(1);
  it->time = 0;
  it->exptime = 0;
  it->nbytes = nbytes;
  it->client_flags = client_flags;
  it->nkey = static_cast<uint8_t>(key.size());
  it->iflags = 0;
  it->slab_class = 0;
  it->key_binary = 0;
  if (!key.empty()) std::memcpy(it->key_data(), key.data(), key.size());
  return it;
}

void UnrefItem(Item* it) {
  // acq_rel: the last owner must see every write other owners made before
  // they let go, and nobody may touch the block after it is freed.
  if (it->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::free(it);
  }
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
