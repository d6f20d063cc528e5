#include "server/flags_extended.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/security_flags.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// The suboptions memcached 1.6.18 accepts (getsubopt's token list), plus
// memkit's own (debugtime, persist*). ssl_* are authentication/TLS's.
enum class Sub {
  kMaxconnsFast, kNoMaxconnsFast, kHashpower, kNoHashexpand, kSlabReassign, kNoSlabReassign,
  kSlabAutomove, kNoSlabAutomove, kSlabAutomoveRatio, kSlabAutomoveWindow, kTailRepairTime,
  kHashAlgorithm, kLruCrawler, kNoLruCrawler, kLruCrawlerSleep, kLruCrawlerTocrawl,
  kLruMaintainer, kNoLruMaintainer, kHotLruPct, kWarmLruPct, kHotMaxFactor, kWarmMaxFactor,
  kTemporaryTtl, kIdleTimeout, kWatcherLogbufSize, kWorkerLogbufSize, kReadBufMemLimit,
  kSlabSizes, kSlabChunkMax, kTrackSizes, kNoInlineAsciiResp, kInlineAsciiResp,
  kNoChunkedItems, kModern, kNoModern, kSockCookieId, kAcceptedSilently,
  kExtPath, kExtPageSize, kExtWbufSize, kExtThreads, kExtIoDepth, kExtItemSize, kExtItemAge,
  kExtLowTtl, kExtRecacheRate, kExtCompactUnder, kExtDropUnder, kExtMaxSleep, kExtMaxFrag,
  kExtDropUnread, kSlabAutomoveFreeratio,
  kDebugtime, kPersist, kPersistInterval, kPersistStrict,
};

struct SubName {
  const char* name;
  Sub sub;
};

constexpr SubName kSubs[] = {
    {"maxconns_fast", Sub::kMaxconnsFast},
    {"no_maxconns_fast", Sub::kNoMaxconnsFast},
    {"hashpower", Sub::kHashpower},
    {"no_hashexpand", Sub::kNoHashexpand},
    {"slab_reassign", Sub::kSlabReassign},
    {"no_slab_reassign", Sub::kNoSlabReassign},
    {"slab_automove", Sub::kSlabAutomove},
    {"no_slab_automove", Sub::kNoSlabAutomove},
    {"slab_automove_ratio", Sub::kSlabAutomoveRatio},
    {"slab_automove_window", Sub::kSlabAutomoveWindow},
    {"tail_repair_time", Sub::kTailRepairTime},
    {"hash_algorithm", Sub::kHashAlgorithm},
    {"lru_crawler", Sub::kLruCrawler},
    {"no_lru_crawler", Sub::kNoLruCrawler},
    {"lru_crawler_sleep", Sub::kLruCrawlerSleep},
    {"lru_crawler_tocrawl", Sub::kLruCrawlerTocrawl},
    {"lru_maintainer", Sub::kLruMaintainer},
    {"no_lru_maintainer", Sub::kNoLruMaintainer},
    {"hot_lru_pct", Sub::kHotLruPct},
    {"warm_lru_pct", Sub::kWarmLruPct},
    {"hot_max_factor", Sub::kHotMaxFactor},
    {"warm_max_factor", Sub::kWarmMaxFactor},
    {"temporary_ttl", Sub::kTemporaryTtl},
    {"idle_timeout", Sub::kIdleTimeout},
    {"watcher_logbuf_size", Sub::kWatcherLogbufSize},
    {"worker_logbuf_size", Sub::kWorkerLogbufSize},
    {"read_buf_mem_limit", Sub::kReadBufMemLimit},
    {"slab_sizes", Sub::kSlabSizes},
    {"slab_chunk_max", Sub::kSlabChunkMax},
    {"track_sizes", Sub::kTrackSizes},
    {"no_inline_ascii_resp", Sub::kNoInlineAsciiResp},
    {"inline_ascii_resp", Sub::kInlineAsciiResp},
    {"no_chunked_items", Sub::kNoChunkedItems},
    {"modern", Sub::kModern},
    {"no_modern", Sub::kNoModern},
    {"sock_cookie_id", Sub::kSockCookieId},
    // memcached 1.6.18 takes these with any value (or none) and shows nothing
    // for them in "stats settings" (seccomp privilege dropping, and a limit
    // on response objects memkit has no pool of): so does memkit-server.
    {"drop_privileges", Sub::kAcceptedSilently},
    {"no_drop_privileges", Sub::kAcceptedSilently},
    {"resp_obj_mem_limit", Sub::kAcceptedSilently},
    {"ext_path", Sub::kExtPath},
    {"ext_page_size", Sub::kExtPageSize},
    {"ext_wbuf_size", Sub::kExtWbufSize},
    {"ext_threads", Sub::kExtThreads},
    {"ext_io_depth", Sub::kExtIoDepth},
    {"ext_item_size", Sub::kExtItemSize},
    {"ext_item_age", Sub::kExtItemAge},
    {"ext_low_ttl", Sub::kExtLowTtl},
    {"ext_recache_rate", Sub::kExtRecacheRate},
    {"ext_compact_under", Sub::kExtCompactUnder},
    {"ext_drop_under", Sub::kExtDropUnder},
    {"ext_max_sleep", Sub::kExtMaxSleep},
    {"ext_max_frag", Sub::kExtMaxFrag},
    {"ext_drop_unread", Sub::kExtDropUnread},
    {"slab_automove_freeratio", Sub::kSlabAutomoveFreeratio},
    {"debugtime", Sub::kDebugtime},
    {"persist", Sub::kPersist},
    {"persist_interval", Sub::kPersistInterval},
    {"persist_strict", Sub::kPersistStrict},
};

// memcached's page size: slab_chunk_max must divide it; no_chunked_items
// makes the chunk max a whole page.
constexpr size_t kSlabPageSize = 1024 * 1024;

std::optional<Sub> FindSub(absl::string_view name) {
  for (const SubName& s : kSubs) {
    if (name == s.name) return s.sub;
  }
  return std::nullopt;
}

// A uint32 option read with safe_strtoul; `scale` multiplies it (KB, MB).
absl::Status ReadU32(const char* name, const std::optional<std::string>& v, uint32_t scale,
                     uint32_t* out) {
  if (!v) return FlagError(absl::StrCat("Missing ", name, " argument"));
  uint32_t n = 0;
  if (!SafeStrtoul(*v, &n)) return FlagError(absl::StrCat("could not parse argument to ", name));
  *out = n * scale;
  return absl::OkStatus();
}

absl::Status ReadDouble(const char* name, const std::optional<std::string>& v, double* out) {
  if (!v) return FlagError(absl::StrCat("Missing ", name, " argument"));
  if (!SafeStrtod(*v, out)) return FlagError(absl::StrCat("could not parse argument to ", name));
  return absl::OkStatus();
}

absl::Status ApplyOne(Sub sub, const std::optional<std::string>& v, ServerOptions* o,
                      ExtendedState* st) {
  Tunables& t = o->tunables;
  switch (sub) {
    case Sub::kMaxconnsFast:
      t.maxconns_fast = true;
      break;
    case Sub::kNoMaxconnsFast:
      t.maxconns_fast = false;
      break;
    case Sub::kHashpower: {
      if (!v) return FlagError("Missing numeric argument for hashpower");
      const int power = CAtoi(*v);
      if (power < 12) {
        return FlagError(absl::StrCat("Initial hashtable multiplier of ", power, " is too low"));
      }
      if (power > 32) {
        return FlagError(absl::StrCat(
            "Initial hashtable multiplier of ", power,
            " is too high\nChoose a value based on \"STAT hash_power_level\" from a running "
            "instance"));
      }
      o->cache.hash_power = power;
      break;
    }
    case Sub::kNoHashexpand:
      t.hash_expand = false;
      break;
    case Sub::kSlabReassign:
      t.slab_reassign = true;
      break;
    case Sub::kNoSlabReassign:
      t.slab_reassign = false;
      break;
    case Sub::kSlabAutomove: {
      if (!v) {
        t.live.slab_automove = 1;
        break;
      }
      const int n = CAtoi(*v);
      if (n < 0 || n > 2) return FlagError("slab_automove must be between 0 and 2");
      t.live.slab_automove = static_cast<uint32_t>(n);
      break;
    }
    case Sub::kNoSlabAutomove:
      t.live.slab_automove = 0;
      break;
    case Sub::kSlabAutomoveRatio: {
      if (!v) return FlagError("Missing slab_automove_ratio argument");
      const double r = CAtof(*v);
      if (r <= 0 || r > 1) return FlagError("slab_automove_ratio must be > 0 and < 1");
      t.live.slab_automove_ratio = r;
      break;
    }
    case Sub::kSlabAutomoveWindow: {
      if (!v) return FlagError("Missing slab_automove_window argument");
      const int n = CAtoi(*v);
      if (n < 3) return FlagError("slab_automove_window must be > 2");
      t.slab_automove_window = static_cast<uint32_t>(n);
      break;
    }
    case Sub::kTailRepairTime: {
      if (!v) return FlagError("Missing numeric argument for tail_repair_time");
      const int n = CAtoi(*v);
      if (n < 10) return FlagError("Cannot set tail_repair_time to less than 10 seconds");
      t.tail_repair_time = static_cast<uint32_t>(n);
      break;
    }
    case Sub::kHashAlgorithm:
      if (!v) return FlagError("Missing hash_algorithm argument");
      if (*v != "jenkins" && *v != "murmur3" && *v != "xxh3") {
        return FlagError("Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
      }
      t.hash_algorithm = *v;
      break;
    case Sub::kLruCrawler:
      o->cache.reclaim_interval = CacheOptions().reclaim_interval;
      break;
    case Sub::kNoLruCrawler:
      o->cache.reclaim_interval = absl::ZeroDuration();
      break;
    case Sub::kLruCrawlerSleep: {
      if (!v) return FlagError("Missing lru_crawler_sleep value");
      const int n = CAtoi(*v);
      if (n > 1000000 || n < 0) return FlagError("LRU crawler sleep must be between 0 and 1 second");
      t.live.lru_crawler_sleep = static_cast<uint32_t>(n);
      break;
    }
    case Sub::kLruCrawlerTocrawl:
      if (!v) return FlagError("Missing lru_crawler_tocrawl value");
      if (!SafeStrtoul(*v, &t.live.lru_crawler_tocrawl)) {
        return FlagError("lru_crawler_tocrawl takes a numeric 32bit value");
      }
      break;
    case Sub::kLruMaintainer:
      t.lru_maintainer = t.live.lru_segmented = st->lru_maintainer = true;
      break;
    case Sub::kNoLruMaintainer:
      t.lru_maintainer = t.live.lru_segmented = st->lru_maintainer = false;
      break;
    case Sub::kHotLruPct:
    case Sub::kWarmLruPct: {
      const char* name = sub == Sub::kHotLruPct ? "hot_lru_pct" : "warm_lru_pct";
      if (!v) return FlagError(absl::StrCat("Missing ", name, " argument"));
      const int n = CAtoi(*v);
      if (n < 1 || n >= 80) return FlagError(absl::StrCat(name, " must be > 1 and < 80"));
      (sub == Sub::kHotLruPct ? t.live.hot_lru_pct : t.live.warm_lru_pct) = static_cast<uint32_t>(n);
      break;
    }
    case Sub::kHotMaxFactor:
    case Sub::kWarmMaxFactor: {
      const char* name = sub == Sub::kHotMaxFactor ? "hot_max_factor" : "warm_max_factor";
      if (!v) return FlagError(absl::StrCat("Missing ", name, " argument"));
      const double f = CAtof(*v);
      if (f <= 0) return FlagError(absl::StrCat(name, " must be > 0"));
      (sub == Sub::kHotMaxFactor ? t.live.hot_max_factor : t.live.warm_max_factor) = f;
      break;
    }
    case Sub::kTemporaryTtl:
      if (!v) return FlagError("Missing temporary_ttl argument");
      t.live.temp_lru = true;
      t.live.temporary_ttl = CAtoi(*v);
      break;
    case Sub::kIdleTimeout: {
      if (!v) return FlagError("Missing numeric argument for idle_timeout");
      // memcached's idle kicker only runs for a positive timeout.
      const int n = CAtoi(*v);
      o->idle_timeout = absl::Seconds(n > 0 ? n : 0);
      break;
    }
    case Sub::kWatcherLogbufSize:
      return ReadU32("watcher_logbuf_size", v, 1024, &t.watcher_logbuf_size);
    case Sub::kWorkerLogbufSize: {
      absl::Status s = ReadU32("worker_logbuf_size", v, 1024, &t.worker_logbuf_size);
      if (!s.ok()) return s;
      // memcached 1.6.18's switch falls through into slab_sizes here, so
      // the value is also taken as the slab sizes list; kept for fidelity.
      st->has_slab_sizes = true;
      st->slab_sizes = *v;
      t.slab_sizes = *v;
      break;
    }
    case Sub::kReadBufMemLimit:
      return ReadU32("read_buf_mem_limit", v, 1024 * 1024, &t.read_buf_mem_limit);
    case Sub::kSlabSizes:
      if (v) {
        st->has_slab_sizes = true;
        st->slab_sizes = *v;
        t.slab_sizes = *v;
      }
      break;
    case Sub::kSlabChunkMax: {
      // Bytes, whatever memcached's -h says (it reports what it was given).
      if (!v) return FlagError("Missing slab_chunk_max argument");
      int32_t n = 0;
      if (!SafeStrtol(*v, &n) || n <= 0) {
        return FlagError("could not parse argument to slab_chunk_max");
      }
      o->cache.slab_chunk_max = static_cast<size_t>(n);
      st->slab_chunk_changed = t.slab_chunk_max_set = true;
      break;
    }
    case Sub::kTrackSizes:
      o->track_sizes = true;
      break;
    case Sub::kNoInlineAsciiResp:
      t.inline_ascii_response = false;
      break;
    case Sub::kInlineAsciiResp:
      t.inline_ascii_response = true;
      break;
    case Sub::kNoChunkedItems:
      o->cache.slab_chunk_max = kSlabPageSize;
      st->slab_chunk_changed = t.slab_chunk_max_set = true;
      break;
    case Sub::kModern:
      break;  // memcached 1.6: "currently: nothing"
    case Sub::kNoModern:
      if (!st->slab_chunk_changed) o->cache.slab_chunk_max = kSlabPageSize;
      t.slab_reassign = false;
      t.live.slab_automove = 0;
      t.maxconns_fast = false;
      t.live.lru_segmented = false;
      t.hash_algorithm = "jenkins";
      o->cache.reclaim_interval = absl::ZeroDuration();
      t.lru_maintainer = st->lru_maintainer = false;
      break;
    case Sub::kAcceptedSilently:
      break;
    case Sub::kSockCookieId:
      if (!v) return FlagError("Missing numeric argument for sock_cookie_id");
      t.sock_cookie_id = static_cast<uint32_t>(CAtoi(*v));
      break;
    case Sub::kExtPath:
      if (!v) return FlagError("Missing ext_path argument");
      if (v->find(':') == std::string::npos) {
        return FlagError(
            "must supply size to ext_path, ie: ext_path=/f/e:64m (M|G|T|P supported)\n"
            "failed to parse ext_path argument");
      }
      t.ext_path.push_back(*v);
      break;
    case Sub::kExtPageSize:
      return ReadU32("ext_page_size", v, 1, &t.ext_page_size);
    case Sub::kExtWbufSize:
      return ReadU32("ext_wbuf_size", v, 1024 * 1024, &t.ext_wbuf_size);
    case Sub::kExtThreads:
      return ReadU32("ext_threads", v, 1, &t.ext_threads);
    case Sub::kExtIoDepth:
      return ReadU32("ext_io_depth", v, 1, &t.ext_io_depth);
    case Sub::kExtItemSize:
      return ReadU32("ext_item_size", v, 1, &t.live.ext_item_size);
    case Sub::kExtItemAge:
      return ReadU32("ext_item_age", v, 1, &t.live.ext_item_age);
    case Sub::kExtLowTtl:
      return ReadU32("ext_low_ttl", v, 1, &t.live.ext_low_ttl);
    case Sub::kExtRecacheRate:
      return ReadU32("ext_recache_rate", v, 1, &t.live.ext_recache_rate);
    case Sub::kExtCompactUnder:
      return ReadU32("ext_compact_under", v, 1, &t.live.ext_compact_under);
    case Sub::kExtDropUnder:
      return ReadU32("ext_drop_under", v, 1, &t.live.ext_drop_under);
    case Sub::kExtMaxSleep:
      return ReadU32("ext_max_sleep", v, 1, &t.live.ext_max_sleep);
    case Sub::kExtMaxFrag:
      return ReadDouble("ext_max_frag", v, &t.live.ext_max_frag);
    case Sub::kExtDropUnread:
      t.live.ext_drop_unread = true;
      break;
    case Sub::kSlabAutomoveFreeratio:
      return ReadDouble("slab_automove_freeratio", v, &t.slab_automove_freeratio);
    case Sub::kDebugtime:
      o->enable_debugtime = true;
      break;
    case Sub::kPersist:
      if (!v || v->empty()) return FlagError("missing value for -o persist");
      o->persist_dir = *v;
      break;
    case Sub::kPersistInterval: {
      if (!v || v->empty()) return FlagError("missing value for -o persist_interval");
      int64_t seconds = 0;
      if (!absl::SimpleAtoi(*v, &seconds) || seconds < 0 || seconds > 86400 * 365) {
        return FlagError(absl::StrCat("invalid value for -o persist_interval: \"", *v, "\""));
      }
      o->persist_interval = absl::Seconds(seconds);
      break;
    }
    case Sub::kPersistStrict:
      o->persist_strict = true;
      break;
  }
  return absl::OkStatus();
}

bool AllBlank(const char* p) {
  while (*p != '\0') {
    if (!std::isspace(static_cast<unsigned char>(*p))) return false;
    ++p;
  }
  return true;
}

}  // namespace

absl::Status FlagError(absl::string_view message, int exit_code) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload("memkit.server.exit_code", absl::Cord(absl::StrCat(exit_code)));
  return s;
}

int CAtoi(absl::string_view text) {
  const std::string s(text);
  return static_cast<int>(std::strtol(s.c_str(), nullptr, 10));
}

double CAtof(absl::string_view text) {
  const std::string s(text);
  return std::strtod(s.c_str(), nullptr);
}

// memcached's util.c rules: trailing blanks are allowed, anything else not.
bool SafeStrtoul(absl::string_view text, uint32_t* out) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const unsigned long l = std::strtoul(s.c_str(), &end, 10);
  if (errno == ERANGE || end == s.c_str() || !AllBlank(end)) return false;
  // strtoul wraps "-1"; memcached refuses a '-' in what it parsed.
  if (std::memchr(s.c_str(), '-', static_cast<size_t>(end - s.c_str())) != nullptr) return false;
  *out = static_cast<uint32_t>(l);
  return true;
}

bool SafeStrtol(absl::string_view text, int32_t* out) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const long l = std::strtol(s.c_str(), &end, 10);
  if (errno == ERANGE || end == s.c_str() || !AllBlank(end)) return false;
  if (l > INT32_MAX || l < INT32_MIN) return false;
  *out = static_cast<int32_t>(l);
  return true;
}

bool SafeStrtod(absl::string_view text, double* out) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || end == s.c_str() || !AllBlank(end)) return false;
  *out = d;
  return true;
}

absl::Status ApplyExtendedOptions(absl::string_view value, ServerOptions* o, ExtendedState* st) {
  // getsubopt: tokens split at ',', "name=value" or "name"; an unknown
  // token is reported whole (memcached prints getsubopt's value).
  absl::string_view rest = value;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const absl::string_view token = rest.substr(0, comma);
    rest = comma == absl::string_view::npos ? absl::string_view() : rest.substr(comma + 1);
    const size_t eq = token.find('=');
    const absl::string_view name = token.substr(0, eq);
    std::optional<std::string> v;
    if (eq != absl::string_view::npos) v = std::string(token.substr(eq + 1));
    if (IsSecuritySuboption(std::string(name))) {  // ssl_*: security_flags.cc
      absl::Status s = ApplySecuritySuboption(std::string(name), v.value_or(""), v.has_value(),
                                              &o->security);
      if (!s.ok()) return FlagError(s.message());
      continue;
    }
    const std::optional<Sub> sub = FindSub(name);
    if (!sub) return FlagError(absl::StrCat("Illegal suboption \"", token, "\""));
    if (absl::Status s = ApplyOne(*sub, v, o, st); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckSlabSizes(absl::string_view sizes, size_t chunk_size, size_t slab_chunk_max) {
  constexpr uint32_t kChunkAlign = 8;
  constexpr int kMaxClasses = 64;  // MAX_NUMBER_OF_SLAB_CLASSES
  if (sizes.empty()) return FlagError("", kExitUsage);
  uint32_t last = 0;
  int count = 0;
  for (absl::string_view part : absl::StrSplit(sizes, '-', absl::SkipEmpty())) {
    uint32_t size = 0;
    const bool parsed = SafeStrtoul(part, &size);
    if (!parsed || size < chunk_size || size > slab_chunk_max) {
      return FlagError(absl::StrCat("slab size ", parsed ? size : 0, " is out of valid range"),
                       kExitUsage);
    }
    if (last >= size) {
      return FlagError(absl::StrCat("slab size ", size,
                                    " cannot be lower than or equal to a previous class size"),
                       kExitUsage);
    }
    if (size <= last + kChunkAlign) {
      return FlagError(absl::StrCat("slab size ", size, " must be at least ", kChunkAlign,
                                    " bytes larger than previous class"),
                       kExitUsage);
    }
    last = size;
    if (++count >= kMaxClasses - 1) return FlagError("too many slab classes specified", kExitUsage);
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
