// Per-thread caches of the front end: reusable objects (Exchanges, decoded
// requests) and scratch buffers, so that a connection borrows them for a
// request or a batch instead of holding them while idle.
//
// Internal to core/frontend. Thread-compatible by construction: everything
// here is thread_local.

#ifndef MEMKIT_CORE_FRONTEND_THREAD_CACHE_H_
#define MEMKIT_CORE_FRONTEND_THREAD_CACHE_H_

#include <sys/uio.h>

#include <cstddef>
#include <string>
#include <vector>

namespace memkit {
namespace frontend {
namespace internal {

// A per-thread pool of reusable objects of type T. The `closed` flag is
// plain thread_local data, valid for the whole life of the thread: once the
// pool itself has been destroyed at thread exit, objects are simply deleted.
template <typename T>
class ThreadPool {
 public:
  static T* Take() {
    if (!closed_ && !Pool().items.empty()) {
      T* item = Pool().items.back();
      Pool().items.pop_back();
      return item;
    }
    return new T;
  }
  // False if the pool is full (or gone): the caller deletes `item`.
  static bool Give(T* item, size_t keep) {
    if (closed_ || Pool().items.size() >= keep) return false;
    Pool().items.push_back(item);
    return true;
  }

 private:
  struct Items {
    std::vector<T*> items;
    ~Items() {
      for (T* item : items) delete item;
      closed_ = true;
    }
  };
  static Items& Pool() {
    thread_local Items pool;
    return pool;
  }
  static thread_local bool closed_;
};
template <typename T>
thread_local bool ThreadPool<T>::closed_ = false;

// Scratch strings above this are freed after use rather than kept.
constexpr size_t kKeepScratchBytes = 64 * 1024;
// Per-thread scratch for copying replies out of an OutputQueue (the rare
// asynchronous and holding paths). Not per connection: nothing is kept in
// them between calls, and an idle connection should hold nothing.
inline std::string& CopyScratch() {
  thread_local std::string scratch;
  return scratch;
}
inline std::vector<struct iovec>& IovScratch() {
  thread_local std::vector<struct iovec> scratch;
  return scratch;
}
inline void TrimCopyScratch() {
  std::string& scratch = CopyScratch();
  scratch.clear();
  if (scratch.capacity() > kKeepScratchBytes) std::string().swap(scratch);
}

}  // namespace internal
}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_THREAD_CACHE_H_
