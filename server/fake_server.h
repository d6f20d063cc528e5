// FakeServer: a real memkit server (text, meta and binary protocols, the
// same engine as memkit-server) started in-process for tests, on an
// OS-chosen 127.0.0.1 port or a unix socket, with controls a test needs
// and a real memcached lacks: move its clock, make it fail (outage, reset,
// latency, SERVER_ERRORs, dropped replies), drop every client connection,
// flush it.
//
//   auto fake = FakeServer::Create();                    // started
//   ASSERT_TRUE(fake.ok());
//   client.AddServer((*fake)->address_string());         // "127.0.0.1:41234"
//   (*fake)->FailNextCommands(1, "out of memory");        // next reply: SERVER_ERROR out of memory
//   (*fake)->AdvanceClock(absl::Seconds(61));             // items with a 60 s TTL expire
//
// See docs/fake-server.md for a gtest fixture.
//
// Thread-safety: every method is safe from any thread except the server's
// own; the controls block until they took effect (see each).

#ifndef MEMKIT_SERVER_FAKE_SERVER_H_
#define MEMKIT_SERVER_FAKE_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/address.h"
#include "core/net/clock.h"
#include "server/cache.h"
#include "server/server.h"

namespace memkit {
namespace server {

struct FakeServerOptions {
  FakeServerOptions();

  // Everything a memkit-server flag sets. The fake's defaults differ from
  // memcached's: 127.0.0.1, port 0 (OS-chosen), one worker thread.
  ServerOptions server;

  // Listen on a unix socket in a fresh temporary directory (removed when the
  // fake is destroyed) instead of TCP. server.unix_socket, if set, wins.
  bool unix_socket = false;

  // The clock starts at `start_time` and moves only when told to
  // (AdvanceClock, debugtime). Otherwise it follows real time, plus whatever
  // AdvanceClock added.
  bool freeze_clock = false;
  absl::Time start_time = absl::FromUnixSeconds(1700000000);

  // Accept memcached-debug's "debugtime <secs>" text command (also "p" to
  // pause the clock and "r" to resume it). Shorthand for
  // server.enable_debugtime.
  bool enable_debugtime = false;
};

class FakeServer {
 public:
  // Starts the server; fails only if it cannot bind or the options are bad.
  static absl::StatusOr<std::unique_ptr<FakeServer>> Create(
      const FakeServerOptions& options = FakeServerOptions());
  // Stops the server (clients see their connections close).
  ~FakeServer();

  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // ---- where it is
  // The TCP port; 0 on a unix socket.
  int port() const;
  const net::Address& address() const;
  // "127.0.0.1:<port>" or the socket path: what client libraries take.
  std::string address_string() const;
  // The unix socket path ("" for TCP).
  std::string unix_socket_path() const;

  // ---- time
  // Moves the server's clock (negative goes back). Item expiry and the
  // "time"/"uptime" stats follow at once.
  void AdvanceClock(absl::Duration delta);
  // The server's current time.
  absl::Time Now() const;

  // ---- faults
  enum class Outage {
    kRefuse,  // the listening socket is closed: connects are refused
    kReset,   // connects are accepted and reset at once
  };
  // Starts an outage: current client connections are closed (kRefuse) or
  // reset (kReset), new ones are refused or reset, until EndOutage().
  absl::Status StartOutage(Outage kind = Outage::kRefuse);
  // Serves again on the same address.
  absl::Status EndOutage();
  // Holds every reply back by `latency` (zero: none). Applies to existing
  // connections from their next request on.
  void SetLatency(absl::Duration latency);
  // The next `count` commands (a multi-key get counts once) are not run and
  // are answered "SERVER_ERROR <message>" (binary: status 0x0084 with
  // `message` as its body, or 0x0082 when it starts with "out of memory").
  void FailNextCommands(int64_t count, absl::string_view message = "injected failure");
  // The next `count` commands run, but their replies are not sent.
  void DropNextReplies(int64_t count);
  // Closes every client connection now (FIN; RST when `reset`). Returns once
  // they are closed; the server keeps listening.
  void CloseAllConnections(bool reset = false);
  // Empties the cache (as flush_all).
  void Flush();

  // ---- inspection
  // Client connections open now (closing ones may be counted briefly).
  int64_t connection_count() const;
  Server* server() { return server_.get(); }
  Cache* cache() { return server_->cache(); }

 private:
  FakeServer() = default;

  std::unique_ptr<net::ManualClock> frozen_clock_;
  std::unique_ptr<Server> server_;
  std::string temp_dir_;  // holds the unix socket when the fake made one
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_FAKE_SERVER_H_
