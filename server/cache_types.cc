// ItemRef and NewItem: the handles' item access, beside the item layout
// (internal/item.h) that cache_types.h does not expose.

#include "server/cache_types.h"

#include <utility>

#include "server/internal/item.h"

namespace memkit {
namespace server {

ItemRef::ItemRef(const ItemRef& other) : item_(other.item_) {
  if (item_ != nullptr) internal::RefItem(item_);
}
void ItemRef::Unref(internal::Item* item) { internal::UnrefItem(item); }
absl::string_view ItemRef::key() const { return item_->key(); }
absl::string_view ItemRef::value() const { return item_->value(); }
uint32_t ItemRef::client_flags() const { return item_->client_flags; }
bool ItemRef::key_binary() const { return item_->key_binary != 0; }

absl::string_view NewItem::key() const { return item_->key(); }
char* NewItem::mutable_value() { return item_->value_data(); }
size_t NewItem::value_size() const { return item_->nbytes; }
void NewItem::reset() {
  if (item_ != nullptr) internal::UnrefItem(std::exchange(item_, nullptr));
}

}  // namespace server
}  // namespace memkit
