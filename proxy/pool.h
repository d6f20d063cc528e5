// Pool: one pool of memcached servers as every worker thread shares it: the
// placement (core/hash, libketama-compatible by default) over the members
// that are up, each member's state and stats, the prober that brings
// ejected members back, and the runtime changes of the admin API.
//
// Members: a member keeps its index for the Pool's life, so a worker's
// connections and stats to it, and a request already routed to it, stay
// valid whatever changes. AddServer appends a member (or revives a removed
// one of the same address); RemoveServer leaves a tombstone, out of the
// placement for good. Every placement is built over all members with only
// the UP ones live (Placement::Create with `live`), so ejecting, draining,
// removing, adding or reweighting one member moves only that member's keys
// (libketama's continuum: the other members' points do not move).
//
// Health: a member is ejected after HealthOptions::failure_limit consecutive
// failures (connect errors, resets, read timeouts, seen by any worker). An
// ejected member is probed ("version" on a fresh connection) after
// probe_initial, then with a doubling backoff (plus up to 25% jitter) capped
// at probe_max; the first probe it answers restores it. A member ejected or
// drained through the admin API is not probed: it stays out until
// RestoreServer (or the end of its ejection's duration).
//
// Each worker thread sees a Pool through its WorkerPool (worker_pool.h).
//
// Thread-safety: any thread (membership, placement and states behind a
// mutex; the request path reads atomics only; probes run on the probe
// loop).

#ifndef MEMKIT_PROXY_POOL_H_
#define MEMKIT_PROXY_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/hash/placement.h"
#include "core/net/event_loop.h"
#include "core/sync/mutex.h"
#include "proxy/backend_conn.h"
#include "proxy/backend_stats.h"
#include "proxy/config.h"

namespace memkit {
namespace proxy {

// A member's state, as the admin API's ServerState reports it.
enum class MemberState : uint8_t {
  kUp,        // in placement
  kEjected,   // out after failures (probed) or EjectServer (not probed)
  kDraining,  // DrainServer: out of placement, requests still in flight
  kDrained,   // drained: out until RestoreServer
  kRemoved,   // RemoveServer: gone (not listed)
};

// One member as the admin API shows it.
struct MemberInfo {
  std::string address;  // "host:port" as configured
  uint32_t weight = 1;
  MemberState state = MemberState::kUp;
  std::string reason;   // why it is not up
  int64_t ejected_until_unix_nanos = 0;
  uint64_t consecutive_failures = 0;
  // Summed over the workers (ejections from the pool itself).
  ProxyStatsTotal stats;
  // Share of the placement (0..1).
  double placement_share = 0;
};

class Pool {
 public:
  // The most members a pool ever has (removed ones included).
  static constexpr size_t kMaxMembers = 1024;

  // `probe_loop` runs the probes and timed restores; it must outlive the
  // Pool's use.
  static absl::StatusOr<std::unique_ptr<Pool>> Create(const PoolOptions& options,
                                                      net::EventLoop* probe_loop);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // The loop the probes and timed restores run on (Create's `probe_loop`).
  net::EventLoop* probe_loop() const { return probe_loop_; }

  // The options the pool was created with (runtime changes are not in them:
  // see Members()).
  const PoolOptions& options() const { return options_; }
  const std::string& name() const { return options_.name; }
  // Member slots so far (removed ones included); indices below it are valid.
  size_t size() const { return size_.load(std::memory_order_acquire); }

  // The placement over the members up now, and a number that changes
  // whenever it does (so workers re-read it only then).
  std::shared_ptr<const hash::Placement> placement() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // A worker joins: its client-request stats (`pool`, must outlive the
  // Pool's use) are summed with the others'. Returns the worker's number.
  size_t RegisterWorker(const ProxyStats* pool);
  // Worker `worker`'s stats of member `i` (owned by the Pool).
  ProxyStats* WorkerServerStats(size_t worker, size_t i);
  // Worker `worker` now routes with placement `generation` (see DrainServer).
  void WorkerSawGeneration(size_t worker, uint64_t generation);

  // True when member `i` is out of placement (for any reason); true for
  // indices past size().
  bool is_down(size_t i) const;
  bool is_removed(size_t i) const;
  const net::Address& address(size_t i) const;

  void ReportSuccess(size_t i);
  void ReportFailure(size_t i, const absl::Status& status);

  // ---- runtime changes (the admin API's Pools service); any thread.
  // `address`: "host:port" or "host:port:weight" as in the config.
  // InvalidArgument (bad address, weight), AlreadyExists, NotFound,
  // FailedPrecondition (the last member, a full pool).
  absl::Status AddServer(absl::string_view address, uint32_t weight);
  absl::Status RemoveServer(absl::string_view address);
  absl::Status SetServerWeight(absl::string_view address, uint32_t weight);
  // `duration` zero: until RestoreServer.
  absl::Status EjectServer(absl::string_view address, absl::Duration duration,
                           absl::string_view reason);
  absl::Status RestoreServer(absl::string_view address);
  // Takes the member out of placement, waits until every worker routes with
  // the new placement and the member's in-flight requests are answered (at
  // most `timeout`), then marks it drained. Returns the requests still in
  // flight (0 when drained).
  absl::StatusOr<int64_t> DrainServer(absl::string_view address, absl::Duration timeout);

  // Every member but removed ones, in order.
  std::vector<MemberInfo> Members() const;

  // "STAT pool:<name>:..." then "STAT server:<host:port>:..." lines (with
  // each member's "up" 0/1 and its latency percentiles).
  void AppendStatLines(std::string* out) const;

 private:
  class Probe;
  struct Server {
    // Constant once the slot is published.
    net::Address address;
    ProxyStats stats;  // ejections only; the rest is per worker
    std::atomic<int> failures{0};
    // Out of placement (any state but kUp): the request path's view.
    std::atomic<bool> down{false};
    std::atomic<uint8_t> state{static_cast<uint8_t>(MemberState::kUp)};
    // Probe loop only.
    absl::Duration backoff;
    std::unique_ptr<Probe> probe;
  };
  // What the mutex guards per member.
  struct Member {
    hash::ServerSpec spec;
    std::string reason;
    bool admin_out = false;  // ejected/drained by the admin API: no probes
    int64_t ejected_until_unix_nanos = 0;
    uint64_t eject_sequence = 0;  // a timed restore applies to its own ejection only
    std::vector<std::unique_ptr<ProxyStats>> per_worker;
  };

  Pool(const PoolOptions& options, net::EventLoop* probe_loop);
  Server& server(size_t i) const { return *slots_[i]; }
  MemberState state(size_t i) const {
    return static_cast<MemberState>(server(i).state.load(std::memory_order_acquire));
  }
  void SetState(size_t i, MemberState state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RebuildPlacementLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<size_t> FindLocked(absl::string_view address) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t InFlightLocked(size_t i) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ProxyStatsTotal MemberTotalLocked(size_t i) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Probe loop only.
  void ScheduleProbe(size_t i);
  void OnProbeResult(size_t i, bool ok);
  // `task` for the probe loop, made a no-op once this Pool is destroyed: a
  // retired pool is destroyed on the probe loop (or after it stopped) while
  // its timers may still be queued there.
  template <typename F>
  auto WhileAlive(F task) {
    return [alive = std::weak_ptr<char>(alive_), task = std::move(task)]() mutable {
      if (!alive.expired()) task();
    };
  }

  const PoolOptions options_;
  net::EventLoop* const probe_loop_;
  // kMaxMembers slots, filled in order; a slot is written before size_
  // publishes it and never freed before the Pool.
  std::unique_ptr<std::unique_ptr<Server>[]> slots_;
  std::atomic<size_t> size_{0};
  std::atomic<uint64_t> generation_{1};
  mutable Mutex mu_;
  std::vector<Member> members_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const hash::Placement> placement_ ABSL_GUARDED_BY(mu_);
  std::vector<const ProxyStats*> worker_pool_stats_ ABSL_GUARDED_BY(mu_);
  // The placement generation each worker routes with.
  std::vector<uint64_t> worker_generation_ ABSL_GUARDED_BY(mu_);
  // Expires with the Pool (see WhileAlive).
  const std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_POOL_H_
