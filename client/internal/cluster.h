// Cluster: a Client's servers: their connections, the placement (rebuilt on
// the live set when auto-eject removes or restores a server), the failure
// bookkeeping (retry timeout, failure limit, dead timeout), and Execute(),
// which writes each server's Batch into its connection, sends every server's
// bytes before reading any reply, and reads replies as they arrive across
// servers with poll().
//
// Thread-compatible: owned by one Client.

#ifndef MEMKIT_CLIENT_INTERNAL_CLUSTER_H_
#define MEMKIT_CLIENT_INTERNAL_CLUSTER_H_

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/client_options.h"
#include "client/internal/codec.h"
#include "client/internal/connection.h"
#include "client/internal/request.h"
#include "client/server_observer.h"
#include "core/hash/placement.h"

namespace memkit {
namespace client {
namespace internal {

class Cluster {
 public:
  static absl::StatusOr<std::unique_ptr<Cluster>> Create(const ClientOptions& options);

  size_t size() const { return servers_.size(); }
  const std::string& name(size_t server) const { return servers_[server].conn->name(); }

  // The server for a key whose placement hash input is `hash_key`, or
  // kNoServer when no server is live (NoLiveServer() says why). Restores
  // ejected servers whose dead timeout has passed first.
  static constexpr size_t kNoServer = hash::Placement::kNoServer;
  size_t ServerFor(absl::string_view hash_key) {
    if (ejected_count_ > 0) MaybeRestore();
    return placement_->ServerFor(hash_key);
  }
  // Unavailable: every server is ejected.
  absl::Status NoLiveServer() const;

  // Runs `batches` (at most one per server) to completion: every slot is
  // answered, or the batch's server failed and its slots carry why.
  void Execute(absl::Span<Batch* const> batches);

  // Sends requests queued by buffer_requests. OK, or the first failure.
  absl::Status FlushBuffered();

  // For tests and stats: whether `server` is currently ejected / dead.
  bool is_ejected(size_t server) const { return servers_[server].ejected; }
  bool is_dead(size_t server) const;
  size_t live_count() const { return placement_->live_count(); }

  // Replica servers of `primary` (libmemcached: the next servers in list order).
  size_t replica(size_t primary, int i) const {
    return i == 0 ? primary : (primary + static_cast<size_t>(i)) % servers_.size();
  }

  const ClientOptions& options() const { return options_; }

  // Told every round trip's outcome (not owned; nullptr: none).
  void set_observer(ServerObserver* observer) { observer_ = observer; }

 private:
  struct Server {
    std::unique_ptr<Connection> conn;
    int failures = 0;          // consecutive
    int64_t retry_at = 0;      // not before (after a failure below the limit)
    int64_t dead_until = 0;    // dead (failure limit reached) until
    bool ejected = false;      // out of the placement
    absl::Status last_error;
  };

  explicit Cluster(const ClientOptions& options);

  // Nanoseconds on the retry / dead-server timers' clock: options_.clock, or
  // the monotonic system clock when it is null.
  int64_t NowNanos() const;

  // Connects `server` unless it is resting after failures; the error says why.
  absl::Status Ready(size_t server, int64_t now);
  void RecordFailure(size_t server, const absl::Status& why);
  void RecordSuccess(size_t server) {
    if (servers_[server].failures != 0) servers_[server].failures = 0;
    if (observer_ != nullptr) Observe(server, absl::OkStatus());
  }
  void Observe(size_t server, const absl::Status& status);
  void Fail(Batch* batch, const absl::Status& why);
  void RebuildPlacement();
  void MaybeRestore();

  // Feeds the connection's input to the batch's codec.
  // Returns false (after failing the batch) on a protocol error.
  bool DecodeInput(Batch* batch);
  void RunBlocking(Batch* batch);
  void RunPolled(absl::Span<Batch* const> batches);

  const ClientOptions options_;
  const ProtocolCodec* const codec_;
  const int poll_timeout_ms_;  // io_timeout for poll()
  CodecScratch scratch_;
  // RunPolled's poll set, kept between calls.
  std::vector<struct pollfd> poll_fds_;
  std::vector<Batch*> poll_owners_;
  std::vector<hash::ServerSpec> specs_;
  std::vector<Server> servers_;
  hash::PlacementOptions placement_options_;
  std::unique_ptr<hash::Placement> placement_;
  size_t ejected_count_ = 0;
  int64_t next_restore_ = 0;  // earliest dead_until among ejected servers
  ServerObserver* observer_ = nullptr;
  int64_t execute_start_ = 0;  // NowNanos() when Execute() began (with an observer)
};

}  // namespace internal
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_CLUSTER_H_
