// memkit-proxy: a memcached proxy in front of a pool of memcached servers.
//
//   memkit-proxy -l 127.0.0.1 -p 11311 --servers=10.0.0.1:11211,10.0.0.2:11211 -t 4
//   memkit-proxy --config proxy.json          (docs/proxy.md describes the file)
//
// -l / -p / -t override the config file's listen and threads. `-p 0` lets the
// kernel choose the port; it is printed on stderr ("... listening on
// 127.0.0.1:PORT"), and, like memcached, written to $MEMCACHED_PORT_FILENAME
// ("TCP INET: <port>") when that is set. A bad flag or config exits 64
// (EX_USAGE) with one line on stderr naming the problem; a port it cannot
// bind exits 71 (EX_OSERR).
//
// SIGHUP re-reads --config (with the same -l/-p/-t overrides) and reloads it
// (Proxy::Reload): one line on stderr says whether it took. The admin API's
// Config service (--admin-listen) validates and reloads the same way. SIGTERM and
// SIGINT drain: stop accepting, let requests in flight finish (at most
// --drain-timeout seconds, default 10), then exit 0.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "proxy/admin_service.h"
#include "proxy/config.h"
#include "proxy/proxy.h"

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitOsErr = 71;

constexpr char kUsage[] =
    "usage: memkit-proxy [--config FILE] [-l ADDR] [-p PORT] [-t THREADS]\n"
    "                    [--servers=HOST:PORT[:WEIGHT],...]\n"
    "  --config FILE     JSON ProxyConfig (core/admin/proxy_config.proto)\n"
    "  --servers LIST    one pool of these servers, placed ketama_weighted\n"
    "  -l ADDR           listen address (default 127.0.0.1)\n"
    "  -p PORT           listen port (default 11211; 0 or -1: any, printed)\n"
    "  -t THREADS        worker threads (default 4)\n"
    "  --drain-timeout S on SIGTERM/SIGINT, wait up to S seconds for requests\n"
    "                    in flight (default 10)\n"
    "  -U PORT           accepted for memcached compatibility; only 0 (no UDP)\n"
    "  -V, --version     print the version\n"
    "  --admin-listen=HOST:PORT  serve the gRPC admin API (port 0: any, printed as\n"
    "                    \"admin-listen: HOST:PORT\"); --admin_port=N: 127.0.0.1:N\n"
    "  --admin-token-file=FILE   require \"authorization: Bearer <token>\" on admin calls\n"
    "  --admin-tls-cert=FILE, --admin-tls-key=FILE  serve the admin API over TLS\n"
    "  --admin-insecure  allow a non-loopback --admin-listen without a token\n"
    "  --metrics-listen=HOST:PORT  Prometheus /metrics (printed as \"metrics-listen: ...\")\n";

struct Flags {
  std::string config;
  std::string servers;
  std::string listen_host;
  int port = -1;
  int threads = 0;
  int drain_timeout_s = 10;
  bool help = false;
  bool version = false;
  // The admin API and /metrics (memkit-server's flag names).
  std::string admin_listen;
  std::string admin_token_file;
  std::string admin_tls_cert;
  std::string admin_tls_key;
  bool admin_insecure = false;
  std::string metrics_listen;
};

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (absl::StartsWith(name, "--")) {
      const size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
    }
    auto take = [&](std::string* out) -> absl::Status {
      if (has_value) {
        *out = value;
        return absl::OkStatus();
      }
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(name + " needs a value");
      *out = args[++i];
      return absl::OkStatus();
    };
    auto take_int = [&](int* out, int lo, int hi) -> absl::Status {
      std::string s;
      if (absl::Status st = take(&s); !st.ok()) return st;
      if (!absl::SimpleAtoi(s, out) || *out < lo || *out > hi) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": want a number from ", lo, " to ", hi, ", got \"", s, "\""));
      }
      return absl::OkStatus();
    };
    absl::Status st;
    if (name == "--config" || name == "-c") {
      st = take(&f.config);
    } else if (name == "--servers" || name == "-s") {
      st = take(&f.servers);
    } else if (name == "-l" || name == "--listen") {
      st = take(&f.listen_host);
    } else if (name == "-p" || name == "--port") {
      // -1, as memcached's, also means any free port.
      st = take_int(&f.port, -1, 65535);
      if (f.port < 0) f.port = 0;
    } else if (name == "-t" || name == "--threads") {
      st = take_int(&f.threads, 1, 256);
    } else if (name == "--drain-timeout") {
      st = take_int(&f.drain_timeout_s, 0, 3600);
    } else if (name == "-U" || name == "--udp-port") {
      int udp = 0;
      st = take_int(&udp, 0, 65535);
      if (st.ok() && udp != 0) st = absl::InvalidArgumentError("-U: memkit-proxy has no UDP");
    } else if (name == "--admin-listen") {
      st = take(&f.admin_listen);
    } else if (name == "--admin_port" || name == "--admin-port") {
      int port = 0;
      st = take_int(&port, 0, 65535);
      f.admin_listen = absl::StrCat("127.0.0.1:", port);
    } else if (name == "--admin-token-file") {
      st = take(&f.admin_token_file);
    } else if (name == "--admin-tls-cert") {
      st = take(&f.admin_tls_cert);
    } else if (name == "--admin-tls-key") {
      st = take(&f.admin_tls_key);
    } else if (name == "--admin-insecure") {
      f.admin_insecure = true;
    } else if (name == "--metrics-listen") {
      st = take(&f.metrics_listen);
    } else if (name == "-h" || name == "--help") {
      f.help = true;
    } else if (name == "-V" || name == "--version") {
      f.version = true;
    } else {
      st = absl::InvalidArgumentError(absl::StrCat("unknown flag \"", args[i], "\""));
    }
    if (!st.ok()) return st;
  }
  return f;
}

// The config of --config (or --servers), before the -l/-p/-t overrides.
absl::StatusOr<memkit::admin::v1::ProxyConfig> ReadConfig(const Flags& f) {
  memkit::admin::v1::ProxyConfig config;
  if (!f.config.empty()) {
    if (!f.servers.empty()) {
      return absl::InvalidArgumentError("give --servers or --config, not both");
    }
    std::ifstream in(f.config);
    if (!in) return absl::InvalidArgumentError("cannot read --config " + f.config);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = memkit::proxy::ParseProxyConfigJson(text.str());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(f.config, ": ", parsed.status().message()));
    }
    config = *parsed;
  } else {
    if (f.servers.empty()) return absl::InvalidArgumentError("--servers or --config is needed");
    auto* pool = config.add_pools();
    for (absl::string_view s : absl::StrSplit(f.servers, ',')) pool->add_servers(std::string(s));
  }
  return config;
}

// -l / -p / -t win over the config's listen and threads (at start-up, on
// SIGHUP and on an admin reload alike).
void ApplyOverrides(const Flags& f, memkit::admin::v1::ProxyConfig* config) {
  if (!f.listen_host.empty() || f.port >= 0) {
    std::string host = "127.0.0.1";
    int port = 11211;
    if (!config->listen().empty()) {
      auto split = memkit::net::SplitHostPort(config->listen());
      if (split.ok()) {
        host = split->host;
        if (split->port >= 0) port = split->port;
      }
    }
    if (!f.listen_host.empty()) host = f.listen_host;
    if (f.port >= 0) port = f.port;
    config->set_listen(absl::StrCat(host.find(':') != std::string::npos ? "[" + host + "]" : host,
                                    ":", port));
  }
  if (f.threads > 0) config->set_threads(f.threads);
}

absl::StatusOr<memkit::proxy::ProxyOptions> BuildOptions(const Flags& f) {
  auto config = ReadConfig(f);
  if (!config.ok()) return config.status();
  ApplyOverrides(f, &*config);
  auto options = memkit::proxy::ProxyOptionsFromConfig(*config);
  if (!options.ok() && !f.config.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(f.config, ": ", options.status().message()));
  }
  return options;
}

// The admin Config service's ValidateConfig (apply false) / ReloadConfig:
// `json` ("" = --config as on disk now) with the flag overrides, as SIGHUP.
absl::StatusOr<std::vector<std::string>> ChangeConfig(const Flags& f, memkit::proxy::Proxy* proxy,
                                                      const std::string& json, bool apply) {
  memkit::admin::v1::ProxyConfig config;
  if (json.empty()) {
    auto read = ReadConfig(f);
    if (!read.ok()) return read.status();
    config = *read;
  } else {
    auto parsed = memkit::proxy::ParseProxyConfigJson(json);
    if (!parsed.ok()) return parsed.status();
    config = *parsed;
  }
  ApplyOverrides(f, &config);
  auto changes = proxy->Validate(config);
  if (!apply) return changes;
  // Reload validates again (and counts a refusal in "stats proxy").
  absl::Status reloaded = proxy->Reload(config);
  if (reloaded.ok()) {
    std::fprintf(stderr, "memkit-proxy: admin ReloadConfig: reloaded\n");
  } else {
    std::fprintf(stderr,
                 "memkit-proxy: admin ReloadConfig: refused, the old config keeps serving: %s\n",
                 std::string(reloaded.message()).c_str());
  }
  std::fflush(stderr);
  if (!reloaded.ok()) return reloaded;
  return changes.ok() ? changes : std::vector<std::string>{};
}

// memcached's port file, written whole: "<path>.lck", then renamed.
bool WritePortFile(const std::string& path, const memkit::net::Address& address) {
  const std::string temp = path + ".lck";
  {
    std::ofstream out(temp, std::ios::trunc);
    const bool v6 = address.family() == memkit::net::Address::Family::kIPv6;
    out << "TCP INET" << (v6 ? "6" : "") << ": " << address.port() << "\n";
    if (!out) return false;
  }
  return rename(temp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto flags = ParseFlags(args);
  if (!flags.ok()) {
    std::fprintf(stderr, "memkit-proxy: %s\n%s", std::string(flags.status().message()).c_str(),
                 kUsage);
    return kExitUsage;
  }
  if (flags->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  memkit::proxy::ProxyOptions defaults;
  if (flags->version) {
    std::printf("memkit-proxy %s\n", defaults.version.c_str());
    return 0;
  }
  auto options = BuildOptions(*flags);
  if (!options.ok()) {
    std::fprintf(stderr, "memkit-proxy: %s\n", std::string(options.status().message()).c_str());
    return kExitUsage;
  }

  // Signals are taken by sigwait() below; every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto proxy = memkit::proxy::Proxy::Create(*options);
  if (!proxy.ok()) {
    std::fprintf(stderr, "memkit-proxy: %s\n", std::string(proxy.status().message()).c_str());
    return proxy.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitOsErr;
  }
  const memkit::net::Address& address = (*proxy)->address();
  size_t servers = 0;
  for (const auto& pool : options->pools) servers += pool.servers.size();
  std::fprintf(stderr, "memkit-proxy %s listening on %s (%d threads, %zu pools, %zu servers)\n",
               options->version.c_str(), address.ToString().c_str(), options->threads,
               options->pools.size(), servers);
  std::fflush(stderr);
  std::unique_ptr<memkit::proxy::ProxyAdmin> admin;
  if (!flags->admin_listen.empty() || !flags->metrics_listen.empty()) {
    memkit::proxy::ProxyAdminOptions ao;
    ao.admin.listen = flags->admin_listen;
    ao.admin.token_file = flags->admin_token_file;
    ao.admin.tls_cert_file = flags->admin_tls_cert;
    ao.admin.tls_key_file = flags->admin_tls_key;
    ao.admin.insecure = flags->admin_insecure;
    ao.metrics_listen = flags->metrics_listen;
    ao.command_line.assign(argv, argv + argc);
    const Flags& f = *flags;
    memkit::proxy::Proxy* p = proxy->get();
    ao.config_change = [&f, p](const std::string& json, bool apply) {
      return ChangeConfig(f, p, json, apply);
    };
    auto created = memkit::proxy::ProxyAdmin::Create(&(*proxy)->context(), ao);
    if (!created.ok()) {
      std::fprintf(stderr, "memkit-proxy: %s\n", std::string(created.status().message()).c_str());
      const absl::StatusCode code = created.status().code();
      return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound
                 ? kExitUsage
                 : kExitOsErr;
    }
    admin = std::move(*created);
    if (admin->admin_port() != 0) {
      std::fprintf(stderr, "admin-listen: %s\n", admin->admin_address().c_str());
    }
    if (admin->metrics_port() != 0) {
      std::fprintf(stderr, "metrics-listen: %s\n", admin->metrics_address().c_str());
    }
    std::fflush(stderr);
  }
  // The port file last: who waits for it can reach the admin API too.
  if (const char* port_file = std::getenv("MEMCACHED_PORT_FILENAME");
      port_file != nullptr && *port_file != '\0' && !WritePortFile(port_file, address)) {
    std::fprintf(stderr, "memkit-proxy: cannot write the port file %s\n", port_file);
    return kExitOsErr;
  }
  for (;;) {
    int signo = 0;
    sigwait(&stop_signals, &signo);
    if (signo != SIGHUP) break;
    if (flags->config.empty()) {
      std::fprintf(stderr, "memkit-proxy: SIGHUP: nothing to reload (no --config)\n");
      std::fflush(stderr);
      continue;
    }
    auto next = BuildOptions(*flags);
    absl::Status reloaded = next.ok() ? (*proxy)->Reload(*next) : next.status();
    if (reloaded.ok()) {
      std::fprintf(stderr, "memkit-proxy: SIGHUP: reloaded %s\n", flags->config.c_str());
    } else {
      std::fprintf(stderr, "memkit-proxy: SIGHUP: reload failed, the old config keeps serving: %s\n",
                   std::string(reloaded.message()).c_str());
    }
    std::fflush(stderr);
  }
  if (!(*proxy)->Drain(absl::Seconds(flags->drain_timeout_s))) {
    std::fprintf(stderr, "memkit-proxy: drain timeout: %lld requests still in flight\n",
                 static_cast<long long>((*proxy)->context().in_flight.load()));
  }
  // Before Stop: an admin call must not reach a stopping proxy.
  if (admin != nullptr) admin->Shutdown();
  (*proxy)->Stop();
  std::fflush(stderr);
  _exit(0);
}
