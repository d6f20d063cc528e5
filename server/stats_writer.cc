#include "server/stats_writer.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/handlers/cache_session.h"
#include "server/handlers/server_core.h"
#include "server/security.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// The libevent release Debian 12's memcached 1.6.18 reports.
constexpr absl::string_view kLibeventVersion = "2.1.12-stable";

void Stat(StatSink sink, absl::string_view name, uint64_t value) {
  sink(name, absl::StrCat(value));
}

const char* YesNo(bool b) { return b ? "yes" : "no"; }

std::string Timeval(const struct timeval& tv) {
  return absl::StrFormat("%ld.%06ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
}

}  // namespace

void WriteGeneralStats(const ServerCore& core, StatSink sink) {
  const CacheStats cs = core.cache->GetStats();
  const CounterTotals totals = core.TotalsSinceReset();
  const uint32_t now = core.cache->CurrentTime();
  struct rusage usage = {};
  getrusage(RUSAGE_SELF, &usage);

  Stat(sink, "pid", static_cast<uint64_t>(core.pid));
  // memcached's clock starts 62 s before the process (ITEM_UPDATE_INTERVAL + 2).
  Stat(sink, "uptime", now >= 60 ? now - 60 : 0);
  Stat(sink, "time", static_cast<uint64_t>(core.cache->ProcessStarted() + now));
  sink("version", core.options.version);
  // memkit has no libevent; this is the one Debian 12's memcached 1.6.18
  // reports, as "version" reports the memcached release memkit mimics.
  sink("libevent", kLibeventVersion);
  Stat(sink, "pointer_size", sizeof(void*) * 8);
  sink("rusage_user", Timeval(usage.ru_utime));
  sink("rusage_system", Timeval(usage.ru_stime));
  Stat(sink, "max_connections", static_cast<uint64_t>(core.options.max_connections));
  const int64_t curr = core.counters.curr_conns();
  Stat(sink, "curr_connections", curr > 0 ? static_cast<uint64_t>(curr) : 0);
  // memcached counts its listening sockets among total_connections.
  Stat(sink, "total_connections",
       core.counters.total_conns() + core.listeners.size());
  Stat(sink, "rejected_connections", core.counters.rejected_conns());
  Stat(sink, "connection_structures",
       (curr > 0 ? static_cast<uint64_t>(curr) : 0) + core.listeners.size());
  // memcached's response-object and read-buffer pools: memkit has none
  // (replies and input live in each connection's own buffers).
  Stat(sink, "response_obj_oom", 0);
  Stat(sink, "response_obj_count", 0);
  Stat(sink, "response_obj_bytes", 0);
  Stat(sink, "read_buf_count", 0);
  Stat(sink, "read_buf_bytes", 0);
  Stat(sink, "read_buf_bytes_free", 0);
  Stat(sink, "read_buf_oom", 0);
  // memcached reserves five descriptors per worker thread.
  Stat(sink, "reserved_fds", static_cast<uint64_t>(core.options.num_threads) * 5);
  Stat(sink, "cmd_get", cs.cmd_get);
  Stat(sink, "cmd_set", cs.cmd_set);
  Stat(sink, "cmd_flush", cs.cmd_flush + totals.flush_cmds_refused);
  Stat(sink, "cmd_touch", cs.cmd_touch);
  Stat(sink, "cmd_meta", totals.meta_cmds);
  Stat(sink, "get_hits", cs.get_hits);
  Stat(sink, "get_misses", cs.get_misses);
  Stat(sink, "get_expired", cs.get_expired);
  Stat(sink, "get_flushed", cs.get_flushed);
  Stat(sink, "delete_misses", cs.delete_misses);
  Stat(sink, "delete_hits", cs.delete_hits);
  Stat(sink, "incr_misses", cs.incr_misses);
  Stat(sink, "incr_hits", cs.incr_hits);
  Stat(sink, "decr_misses", cs.decr_misses);
  Stat(sink, "decr_hits", cs.decr_hits);
  Stat(sink, "cas_misses", cs.cas_misses);
  Stat(sink, "cas_hits", cs.cas_hits);
  Stat(sink, "cas_badval", cs.cas_badval);
  Stat(sink, "touch_hits", cs.touch_hits);
  Stat(sink, "touch_misses", cs.touch_misses);
  Stat(sink, "store_too_large", cs.store_too_large);
  Stat(sink, "store_no_memory", cs.store_no_memory);
  WriteAuthStats(core, sink);  // security.cc
  Stat(sink, "bytes_read", totals.bytes_read);
  Stat(sink, "bytes_written", totals.bytes_written);
  Stat(sink, "limit_maxbytes", cs.limit_maxbytes);
  Stat(sink, "accepting_conns", core.listeners.accepting() ? 1 : 0);
  Stat(sink, "listen_disabled_num", 0);
  Stat(sink, "time_in_listen_disabled_us", 0);
  Stat(sink, "threads", static_cast<uint64_t>(core.options.num_threads));
  Stat(sink, "conn_yields", totals.conn_yields);
  Stat(sink, "hash_power_level", cs.hash_power_level);
  Stat(sink, "hash_bytes", cs.hash_bytes);
  Stat(sink, "hash_is_expanding", 0);
  // The slab mover, LRU maintainer, logger and NAPI machinery: memkit has no
  // slab pages to move, a flat LRU, and no log workers; their counters stay 0.
  for (absl::string_view name :
       {"slab_reassign_rescues", "slab_reassign_chunk_rescues", "slab_reassign_evictions_nomem",
        "slab_reassign_inline_reclaim", "slab_reassign_busy_items", "slab_reassign_busy_deletes",
        "slab_reassign_running", "slabs_moved"}) {
    Stat(sink, name, 0);
  }
  // Only while the crawler is enabled (-o no_lru_crawler, "lru_crawler
  // disable" drop them), as in memcached.
  if (core.settings.lru_crawler_enabled()) {
    Stat(sink, "lru_crawler_running", 0);
    Stat(sink, "lru_crawler_starts", core.counters.crawler_starts());
  }
  for (absl::string_view name : {"lru_maintainer_juggles", "malloc_fails", "log_worker_dropped"}) {
    Stat(sink, name, 0);
  }
  Stat(sink, "log_worker_written", core.watch_log.written());
  Stat(sink, "log_watcher_skipped", core.watch_log.skipped());
  Stat(sink, "log_watcher_sent", core.watch_log.sent());
  Stat(sink, "log_watchers", core.watch_log.watchers());
  WriteTlsStats(core, sink);  // security.cc; only with -Z
  Stat(sink, "unexpected_napi_ids", 0);
  Stat(sink, "round_robin_fallback", 0);
  Stat(sink, "bytes", cs.bytes);
  Stat(sink, "curr_items", cs.curr_items);
  Stat(sink, "total_items", cs.total_items);
  Stat(sink, "slab_global_page_pool", 0);
  Stat(sink, "expired_unfetched", cs.expired_unfetched);
  Stat(sink, "evicted_unfetched", cs.evicted_unfetched);
  Stat(sink, "evicted_active", 0);
  Stat(sink, "evictions", cs.evictions);
  Stat(sink, "reclaimed", cs.reclaimed);
  Stat(sink, "crawler_reclaimed", cs.crawler_reclaimed);
  Stat(sink, "crawler_items_checked", cs.crawler_items_checked);
  for (absl::string_view name : {"lrutail_reflocked", "moves_to_cold", "moves_to_warm",
                                 "moves_within_lru", "direct_reclaims", "lru_bumps_dropped"}) {
    Stat(sink, name, 0);
  }
}

void WriteSettingsStats(const ServerCore& core, StatSink sink) {
  const ServerOptions& o = core.options;
  const CacheStats cs = core.cache->GetStats();
  const RuntimeSettings::Knobs rs = core.settings.Get();
  const Tunables& t = o.tunables;
  Stat(sink, "maxbytes", cs.limit_maxbytes);
  Stat(sink, "maxconns", static_cast<uint64_t>(o.max_connections));
  Stat(sink, "tcpport", static_cast<uint64_t>(o.unix_socket.empty() ? core.listeners.tcp_port() : 0));
  sink("udpport", absl::StrCat(o.udp_port));  // -1 as given, like memcached
  sink("inter", o.listen.empty() ? std::string("NULL") : absl::StrJoin(o.listen, ","));
  Stat(sink, "verbosity", static_cast<uint64_t>(core.settings.verbosity()));
  Stat(sink, "oldest", cs.oldest_live);
  sink("evictions", o.cache.evict ? "on" : "off");
  sink("domain_socket", o.unix_socket.empty() ? std::string("NULL") : o.unix_socket);
  sink("umask", absl::StrFormat("%o", o.unix_mask));
  sink("shutdown_command", YesNo(o.shutdown_command));
  sink("growth_factor", absl::StrFormat("%.2f", o.cache.growth_factor));
  Stat(sink, "chunk_size", o.cache.chunk_size);
  Stat(sink, "num_threads", static_cast<uint64_t>(o.num_threads));
  // memcached: one UDP thread per worker, or one per port with several -l.
  Stat(sink, "num_threads_per_udp",
       static_cast<uint64_t>(o.listen.size() > 1 ? 1 : o.num_threads));
  sink("stat_key_prefix", std::string(1, t.prefix_delimiter));  // -D
  sink("detail_enabled", YesNo(core.settings.detail_enabled()));
  Stat(sink, "reqs_per_event", static_cast<uint64_t>(o.reqs_per_event));
  sink("cas_enabled", YesNo(o.cache.use_cas));
  Stat(sink, "tcp_backlog", static_cast<uint64_t>(o.backlog));
  sink("binding_protocol", o.protocol == BindingProtocol::kAuto    ? "auto-negotiate"
                           : o.protocol == BindingProtocol::kAscii ? "ascii"
                                                                   : "binary");
  WriteAuthSettings(core, sink);  // security.cc
  Stat(sink, "item_size_max", o.cache.item_size_max);
  sink("maxconns_fast", YesNo(t.maxconns_fast));
  Stat(sink, "hashpower_init", static_cast<uint64_t>(o.cache.hash_power));
  sink("slab_reassign", YesNo(t.slab_reassign));
  Stat(sink, "slab_automove", rs.slab_automove);
  sink("slab_automove_ratio", absl::StrFormat("%.2f", rs.slab_automove_ratio));
  Stat(sink, "slab_automove_window", t.slab_automove_window);
  Stat(sink, "slab_chunk_max", cs.slab_chunk_max);
  sink("lru_crawler", YesNo(core.settings.lru_crawler_enabled()));
  Stat(sink, "lru_crawler_sleep", rs.lru_crawler_sleep);
  Stat(sink, "lru_crawler_tocrawl", rs.lru_crawler_tocrawl);
  Stat(sink, "tail_repair_time", t.tail_repair_time);
  sink("flush_enabled", YesNo(o.flush_enabled));
  sink("dump_enabled", YesNo(o.dump_enabled));
  // -o hash_algorithm as given; memkit's table hash is its own (internal only).
  sink("hash_algorithm", t.hash_algorithm);
  sink("lru_maintainer_thread", YesNo(t.lru_maintainer));
  sink("lru_segmented", YesNo(rs.lru_segmented));
  Stat(sink, "hot_lru_pct", rs.hot_lru_pct);
  Stat(sink, "warm_lru_pct", rs.warm_lru_pct);
  sink("hot_max_factor", absl::StrFormat("%.2f", rs.hot_max_factor));
  sink("warm_max_factor", absl::StrFormat("%.2f", rs.warm_max_factor));
  sink("temp_lru", YesNo(rs.temp_lru));
  Stat(sink, "temporary_ttl", static_cast<uint64_t>(rs.temporary_ttl));
  Stat(sink, "idle_timeout", static_cast<uint64_t>(absl::ToInt64Seconds(o.idle_timeout)));
  Stat(sink, "watcher_logbuf_size", t.watcher_logbuf_size);
  Stat(sink, "worker_logbuf_size", t.worker_logbuf_size);
  Stat(sink, "read_buf_mem_limit", t.read_buf_mem_limit);
  sink("track_sizes", YesNo(core.settings.track_sizes()));
  // memcached 1.6 accepts -o inline_ascii_resp but always answers "no".
  sink("inline_ascii_response", "no");
  // extstore is compiled into Debian's memcached but not in use; its
  // settings are printed (and set by "extstore ...") all the same.
  Stat(sink, "ext_item_size", rs.ext_item_size);
  Stat(sink, "ext_item_age", rs.ext_item_age);
  Stat(sink, "ext_low_ttl", rs.ext_low_ttl);
  Stat(sink, "ext_recache_rate", rs.ext_recache_rate);
  Stat(sink, "ext_wbuf_size", t.ext_wbuf_size);
  Stat(sink, "ext_compact_under", rs.ext_compact_under);
  Stat(sink, "ext_drop_under", rs.ext_drop_under);
  Stat(sink, "ext_max_sleep", rs.ext_max_sleep);
  sink("ext_max_frag", absl::StrFormat("%.2f", rs.ext_max_frag));
  sink("slab_automove_freeratio", absl::StrFormat("%.3f", t.slab_automove_freeratio));
  sink("ext_drop_unread", YesNo(rs.ext_drop_unread));
  WriteTlsSettings(core, sink);  // security.cc
  sink("num_napi_ids", t.napi_ids > 0 ? absl::StrCat(t.napi_ids) : std::string("(null)"));
  // memcached formats a stat's value into 128 bytes: a long path is cut at 126.
  sink("memory_file", t.memory_file.empty() ? std::string("(null)") : t.memory_file.substr(0, 126));
}

bool WriteEngineStats(const ServerCore& core, absl::string_view which, StatSink sink) {
  if (which == "items") {
    const CacheStats cs = core.cache->GetStats();
    const bool temp_lru = core.settings.Get().temp_lru;
    for (const SlabClassStats& c : cs.slab_classes) {
      if (c.number == 0) continue;
      const std::string p = absl::StrCat("items:", c.id, ":");
      // memkit's LRU is not segmented: every item is "cold", and every hit
      // lands there; the segment movers' counters stay 0.
      Stat(sink, p + "number", c.number);
      Stat(sink, p + "number_hot", 0);
      Stat(sink, p + "number_warm", 0);
      Stat(sink, p + "number_cold", c.number);
      if (temp_lru) Stat(sink, p + "number_temp", 0);
      Stat(sink, p + "age_hot", 0);
      Stat(sink, p + "age_warm", 0);
      // Seconds since the class's least recently used item (over all shards'
      // LRUs of that class) was last used.
      Stat(sink, p + "age", c.age);
      Stat(sink, p + "mem_requested", c.mem_requested);
      Stat(sink, p + "evicted", c.evicted);
      Stat(sink, p + "evicted_nonzero", c.evicted_nonzero);
      Stat(sink, p + "evicted_time", c.evicted_time);
      Stat(sink, p + "outofmemory", c.outofmemory);
      Stat(sink, p + "tailrepairs", 0);
      Stat(sink, p + "reclaimed", c.reclaimed);
      Stat(sink, p + "expired_unfetched", c.expired_unfetched);
      Stat(sink, p + "evicted_unfetched", c.evicted_unfetched);
      Stat(sink, p + "evicted_active", 0);
      Stat(sink, p + "crawler_reclaimed", c.crawler_reclaimed);
      for (absl::string_view name :
           {"crawler_items_checked", "lrutail_reflocked", "moves_to_cold", "moves_to_warm",
            "moves_within_lru", "direct_reclaims", "hits_to_hot", "hits_to_warm"}) {
        Stat(sink, p + std::string(name), 0);
      }
      Stat(sink, p + "hits_to_cold", c.get_hits);
      Stat(sink, p + "hits_to_temp", 0);
    }
    return true;
  }
  if (which == "slabs") {
    const CacheStats cs = core.cache->GetStats();
    uint64_t active = 0;
    for (const SlabClassStats& c : cs.slab_classes) {
      // memcached lists the classes that have taken a page.
      if (c.total_pages == 0) continue;
      ++active;
      const std::string p = absl::StrCat(c.id, ":");
      // The pages and chunks memcached's allocator would have taken for the
      // same stores (the engine counts them; it mallocs items itself).
      const uint64_t total_chunks = c.total_pages * c.chunks_per_page;
      Stat(sink, p + "chunk_size", c.chunk_size);
      Stat(sink, p + "chunks_per_page", c.chunks_per_page);
      Stat(sink, p + "total_pages", c.total_pages);
      Stat(sink, p + "total_chunks", total_chunks);
      Stat(sink, p + "used_chunks", c.used_chunks);
      Stat(sink, p + "free_chunks", total_chunks - std::min(total_chunks, c.used_chunks));
      Stat(sink, p + "free_chunks_end", 0);
      Stat(sink, p + "get_hits", c.get_hits);
      Stat(sink, p + "cmd_set", c.cmd_set);
      Stat(sink, p + "delete_hits", c.delete_hits);
      Stat(sink, p + "incr_hits", c.incr_hits);
      Stat(sink, p + "decr_hits", c.decr_hits);
      Stat(sink, p + "cas_hits", c.cas_hits);
      Stat(sink, p + "cas_badval", c.cas_badval);
      Stat(sink, p + "touch_hits", c.touch_hits);
    }
    Stat(sink, "active_slabs", active);
    Stat(sink, "total_malloced", cs.total_malloced);
    return true;
  }
  if (which == "sizes") {
    if (!core.settings.track_sizes()) {
      sink("sizes_status", "disabled");
      return true;
    }
    const uint64_t min_cas = core.settings.sizes_min_cas();
    for (const auto& [size, count] : core.cache->SizeHistogram(min_cas)) {
      Stat(sink, absl::StrCat(size), count);
    }
    return true;
  }
  return false;
}

bool SwitchSizeTracking(ServerCore& core, absl::string_view which, StatSink sink) {
  if (which == "sizes_enable") {
    if (!core.settings.track_sizes()) {
      // Counting starts with the items stored from now on.
      core.settings.EnableSizes(core.cache->TakeCasId());
    }
    sink("sizes_status", "enabled");
    return true;
  }
  if (which == "sizes_disable") {
    core.settings.DisableSizes();
    sink("sizes_status", "disabled");
    return true;
  }
  return false;
}

void WriteConnsStats(ServerCore& core, const CacheSession* self, StatSink sink) {
  const uint32_t now = core.cache->CurrentTime();
  const int64_t mono_now_ns = net::MonotonicNanos();  // the event loops' clock
  core.listeners.ForEachOpen([&](int fd, const std::string& stats_name) {
    const std::string p = absl::StrCat(fd, ":");
    sink(p + "addr", stats_name);
    sink(p + "state", "conn_listening");
    Stat(sink, p + "secs_since_last_cmd", now);
  });
  core.registry.ForEach([&](const CacheSession& session) {
    const CacheSession* s = &session;
    const std::string p = absl::StrCat(s->fd, ":");
    sink(p + "addr", s->peer());
    if (s->listen_slot != nullptr) sink(p + "listen_addr", s->listen_slot->stats_name);
    const frontend::ConnectionState state =
        s == self ? frontend::ConnectionState::kParseCmd : s->frontend()->state();
    sink(p + "state", frontend::ConnectionStateName(state));
    const int64_t last = s->frontend()->last_cmd_ns();
    const int64_t idle_ns = mono_now_ns > last ? mono_now_ns - last : 0;
    Stat(sink, p + "secs_since_last_cmd", static_cast<uint64_t>(idle_ns / 1000000000));
  });
}

std::string FormatCachedump(const ServerCore& core, uint32_t slab_class, uint32_t limit) {
  // memcached lists its class's COLD LRU from the head: the most recently
  // stored items first. The engine's items sit in shards, so they are
  // gathered and put in that order (by CAS, which grows with each store).
  struct Entry {
    uint64_t cas;
    std::string line;
  };
  std::vector<Entry> entries;
  core.cache->ForEachItem([&](const ItemInfo& info) {
    if (static_cast<uint32_t>(info.slab_class) != slab_class) return true;
    entries.push_back(
        {info.cas, absl::StrFormat("ITEM %s [%u b; %lld s]\r\n", info.key, info.value_length,
                                   static_cast<long long>(info.exptime_unix))});
    return true;
  });
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.cas > b.cas; });
  std::string out;
  uint32_t shown = 0;
  // memcached caps a dump at 2 MB.
  constexpr size_t kMaxDump = 2 * 1024 * 1024;
  for (const Entry& e : entries) {
    if (limit != 0 && shown >= limit) break;
    if (out.size() + e.line.size() + 6 > kMaxDump) break;
    out += e.line;
    ++shown;
  }
  out += "END\r\n";
  return out;
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
