// Tunables: memcached 1.6.18's settings that memkit-server accepts on its
// command line (mostly -o suboptions) and reports in "stats settings" under
// memcached's keys, but that tune machinery memkit does not have (the slab
// rebalancer and LRU maintainer threads, extstore, the logger's buffers,
// large pages, NAPI ids). Keeping them means a command line written for
// memcached starts memkit-server unchanged and reads back what it set;
// docs/server.md's option table says, per option, why it is a no-op.
//
// The defaults are memcached's. Plain data; thread-compatible.

#ifndef MEMKIT_SERVER_TUNABLES_H_
#define MEMKIT_SERVER_TUNABLES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace memkit {
namespace server {

// The tunables memcached's admin commands change while it runs ("slabs
// automove", "lru_crawler sleep|tocrawl", "lru mode|tune|temp_ttl",
// "extstore ..."): the command line gives their starting values, and the
// server's RuntimeSettings holds the live ones (stats settings reports those).
struct LiveTunables {
  // ---- slabs
  uint32_t slab_automove = 1;           // -o slab_automove[=0..2] / no_slab_automove
  double slab_automove_ratio = 0.8;     // -o slab_automove_ratio

  // ---- LRU
  bool lru_segmented = true;            // follows lru_maintainer
  uint32_t lru_crawler_sleep = 100;     // -o lru_crawler_sleep (microseconds)
  uint32_t lru_crawler_tocrawl = 0;     // -o lru_crawler_tocrawl
  uint32_t hot_lru_pct = 20;            // -o hot_lru_pct
  uint32_t warm_lru_pct = 40;           // -o warm_lru_pct
  double hot_max_factor = 0.2;          // -o hot_max_factor
  double warm_max_factor = 2.0;         // -o warm_max_factor
  bool temp_lru = false;                // set by -o temporary_ttl
  int32_t temporary_ttl = 61;           // -o temporary_ttl

  // ---- extstore
  uint32_t ext_item_size = 512;
  uint32_t ext_item_age = UINT32_MAX;
  uint32_t ext_low_ttl = 0;
  uint32_t ext_recache_rate = 2000;
  uint32_t ext_compact_under = 0;
  uint32_t ext_drop_under = 0;
  uint32_t ext_max_sleep = 1000000;
  double ext_max_frag = 0.8;
  bool ext_drop_unread = false;
};

struct Tunables {
  LiveTunables live;  // starting values of what changes at runtime

  // ---- connections and hashing
  bool maxconns_fast = true;            // -o maxconns_fast / no_maxconns_fast
  bool hash_expand = true;              // -o no_hashexpand: false
  std::string hash_algorithm = "murmur3";  // -o hash_algorithm=jenkins|murmur3|xxh3
  uint32_t read_buf_mem_limit = 0;      // -o read_buf_mem_limit (MB in, bytes here)
  uint32_t sock_cookie_id = 0;          // -o sock_cookie_id (SO_MARK)
  int napi_ids = 0;                     // -N (0: "(null)" in stats)
  // -o inline_ascii_resp / no_inline_ascii_resp: memcached 1.6 keeps the flag
  // but reports "no" whatever it is (responses are never inlined).
  bool inline_ascii_response = false;
  bool large_pages = false;             // -L
  std::string memory_file;              // -e (memkit persists with -o persist)

  // ---- slabs (h-slabs gives these their behaviour)
  bool slab_reassign = true;            // -o slab_reassign / no_slab_reassign
  uint32_t slab_automove_window = 30;   // -o slab_automove_window
  double slab_automove_freeratio = 0.01;  // -o slab_automove_freeratio
  std::string slab_sizes;               // -o slab_sizes=100-200-300 (validated)
  bool slab_chunk_max_set = false;      // -o slab_chunk_max or no_chunked_items given

  // ---- LRU
  uint32_t tail_repair_time = 0;        // -o tail_repair_time (seconds)
  bool lru_maintainer = true;           // -o lru_maintainer / no_lru_maintainer

  // ---- logger ("watch")
  uint32_t watcher_logbuf_size = 256 * 1024;  // -o watcher_logbuf_size (KB in)
  uint32_t worker_logbuf_size = 64 * 1024;    // -o worker_logbuf_size (KB in)

  // ---- per-prefix stats ("stats detail")
  // -D <char>: the byte that ends a key's prefix (":" by default; "stats
  // settings" prints it as stat_key_prefix). memcached's -D also turns
  // detail counting on from the start; "stats detail on|off" switches it.
  char prefix_delimiter = ':';
  bool detail_enabled = false;

  // ---- extstore (-o ext_*): Debian's memcached has it; memkit has none
  std::vector<std::string> ext_path;    // -o ext_path=FILE:SIZE (repeatable)
  uint32_t ext_page_size = 64;          // MB
  uint32_t ext_wbuf_size = 4 * 1024 * 1024;  // MB in, bytes here
  uint32_t ext_threads = 1;
  uint32_t ext_io_depth = 1;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_TUNABLES_H_
