// Helpers for the hostile-load tests (tests/hostile): raw loopback sockets
// with deadlines, request latency summaries, a server's RSS, and the
// file-descriptor limit. Nothing here parses the protocol beyond finding a
// reply's terminator, so the same code drives memkit-server, memcached and
// memkit-proxy (in front of a memcached it starts).
//
// Thread-safety: a Socket is used by one thread at a time; the free
// functions are thread-safe.

#ifndef MEMKIT_TESTS_HOSTILE_HOSTILE_UTIL_H_
#define MEMKIT_TESTS_HOSTILE_HOSTILE_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace hostile {

// Why a read returned.
enum class ReadEnd { kCondition, kEof, kDeadline };

// A TCP connection to 127.0.0.1, non-blocking underneath so that every call
// honours its deadline. Closed on destruction.
class Socket {
 public:
  // Connects (blocking, up to `timeout`) with TCP_NODELAY.
  static absl::StatusOr<std::unique_ptr<Socket>> Connect(int port,
                                                         absl::Duration timeout = absl::Seconds(5));
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }

  // Writes all of `bytes` before `deadline`. Unavailable if the peer closed
  // or reset; DeadlineExceeded if it stopped reading.
  absl::Status WriteAll(absl::string_view bytes, absl::Time deadline);
  // Writes what the socket takes now; returns how much (0 if full). An error
  // when the peer has closed or reset the connection.
  absl::StatusOr<size_t> TryWrite(absl::string_view bytes);
  // Appends to `*out` until `done(*out)`, EOF (or reset), or `deadline`.
  ReadEnd ReadUntil(const std::function<bool(absl::string_view)>& done, absl::Time deadline,
                    std::string* out);
  // Reads until EOF or `deadline`.
  ReadEnd ReadToEof(absl::Time deadline, std::string* out);
  // Half-closes: the server sees EOF after what was written.
  void ShutdownWrite();
  // Makes the destructor's close send a reset (RST) instead of a FIN, as a
  // crashed or killed client's kernel may.
  void ResetOnClose();

 private:
  explicit Socket(int fd) : fd_(fd) {}
  const int fd_;
};

// Sends `request` and reads until the reply ends with `terminator`; returns
// the round-trip time. DeadlineExceeded after `timeout`, Unavailable on EOF.
absl::StatusOr<absl::Duration> RoundTrip(Socket& socket, absl::string_view request,
                                         absl::string_view terminator, absl::Duration timeout,
                                         std::string* reply = nullptr);

struct LatencySummary {
  int requests = 0;
  int failures = 0;  // round trips that timed out or saw the connection close
  absl::Duration p50;
  absl::Duration p99;
  absl::Duration max;
  std::string ToString() const;
};

// The summary of `times` (a failed round trip counts as its timeout).
LatencySummary Summarize(std::vector<absl::Duration> times, int failures);

// `requests` round trips (alternately a 100-byte set and a get of that key)
// on a fresh connection to `port`, each allowed `timeout`. Each round trip's
// time is appended to `samples` when given.
LatencySummary MeasureActiveClient(int port, int requests,
                                   absl::Duration timeout = absl::Seconds(2),
                                   std::vector<absl::Duration>* samples = nullptr);

// The server's "stats" as name -> value, read on `socket`.
absl::StatusOr<std::map<std::string, std::string>> Stats(Socket& socket);

// VmRSS of process `pid` in KiB, -1 if unreadable.
int64_t RssKib(int pid);

// Raises RLIMIT_NOFILE's soft limit to its hard limit (servers started
// afterwards inherit it); returns the soft limit now in force.
int RaiseFdLimit();

// True under .bazelrc's sanitizer configs (they set ASAN_OPTIONS or
// TSAN_OPTIONS for tests): the servers' memory then holds the sanitizer's
// shadow and quarantine, so memory bounds are not checked, only reported.
bool SanitizedBuild();

// memkit-server's path from $MEMKIT_SERVER_BINARY (set by the BUILD rule).
std::string MemkitServerPath();

// memkit-proxy's path from $MEMKIT_PROXY_BINARY (set by the BUILD rule).
std::string MemkitProxyPath();

// A server under test and what the tests need to know about it.
struct Server {
  // For a proxy: the real memcached behind it (stopped after the proxy,
  // members being destroyed in reverse order). Null for a server.
  std::unique_ptr<test_support::ServerProcess> backend;
  std::unique_ptr<test_support::ServerProcess> process;
  int pid = 0;  // the server's own pid, from its "stats"
  int port() const { return process->port(); }
  std::string label() const { return process->command().label; }
};

// Starts `path` (memkit-server or memcached, port 0) with `args` plus
// "-U 0" (no UDP) and learns its pid.
absl::StatusOr<Server> StartServer(const std::string& label, const std::string& path,
                                   std::vector<std::string> args);

// memkit-proxy ("-t 2" plus `args`) in front of one real memcached
// (-t 2 -m 64 -c 4096) started for it; pid and port are the proxy's.
absl::StatusOr<Server> StartProxyInFrontOfMemcached(std::vector<std::string> args = {});

// Prints "FIGURE <name> <value>" to stdout (kept in the test log) so that
// docs/reliability.md can quote the last run.
void Figure(const std::string& name, const std::string& value);

}  // namespace hostile
}  // namespace memkit

#endif  // MEMKIT_TESTS_HOSTILE_HOSTILE_UTIL_H_
