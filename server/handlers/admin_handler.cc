// memcached's administrative text commands (slabs, lru, lru_crawler, watch,
// extstore, refresh_certs), answered as memcached 1.6.18 (Debian's build,
// with extstore and TLS compiled in but unused) answers them. Knobs of
// machinery memkit does not have (slab mover, segmented LRU, extstore) are
// accepted and remembered for "stats settings", as memcached remembers them.

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/hash/hash.h"
#include "core/protocol/text_reply_writer.h"
#include "core/status/status.h"
#include "server/handlers/cache_session.h"
#include "server/handlers/watch_log.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// "all" or a comma-separated list of slab class ids (1..63).
bool ValidClassList(absl::string_view list) {
  if (list == "all") return true;
  for (absl::string_view id : absl::StrSplit(list, ',')) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(id, &n) || n < 1 || n > 63) return false;
  }
  return true;
}

}  // namespace

void CacheSession::AsciiAdmin() {
  const absl::string_view word = ascii()->command_name;
  const auto args = ascii()->args();
  const size_t ntokens = args.size() + 2;  // memcached's count: word, args, terminal
  const absl::string_view sub = args.empty() ? absl::string_view() : args[0];
  // memcached's set_noreply_maybe(), for the commands that call it.
  const bool noreply = !args.empty() && args.back() == "noreply";
  auto reply = [this, noreply](absl::string_view line) {
    if (!noreply) out()->Append(line);
  };

  if (word == "lru_crawler") {
    AdminLruCrawler(args);
    return;
  }
  if (word == "slabs") {
    if (ntokens == 5 && sub == "reassign") {
      int32_t src = 0;
      int32_t dst = 0;
      if (!absl::SimpleAtoi(args[1], &src) || !absl::SimpleAtoi(args[2], &dst)) {
        out()->Append(kBadCommandLineFormatLine);
        return;
      }
      out()->Append(SlabsReassign(src, dst));
    } else if (ntokens >= 4 && sub == "automove") {
      uint32_t level = 0;
      double ratio = 0;
      if (args[1] == "ratio") {
        if (ntokens < 5 || !absl::SimpleAtod(args[2], &ratio)) {
          reply(protocol::kTextError);
          return;
        }
        core_->settings.Update([ratio](RuntimeSettings::Knobs* k) { k->slab_automove_ratio = ratio; });
      } else if (!absl::SimpleAtoi(args[1], &level)) {
        reply(kBadCommandLineFormatLine);
        return;
      } else if (level > 2) {
        reply(protocol::kTextError);
        return;
      } else {
        // memkit has no slab pages to move: the level is only remembered.
        core_->settings.Update([level](RuntimeSettings::Knobs* k) { k->slab_automove = level; });
      }
      reply(protocol::kTextOk);
    } else {
      out()->Append(protocol::kTextError);
    }
    return;
  }
  if (word == "lru") {
    reply(AdminLru(args));
    return;
  }
  if (word == "watch") {
    AdminWatch(args, noreply);
    return;
  }
  if (word == "extstore") {
    reply(AdminExtstore(args) ? protocol::kTextOk : protocol::kTextError);
    return;
  }
  if (word == "refresh_certs") {
    RefreshCerts(noreply);  // security.cc
    return;
  }
  out()->Append(protocol::kTextError);
}

void CacheSession::AdminLruCrawler(absl::Span<const absl::string_view> args) {
  const size_t ntokens = args.size() + 2;
  const absl::string_view sub = args.empty() ? absl::string_view() : args[0];
  const bool enabled = core_->settings.lru_crawler_enabled();
  uint32_t n = 0;
  if (ntokens == 4 && sub == "crawl") {
    if (!enabled) {
      out()->Append("CLIENT_ERROR lru crawler disabled\r\n");
    } else if (args[1] == "hash") {
      // memcached 1.6.18 walks the hash table only to dump; a hash crawl
      // fails as its crawler reports it.
      out()->Append("ERROR an unknown error happened\r\n");
    } else if (!ValidClassList(args[1])) {
      out()->Append("BADCLASS invalid class id\r\n");
    } else {
      // One sweep over every hash bucket.
      const uint64_t power = core_->cache->GetStats().hash_power_level;
      core_->cache->ReclaimExpired(size_t{1} << (power < 40 ? power : 40));
      core_->counters.CrawlerStarted();
      out()->Append(protocol::kTextOk);
    }
  } else if (ntokens == 4 && sub == "metadump") {
    if (!enabled) {
      out()->Append("CLIENT_ERROR lru crawler disabled\r\n");
    } else if (!core_->options.dump_enabled) {
      out()->Append("ERROR metadump not allowed\r\n");
    } else if (ex()->HasUnwrittenReplies()) {
      // Replies memcached has not written yet (a get or mn writes them).
      out()->Append("ERROR cannot pipeline other commands before metadump\r\n");
    } else if (args[1] != "hash" && !ValidClassList(args[1])) {
      out()->Append("BADCLASS invalid class id\r\n");
    } else {
      MetaDump(args[1]);
      // memcached hands the connection to its crawler thread and takes it
      // back afterwards without what was pipelined behind the metadump.
      ex()->DiscardBufferedInput();
    }
  } else if (ntokens == 4 && (sub == "tocrawl" || sub == "sleep")) {
    if (!absl::SimpleAtoi(args[1], &n)) {
      out()->Append(kBadCommandLineFormatLine);
    } else if (sub == "sleep" && n > 1000000) {
      out()->Append("CLIENT_ERROR sleep must be one second or less\r\n");
    } else {
      // Pacing knobs of memcached's crawler thread: remembered only.
      const bool sleep = sub == "sleep";
      core_->settings.Update([sleep, n](RuntimeSettings::Knobs* k) {
        (sleep ? k->lru_crawler_sleep : k->lru_crawler_tocrawl) = n;
      });
      out()->Append(protocol::kTextOk);
    }
  } else if (ntokens == 3 && sub == "enable") {
    // memcached cannot start its crawler thread twice.
    if (core_->settings.EnableLruCrawler()) {
      out()->Append("ERROR failed to start lru crawler thread\r\n");
    } else {
      out()->Append(protocol::kTextOk);
    }
  } else if (ntokens == 3 && sub == "disable") {
    core_->settings.DisableLruCrawler();
    out()->Append(protocol::kTextOk);
  } else {
    out()->Append(protocol::kTextError);
  }
}

// memcached's slabs_reassign() for a server that never has a spare page.
absl::string_view CacheSession::SlabsReassign(int32_t src, int32_t dst) {
  if (src == dst) return "SAME src and dst class are identical\r\n";
  // -1 asks memcached to pick a class with a spare page: there is none.
  const int largest = static_cast<int>(core_->cache->GetStats().largest_slab_class);
  // Class 0 is memcached's global page pool.
  if (src < 0 || src > largest || dst < 0 || dst > largest) {
    return "BADCLASS invalid src or dst class id\r\n";
  }
  // memkit allocates items individually: no class ever has a page to spare.
  return "NOSPARE source class has no spare pages\r\n";
}

absl::string_view CacheSession::AdminLru(absl::Span<const absl::string_view> args) {
  const size_t ntokens = args.size() + 2;
  const absl::string_view sub = args[0];
  if (sub == "tune" && ntokens >= 7) {
    uint32_t pct_hot = 0;
    uint32_t pct_warm = 0;
    double hot_factor = 0;
    double warm_factor = 0;
    if (!absl::SimpleAtoi(args[1], &pct_hot) || !absl::SimpleAtoi(args[2], &pct_warm) ||
        !absl::SimpleAtod(args[3], &hot_factor) || !absl::SimpleAtod(args[4], &warm_factor)) {
      return protocol::kTextError;
    }
    if (uint64_t{pct_hot} + pct_warm > 80) return "ERROR hot and warm pcts must not exceed 80\r\n";
    if (warm_factor <= 0 || hot_factor <= 0) {
      return "ERROR hot/warm age factors must be greater than 0\r\n";
    }
    core_->settings.Update([&](RuntimeSettings::Knobs* k) {
      k->hot_lru_pct = pct_hot;
      k->warm_lru_pct = pct_warm;
      k->hot_max_factor = hot_factor;
      k->warm_max_factor = warm_factor;
    });
    return protocol::kTextOk;
  }
  // memkit's LRU is flat whatever the mode; like memcached's own LRU
  // maintainer settings, the mode is only reported back.
  if (sub == "mode" && ntokens >= 4) {
    if (args[1] != "flat" && args[1] != "segmented") return protocol::kTextError;
    const bool segmented = args[1] == "segmented";
    core_->settings.Update([segmented](RuntimeSettings::Knobs* k) { k->lru_segmented = segmented; });
    return protocol::kTextOk;
  }
  if (sub == "temp_ttl" && ntokens >= 4) {
    int32_t ttl = 0;
    if (!absl::SimpleAtoi(args[1], &ttl)) return protocol::kTextError;
    core_->settings.Update([ttl](RuntimeSettings::Knobs* k) {
      k->temp_lru = ttl >= 0;
      if (ttl >= 0) k->temporary_ttl = ttl;
    });
    return protocol::kTextOk;
  }
  return protocol::kTextError;
}

namespace {
// Sets the extstore knob `args` name; false for memcached's ERROR.
bool SetExtstoreKnob(absl::Span<const absl::string_view> args, RuntimeSettings::Knobs& s);
}  // namespace

bool CacheSession::AdminExtstore(absl::Span<const absl::string_view> args) {
  // memcached (built with extstore, not using it) keeps these settings.
  if (args.size() < 2) return false;
  bool ok = false;
  core_->settings.Update([&](RuntimeSettings::Knobs* knobs) { ok = SetExtstoreKnob(args, *knobs); });
  return ok;
}

namespace {

bool SetExtstoreKnob(absl::Span<const absl::string_view> args, RuntimeSettings::Knobs& s) {
  const absl::string_view sub = args[0];
  if (sub == "free_memchunks") {
    // Deprecated and ignored by memcached; the arguments are still checked.
    uint32_t cls = 0;
    uint32_t limit = 0;
    return args.size() > 2 && absl::SimpleAtoi(args[1], &cls) &&
           absl::SimpleAtoi(args[2], &limit) && cls < 64;
  }
  const std::pair<absl::string_view, uint32_t*> numbers[] = {
      {"item_size", &s.ext_item_size},         {"item_age", &s.ext_item_age},
      {"low_ttl", &s.ext_low_ttl},             {"recache_rate", &s.ext_recache_rate},
      {"compact_under", &s.ext_compact_under}, {"drop_under", &s.ext_drop_under},
      {"max_sleep", &s.ext_max_sleep},
  };
  // memcached's safe_strtoul/safe_strtod zero their output before parsing:
  // a bad value answers ERROR and still resets the setting to 0.
  for (const auto& [name, field] : numbers) {
    if (sub != name) continue;
    *field = 0;
    uint32_t v = 0;
    if (!absl::SimpleAtoi(args[1], &v)) return false;
    *field = v;
    return true;
  }
  if (sub == "max_frag") {
    s.ext_max_frag = 0;
    double v = 0;
    if (!absl::SimpleAtod(args[1], &v)) return false;
    s.ext_max_frag = v;
    return true;
  }
  if (sub == "drop_unread") {
    uint32_t v = 0;
    if (!absl::SimpleAtoi(args[1], &v)) return false;
    s.ext_drop_unread = v != 0;
    return true;
  }
  return false;
}

}  // namespace

// memcached's crawler dumps in an order tests and tools see, so memkit
// reproduces it from what the engine keeps (which is not in that order: items
// sit in shards): for a class list, its crawlers take one item per class in
// turn, class ids ascending, each class from its LRU tail, i.e. oldest stored
// (smallest CAS) first; for "hash", bucket by bucket of memcached's table
// (MurmurHash3 of the key, 2^hashpower buckets, newest first within one).
// The lines are gathered and sorted before sending: a dump takes memory in
// proportion to its output, which memcached streams instead.
void CacheSession::MetaDump(absl::string_view classes) {
  const bool all = classes == "all";
  const bool by_hash = classes == "hash";
  bool wanted[64] = {};
  if (!all && !by_hash) {
    for (absl::string_view id : absl::StrSplit(classes, ',')) {
      uint32_t n = 0;
      if (absl::SimpleAtoi(id, &n) && n < 64) wanted[n] = true;
    }
  }
  struct Entry {
    uint64_t order;  // the bucket for "hash"; else the class
    uint64_t cas;
    std::string line;
  };
  std::vector<Entry> entries;
  uint64_t items = 0;
  core_->cache->ForEachItem([&](const ItemInfo& info) {
    ++items;
    if (!all && !by_hash &&
        (info.slab_class < 0 || info.slab_class >= 64 || !wanted[info.slab_class])) {
      return true;
    }
    Entry e;
    e.cas = info.cas;
    e.order =
        by_hash ? hash::MurmurHash3_x86_32(info.key, 0) : static_cast<uint64_t>(info.slab_class);
    e.line = absl::StrFormat(
        "key=%s exp=%lld la=%lld cas=%llu fetch=%s cls=%d size=%zu\n", UriEncode(info.key),
        static_cast<long long>(info.exptime_unix == 0 ? -1 : info.exptime_unix),
        static_cast<long long>(info.last_access_unix), static_cast<unsigned long long>(info.cas),
        info.fetched ? "yes" : "no", info.slab_class, info.total_size);
    entries.push_back(std::move(e));
    return true;
  });
  if (by_hash) {
    // memcached's table starts at hashpower 16 (or -o hashpower) and doubles
    // once it holds more than 1.5 items per bucket.
    int power = core_->cache->options().hash_power != 0 ? core_->cache->options().hash_power : 16;
    while (items > (uint64_t{3} << power) / 2 && power < 32) ++power;
    const uint64_t mask = (uint64_t{1} << power) - 1;
    for (Entry& e : entries) e.order &= mask;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.order != b.order ? a.order < b.order : a.cas > b.cas;
    });
  } else {
    // Rank within the class (oldest first), then the class: one item of each
    // class per round.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.order != b.order ? a.order < b.order : a.cas < b.cas;
    });
    std::vector<std::pair<uint64_t, uint64_t>> keys;  // (rank, class) per entry
    keys.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const uint64_t rank =
          i > 0 && entries[i - 1].order == entries[i].order ? keys.back().first + 1 : 0;
      keys.emplace_back(rank, entries[i].order);
    }
    std::vector<size_t> index(entries.size());
    for (size_t i = 0; i < index.size(); ++i) index[i] = i;
    std::sort(index.begin(), index.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::vector<Entry> ordered;
    ordered.reserve(entries.size());
    for (size_t i : index) ordered.push_back(std::move(entries[i]));
    entries.swap(ordered);
  }
  std::string chunk;
  for (const Entry& e : entries) {
    chunk += e.line;
    if (chunk.size() > 64 * 1024) {
      out()->Append(chunk);
      chunk.clear();
    }
  }
  chunk += "END\r\n";
  out()->Append(chunk);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
