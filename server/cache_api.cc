// Cache: the public engine, forwarding each call to internal::CacheImpl.

#include <memory>
#include <utility>

#include "server/cache.h"
#include "server/internal/cache_impl.h"

namespace memkit {
namespace server {

absl::StatusOr<std::unique_ptr<Cache>> Cache::Create(const CacheOptions& options) {
  absl::Status valid = internal::ValidateCacheOptions(options);
  if (!valid.ok()) return valid;
  return std::unique_ptr<Cache>(new Cache(std::make_unique<internal::CacheImpl>(options)));
}

Cache::Cache(std::unique_ptr<internal::CacheImpl> impl) : impl_(std::move(impl)) {}
Cache::~Cache() = default;

GetResult Cache::Get(absl::string_view key, const GetOptions& options) {
  return impl_->Get(key, options);
}
void Cache::GetMulti(absl::Span<const absl::string_view> keys, const GetOptions& options,
                     std::vector<GetResult>* results) {
  impl_->GetMulti(keys, options, results);
}
McCode Cache::Touch(absl::string_view key, int64_t exptime) { return impl_->Touch(key, exptime); }
std::optional<ItemInfo> Cache::Inspect(absl::string_view key) { return impl_->Inspect(key); }
Cache::Probe Cache::ProbeKey(absl::string_view key, ItemInfo* info) {
  return impl_->ProbeKey(key, info);
}

StoreResult Cache::Store(absl::string_view key, absl::string_view value,
                         const StoreRequest& request) {
  return impl_->Store(key, value, request);
}
absl::StatusOr<NewItem> Cache::Allocate(absl::string_view key, size_t value_length,
                                        const StoreRequest& request) {
  return impl_->Allocate(key, value_length, request);
}
StoreResult Cache::Store(NewItem item) { return impl_->Store(std::move(item)); }
McCode Cache::Delete(absl::string_view key, const DeleteOptions& options) {
  return impl_->Delete(key, options);
}
ArithmeticResult Cache::Arithmetic(absl::string_view key, const ArithmeticOptions& options) {
  return impl_->Arithmetic(key, options);
}
ArithmeticResult Cache::Incr(absl::string_view key, uint64_t delta) {
  return impl_->Incr(key, delta);
}
ArithmeticResult Cache::Decr(absl::string_view key, uint64_t delta) {
  return impl_->Decr(key, delta);
}
void Cache::FlushAll(int64_t delay) { impl_->FlushAll(delay); }

size_t Cache::ReclaimExpired(size_t max_buckets) { return impl_->ReclaimExpired(max_buckets); }
void Cache::SetMemoryLimit(size_t bytes) { impl_->SetMemoryLimit(bytes); }
CacheStats Cache::GetStats() const { return impl_->GetStats(); }
void Cache::ResetStats() { impl_->ResetStats(); }
std::vector<std::pair<size_t, uint64_t>> Cache::SizeHistogram(uint64_t min_cas) const {
  return impl_->SizeHistogram(min_cas);
}
uint64_t Cache::TakeCasId() { return impl_->TakeCasId(); }
void Cache::ForEachItem(absl::FunctionRef<bool(const ItemInfo&)> visit) const {
  impl_->ForEachItem(visit);
}
uint32_t Cache::CurrentTime() const { return impl_->CurrentTime(); }
int64_t Cache::ProcessStarted() const { return impl_->ProcessStarted(); }
int Cache::SlabClassFor(size_t item_size) const { return impl_->SlabClassFor(item_size); }
int64_t Cache::TtlFor(int64_t exptime) const { return impl_->TtlFor(exptime); }
size_t Cache::ItemSize(size_t key_length, uint32_t client_flags, size_t value_length) const {
  return impl_->ItemSize(key_length, client_flags, value_length);
}
const CacheOptions& Cache::options() const { return impl_->options(); }

}  // namespace server
}  // namespace memkit
