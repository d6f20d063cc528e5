#include "server/flags.h"

#include <climits>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/security_flags.h"

namespace memkit {
namespace server {
namespace {

struct FlagSpec {
  char short_name;  // 0: long form only
  const char* long_name;
  bool takes_value;
};

// The flags memkit-server understands (see ServerUsage()).
constexpr FlagSpec kFlags[] = {
    {'p', "port", true},
    {'U', "udp-port", true},
    {'s', "unix-socket", true},
    {'a', "unix-mask", true},
    {'A', "enable-shutdown", false},
    {'l', "listen", true},
    {'u', "user", true},
    {'m', "memory-limit", true},
    {'M', "disable-evictions", false},
    {'c', "conn-limit", true},
    {'v', "verbose", false},
    {'h', "help", false},
    {'V', "version", false},
    {'P', "pidfile", true},
    {'f', "slab-growth-factor", true},
    {'n', "slab-min-size", true},
    {'t', "threads", true},
    {'R', "max-reqs-per-event", true},
    {'C', "disable-cas", false},
    {'b', "listen-backlog", true},
    {'B', "protocol", true},
    {'I', "max-item-size", true},
    {'F', "disable-flush-all", false},
    {'X', "disable-dumping", false},
    {'W', "disable-watch", false},
    {'o', "extended", true},
    // authentication and TLS (security_flags.h)
    {'S', "enable-sasl", false},
    {'Y', "auth-file", true},
    {'Z', "enable-ssl", false},
    {0, "persist", true},  // memkit: -o persist=DIR, for paths with commas
    // memkit: the admin API (docs/admin.md)
    {0, "admin-listen", true},
    {0, "admin-port-file", true},
    {0, "admin-token-file", true},
    {0, "admin-tls-cert", true},
    {0, "admin-tls-key", true},
    {0, "admin-insecure", false},
    {0, "metrics-listen", true},
    {0, "enable-test-controls", false},
};

// memcached flags memkit-server knows but does not implement.
constexpr FlagSpec kUnsupported[] = {
    {'d', "daemon", false},          {'r', "enable-coredumps", false},
    {'k', "lock-memory", false},     {'i', "license", false},
    {'L', "enable-largepages", false}, {'D', nullptr, true},
    {'e', "memory-file", true},
};

absl::Status Bad(absl::string_view message) { return absl::InvalidArgumentError(message); }

std::string FlagName(const FlagSpec& f) {
  if (f.short_name == 0) return absl::StrCat("--", f.long_name);
  if (f.long_name == nullptr) return absl::StrCat("-", std::string(1, f.short_name));
  return absl::StrCat("-", std::string(1, f.short_name), " (--", f.long_name, ")");
}

absl::Status BadValue(const FlagSpec& f, absl::string_view value, absl::string_view why = "") {
  return Bad(absl::StrCat("invalid value for ", FlagName(f), ": \"", value, "\"",
                          why.empty() ? "" : " (", why, why.empty() ? "" : ")"));
}

absl::StatusOr<int> ParseInt(const FlagSpec& f, const std::string& value, int min, int max) {
  int v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    return BadValue(f, value, absl::StrCat("expected an integer from ", min, " to ", max));
  }
  return v;
}

absl::Status ApplyExtended(const std::string& value, ServerOptions* o) {
  for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    const size_t eq = item.find('=');
    const std::string key(item.substr(0, eq));
    const std::string arg(eq == absl::string_view::npos ? "" : item.substr(eq + 1));
    const bool has_arg = eq != absl::string_view::npos;
    auto need_arg = [&]() -> absl::Status {
      if (!has_arg || arg.empty()) return Bad(absl::StrCat("missing value for -o ", key));
      return absl::OkStatus();
    };
    auto bad_arg = [&]() {
      return Bad(absl::StrCat("invalid value for -o ", key, ": \"", arg, "\""));
    };
    if (key == "idle_timeout") {
      if (absl::Status s = need_arg(); !s.ok()) return s;
      int64_t seconds = 0;
      if (!absl::SimpleAtoi(arg, &seconds) || seconds < 0) return bad_arg();
      o->idle_timeout = absl::Seconds(seconds);
    } else if (key == "hashpower") {
      if (absl::Status s = need_arg(); !s.ok()) return s;
      int power = 0;
      if (!absl::SimpleAtoi(arg, &power) || power < 12 || power > 32) return bad_arg();
      o->cache.hash_power = power;
    } else if (key == "slab_chunk_max") {
      // Kilobytes, as memcached's help says; a k/m suffix gives the unit.
      if (absl::Status s = need_arg(); !s.ok()) return s;
      auto bytes = ParseSizeFlag(arg, 1024);
      if (!bytes.ok() || *bytes == 0) return bad_arg();
      o->cache.slab_chunk_max = *bytes;
    } else if (key == "track_sizes") {
      o->track_sizes = true;
    } else if (key == "no_lru_crawler") {
      o->cache.reclaim_interval = absl::ZeroDuration();
    } else if (key == "lru_crawler") {
      o->cache.reclaim_interval = CacheOptions().reclaim_interval;
    } else if (key == "maxconns_fast" || key == "modern") {
      // memkit's behaviour already (reject over-limit connections at once).
    } else if (key == "debugtime") {
      o->enable_debugtime = true;
    } else if (key == "persist") {
      if (absl::Status s = need_arg(); !s.ok()) return s;
      o->persist_dir = arg;
    } else if (key == "persist_interval") {
      if (absl::Status s = need_arg(); !s.ok()) return s;
      int64_t seconds = 0;
      if (!absl::SimpleAtoi(arg, &seconds) || seconds < 0 || seconds > 86400 * 365) {
        return bad_arg();
      }
      o->persist_interval = absl::Seconds(seconds);
    } else if (key == "persist_strict") {
      o->persist_strict = true;
    } else if (IsSecuritySuboption(key)) {  // ssl_*: security_flags.cc
      if (absl::Status s = ApplySecuritySuboption(key, arg, has_arg, &o->security); !s.ok()) {
        return s;
      }
    } else {
      return Bad(absl::StrCat("Illegal suboption \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

// The memkit-only flags that have no short form, other than --persist.
absl::Status ApplyAdminFlag(const FlagSpec& f, const std::string& value, ServerFlags* out) {
  const absl::string_view name = f.long_name;
  if (f.takes_value && value.empty()) return BadValue(f, value, "expected a value");
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
  } else {
    return Bad(absl::StrCat("unhandled option --", name));
  }
  return absl::OkStatus();
}

absl::Status Apply(const FlagSpec& f, const std::string& value, ServerFlags* out) {
  ServerOptions& o = out->options;
  if (f.short_name == 'B') out->protocol_given = true;  // for FinishSecurityFlags
  if (f.short_name == 0 && absl::string_view(f.long_name) != "persist") {
    return ApplyAdminFlag(f, value, out);
  }
  switch (f.short_name) {
    case 'p': {
      // -1 is memcached's "any free port" (with MEMCACHED_PORT_FILENAME to
      // learn it); memkit-server also takes 0 for that.
      auto v = ParseInt(f, value, -1, 65535);
      if (!v.ok()) return v.status();
      o.port = *v < 0 ? 0 : *v;
      return absl::OkStatus();
    }
    case 'U': {
      auto v = ParseInt(f, value, 0, 65535);
      if (!v.ok()) return v.status();
      if (*v != 0) return Bad("UDP is not supported by memkit-server: -U must be 0");
      return absl::OkStatus();
    }
    case 's':
      if (value.empty()) return BadValue(f, value);
      o.unix_socket = value;
      return absl::OkStatus();
    case 'a': {
      int mask = 0;
      if (value.empty() || value.size() > 4 ||
          value.find_first_not_of("01234567") != std::string::npos) {
        return BadValue(f, value, "expected an octal mask");
      }
      mask = static_cast<int>(std::stol(value, nullptr, 8));
      if (mask > 0777) return BadValue(f, value, "expected an octal mask");
      o.unix_mask = mask;
      return absl::OkStatus();
    }
    case 'A':
      o.shutdown_command = true;
      return absl::OkStatus();
    case 'l':
      for (absl::string_view a : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        o.listen.emplace_back(a);
      }
      if (o.listen.empty()) return BadValue(f, value);
      return absl::OkStatus();
    case 'u':
      if (value.empty()) return BadValue(f, value);
      out->user = value;
      return absl::OkStatus();
    case 'm': {
      auto v = ParseSizeFlag(value, 1024 * 1024);
      if (!v.ok() || *v == 0) return BadValue(f, value, "expected megabytes");
      o.cache.memory_limit = *v;
      return absl::OkStatus();
    }
    case 'M':
      o.cache.evict = false;
      return absl::OkStatus();
    case 'c': {
      auto v = ParseInt(f, value, 1, INT_MAX);
      if (!v.ok()) return Bad("Maximum connections must be greater than 0");
      o.max_connections = *v;
      return absl::OkStatus();
    }
    case 'v':
      ++o.verbosity;
      return absl::OkStatus();
    case 'h':
      out->help = true;
      return absl::OkStatus();
    case 'V':
      out->version = true;
      return absl::OkStatus();
    case 'P':
      if (value.empty()) return BadValue(f, value);
      out->pidfile = value;
      return absl::OkStatus();
    case 'f': {
      double factor = 0;
      if (!absl::SimpleAtod(value, &factor) || !(factor > 1.0)) {
        return Bad("Factor must be greater than 1");
      }
      o.cache.growth_factor = factor;
      return absl::OkStatus();
    }
    case 'n': {
      auto v = ParseInt(f, value, 1, 1024 * 1024);
      if (!v.ok()) return Bad("Chunk size must be greater than 0");
      o.cache.chunk_size = static_cast<size_t>(*v);
      return absl::OkStatus();
    }
    case 't': {
      auto v = ParseInt(f, value, 1, 1024);
      if (!v.ok()) return Bad("Number of threads must be greater than 0");
      o.num_threads = *v;
      return absl::OkStatus();
    }
    case 'R': {
      auto v = ParseInt(f, value, 1, INT_MAX);
      if (!v.ok()) return Bad("Number of requests per event must be greater than 0");
      o.reqs_per_event = *v;
      return absl::OkStatus();
    }
    case 'C':
      o.cache.use_cas = false;
      return absl::OkStatus();
    case 'b': {
      auto v = ParseInt(f, value, 1, INT_MAX);
      if (!v.ok()) return v.status();
      o.backlog = *v;
      return absl::OkStatus();
    }
    case 'B':
      if (value == "auto") {
        o.protocol = BindingProtocol::kAuto;
      } else if (value == "ascii") {
        o.protocol = BindingProtocol::kAscii;
      } else if (value == "binary") {
        o.protocol = BindingProtocol::kBinary;
      } else {
        return Bad(absl::StrCat("Invalid value for binding protocol: ", value,
                                " -- should be one of auto, binary, or ascii"));
      }
      return absl::OkStatus();
    case 'I': {
      auto v = ParseSizeFlag(value, 1);
      if (!v.ok()) return BadValue(f, value, "expected bytes with an optional k or m suffix");
      o.cache.item_size_max = *v;
      return absl::OkStatus();
    }
    case 'F':
      o.flush_enabled = false;
      return absl::OkStatus();
    case 'X':
      o.dump_enabled = false;
      return absl::OkStatus();
    case 'W':
      o.watch_enabled = false;
      return absl::OkStatus();
    case 'o':
      return ApplyExtended(value, &o);
    case 'S':
    case 'Y':
    case 'Z':
      return ApplySecurityFlag(f.short_name, value, &o.security);
    case 0:  // --persist
      if (value.empty()) return BadValue(f, value, "expected a directory");
      o.persist_dir = value;
      return absl::OkStatus();
    default:
      return Bad(absl::StrCat("unhandled option -", std::string(1, f.short_name)));
  }
}

const FlagSpec* FindShort(char c, bool* unsupported) {
  for (const FlagSpec& f : kFlags) {
    if (f.short_name != 0 && f.short_name == c) return &f;
  }
  for (const FlagSpec& f : kUnsupported) {
    if (f.short_name == c) {
      *unsupported = true;
      return &f;
    }
  }
  return nullptr;
}

const FlagSpec* FindLong(absl::string_view name, bool* unsupported) {
  for (const FlagSpec& f : kFlags) {
    if (name == f.long_name) return &f;
  }
  for (const FlagSpec& f : kUnsupported) {
    if (f.long_name != nullptr && name == f.long_name) {
      *unsupported = true;
      return &f;
    }
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
    return Bad(absl::StrCat("not a size: \"", text, "\""));
  }
  if (n != 0 && multiplier > SIZE_MAX / n) return Bad(absl::StrCat("size too large: ", text));
  return static_cast<size_t>(n * multiplier);
}

absl::StatusOr<ServerFlags> ParseServerFlags(const std::vector<std::string>& args) {
  ServerFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return Bad(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    if (arg[1] == '-') {
      // --name, --name=value, --name value
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      bool unsupported = false;
      const FlagSpec* f = FindLong(name, &unsupported);
      if (f == nullptr) return Bad(absl::StrCat("unknown option --", name));
      if (unsupported) {
        return Bad(absl::StrCat("option ", FlagName(*f), " is not supported by memkit-server"));
      }
      std::string value;
      if (f->takes_value) {
        if (eq != std::string::npos) {
          value = arg.substr(eq + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return Bad(absl::StrCat("option ", FlagName(*f), " requires a value"));
        }
      } else if (eq != std::string::npos) {
        return Bad(absl::StrCat("option ", FlagName(*f), " takes no value"));
      }
      if (absl::Status s = Apply(*f, value, &out); !s.ok()) return s;
      continue;
    }
    // A cluster of short flags: "-vv", "-Ap11211", "-p", "11211".
    for (size_t j = 1; j < arg.size(); ++j) {
      bool unsupported = false;
      const FlagSpec* f = FindShort(arg[j], &unsupported);
      if (f == nullptr) return Bad(absl::StrCat("invalid option -", std::string(1, arg[j])));
      if (unsupported) {
        return Bad(absl::StrCat("option ", FlagName(*f), " is not supported by memkit-server"));
      }
      std::string value;
      if (f->takes_value) {
        if (j + 1 < arg.size()) {
          value = arg.substr(j + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return Bad(absl::StrCat("option ", FlagName(*f), " requires a value"));
        }
        if (absl::Status s = Apply(*f, value, &out); !s.ok()) return s;
        break;
      }
      if (absl::Status s = Apply(*f, value, &out); !s.ok()) return s;
    }
  }
  if (out.help || out.version) return out;
  if (absl::Status s = FinishSecurityFlags(out.protocol_given, &out.options); !s.ok()) return s;
  if (absl::Status s = ValidateServerOptions(out.options); !s.ok()) return s;
  return out;
}

std::string ServerUsage() {
  return "memkit-server (memcached 1.6.18 compatible)\n"
         "-p, --port=<num>          TCP port to listen on (default: 11211; 0: any free port)\n"
         "-U, --udp-port=<num>      UDP port; only 0 (off, the default) is supported\n"
         "-s, --unix-socket=<file>  UNIX socket to listen on (disables network support)\n"
         "-a, --unix-mask=<mask>    access mask for UNIX socket, in octal (default: 700)\n"
         "-A, --enable-shutdown     enable ascii \"shutdown\" command\n"
         "-l, --listen=<addr>       interface(s) to listen on, comma separated\n"
         "                          (default: all interfaces)\n"
         "-u, --user=<user>         assume identity of <username> (only when run as root)\n"
         "-P, --pidfile=<file>      save PID in <file>\n"
         "-m, --memory-limit=<num>  item memory in megabytes (default: 64)\n"
         "-M, --disable-evictions   return error on memory exhausted instead of evicting\n"
         "-c, --conn-limit=<num>    max simultaneous connections (default: 1024)\n"
         "-v, --verbose             verbose (print errors/warnings and connection events)\n"
         "-vv                       very verbose (also print client commands)\n"
         "-h, --help                print this help and exit\n"
         "-V, --version             print version and exit\n"
         "-f, --slab-growth-factor=<num> chunk size growth factor for per-class stats\n"
         "                          (default: 1.25)\n"
         "-n, --slab-min-size=<bytes> min space used for key+value+flags (default: 48)\n"
         "-t, --threads=<num>       number of worker threads (default: 4)\n"
         "-R, --max-reqs-per-event  maximum number of requests per event, limits the\n"
         "                          requests processed per connection to prevent\n"
         "                          starvation (default: 20)\n"
         "-C, --disable-cas         disable use of CAS\n"
         "-b, --listen-backlog=<num> set the backlog queue limit (default: 1024)\n"
         "-B, --protocol=<name>     protocol - one of ascii, binary, or auto\n"
         "                          (default: auto-negotiate)\n"
         "-I, --max-item-size=<num> adjusts max item size, k and m suffixes allowed\n"
         "                          (default: 1m, min: 1k, max: 1024m)\n"
         "-F, --disable-flush-all   disable flush_all command\n"
         "-X, --disable-dumping     disable stats cachedump\n"
         "-W  --disable-watch       disable watch commands (live logging)\n"
         "-Y, --auth-file=<file>    (EXPERIMENTAL) enable ASCII protocol authentication. format:\n"
         "                          user:pass\\nuser2:pass2\\n\n"
         "-S, --enable-sasl         turn on SASL PLAIN authentication (binary protocol;\n"
         "                          users from $MEMCACHED_SASL_PWDB, user:pass lines)\n"
         "-Z, --enable-ssl          enable TLS/SSL; -l notls:<ip>:<port> keeps a listener plain\n"
         "-o, --extended            comma separated list of extended options\n"
         "   - idle_timeout:        timeout for idle connections in seconds\n"
         "                          (default: 0, no timeout)\n"
         "   - hashpower:           log2 of the initial hash table size (12..32)\n"
         "   - slab_chunk_max:      maximum slab chunk size in kilobytes (default: 512)\n"
         "   - track_sizes:         enable 'stats sizes' reports\n"
         "   - no_lru_crawler:      disable the background sweep of expired items\n"
         "   - maxconns_fast:       reject connections over the limit at once (default)\n"
         "   - debugtime:           enable memcached-debug's \"debugtime <secs>\" command\n"
         "   - persist=<dir>:       keep items across restarts: load <dir>/items.dbm at\n"
         "                          start, write it on graceful shutdown (memkit)\n"
         "   - persist_interval:    also snapshot every <secs> seconds, bounding what a\n"
         "                          kill -9 loses (default: 0, only at shutdown)\n"
         "   - persist_strict:      refuse to start if the snapshot is damaged\n"
         "                          (default: start cold, or with what could be read)\n"
         "   - ssl_chain_cert:      certificate chain file in PEM format\n"
         "   - ssl_key:             private key, if not part of the -ssl_chain_cert\n"
         "   - ssl_keyformat:       private key format (PEM only) (default: 1)\n"
         "   - ssl_verify_mode:     peer certificate verification mode, default is 0(None).\n"
         "                          valid values are 0(None), 1(Request), 2(Require)\n"
         "                          or 3(Once)\n"
         "   - ssl_ciphers:         specify cipher list to be used\n"
         "   - ssl_ca_cert:         PEM format file of acceptable client CA's\n"
         "   - ssl_wbuf_size:       size in kilobytes of per-connection SSL output buffer\n"
         "                          (default: 16)\n"
         "   - ssl_session_cache:   enable server-side SSL session cache\n"
         "   - ssl_kernel_tls:      accepted; kernel TLS offload is not used\n"
         "   - ssl_min_version:     minimum protocol version to accept (default: tlsv1.2)\n"
         "                          valid values are 0(tlsv1.0), 1(tlsv1.1), 2(tlsv1.2), or 3(tlsv1.3).\n"
         "--persist=<dir>           same as -o persist=<dir> (the directory may contain commas)\n"
         "--admin-listen=<host:port> serve the gRPC admin API (port 0: any free port, printed\n"
         "                          to stderr as \"admin-listen: <host:port>\")\n"
         "--admin-port-file=<file>  write the admin port chosen to <file>\n"
         "--admin-token-file=<file> require \"authorization: Bearer <token>\" on admin calls\n"
         "--admin-tls-cert=<file>   serve the admin API over TLS with this certificate (PEM)\n"
         "--admin-tls-key=<file>    ... and this private key (PEM)\n"
         "--admin-insecure          allow a non-loopback --admin-listen without a token\n"
         "--metrics-listen=<host:port> serve Prometheus metrics on GET /metrics\n"
         "--enable-test-controls    serve the admin Testing service (clock, faults); tests only\n";
}

}  // namespace server
}  // namespace memkit
