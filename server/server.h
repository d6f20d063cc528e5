// memkit::server::Server: a memcached-compatible server on memkit's event
// loops and storage engine. It speaks memcached 1.6.18's text, meta and
// binary protocols on the same port (chosen per connection from the first
// byte, like memcached's `-B auto`), byte for byte, with memcached's stats.
// The `memkit-server` binary (main.cc) and the in-process FakeServer
// (fake_server.h) are both thin wrappers around it.
//
//   ServerOptions options;
//   options.listen = {"127.0.0.1"};
//   options.port = 0;                                  // OS-chosen
//   auto server = Server::Create(options);             // started
//   int port = (*server)->port();
//   ...
//   (*server)->Shutdown();                             // or destroy it
//
// Threads: one acceptor loop plus `num_threads` worker loops (-t); each
// accepted connection lives on one worker, round-robin.
//
// Thread-safety: Create(), Shutdown() and the destructor from one owning
// thread, never from a server thread (they join them). Everything else is
// safe from any thread, except the blocking ones (Wait*, CloseAllConnections,
// SetOutage), which must not be called from a server thread.

#ifndef MEMKIT_SERVER_SERVER_H_
#define MEMKIT_SERVER_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/net/address.h"
#include "core/net/clock.h"
#include "server/cache.h"
#include "server/log_event.h"
#include "server/security_options.h"
#include "server/server_clock.h"
#include "server/server_faults.h"
#include "server/tunables.h"

namespace memkit {
namespace stats {
class Histogram;
}  // namespace stats
namespace server {

// memcached's -B.
enum class BindingProtocol { kAuto, kAscii, kBinary };

// Every field mirrors a memcached command-line flag (named in its comment)
// with memcached's default, unless said otherwise.
struct ServerOptions {
  // ---- where to listen
  // -l: interfaces (numeric addresses, optionally "addr:port"). Empty: all
  // interfaces, IPv4 and (when available) IPv6, like memcached's INADDR_ANY.
  std::vector<std::string> listen;
  // -p: TCP port; 0 lets the OS choose (see port()).
  int port = 11211;
  // -U: UDP port (memcached's UDP protocol, server/udp_listener.h); 0: off,
  // memcached 1.6's default; -1: any free port (udp_addresses() says which).
  // Bound on the same interfaces as TCP.
  int udp_port = 0;
  // -s: a unix socket path. When set, no TCP listener is opened (as memcached).
  std::string unix_socket;
  // -a: permissions of the unix socket file.
  int unix_mask = 0700;
  // -b: listen(2) backlog.
  int backlog = 1024;

  // ---- connections and threads
  // -c: most simultaneous client connections. Further ones are answered
  // "ERROR Too many open connections" and closed (rejected_connections).
  int max_connections = 1024;
  // -t: worker threads.
  int num_threads = 4;
  // -R: requests one connection may run before yielding to the others.
  int reqs_per_event = 20;
  // -o idle_timeout: close client connections idle this long (zero: never).
  absl::Duration idle_timeout = absl::ZeroDuration();
  // -B: which protocols a connection may speak.
  BindingProtocol protocol = BindingProtocol::kAuto;

  // ---- the item store: the engine's own options, with their flags and
  // defaults (-m memory_limit, -I item_size_max, -M evict, -C use_cas,
  // -f growth_factor, -n chunk_size, -o slab_chunk_max, -o hashpower,
  // -o no_lru_crawler: reclaim_interval zero, num_shards). The server also
  // checks them against memcached's limits (ValidateServerOptions). `clock`
  // is ignored: the server sets it from `clock` and `adjustable_clock` below.
  CacheOptions cache;

  // ---- commands
  // -F (false): "flush_all" answers "CLIENT_ERROR flush_all not allowed".
  bool flush_enabled = true;
  // -A: allow the "shutdown" command.
  bool shutdown_command = false;
  // -X (false): "stats cachedump" is not allowed.
  bool dump_enabled = true;
  // -W (false): "watch" answers "CLIENT_ERROR watch commands not allowed".
  bool watch_enabled = true;
  // -o track_sizes: "stats sizes" prints the size histogram.
  bool track_sizes = false;
  // memcached-debug's "debugtime <secs>|p|r" text command (moves the server
  // clock). memkit extension; off in memcached's release build and here.
  bool enable_debugtime = false;

  // ---- logging
  // -v / -vv: 1 logs errors and connection events, 2 also every command, to stderr.
  int verbosity = 0;

  // ---- persistence (memkit extension; docs/server.md, "Persistence")
  // -o persist=DIR (--persist=DIR): before serving, load the items of the
  // snapshot DIR/items.dbm (those not expired meanwhile); on Shutdown(),
  // write a new one. Empty: off.
  std::string persist_dir;
  // -o persist_interval=SECS: also snapshot every SECS seconds in the
  // background, so a kill -9 loses at most that much. Zero: only on Shutdown().
  absl::Duration persist_interval = absl::ZeroDuration();
  // -o persist_strict: Create() fails (DataLoss) when the snapshot is damaged
  // or not a snapshot, instead of starting cold or with what could be read.
  bool persist_strict = false;

  // ---- memcached's settings without machinery in memkit (-o slab_*, lru_*,
  // ext_*, -L, -N, -e, ...): accepted, reported by "stats settings".
  Tunables tunables;

  // ---- authentication and TLS: -Y, -S, -Z, -o ssl_* (security_options.h)
  SecurityOptions security;

  // ---- not flags
  // What "version" answers (clients parse it; memkit reports the memcached
  // release whose behaviour it reproduces).
  std::string version = "1.6.18";
  // Time source for expiry and stats; null: the system clock. Not owned.
  const net::Clock* clock = nullptr;
  // Let Server::clock()->Advance()/Pause() move the item clock (FakeServer
  // sets it; enable_debugtime implies it). Off, the engine reads the system
  // clock (or `clock`) directly, which is cheaper per request.
  bool adjustable_clock = false;
  // When set, the request path records each command's service time (from
  // its parse to its reply being queued, in nanoseconds) here; the admin API
  // and /metrics report it. Not owned; must outlive the server.
  stats::Histogram* request_latency = nullptr;
};

// Checks `options` against memcached's rules; InvalidArgument says which
// field is wrong, in memcached's words where it has them.
absl::Status ValidateServerOptions(const ServerOptions& options);

namespace internal {
class ServerCore;
}  // namespace internal
class Persister;

class Server {
 public:
  // Validates `options`, binds every listener (AlreadyExists if the port is
  // taken), starts the threads and returns a serving server. An auth file
  // (-Y, -S) that cannot be read or parsed fails with the status's
  // kMemcachedStartupPayload set: its message is then memcached's own
  // startup error, which memcached prints as is before exiting 1.
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerOptions& options);
  static constexpr char kMemcachedStartupPayload[] = "memkit.server/memcached-startup-error";
  // Shutdown().
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The TCP port of the first TCP listener (the real one when 0 was asked
  // for); 0 with only a unix socket.
  int port() const;
  // Where a client connects: "127.0.0.1:<port>" for a wildcard listener, the
  // bound address otherwise, or the unix socket.
  const net::Address& address() const;
  // Every bound listener.
  const std::vector<net::Address>& listen_addresses() const;
  // Every bound UDP socket (-U), with its real port.
  std::vector<net::Address> udp_addresses() const;

  const ServerOptions& options() const;
  // The engine, for inspection and direct use (thread-safe).
  Cache* cache();
  // The server's clock; moving it affects items only with
  // ServerOptions::adjustable_clock (or enable_debugtime).
  ServerClock* clock();
  // Fault switches read on the request path (FakeServer's controls).
  ServerFaults* faults();

  // ---- shutdown
  // Asks the server to stop: listeners close, client connections close once
  // their pending replies are written, and WaitForShutdownRequest() returns.
  // Asynchronous; any thread (the "shutdown" command and signal handlers
  // call it). The owner then calls Shutdown() to join the threads.
  void RequestShutdown();
  // Blocks until RequestShutdown() was called or `timeout` passes; returns
  // whether it was.
  bool WaitForShutdownRequest(absl::Duration timeout = absl::InfiniteDuration());
  bool shutdown_requested() const;
  // Graceful stop: closes listeners, lets connections flush (up to
  // `drain_timeout`), closes them, joins every thread, then writes the
  // persistence snapshot if persist_dir is set. Idempotent.
  void Shutdown(absl::Duration drain_timeout = absl::Seconds(2));

  // Re-reads the -Y and -S user files (memcached does on SIGHUP). On error
  // the users loaded before stay and the error is returned. Any thread.
  absl::Status ReloadAuthFiles();

  // ---- controls (FakeServer uses these)
  // Closes every client connection: orderly (FIN), or with a reset (RST).
  // Returns once they are closed.
  void CloseAllConnections(bool reset = false);
  // Outage: kRefuse closes the listening sockets (connects are refused) and
  // every client connection; kReset keeps listening but resets each new
  // connection at once, and resets the current ones; kNone serves again on
  // the same addresses.
  enum class Outage { kNone, kRefuse, kReset };
  absl::Status SetOutage(Outage outage);
  // Client connections open now.
  int64_t connection_count() const;
  // What the sessions know of each client connection beyond "stats conns".
  struct ConnectionActivity {
    int64_t id = 0;        // its fd, as "stats conns" numbers it
    std::string protocol;  // "ascii", "meta", "binary" (its last request's), "" before any
    uint64_t requests = 0;  // requests it has sent
  };
  // Every client connection's. Thread-safe.
  std::vector<ConnectionActivity> ConnectionActivities() const;
  // Closes the client connection `id` (its fd, as "stats conns" and the
  // log number it), on its own loop thread: orderly (FIN) or with a reset
  // (RST). NotFound when no client connection has that id. Blocking; not
  // from a server thread.
  absl::Status CloseConnection(int64_t id, bool reset = false);
  // Closes the client connections with these ids in one pass over the
  // workers; returns how many were open and are now closed.
  int64_t CloseConnections(absl::Span<const int64_t> ids, bool reset = false);

  // ---- the log stream
  // Subscribes to the `kinds` (LogKind bits) of the log, as a "watch"
  // connection does (counted in log_watchers); its queue is bounded like a
  // watcher's, so a slow reader misses events (LogEntry::skipped_before)
  // instead of slowing the server. ResourceExhausted past memcached's 20
  // watchers; FailedPrecondition with -W. Thread-safe.
  absl::StatusOr<std::unique_ptr<LogSubscription>> SubscribeLog(uint32_t kinds);

  // ---- inspection (the admin API uses these; server_stats_api.cc)
  // memcached's stats lines as (name, value) pairs, as the "stats <which>"
  // command would send them: "" (general), "settings", "items", "slabs",
  // "sizes", "conns" (listeners, then client connections). InvalidArgument
  // for any other `which`.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StatsLines(
      absl::string_view which = "");

 private:
  explicit Server(std::unique_ptr<internal::ServerCore> core);

  std::unique_ptr<internal::ServerCore> core_;
  std::unique_ptr<Persister> persister_;  // with persist_dir; set in Create
  bool shut_down_ = false;  // owner thread only
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SERVER_H_
