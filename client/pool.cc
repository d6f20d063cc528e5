#include "client/pool.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status/status.h"

namespace memkit {
namespace client {

ClientPool::Handle& ClientPool::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = other.pool_;
    client_ = std::move(other.client_);
    other.pool_ = nullptr;
  }
  return *this;
}

void ClientPool::Handle::Release() {
  if (pool_ != nullptr && client_ != nullptr) pool_->Return(std::move(client_));
  pool_ = nullptr;
}

absl::StatusOr<std::unique_ptr<ClientPool>> ClientPool::Create(const ClientOptions& options,
                                                                const ClientPoolOptions& pool) {
  if (pool.max_clients == 0) return absl::InvalidArgumentError("max_clients must be at least 1");
  auto first = Client::Create(options);
  if (!first.ok()) return first.status();
  std::unique_ptr<ClientPool> p(new ClientPool(options, pool));
  std::lock_guard<std::mutex> lock(p->mu_);
  p->idle_.push_back(std::move(*first));
  p->created_ = 1;
  return p;
}

absl::StatusOr<ClientPool::Handle> ClientPool::Acquire(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (idle_.empty() && created_ < pool_options_.max_clients) {
    ++created_;
    lock.unlock();
    auto c = Client::Create(options_);  // not under the lock: it parses and allocates
    if (!c.ok()) {
      lock.lock();
      --created_;
      returned_.notify_one();
      return c.status();
    }
    return Handle(this, std::move(*c));
  }
  const std::chrono::nanoseconds wait =
      timeout == absl::InfiniteDuration()
          ? std::chrono::nanoseconds(std::chrono::hours(24 * 365))
          : absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration()));
  if (!returned_.wait_for(lock, wait, [this] { return !idle_.empty(); })) {
    return McError(McCode::kTimeout,
                   absl::StrCat("no client free in the pool within ", absl::FormatDuration(timeout),
                                " (", created_, " of ", pool_options_.max_clients, " lent)"));
  }
  std::unique_ptr<Client> c = std::move(idle_.back());
  idle_.pop_back();
  return Handle(this, std::move(c));
}

void ClientPool::Return(std::unique_ptr<Client> client) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(client));
  }
  returned_.notify_one();
}

size_t ClientPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

size_t ClientPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

absl::StatusOr<std::unique_ptr<ThreadMappedPool>> ThreadMappedPool::Create(
    const ClientOptions& options) {
  auto probe = Client::Create(options);  // checks the options once
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<ThreadMappedPool>(new ThreadMappedPool(options));
}

absl::StatusOr<Client*> ThreadMappedPool::Get() {
  const std::thread::id me = std::this_thread::get_id();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(me);
    if (it != clients_.end()) return it->second.get();
  }
  auto c = Client::Create(options_);
  if (!c.ok()) return c.status();
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = clients_[me];
  slot = std::move(*c);
  return slot.get();
}

void ThreadMappedPool::Relinquish() {
  std::unique_ptr<Client> mine;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(std::this_thread::get_id());
    if (it == clients_.end()) return;
    mine = std::move(it->second);
    clients_.erase(it);
  }
  // `mine` closes its connections outside the lock.
}

size_t ThreadMappedPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_.size();
}

}  // namespace client
}  // namespace memkit
