// BufferCache: a per-thread cache of the byte blocks that connections' input
// buffers and reply scratch areas are made of.
//
// Why: a connection should hold no buffer while it has nothing buffered
// (10,000 idle connections must cost about what memcached's cost, which hands
// its read buffers back to a per-thread cache when a connection goes idle),
// yet the request path must not call malloc per request. So buffers are
// released as soon as they are empty and taken again on the next read; the
// blocks go round through this cache, which keeps them per thread (no lock,
// no contention between event loops) up to a byte budget.
//
// Blocks come in power-of-two classes from kMinBlock to kMaxBlock; a request
// is rounded up to its class, so a buffer grows in the same steps it would
// anyway. Larger blocks are plain new[]/delete[] and never cached.
//
// Thread-safety: the functions are thread-safe; each thread has its own
// cache. A block may be released on a thread other than the one it was
// taken on (it then joins that thread's cache). What a thread's cache holds
// is freed when the thread exits.

#ifndef MEMKIT_CORE_NET_BUFFER_CACHE_H_
#define MEMKIT_CORE_NET_BUFFER_CACHE_H_

#include <cstddef>
#include <cstdint>

namespace memkit {
namespace net {

class BufferCache {
 public:
  static constexpr size_t kMinBlock = 4 * 1024;
  static constexpr size_t kMaxBlock = 1024 * 1024;
  // Most bytes one thread's cache keeps (beyond it, released blocks are
  // freed): enough for the buffers of the connections one loop serves at
  // once, small beside a server's item memory.
  static constexpr size_t kMaxCachedBytesPerThread = 1024 * 1024;

  // The block size Take(n) returns: n rounded up to its class (n itself
  // above kMaxBlock).
  static size_t BlockSize(size_t n);

  // A block of BlockSize(n) bytes (uninitialised), from this thread's cache
  // when it has one.
  static char* Take(size_t n);
  // Hands back a block that Take(n) returned, with `size` == BlockSize(n).
  static void Give(char* block, size_t size);

  // This thread's cache: blocks and bytes held (tests and stats).
  struct Usage {
    size_t blocks = 0;
    size_t bytes = 0;
  };
  static Usage ThreadUsage();
  // Frees what this thread's cache holds.
  static void TrimThread();
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_BUFFER_CACHE_H_
