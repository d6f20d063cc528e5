#include "server/flags.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/flags_extended.h"
#include "server/security_flags.h"

namespace memkit {
namespace server {
namespace {

using internal::CAtof;
using internal::CAtoi;
using internal::FlagError;
using internal::kExitBadValue;
using internal::kExitOsErr;
using internal::kExitUsage;

enum class Arg { kNone, kRequired, kOptional };

struct FlagSpec {
  char short_name;  // 0: long form only
  const char* long_name;  // null: short form only (-D)
  Arg arg;
};

// memcached 1.6.18's options in its getopt_long table's order (that order
// is what an ambiguous abbreviation's message lists), then memkit's own.
constexpr FlagSpec kFlags[] = {
    {'a', "unix-mask", Arg::kRequired},
    {'A', "enable-shutdown", Arg::kNone},
    {'p', "port", Arg::kRequired},
    {'s', "unix-socket", Arg::kRequired},
    {'U', "udp-port", Arg::kRequired},
    {'m', "memory-limit", Arg::kRequired},
    {'M', "disable-evictions", Arg::kNone},
    {'c', "conn-limit", Arg::kRequired},
    {'k', "lock-memory", Arg::kNone},
    {'h', "help", Arg::kNone},
    {'i', "license", Arg::kNone},
    {'V', "version", Arg::kNone},
    {'r', "enable-coredumps", Arg::kNone},
    {'v', "verbose", Arg::kOptional},
    {'d', "daemon", Arg::kNone},
    {'l', "listen", Arg::kRequired},
    {'u', "user", Arg::kRequired},
    {'P', "pidfile", Arg::kRequired},
    {'f', "slab-growth-factor", Arg::kRequired},
    {'n', "slab-min-size", Arg::kRequired},
    {'t', "threads", Arg::kRequired},
    {'L', "enable-largepages", Arg::kNone},
    {'R', "max-reqs-per-event", Arg::kRequired},
    {'C', "disable-cas", Arg::kNone},
    {'b', "listen-backlog", Arg::kRequired},
    {'B', "protocol", Arg::kRequired},
    {'I', "max-item-size", Arg::kRequired},
    {'F', "disable-flush-all", Arg::kNone},
    {'X', "disable-dumping", Arg::kNone},
    {'W', "disable-watch", Arg::kNone},
    {'e', "memory-file", Arg::kRequired},
    {'N', "napi-ids", Arg::kRequired},
    {'o', "extended", Arg::kRequired},
    {'D', nullptr, Arg::kRequired},
    // authentication and TLS (security_flags.h)
    {'S', "enable-sasl", Arg::kNone},
    {'Y', "auth-file", Arg::kRequired},
    {'Z', "enable-ssl", Arg::kNone},
    {0, "persist", Arg::kRequired},  // memkit: -o persist=DIR, for paths with commas
    // memkit: the admin API (docs/admin.md)
    {0, "admin-listen", Arg::kRequired},
    {0, "admin-port-file", Arg::kRequired},
    {0, "admin-token-file", Arg::kRequired},
    {0, "admin-tls-cert", Arg::kRequired},
    {0, "admin-tls-key", Arg::kRequired},
    {0, "admin-insecure", Arg::kNone},
    {0, "metrics-listen", Arg::kRequired},
    {0, "enable-test-controls", Arg::kNone},
};

// What getopt_long reports and memcached adds ("Illegal argument" for '?').
absl::Status GetoptError(const std::string& program, absl::string_view what) {
  return FlagError(absl::StrCat(program, ": ", what, "\nIllegal argument \"?\""), kExitBadValue);
}

// State the checks after the option loop need.
struct ParseState {
  internal::ExtendedState ext;
  int item_size_max = 1024 * 1024;  // memcached keeps -I in an int
  int64_t port = 11211;
  int64_t udp_port = 0;
  bool tcp_specified = false;
  bool udp_specified = false;
};

// The memkit-only flags that have no short form, other than --persist.
absl::Status ApplyAdminFlag(const FlagSpec& f, const std::string& value, ServerFlags* out) {
  const absl::string_view name = f.long_name;
  if (f.arg == Arg::kRequired && value.empty()) {
    return FlagError(absl::StrCat("invalid value for --", name, ": \"\" (expected a value)"));
  }
  if (name == "admin-listen") {
    out->admin_listen = value;
  } else if (name == "admin-port-file") {
    out->admin_port_file = value;
  } else if (name == "admin-token-file") {
    out->admin_token_file = value;
  } else if (name == "admin-tls-cert") {
    out->admin_tls_cert = value;
  } else if (name == "admin-tls-key") {
    out->admin_tls_key = value;
  } else if (name == "admin-insecure") {
    out->admin_insecure = true;
  } else if (name == "metrics-listen") {
    out->metrics_listen = value;
  } else if (name == "enable-test-controls") {
    out->enable_test_controls = true;
    // The Testing service moves the item clock, as FakeServer does.
    out->options.adjustable_clock = true;
  } else if (name == "persist") {
    if (value.empty()) return FlagError("invalid value for --persist: \"\" (expected a directory)");
    out->options.persist_dir = value;
  }
  return absl::OkStatus();
}

// -I: a number with an optional k/m suffix, in an int as memcached keeps it
// (so "4096m" wraps negative, and "1g" is 1).
int ParseItemSize(const std::string& value) {
  if (value.empty()) return 0;
  const char unit = value.back();
  if (unit == 'k' || unit == 'K' || unit == 'm' || unit == 'M') {
    int64_t n = CAtoi(value.substr(0, value.size() - 1));
    n *= (unit == 'k' || unit == 'K') ? 1024 : 1024 * 1024;
    return static_cast<int>(static_cast<uint32_t>(n));
  }
  return CAtoi(value);
}

absl::Status Apply(const FlagSpec& f, const std::optional<std::string>& arg, ServerFlags* out,
                   ParseState* st) {
  ServerOptions& o = out->options;
  const std::string value = arg.value_or("");
  if (f.short_name == 'B') out->protocol_given = true;  // for FinishSecurityFlags
  if (f.short_name == 0) return ApplyAdminFlag(f, value, out);
  switch (f.short_name) {
    case 'a':
      // strtol(optarg, NULL, 8): an octal prefix, the rest ignored.
      o.unix_mask = static_cast<int>(std::strtol(value.c_str(), nullptr, 8)) & 0777;
      break;
    case 'A':
      o.shutdown_command = true;
      break;
    case 'p':
      st->port = CAtoi(value);
      st->tcp_specified = true;
      break;
    case 's':
      o.unix_socket = value;
      break;
    case 'U':
      st->udp_port = CAtoi(value);
      st->udp_specified = true;
      break;
    case 'm':
      // atoi megabytes: "64k" is 64 MB and "1g" 1 MB, as in memcached. A
      // negative one wraps to a huge size_t there; the engine counts in
      // int64, so memkit caps it at INT64_MAX (as good as no limit).
      o.cache.memory_limit = std::min<size_t>(
          static_cast<size_t>(static_cast<int64_t>(CAtoi(value))) * 1024 * 1024, INT64_MAX);
      break;
    case 'M':
      o.cache.evict = false;
      break;
    case 'c': {
      const int n = CAtoi(value);
      if (n <= 0) return FlagError("Maximum connections must be greater than 0");
      o.max_connections = n;
      break;
    }
    case 'h':
      out->help = true;
      break;
    case 'i':
      out->license = true;
      break;
    case 'V':
      out->version = true;
      break;
    case 'k':
      out->lock_memory = true;
      break;
    case 'v':
      ++o.verbosity;
      break;
    case 'l':
      for (absl::string_view a : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        bool seen = false;
        for (const std::string& l : o.listen) seen = seen || l == a;
        if (!seen) o.listen.emplace_back(a);
      }
      break;
    case 'd':
      out->daemonize = true;
      break;
    case 'r':
      out->enable_coredumps = true;
      break;
    case 'R': {
      const int n = CAtoi(value);
      if (n == 0) return FlagError("Number of requests per event must be greater than 0");
      // A negative -R makes memcached yield after every request.
      o.reqs_per_event = n > 0 ? n : 1;
      break;
    }
    case 'u':
      out->user = value;
      break;
    case 'P':
      out->pidfile = value;
      break;
    case 'f': {
      const double factor = CAtof(value);
      if (factor <= 1.0) return FlagError("Factor must be greater than 1");
      o.cache.growth_factor = factor;
      break;
    }
    case 'n': {
      const int n = CAtoi(value);
      if (n == 0) return FlagError("Chunk size must be greater than 0");
      // memcached keeps it in an int and sizes its classes from it; a
      // negative one behaves as its minimum.
      o.cache.chunk_size = n > 0 ? static_cast<size_t>(n) : 48;
      break;
    }
    case 't': {
      const int n = CAtoi(value);
      if (n <= 0) return FlagError("Number of threads must be greater than 0");
      if (n > 64) {
        out->warnings.push_back(
            "WARNING: Setting a high number of worker threads is not recommended.\n"
            " Set this value to the number of cores in your machine or less.");
      }
      o.num_threads = n;
      break;
    }
    case 'D':
      if (value.empty()) return FlagError("No delimiter specified");
      o.tunables.prefix_delimiter = value[0];
      o.tunables.detail_enabled = true;
      break;
    case 'L':
      // memcached checks for transparent huge pages; memkit's allocations
      // are the C++ allocator's, so there is nothing to turn on.
      o.tunables.large_pages = true;
      break;
    case 'C':
      o.cache.use_cas = false;
      break;
    case 'b': {
      // listen(2) takes any int; <= 0 means the kernel's minimum.
      const int n = CAtoi(value);
      o.backlog = n > 0 ? n : 1;
      break;
    }
    case 'B':
      if (value == "auto") {
        o.protocol = BindingProtocol::kAuto;
      } else if (value == "binary") {
        o.protocol = BindingProtocol::kBinary;
      } else if (value == "ascii") {
        o.protocol = BindingProtocol::kAscii;
      } else {
        return FlagError(absl::StrCat("Invalid value for binding protocol: ", value,
                                      "\n -- should be one of auto, binary, or ascii"),
                         kExitUsage);
      }
      break;
    case 'I':
      st->item_size_max = ParseItemSize(value);
      break;
    case 'F':
      o.flush_enabled = false;
      break;
    case 'X':
      o.dump_enabled = false;
      break;
    case 'W':
      o.watch_enabled = false;
      break;
    case 'e':
      o.tunables.memory_file = value;
      break;
    case 'N': {
      const int n = CAtoi(value);
      if (n <= 0) return FlagError("Maximum number of NAPI IDs must be greater than 0");
      o.tunables.napi_ids = n;
      break;
    }
    case 'o':
      return internal::ApplyExtendedOptions(value, &o, &st->ext);
    case 'S':
    case 'Y':
    case 'Z':
      return ApplySecurityFlag(f.short_name, value, &o.security);
    default:
      return FlagError(absl::StrCat("Illegal argument \"", std::string(1, f.short_name), "\""));
  }
  return absl::OkStatus();
}

// memcached's checks after the option loop, in its order (exit 64).
absl::Status CheckAfterParse(ParseState* st, ServerFlags* out) {
  ServerOptions& o = out->options;
  // Unsigned, as memcached's size_t maxbytes: "-m -5" is a huge limit.
  const uint64_t maxbytes = o.cache.memory_limit;
  if (st->item_size_max < 1024) {
    return FlagError("Item max size cannot be less than 1024 bytes.", kExitUsage);
  }
  if (static_cast<uint64_t>(st->item_size_max) > maxbytes / 2) {
    return FlagError("Cannot set item size limit higher than 1/2 of memory max.", kExitUsage);
  }
  if (st->item_size_max > 1024 * 1024 * 1024) {
    return FlagError("Cannot set item size limit higher than a gigabyte.", kExitUsage);
  }
  o.cache.item_size_max = static_cast<size_t>(st->item_size_max);
  constexpr int64_t kSlabPageSize = 1024 * 1024;
  const int64_t chunk_max =
      o.cache.slab_chunk_max != 0 ? static_cast<int64_t>(o.cache.slab_chunk_max) : kSlabPageSize / 2;
  if (chunk_max > st->item_size_max) {
    return FlagError(absl::StrCat("slab_chunk_max (bytes: ", chunk_max,
                                  ") cannot be larger than -I (item_size_max ",
                                  st->item_size_max, ")"),
                     kExitUsage);
  }
  if (st->item_size_max % chunk_max != 0) {
    return FlagError(absl::StrCat("-I (item_size_max: ", st->item_size_max,
                                  ") must be evenly divisible by slab_chunk_max (bytes: ",
                                  chunk_max, ")"),
                     kExitUsage);
  }
  if (kSlabPageSize % chunk_max != 0) {
    return FlagError(absl::StrCat("slab_chunk_max (bytes: ", chunk_max,
                                  ") must divide evenly into ", kSlabPageSize,
                                  " (slab_page_size)"),
                     kExitUsage);
  }
  if (st->ext.has_slab_sizes) {
    absl::Status s = internal::CheckSlabSizes(st->ext.slab_sizes, o.cache.chunk_size,
                                              static_cast<size_t>(chunk_max));
    if (!s.ok()) return s;
  }
  const Tunables& t = o.tunables;
  if (t.live.hot_lru_pct + t.live.warm_lru_pct > 80) {
    return FlagError("hot_lru_pct + warm_lru_pct cannot be more than 80% combined", kExitUsage);
  }
  if (t.live.temp_lru && !st->ext.lru_maintainer) {
    return FlagError("temporary_ttl requires lru_maintainer to be enabled", kExitUsage);
  }
  if (t.napi_ids > o.num_threads) {
    return FlagError(absl::StrCat("Number of napi_ids(", t.napi_ids,
                                  ") cannot be greater than number of threads(", o.num_threads,
                                  ")"),
                     kExitUsage);
  }
  if (st->port > 65535) {
    return FlagError(absl::StrCat("ERROR: Invalid port number ", st->port, "."), kExitUsage);
  }
  // -1 is memcached's "any free port" (with MEMCACHED_PORT_FILENAME to learn
  // it), as 0 is; below that getaddrinfo refuses the service name.
  // -U without -p: TCP on the same port, as memcached.
  if (st->udp_specified && st->udp_port != 0 && !st->tcp_specified) st->port = st->udp_port;
  if (st->port < -1 || st->udp_port < -1 || st->udp_port > 65535) {
    return FlagError(
        absl::StrCat("getaddrinfo(): Servname not supported for ai_socktype\n"
                     "failed to listen on port ",
                     st->port < -1 ? st->port : st->udp_port),
        kExitOsErr);
  }
  o.port = st->port < 0 ? 0 : static_cast<int>(st->port);
  // -1 stays: any free port, and "stats settings" says -1 as memcached does.
  o.udp_port = static_cast<int>(st->udp_port);
  return absl::OkStatus();
}

// getopt_long's lookup of "--name": an exact match, else the one option
// `name` abbreviates; `*ambiguous` lists the candidates when several do.
const FlagSpec* FindLong(absl::string_view name, std::string* ambiguous) {
  const FlagSpec* found = nullptr;
  int matches = 0;
  std::string candidates;
  for (const FlagSpec& f : kFlags) {
    if (f.long_name == nullptr) continue;
    const absl::string_view long_name = f.long_name;
    if (long_name == name) return &f;
    if (absl::StartsWith(long_name, name)) {
      found = &f;
      ++matches;
      absl::StrAppend(&candidates, " '--", long_name, "'");
    }
  }
  if (matches > 1) {
    *ambiguous = candidates;
    return nullptr;
  }
  return found;
}

const FlagSpec* FindShort(char c) {
  for (const FlagSpec& f : kFlags) {
    if (f.short_name != 0 && f.short_name == c) return &f;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<size_t> ParseSizeFlag(const std::string& text, size_t unit) {
  absl::string_view digits = text;
  size_t multiplier = unit;
  if (!digits.empty()) {
    switch (absl::ascii_tolower(static_cast<unsigned char>(digits.back()))) {
      case 'k':
        multiplier = size_t{1} << 10;
        digits.remove_suffix(1);
        break;
      case 'm':
        multiplier = size_t{1} << 20;
        digits.remove_suffix(1);
        break;
      case 'g':
        multiplier = size_t{1} << 30;
        digits.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  uint64_t n = 0;
  if (digits.empty() || digits.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(digits, &n)) {
    return absl::InvalidArgumentError(absl::StrCat("not a size: \"", text, "\""));
  }
  if (n != 0 && multiplier > SIZE_MAX / n) {
    return absl::InvalidArgumentError(absl::StrCat("size too large: ", text));
  }
  return static_cast<size_t>(n * multiplier);
}

int FlagErrorExitCode(const absl::Status& status) {
  auto code = status.GetPayload("memkit.server.exit_code");
  int n = 0;
  if (code.has_value() && absl::SimpleAtoi(std::string(*code), &n)) return n;
  return status.ok() ? 0 : kExitUsage;
}

absl::StatusOr<ServerFlags> ParseServerFlags(const std::vector<std::string>& args,
                                             const std::string& program) {
  ServerFlags out;
  ParseState st;
  // -h, -i and -V act when met, as memcached's exit() in its option loop.
  auto done = [&out] { return out.help || out.license || out.version; };
  for (size_t i = 0; i < args.size() && !done(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    // getopt_long permutes: memcached ignores what is not an option.
    if (arg.size() < 2 || arg[0] != '-') continue;
    if (arg[1] == '-') {
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      std::string ambiguous;
      const FlagSpec* f = FindLong(name, &ambiguous);
      if (f == nullptr && !ambiguous.empty()) {
        return GetoptError(program, absl::StrCat("option '", arg, "' is ambiguous; possibilities:",
                                                 ambiguous));
      }
      if (f == nullptr) return GetoptError(program, absl::StrCat("unrecognized option '", arg, "'"));
      std::optional<std::string> value;
      if (eq != std::string::npos) {
        if (f->arg == Arg::kNone) {
          return GetoptError(program, absl::StrCat("option '--", f->long_name,
                                                   "' doesn't allow an argument"));
        }
        value = arg.substr(eq + 1);
      } else if (f->arg == Arg::kRequired) {
        if (i + 1 >= args.size()) {
          return GetoptError(program, absl::StrCat("option '--", f->long_name,
                                                   "' requires an argument"));
        }
        value = args[++i];
      }
      if (absl::Status s = Apply(*f, value, &out, &st); !s.ok()) return s;
      continue;
    }
    // A cluster of short options: "-vv", "-Ap11211", "-p", "11211".
    for (size_t j = 1; j < arg.size() && !done(); ++j) {
      const FlagSpec* f = FindShort(arg[j]);
      if (f == nullptr) {
        return GetoptError(program, absl::StrCat("invalid option -- '", std::string(1, arg[j]), "'"));
      }
      if (f->arg != Arg::kRequired) {
        if (absl::Status s = Apply(*f, std::nullopt, &out, &st); !s.ok()) return s;
        continue;
      }
      std::string value;
      if (j + 1 < arg.size()) {
        value = arg.substr(j + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return GetoptError(program, absl::StrCat("option requires an argument -- '",
                                                 std::string(1, arg[j]), "'"));
      }
      if (absl::Status s = Apply(*f, value, &out, &st); !s.ok()) return s;
      break;
    }
  }
  if (done()) return out;
  if (absl::Status s = CheckAfterParse(&st, &out); !s.ok()) return s;
  if (absl::Status s = FinishSecurityFlags(out.protocol_given, &out.options); !s.ok()) {
    return FlagError(s.message(), kExitUsage);
  }
  if (absl::Status s = ValidateServerOptions(out.options); !s.ok()) {
    return FlagError(s.message(), kExitUsage);
  }
  return out;
}

}  // namespace server
}  // namespace memkit
