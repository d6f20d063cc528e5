// Pools of Clients for multi-threaded programs (a Client itself is not
// thread-safe):
//
//   ClientPool: at most `max_clients` Clients shared by any number of
//     threads. Acquire() lends one (waiting up to a timeout when all are
//     lent) as a Handle that gives it back when destroyed.
//       auto pool = ClientPool::Create(options, {.max_clients = 16});
//       { auto h = (*pool)->Acquire(); if (h.ok()) (*h)->Get("k"); }
//   ThreadMappedPool: one Client per thread, created on the thread's first
//     Get() (pylibmc's ThreadMappedPool); Relinquish() drops the calling
//     thread's Client, e.g. before the thread exits.
//
// Clients connect lazily, so a pool costs nothing until used; a Client keeps
// its connections between loans.
//
// Thread-safety: both pools are thread-safe. A Handle, and the Client a
// ThreadMappedPool returns, belong to one thread at a time. Locks are
// std::mutex (TSan-clean with Debian's uninstrumented abseil).

#ifndef MEMKIT_CLIENT_POOL_H_
#define MEMKIT_CLIENT_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/client_options.h"

namespace memkit {
namespace client {

struct ClientPoolOptions {
  // The most Clients in existence (lent or idle); at least 1.
  size_t max_clients = 8;
  // How long Acquire() waits for a Client when all are lent.
  absl::Duration acquire_timeout = absl::Seconds(1);
};

class ClientPool {
 public:
  // Gives its Client back to the pool when destroyed. Move-only.
  class Handle {
   public:
    Handle(Handle&& other) noexcept : pool_(other.pool_), client_(std::move(other.client_)) {
      other.pool_ = nullptr;
    }
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { Release(); }

    Client* get() const { return client_.get(); }
    Client* operator->() const { return client_.get(); }
    Client& operator*() const { return *client_; }

   private:
    friend class ClientPool;
    Handle(ClientPool* pool, std::unique_ptr<Client> client)
        : pool_(pool), client_(std::move(client)) {}
    void Release();

    ClientPool* pool_;
    std::unique_ptr<Client> client_;
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

 private:
  ClientPool(const ClientOptions& options, const ClientPoolOptions& pool)
      : options_(options), pool_options_(pool) {}
  void Return(std::unique_ptr<Client> client);

  // Constant after construction.
  const ClientOptions options_;
  const ClientPoolOptions pool_options_;

  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Client>> idle_ ABSL_GUARDED_BY(mu_);
  size_t created_ ABSL_GUARDED_BY(mu_) = 0;
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
  mutable std::mutex mu_;
  absl::flat_hash_map<std::thread::id, std::unique_ptr<Client>> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_POOL_H_
