#include "proxy/route_table.h"

#include <atomic>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proxy/route_failover.h"
#include "proxy/route_pool.h"
#include "proxy/route_prefix.h"
#include "proxy/route_replicated.h"
#include "proxy/route_shadow.h"
#include "proxy/route_warmup.h"
#include "proxy/worker_pool.h"

namespace memkit {
namespace proxy {

void RunOnLoopAndWait(net::EventLoop* loop, absl::FunctionRef<void()> task) {
  Mutex mu;
  CondVar cv;
  bool done = false;
  loop->Post([&] {
    task();
    MutexLock lock(&mu);
    done = true;
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  while (!done) cv.Wait(&mu);
}

class PoolInstance {
 public:
  PoolInstance(std::unique_ptr<Pool> pool, std::vector<WorkerPool*> workers,
               net::EventLoopGroup* group, std::shared_ptr<Graveyard> graveyard)
      : pool_(std::move(pool)),
        workers_(std::move(workers)),
        group_(group),
        graveyard_(std::move(graveyard)) {}

  // No request uses the pool any more (each holds its table, which holds
  // this): its connections close on their own loops.
  ~PoolInstance() {
    // The WorkerPools first (their connections' callbacks reach the Pool),
    // each on its loop; the last one to go frees the Pool on its probe
    // loop. A loop that has stopped runs neither: the proxy's destructor
    // then frees what the Graveyard still holds.
    const Pool* pool = pool_.get();
    net::EventLoop* probe_loop = pool_->probe_loop();
    graveyard_->Bury(std::move(pool_));
    auto remaining = std::make_shared<std::atomic<size_t>>(workers_.size());
    const std::weak_ptr<Graveyard> graveyard = graveyard_;
    for (size_t w = 0; w < workers_.size(); ++w) {
      WorkerPool* wp = workers_[w];
      group_->loop(w)->Post([wp, remaining, graveyard, pool, probe_loop] {
        delete wp;
        if (remaining->fetch_sub(1) != 1) return;
        probe_loop->RunInLoop([graveyard, pool] {
          if (auto g = graveyard.lock()) g->Free(pool);
        });
      });
    }
  }
  PoolInstance(const PoolInstance&) = delete;
  PoolInstance& operator=(const PoolInstance&) = delete;

  Pool* pool() const { return pool_.get(); }
  WorkerPool* worker(size_t w) const { return workers_[w]; }

 private:
  std::unique_ptr<Pool> pool_;
  const std::vector<WorkerPool*> workers_;
  net::EventLoopGroup* const group_;
  const std::shared_ptr<Graveyard> graveyard_;
};

namespace {

absl::StatusOr<std::shared_ptr<PoolInstance>> MakePool(const PoolOptions& options,
                                                       net::EventLoopGroup* group,
                                                       std::shared_ptr<Graveyard> graveyard) {
  auto pool = Pool::Create(options, group->loop(0));
  if (!pool.ok()) return pool.status();
  Pool* raw = pool->get();
  // Each worker's view is made on its own thread (its timers and
  // connections belong to that loop).
  std::vector<WorkerPool*> workers(group->size());
  for (size_t i = 0; i < group->size(); ++i) {
    net::EventLoop* loop = group->loop(i);
    RunOnLoopAndWait(loop, [raw, loop, i, &workers] { workers[i] = new WorkerPool(loop, raw); });
  }
  return std::make_shared<PoolInstance>(std::move(*pool), std::move(workers), group,
                                        std::move(graveyard));
}

std::unique_ptr<Route> Build(const admin::v1::RouteConfig& config, const RouteTable& table);

std::vector<std::unique_ptr<Route>> BuildAll(
    const google::protobuf::RepeatedPtrField<admin::v1::RouteConfig>& configs,
    const RouteTable& table) {
  std::vector<std::unique_ptr<Route>> routes;
  for (const auto& c : configs) routes.push_back(Build(c, table));
  return routes;
}

// `config` was validated by ProxyOptionsFromConfig.
std::unique_ptr<Route> Build(const admin::v1::RouteConfig& config, const RouteTable& table) {
  using admin::v1::RouteConfig;
  switch (config.kind_case()) {
    case RouteConfig::kPool:
      return std::make_unique<PoolRoute>(table.pool_index(config.pool()));
    case RouteConfig::kFailover:
      return std::make_unique<FailoverRoute>(BuildAll(config.failover().children(), table),
                                             config.failover().on_miss(),
                                             config.failover().max_attempts());
    case RouteConfig::kReplicated: {
      const auto& r = config.replicated();
      const auto mode = r.mode() == "all_async" ? ReplicatedRoute::Mode::kAllAsync
                                                : ReplicatedRoute::Mode::kAllSync;
      const auto policy = r.read_policy() == "random"    ? ReplicatedRoute::ReadPolicy::kRandom
                          : r.read_policy() == "fastest" ? ReplicatedRoute::ReadPolicy::kFastest
                                                         : ReplicatedRoute::ReadPolicy::kFirst;
      return std::make_unique<ReplicatedRoute>(BuildAll(r.children(), table), mode, policy);
    }
    case RouteConfig::kPrefix: {
      std::vector<std::pair<std::string, std::unique_ptr<Route>>> routes;
      for (const auto& [prefix, child] : config.prefix().routes()) {
        routes.emplace_back(prefix, Build(child, table));
      }
      return std::make_unique<PrefixRoute>(std::move(routes),
                                           Build(config.prefix().default_route(), table));
    }
    case RouteConfig::kWarmup:
      return std::make_unique<WarmupRoute>(Build(config.warmup().cold(), table),
                                           Build(config.warmup().warm(), table),
                                           config.warmup().ttl_s());
    case RouteConfig::kShadow:
      return std::make_unique<ShadowRoute>(Build(config.shadow().main(), table),
                                           Build(config.shadow().shadow(), table),
                                           config.shadow().fraction(), config.shadow().name());
    case RouteConfig::KIND_NOT_SET:
      break;
  }
  return std::make_unique<PoolRoute>(0);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RouteTable>> RouteTable::Create(
    const ProxyOptions& options, net::EventLoopGroup* workers,
    std::shared_ptr<Graveyard> graveyard, const RouteTable* previous) {
  if (options.pools.empty()) return absl::InvalidArgumentError("pools: one pool is needed");
  std::shared_ptr<RouteTable> table(new RouteTable(options));
  for (const PoolOptions& po : options.pools) {
    std::shared_ptr<PoolInstance> instance;
    if (previous != nullptr) {
      const int i = previous->pool_index(po.name);
      if (i >= 0 && SamePool(previous->pools_[i]->pool()->options(), po)) {
        instance = previous->pools_[i];
      }
    }
    if (instance == nullptr) {
      auto made = MakePool(po, workers, graveyard);
      if (!made.ok()) return made.status();
      instance = std::move(*made);
    }
    table->pools_.push_back(std::move(instance));
    if (po.backend_protocol == BackendProtocol::kMeta) table->has_meta_pool_ = true;
  }
  table->root_ = Build(options.route, *table);
  return std::shared_ptr<const RouteTable>(std::move(table));
}

RouteTable::~RouteTable() = default;

size_t RouteTable::pool_count() const { return pools_.size(); }
Pool* RouteTable::pool(size_t i) const { return pools_[i]->pool(); }
WorkerPool* RouteTable::worker_pool(size_t i, size_t worker) const {
  return pools_[i]->worker(worker);
}

int RouteTable::pool_index(const std::string& name) const {
  for (size_t i = 0; i < options_.pools.size(); ++i) {
    if (options_.pools[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void RouteTable::AppendStatLines(std::string* out) const {
  for (const auto& p : pools_) p->pool()->AppendStatLines(out);
  root_->AppendStatLines(out);
}

}  // namespace proxy
}  // namespace memkit
