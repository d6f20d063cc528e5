#include "core/net/buffer_cache.h"

#include <algorithm>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// A cached block is poisoned past its link, so that AddressSanitizer still
// reports a use of a buffer after it was handed back (as it would after
// delete[]).
#define MEMKIT_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define MEMKIT_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define MEMKIT_POISON(p, n) ((void)(p), (void)(n))
#define MEMKIT_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace memkit {
namespace net {
namespace {

constexpr int kMinShift = 12;  // kMinBlock
constexpr int kClasses = 9;    // 4 KiB .. 1 MiB
static_assert((size_t{1} << kMinShift) == BufferCache::kMinBlock, "class 0 is kMinBlock");
static_assert((size_t{1} << (kMinShift + kClasses - 1)) == BufferCache::kMaxBlock,
              "the last class is kMaxBlock");

// A free block holds the link to the next one in its first bytes.
struct FreeBlock {
  FreeBlock* next;
};

struct ThreadCache {
  FreeBlock* heads[kClasses] = {};
  size_t counts[kClasses] = {};
  size_t bytes = 0;

  void Trim() {
    for (int c = 0; c < kClasses; ++c) {
      while (heads[c] != nullptr) {
        FreeBlock* b = heads[c];
        heads[c] = b->next;
        MEMKIT_UNPOISON(b, BufferCache::kMinBlock << c);
        delete[] reinterpret_cast<char*>(b);
      }
      counts[c] = 0;
    }
    bytes = 0;
  }
};

// The cache itself is trivially destructible (plain thread_local data, valid
// for the whole life of the thread, even while other thread_local objects'
// destructors run); `Reaper` frees its blocks at thread exit and marks it
// closed, so that buffers destroyed later go straight to delete[].
thread_local ThreadCache tls_cache;
thread_local bool tls_closed = false;

struct Reaper {
  ~Reaper() {
    tls_cache.Trim();
    tls_closed = true;
  }
};

ThreadCache* Cache() {
  if (tls_closed) return nullptr;
  thread_local Reaper reaper;  // registers the thread-exit cleanup once
  (void)reaper;
  return &tls_cache;
}

int ClassOf(size_t size) {
  int c = 0;
  while ((BufferCache::kMinBlock << c) < size) ++c;
  return c;
}

}  // namespace

size_t BufferCache::BlockSize(size_t n) {
  if (n > kMaxBlock) return n;
  size_t size = kMinBlock;
  while (size < n) size <<= 1;
  return size;
}

char* BufferCache::Take(size_t n) {
  const size_t size = BlockSize(n);
  if (size <= kMaxBlock) {
    ThreadCache* cache = Cache();
    const int c = ClassOf(size);
    if (cache != nullptr && cache->heads[c] != nullptr) {
      FreeBlock* b = cache->heads[c];
      cache->heads[c] = b->next;
      --cache->counts[c];
      cache->bytes -= size;
      MEMKIT_UNPOISON(b, size);
      return reinterpret_cast<char*>(b);
    }
  }
  return new char[size];
}

void BufferCache::Give(char* block, size_t size) {
  if (block == nullptr) return;
  if (size >= kMinBlock && size <= kMaxBlock && (size & (size - 1)) == 0) {
    ThreadCache* cache = Cache();
    if (cache != nullptr && cache->bytes + size <= kMaxCachedBytesPerThread) {
      const int c = ClassOf(size);
      FreeBlock* b = reinterpret_cast<FreeBlock*>(block);
      MEMKIT_POISON(block + sizeof(FreeBlock), size - sizeof(FreeBlock));
      b->next = cache->heads[c];
      cache->heads[c] = b;
      ++cache->counts[c];
      cache->bytes += size;
      return;
    }
  }
  delete[] block;
}

BufferCache::Usage BufferCache::ThreadUsage() {
  Usage u;
  ThreadCache* cache = Cache();
  if (cache == nullptr) return u;
  for (int c = 0; c < kClasses; ++c) u.blocks += cache->counts[c];
  u.bytes = cache->bytes;
  return u;
}

void BufferCache::TrimThread() {
  ThreadCache* cache = Cache();
  if (cache != nullptr) cache->Trim();
}

}  // namespace net
}  // namespace memkit
