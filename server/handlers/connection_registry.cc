#include "server/handlers/connection_registry.h"

#include "server/handlers/cache_session.h"

namespace memkit {
namespace server {
namespace internal {

void ConnectionRegistry::Add(CacheSession* s) {
  MutexLock lock(&mu_);
  s->registry_prev = nullptr;
  s->registry_next = head_;
  if (head_ != nullptr) head_->registry_prev = s;
  head_ = s;
}

void ConnectionRegistry::Remove(CacheSession* s) {
  MutexLock lock(&mu_);
  if (s->registry_prev != nullptr) s->registry_prev->registry_next = s->registry_next;
  if (s->registry_next != nullptr) s->registry_next->registry_prev = s->registry_prev;
  if (head_ == s) head_ = s->registry_next;
  s->registry_prev = s->registry_next = nullptr;
}

void ConnectionRegistry::ForEach(absl::FunctionRef<void(const CacheSession&)> fn) const {
  MutexLock lock(&mu_);
  for (const CacheSession* s = head_; s != nullptr; s = s->registry_next) fn(*s);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
