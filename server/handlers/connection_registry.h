// ConnectionRegistry: every live client session of a server, across
// workers, for "stats conns". Sessions link themselves in (intrusively,
// through CacheSession::registry_prev/next) when they open and out when
// they close.
//
// Thread-safety: thread-safe; one lock of its own. ForEach holds it while
// it runs, so the visited sessions cannot go away meanwhile.

#ifndef MEMKIT_SERVER_HANDLERS_CONNECTION_REGISTRY_H_
#define MEMKIT_SERVER_HANDLERS_CONNECTION_REGISTRY_H_

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace server {
namespace internal {

class CacheSession;

class ConnectionRegistry {
 public:
  ConnectionRegistry() = default;
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;

  void Add(CacheSession* session) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(CacheSession* session) ABSL_LOCKS_EXCLUDED(mu_);
  // Calls `fn` for every registered session, newest first, under the lock
  // (`fn` must not call back into the registry).
  void ForEach(absl::FunctionRef<void(const CacheSession&)> fn) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable Mutex mu_;
  CacheSession* head_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_CONNECTION_REGISTRY_H_
