#include "proxy/proxy.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/frontend/connection.h"

namespace memkit {
namespace proxy {

namespace {

// listen and threads need a restart: a reload must keep them.
absl::Status CheckRestartFields(const ProxyOptions& next, const ProxyOptions& running) {
  if (next.listen != running.listen) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: \"", next.listen, "\" differs from the running \"", running.listen,
                     "\"; changing the listen address needs a restart"));
  }
  if (next.threads != running.threads) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads: ", next.threads, " differs from the running ", running.threads,
                     "; changing the thread count needs a restart"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Proxy>> Proxy::Create(const ProxyOptions& options) {
  std::unique_ptr<Proxy> proxy(new Proxy());
  proxy->context_.version = options.version;
  proxy->context_.threads = options.threads;
  auto address = net::ResolveOne(options.listen);
  if (!address.ok()) return address.status();
  auto listener = net::Listener::Create(*address);
  if (!listener.ok()) return listener.status();
  proxy->listener_ = std::move(*listener);

  net::EventLoop::Options wo;
  wo.name = "proxy-worker";
  auto group = net::EventLoopGroup::Start(options.threads, wo);
  if (!group.ok()) return group.status();
  proxy->workers_ = std::move(*group);
  proxy->context_.worker_tables.resize(proxy->workers_->size());
  proxy->context_.worker_sessions.resize(proxy->workers_->size());

  auto table = RouteTable::Create(options, proxy->workers_.get(), proxy->graveyard_, nullptr);
  if (!table.ok()) return table.status();
  proxy->Install(std::move(*table));

  net::EventLoop::Options ao;
  ao.name = "proxy-acceptor";
  auto acceptor = net::EventLoopThread::Start(ao);
  if (!acceptor.ok()) return acceptor.status();
  proxy->acceptor_ = std::move(*acceptor);
  absl::Status start_status;
  Proxy* raw = proxy.get();
  RunOnLoopAndWait(raw->acceptor_->loop(), [raw, &start_status] {
    start_status = raw->listener_->Start(
        raw->acceptor_->loop(),
        [raw](net::UniqueFd fd, const net::Address&) { raw->OnAccept(std::move(fd)); });
  });
  if (!start_status.ok()) return start_status;
  return proxy;
}

Proxy::~Proxy() {
  Stop();
  // Retired pools first: a probe may still hold a timer of worker 0's loop.
  graveyard_.reset();
  listener_.reset();
  acceptor_.reset();
  workers_.reset();
}

void Proxy::RunOnWorkers(absl::FunctionRef<void(size_t)> task) {
  for (size_t w = 0; w < workers_->size(); ++w) {
    RunOnLoopAndWait(workers_->loop(w), [w, &task] { task(w); });
  }
}

ProxyOptions Proxy::options() const {
  const std::shared_ptr<const RouteTable> table = context_.current();
  return table != nullptr ? table->options() : ProxyOptions();
}

void Proxy::Install(std::shared_ptr<const RouteTable> table) {
  {
    MutexLock lock(&context_.mu);
    context_.table = table;
  }
  // Each worker swaps its copy between requests; waiting for all of them
  // makes Reload's return mean "new requests use the new table".
  RunOnWorkers([this, &table](size_t w) { context_.worker_tables[w] = table; });
}

absl::StatusOr<ProxyOptions> Proxy::Resolve(const admin::v1::ProxyConfig& config) const {
  // Unset listen / threads mean "as running" here (not the start-up
  // defaults), so a config without them can be reloaded whatever flags
  // the proxy was started with.
  admin::v1::ProxyConfig filled = config;
  if (const std::shared_ptr<const RouteTable> running = context_.current(); running != nullptr) {
    if (filled.listen().empty()) filled.set_listen(running->options().listen);
    if (filled.threads() == 0) filled.set_threads(running->options().threads);
  }
  return ProxyOptionsFromConfig(filled);
}

absl::Status Proxy::Reload(const admin::v1::ProxyConfig& config) {
  auto options = Resolve(config);
  if (!options.ok()) {
    context_.reload_failures.fetch_add(1, std::memory_order_relaxed);
    return options.status();
  }
  return Reload(*options);
}

absl::StatusOr<std::vector<std::string>> Proxy::Validate(
    const admin::v1::ProxyConfig& config) const {
  auto options = Resolve(config);
  if (!options.ok()) return options.status();
  const std::shared_ptr<const RouteTable> running = context_.current();
  if (running == nullptr) return absl::FailedPreconditionError("the proxy is stopped");
  if (absl::Status s = CheckRestartFields(*options, running->options()); !s.ok()) return s;
  return DescribeChanges(running->options(), *options);
}

absl::Status Proxy::Reload(const ProxyOptions& options) {
  absl::Status status = Swap(options);
  (status.ok() ? context_.reloads : context_.reload_failures)
      .fetch_add(1, std::memory_order_relaxed);
  return status;
}

absl::Status Proxy::Swap(const ProxyOptions& options) {
  MutexLock lock(&reload_mu_);
  if (stopped_) return absl::FailedPreconditionError("the proxy is stopped");
  const std::shared_ptr<const RouteTable> old = context_.current();
  if (old == nullptr) return absl::FailedPreconditionError("the proxy is stopped");
  const ProxyOptions& running = old->options();
  if (absl::Status s = CheckRestartFields(options, running); !s.ok()) return s;
  ProxyOptions next = options;
  next.version = running.version;
  auto table = RouteTable::Create(next, workers_.get(), graveyard_, old.get());
  if (!table.ok()) return table.status();
  Install(std::move(*table));
  return absl::OkStatus();
}

std::shared_ptr<const frontend::ConnectionOptions> Proxy::ClientConnectionOptions() {
  auto options = std::make_shared<frontend::ConnectionOptions>();
  // Requests in flight per client connection. Each may come back with a
  // reply of up to an item's size (1 MB), and a client that never reads
  // makes them all wait in memory: 64 bounds that at 64 MB per connection
  // (the front end's 1024 let one such client hold 500 MB), and is still far
  // deeper than the 20 requests memcached runs per read event.
  options->max_pending = 64;
  return options;
}

void Proxy::OnAccept(net::UniqueFd fd) {
  const uint64_t id = next_session_.fetch_add(1, std::memory_order_relaxed);
  const size_t w = id % workers_->size();
  net::EventLoop* loop = workers_->loop(w);
  loop->Post([this, loop, w, id, fd = std::move(fd)]() mutable {
    // Sessions of one worker spread over its connections to each server.
    auto session = std::make_unique<ProxySession>(&context_, w, loop, id / workers_->size());
    (void)frontend::Connection::Start(loop, std::move(fd), connection_options_,
                                      std::move(session));
  });
}

void Proxy::StopAccepting() {
  if (accepting_stopped_ || acceptor_ == nullptr) return;
  accepting_stopped_ = true;
  RunOnLoopAndWait(acceptor_->loop(), [this] { listener_->Stop(); });
}

bool Proxy::Drain(absl::Duration timeout) {
  StopAccepting();
  const absl::Time deadline = absl::Now() + timeout;
  // Polled: requests finish on many threads, and a drain happens once.
  while (context_.in_flight.load(std::memory_order_acquire) > 0 ||
         context_.backend_in_flight.load(std::memory_order_acquire) > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

void Proxy::Stop() {
  MutexLock lock(&reload_mu_);
  if (stopped_) return;
  stopped_ = true;
  StopAccepting();
  if (workers_ != nullptr) {
    // Close every client; exchanges still waiting for a backend finish
    // (into the void) when it answers or times out.
    RunOnWorkers([this](size_t w) {
      for (ProxySession* s : context_.worker_sessions[w]) s->connection()->CloseNow(false);
    });
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    while ((context_.in_flight.load(std::memory_order_acquire) > 0 ||
            context_.backend_in_flight.load(std::memory_order_acquire) > 0) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    // Drop the tables: once no request holds them, each pool's worker
    // views (the backend connections) are deleted by tasks posted to their
    // loops, which run before the loops stop.
    RunOnWorkers([this](size_t w) { context_.worker_tables[w].reset(); });
    {
      MutexLock table_lock(&context_.mu);
      context_.table.reset();
    }
  }
  if (acceptor_ != nullptr) acceptor_->Stop();
  if (workers_ != nullptr) {
    workers_->Stop();
    // Sessions whose close had not completed when their loop stopped.
    for (auto& sessions : context_.worker_sessions) {
      while (!sessions.empty()) (*sessions.begin())->connection()->DestroyAfterLoopStopped();
    }
  }
}

}  // namespace proxy
}  // namespace memkit
