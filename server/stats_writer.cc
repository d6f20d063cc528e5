#include "server/stats_writer.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/handlers/server_core.h"
#include "server/handlers/session.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

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
  Stat(sink, "pointer_size", sizeof(void*) * 8);
  sink("rusage_user", Timeval(usage.ru_utime));
  sink("rusage_system", Timeval(usage.ru_stime));
  Stat(sink, "max_connections", static_cast<uint64_t>(core.options.max_connections));
  const int64_t curr = core.curr_conns.load(std::memory_order_relaxed);
  Stat(sink, "curr_connections", curr > 0 ? static_cast<uint64_t>(curr) : 0);
  // memcached counts its listening sockets among total_connections.
  Stat(sink, "total_connections",
       core.total_conns.load(std::memory_order_relaxed) + core.listeners.size());
  Stat(sink, "rejected_connections", core.rejected_conns.load(std::memory_order_relaxed));
  Stat(sink, "connection_structures",
       (curr > 0 ? static_cast<uint64_t>(curr) : 0) + core.listeners.size());
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
  Stat(sink, "auth_cmds", 0);
  Stat(sink, "auth_errors", 0);
  Stat(sink, "bytes_read", totals.bytes_read);
  Stat(sink, "bytes_written", totals.bytes_written);
  Stat(sink, "limit_maxbytes", cs.limit_maxbytes);
  Stat(sink, "accepting_conns", core.accepting.load(std::memory_order_relaxed) ? 1 : 0);
  Stat(sink, "listen_disabled_num", 0);
  Stat(sink, "time_in_listen_disabled_us", 0);
  Stat(sink, "threads", static_cast<uint64_t>(core.options.num_threads));
  Stat(sink, "conn_yields", totals.conn_yields);
  Stat(sink, "hash_power_level", cs.hash_power_level);
  Stat(sink, "hash_bytes", cs.hash_bytes);
  Stat(sink, "hash_is_expanding", 0);
  Stat(sink, "bytes", cs.bytes);
  Stat(sink, "curr_items", cs.curr_items);
  Stat(sink, "total_items", cs.total_items);
  Stat(sink, "expired_unfetched", cs.expired_unfetched);
  Stat(sink, "evicted_unfetched", cs.evicted_unfetched);
  Stat(sink, "evictions", cs.evictions);
  Stat(sink, "reclaimed", cs.reclaimed);
  Stat(sink, "crawler_reclaimed", cs.crawler_reclaimed);
  Stat(sink, "crawler_items_checked", cs.crawler_items_checked);
}

void WriteSettingsStats(const ServerCore& core, StatSink sink) {
  const ServerOptions& o = core.options;
  const CacheStats cs = core.cache->GetStats();
  Stat(sink, "maxbytes", cs.limit_maxbytes);
  Stat(sink, "maxconns", static_cast<uint64_t>(o.max_connections));
  Stat(sink, "tcpport", static_cast<uint64_t>(o.unix_socket.empty() ? core.tcp_port : 0));
  Stat(sink, "udpport", 0);
  sink("inter", o.listen.empty() ? std::string("NULL") : absl::StrJoin(o.listen, ","));
  Stat(sink, "verbosity", static_cast<uint64_t>(core.verbosity.load(std::memory_order_relaxed)));
  sink("evictions", o.evict ? "on" : "off");
  sink("domain_socket", o.unix_socket.empty() ? std::string("NULL") : o.unix_socket);
  sink("umask", absl::StrFormat("%o", o.unix_mask));
  sink("shutdown_command", YesNo(o.shutdown_command));
  sink("growth_factor", absl::StrFormat("%.2f", o.growth_factor));
  Stat(sink, "chunk_size", o.chunk_size);
  Stat(sink, "num_threads", static_cast<uint64_t>(o.num_threads));
  sink("detail_enabled", YesNo(core.detail_enabled.load(std::memory_order_relaxed)));
  Stat(sink, "reqs_per_event", static_cast<uint64_t>(o.reqs_per_event));
  sink("cas_enabled", YesNo(o.use_cas));
  Stat(sink, "tcp_backlog", static_cast<uint64_t>(o.backlog));
  sink("binding_protocol", o.protocol == BindingProtocol::kAuto    ? "auto-negotiate"
                           : o.protocol == BindingProtocol::kAscii ? "ascii"
                                                                   : "binary");
  sink("auth_enabled_sasl", "no");
  sink("auth_enabled_ascii", "no");
  Stat(sink, "item_size_max", o.item_size_max);
  sink("maxconns_fast", "yes");
  Stat(sink, "hashpower_init", static_cast<uint64_t>(o.hash_power));
  Stat(sink, "slab_chunk_max", cs.slab_chunk_max);
  sink("lru_crawler", YesNo(o.lru_crawler));
  sink("flush_enabled", YesNo(o.flush_enabled));
  sink("dump_enabled", YesNo(o.dump_enabled));
  Stat(sink, "idle_timeout", static_cast<uint64_t>(absl::ToInt64Seconds(o.idle_timeout)));
  sink("track_sizes", YesNo(o.track_sizes));
}

bool WriteEngineStats(const ServerCore& core, absl::string_view which, StatSink sink) {
  if (which == "items") {
    const CacheStats cs = core.cache->GetStats();
    for (const SlabClassStats& c : cs.slab_classes) {
      if (c.number == 0) continue;
      const std::string p = absl::StrCat("items:", c.id, ":");
      // memkit's LRU is not segmented: every item is "cold".
      Stat(sink, p + "number", c.number);
      Stat(sink, p + "number_hot", 0);
      Stat(sink, p + "number_warm", 0);
      Stat(sink, p + "number_cold", c.number);
      Stat(sink, p + "mem_requested", c.mem_requested);
      Stat(sink, p + "evicted", c.evicted);
      Stat(sink, p + "evicted_nonzero", c.evicted_nonzero);
      Stat(sink, p + "evicted_time", c.evicted_time);
      Stat(sink, p + "outofmemory", c.outofmemory);
      Stat(sink, p + "tailrepairs", 0);
      Stat(sink, p + "reclaimed", c.reclaimed);
      Stat(sink, p + "expired_unfetched", c.expired_unfetched);
      Stat(sink, p + "evicted_unfetched", c.evicted_unfetched);
      Stat(sink, p + "crawler_reclaimed", c.crawler_reclaimed);
    }
    return true;
  }
  if (which == "slabs") {
    const CacheStats cs = core.cache->GetStats();
    uint64_t active = 0;
    for (const SlabClassStats& c : cs.slab_classes) {
      ++active;
      const std::string p = absl::StrCat(c.id, ":");
      // memkit does not carve slab pages; pages are what memcached would
      // need for the items this class holds.
      const uint64_t per_page = c.chunks_per_page == 0 ? 1 : c.chunks_per_page;
      const uint64_t pages = (c.number + per_page - 1) / per_page;
      Stat(sink, p + "chunk_size", c.chunk_size);
      Stat(sink, p + "chunks_per_page", c.chunks_per_page);
      Stat(sink, p + "total_pages", pages);
      Stat(sink, p + "total_chunks", pages * per_page);
      Stat(sink, p + "used_chunks", c.number);
      Stat(sink, p + "free_chunks", pages * per_page - c.number);
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
    Stat(sink, "total_malloced", cs.heap_bytes);
    return true;
  }
  if (which == "sizes") {
    if (!core.options.track_sizes) {
      sink("sizes_status", "disabled");
      return true;
    }
    for (const auto& [size, count] : core.cache->SizeHistogram()) {
      Stat(sink, absl::StrCat(size), count);
    }
    return true;
  }
  return false;
}

void WriteConnsStats(ServerCore& core, const Session* self, StatSink sink) {
  const uint32_t now = core.cache->CurrentTime();
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the event loops' clock
  const int64_t mono_now_ns = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  for (const auto& slot : core.listeners) {
    const int fd = slot->fd.load(std::memory_order_relaxed);
    if (fd < 0) continue;
    const std::string p = absl::StrCat(fd, ":");
    sink(p + "addr", slot->stats_name);
    sink(p + "state", "conn_listening");
    Stat(sink, p + "secs_since_last_cmd", now);
  }
  std::lock_guard<std::mutex> lock(core.registry_mu);
  for (const Session* s = core.registry_head; s != nullptr; s = s->registry_next) {
    const std::string p = absl::StrCat(s->fd, ":");
    sink(p + "addr", s->peer);
    if (s->listen_slot != nullptr) sink(p + "listen_addr", s->listen_slot->stats_name);
    const SessionState state =
        s == self ? SessionState::kParseCmd : s->state.load(std::memory_order_relaxed);
    sink(p + "state", SessionStateName(state));
    const int64_t last = s->last_cmd_ns.load(std::memory_order_relaxed);
    const int64_t idle_ns = mono_now_ns > last ? mono_now_ns - last : 0;
    Stat(sink, p + "secs_since_last_cmd", static_cast<uint64_t>(idle_ns / 1000000000));
  }
}

std::string FormatCachedump(const ServerCore& core, uint32_t slab_class, uint32_t limit) {
  std::string out;
  uint32_t shown = 0;
  // memcached caps a dump at 2 MB.
  constexpr size_t kMaxDump = 2 * 1024 * 1024;
  core.cache->ForEachItem([&](const ItemInfo& info) {
    if (static_cast<uint32_t>(info.slab_class) != slab_class) return true;
    std::string line = absl::StrFormat("ITEM %s [%u b; %lld s]\r\n", info.key, info.value_length,
                                       static_cast<long long>(info.exptime_unix));
    if (out.size() + line.size() + 5 > kMaxDump) return false;
    out += line;
    ++shown;
    return limit == 0 || shown < limit;
  });
  out += "END\r\n";
  return out;
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
