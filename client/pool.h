// Pools of Clients for multi-threaded programs (a Client itself is not
// thread-safe):
//
//   ClientPool: at most `max_clients` Clients shared by any number of
//     threads. Acquire() lends one (waiting up to a timeout when all are
//     lent) as a Handle that gives it back when destroyed.
//       auto pool = ClientPool::Create(options, {.max_clients = 16});
//       { auto h = (*pool)->Acquire(); if (h.ok()) (*h)->Get("k"); }
//     Its servers can be changed at run time, under live traffic, without
//     failing a request: AddServer, RemoveServer, SetServerWeight,
//     EjectServer, RestoreServer, DrainServer (see "Runtime control" below).
//   ThreadMappedPool: one Client per thread, created on the thread's first
//     Get() (pylibmc's ThreadMappedPool); Relinquish() drops the calling
//     thread's Client, e.g. before the thread exits.
//
// Clients connect lazily, so a pool costs nothing until used; a Client keeps
// its connections between loans (until the pool's servers change).
//
// Runtime control. The pool holds a topology: its servers, each with a
// weight and a state, and a version bumped by every change. Every Client it
// lends is built over the topology's live servers (ClientOptions::servers =
// the live ones, in list order; placement over that list equals
// libmemcached's auto-eject placement with the others marked dead, so with a
// ketama distribution only the keys of a server that leaves move). A Handle
// compares its Client's version with the pool's on every get() / -> / *,
// i.e. before each call, and rebuilds the Client from the new topology when
// they differ; idle Clients are rebuilt when next lent. So once a change
// returns, the next call through any Handle places keys by the new topology,
// and a call already running finishes on the Client it started with.
//   kLive      in the placement.
//   kEjected   out of the placement until RestoreServer (an operator's
//              eject; independent of a Client's own auto_eject_hosts).
//   kDraining  out of the placement, but some lent Client built while it
//              was in has not made its next call (or been returned) yet.
//   kDrained   out of the placement and no lent Client can still reach it:
//              safe to stop the server.
// A change that would leave no live server, or that ClientOptions refuse
// (e.g. replicas >= live servers), fails with FailedPrecondition /
// InvalidArgument and changes nothing.
//
// Thread-safety: both pools are thread-safe. A Handle, and the Client a
// ThreadMappedPool returns, belong to one thread at a time. Locks are
// memkit::Mutex (core/sync/mutex.h).

#ifndef MEMKIT_CLIENT_POOL_H_
#define MEMKIT_CLIENT_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/client_options.h"
#include "client/server_observer.h"
#include "core/hash/server_spec.h"
#include "core/stats/counter.h"
#include "core/stats/histogram.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace client {

struct ClientPoolOptions {
  // The most Clients in existence (lent or idle); at least 1.
  size_t max_clients = 8;
  // How long Acquire() waits for a Client when all are lent.
  absl::Duration acquire_timeout = absl::Seconds(1);
};

// A server's state in a ClientPool's topology (see pool.h's comment).
enum class ServerState { kLive, kEjected, kDraining, kDrained };

// "live", "ejected", "draining", "drained".
const char* ServerStateName(ServerState state);

// One server of a ClientPool, as Servers() reports it.
struct PoolServer {
  // The server's identity: "host:port", "[v6]:port" or the unix path
  // (ServerSpec::ToString() without the weight).
  std::string address;
  uint32_t weight = 1;
  ServerState state = ServerState::kLive;
  // Lent Clients whose placement still includes this server.
  size_t lent_clients = 0;
  // kEjected: why (EjectServer's reason) and until when (InfiniteFuture:
  // until RestoreServer).
  std::string reason;
  absl::Time ejected_until = absl::InfiniteFuture();
  // Its share (0..1) of the keyspace under the current placement.
  double placement_share = 0;
  // Round trips to it by the pool's Clients since it joined the pool (a
  // multi-key call counts once per server), failed ones, failures in a row,
  // and their latency in nanoseconds (from the start of the call's I/O).
  uint64_t requests = 0;
  uint64_t failures = 0;
  uint64_t consecutive_failures = 0;
  stats::HistogramSnapshot latency_nanos;
};

// A ClientPool's counters since it was created.
struct PoolCounters {
  uint64_t acquires = 0;          // Acquire() calls that lent a Client
  uint64_t acquire_timeouts = 0;  // Acquire() calls that timed out
  uint64_t clients_rebuilt = 0;   // Clients rebuilt for a new topology
  uint64_t topology_changes = 0;  // topology versions after the first
};

class ClientPool {
 public:
  // Gives its Client back to the pool when destroyed. Move-only. Each
  // access (get, ->, *) first brings the Client up to the pool's topology.
  class Handle {
   public:
    Handle(Handle&& other) noexcept
        : pool_(other.pool_), client_(std::move(other.client_)), version_(other.version_) {
      other.pool_ = nullptr;
    }
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { Release(); }

    Client* get() const {
      Refresh();
      return client_.get();
    }
    Client* operator->() const { return get(); }
    Client& operator*() const { return *get(); }

    // The topology version the Client was built from.
    uint64_t topology_version() const { return version_; }

   private:
    friend class ClientPool;
    Handle(ClientPool* pool, std::unique_ptr<Client> client, uint64_t version)
        : pool_(pool), client_(std::move(client)), version_(version) {}
    void Refresh() const;
    void Release();

    ClientPool* pool_;
    // Mutable: a const Handle still rebuilds its Client on a topology change.
    mutable std::unique_ptr<Client> client_;
    mutable uint64_t version_;
  };

  // InvalidArgument for bad options (the ClientOptions are checked by
  // building the first Client, which is kept).
  static absl::StatusOr<std::unique_ptr<ClientPool>> Create(const ClientOptions& options,
                                                            const ClientPoolOptions& pool = {});

  // Lends a Client: an idle one, a new one while below max_clients, or the
  // first one returned within the timeout; else DeadlineExceeded. Handles
  // must not outlive the pool.
  absl::StatusOr<Handle> Acquire() { return Acquire(pool_options_.acquire_timeout); }
  absl::StatusOr<Handle> Acquire(absl::Duration timeout);

  // Clients in existence, and how many of them are idle.
  size_t size() const;
  size_t idle() const;
  const ClientPoolOptions& pool_options() const { return pool_options_; }
  // The options every Client is built from, with `servers` = the live ones.
  ClientOptions client_options() const;

  // ---- runtime control. `server` names a server by address ("host:port";
  // a weight suffix is ignored); NotFound if the pool has no such server.
  // (Not const: it first restores servers whose timed ejection ended.)
  std::vector<PoolServer> Servers();
  uint64_t topology_version() const { return version_.load(std::memory_order_acquire); }
  // Adds "host:port[:weight]" as live. AlreadyExists if present.
  absl::Status AddServer(absl::string_view server);
  // Forgets the server (whatever its state). Lent Clients that still
  // include it finish their current call on it.
  absl::Status RemoveServer(absl::string_view server);
  // InvalidArgument for 0. Affects placement only for weighted ketama.
  absl::Status SetServerWeight(absl::string_view server, uint32_t weight);
  // For `duration` (InfiniteDuration: until RestoreServer); the server
  // returns at the first Acquire() or Servers() after that. `reason` is
  // reported by Servers().
  absl::Status EjectServer(absl::string_view server,
                           absl::Duration duration = absl::InfiniteDuration(),
                           absl::string_view reason = "");
  // Back to kLive from any other state.
  absl::Status RestoreServer(absl::string_view server);
  // kDraining now, kDrained once no lent Client can reach it.
  absl::Status DrainServer(absl::string_view server);
  // Waits until `server` is kDrained: OK, DeadlineExceeded, NotFound, or
  // FailedPrecondition when it is neither draining nor drained.
  absl::Status WaitDrained(absl::string_view server, absl::Duration timeout);
  PoolCounters counters() const;

 private:
  // A member's numbers, kept across topology changes while it is a member.
  struct ServerStats {
    stats::Counter requests;
    stats::Counter failures;
    stats::Gauge consecutive_failures;
    stats::Histogram latency_nanos;
  };
  // Feeds a Client's round trips into its servers' ServerStats.
  class Observer final : public ServerObserver {
   public:
    void OnRoundTrip(size_t server, const absl::Status& status, absl::Duration latency) override;
    std::vector<std::shared_ptr<ServerStats>> stats;  // per live server, in list order
  };
  struct Entry {
    std::shared_ptr<ServerStats> stats = std::make_shared<ServerStats>();
    hash::ServerSpec spec;
    std::string address;
    ServerState state = ServerState::kLive;
    std::string reason;
    absl::Time ejected_until = absl::InfiniteFuture();
  };
  // An immutable topology: what Clients of one version are built from.
  struct Snapshot {
    uint64_t version = 0;
    ClientOptions options;               // servers = the live ones
    std::vector<std::string> addresses;  // of those servers
    std::vector<double> shares;          // of the keyspace, per live server
    // Every Client built from this snapshot reports to it. Mutable: the
    // snapshot is otherwise immutable, the stats are atomics.
    mutable Observer observer;
  };
  struct Lent {
    size_t count = 0;
    std::shared_ptr<const Snapshot> snapshot;
  };
  struct Idle {
    std::unique_ptr<Client> client;
    uint64_t version = 0;
  };

  ClientPool(const ClientOptions& options, const ClientPoolOptions& pool)
      : options_(options), pool_options_(pool) {}
  void Return(std::unique_ptr<Client> client, uint64_t version);
  // A Client for `snapshot`, reporting to its observer.
  static absl::StatusOr<std::unique_ptr<Client>> Build(const Snapshot& snapshot);
  // Forgets snapshots no Client was built from any more.
  void PruneSnapshots() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rebuilds `*client` for the current topology if `*version` is older.
  void Update(std::unique_ptr<Client>* client, uint64_t* version);

  // Index in servers_ of `server`, or NotFound.
  absl::StatusOr<size_t> Find(absl::string_view server) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Builds a snapshot of `servers` with the next version; checks it by
  // building a Client (InvalidArgument / FailedPrecondition if none live).
  absl::StatusOr<std::shared_ptr<const Snapshot>> MakeSnapshot(
      const std::vector<Entry>& servers) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies `servers` as the new topology, if MakeSnapshot accepts it.
  absl::Status Commit(std::vector<Entry> servers) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lent-client bookkeeping, and kDraining -> kDrained when nothing lent
  // reaches a draining server any more.
  void AddLent(const std::shared_ptr<const Snapshot>& snapshot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropLent(uint64_t version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t LentReaching(const std::string& address) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateDrained() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetState(absl::string_view server, ServerState state, absl::Time until,
                        absl::string_view reason);
  // Restores servers whose timed ejection has passed.
  void RestoreExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const ClientOptions options_;
  const ClientPoolOptions pool_options_;

  // current_->version, readable without the lock (Handle::Refresh).
  std::atomic<uint64_t> version_{1};
  std::atomic<uint64_t> acquires_{0};
  std::atomic<uint64_t> acquire_timeouts_{0};
  std::atomic<uint64_t> rebuilt_{0};

  mutable Mutex mu_;
  CondVar returned_;  // a Client came back (or a slot freed)
  CondVar drained_;   // a server reached kDrained (or the topology changed)
  std::vector<Entry> servers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Snapshot> current_ ABSL_GUARDED_BY(mu_);
  // Snapshots some Client (idle or lent) may still be built from, by
  // version: their observers must outlive those Clients (so these are
  // declared before idle_, and destroyed after it).
  absl::flat_hash_map<uint64_t, std::shared_ptr<const Snapshot>> snapshots_ ABSL_GUARDED_BY(mu_);
  std::vector<Idle> idle_ ABSL_GUARDED_BY(mu_);
  size_t created_ ABSL_GUARDED_BY(mu_) = 0;
  // Lent Clients by the version they were built from.
  absl::flat_hash_map<uint64_t, Lent> lent_ ABSL_GUARDED_BY(mu_);
  // The earliest ejected_until among timed ejections (InfiniteFuture: none).
  absl::Time next_restore_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

class ThreadMappedPool {
 public:
  static absl::StatusOr<std::unique_ptr<ThreadMappedPool>> Create(const ClientOptions& options);

  // The calling thread's Client, created on first use. Valid until the
  // thread calls Relinquish() or the pool is destroyed.
  absl::StatusOr<Client*> Get();
  // Destroys the calling thread's Client (if any).
  void Relinquish();
  // Threads that currently have a Client.
  size_t size() const;

 private:
  explicit ThreadMappedPool(const ClientOptions& options) : options_(options) {}

  const ClientOptions options_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::thread::id, std::unique_ptr<Client>> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_POOL_H_
