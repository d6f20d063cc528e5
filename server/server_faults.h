// ServerFaults: the fault switches a memkit server consults on its request
// path, set by FakeServer (fake_server.h) to make a test's server misbehave:
// fail the next N commands with a SERVER_ERROR, drop the replies to the next
// N commands, hold every reply back by some latency. (Outages and closing
// connections act on listeners and connections; see Server.)
//
// Unarmed switches cost one relaxed atomic load per request.
//
// Thread-safety: every method is safe from any thread.

#ifndef MEMKIT_SERVER_SERVER_FAULTS_H_
#define MEMKIT_SERVER_SERVER_FAULTS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace server {

class ServerFaults {
 public:
  ServerFaults() = default;
  ServerFaults(const ServerFaults&) = delete;
  ServerFaults& operator=(const ServerFaults&) = delete;

  // The next `count` commands (any protocol; a multi-key get is one) are not
  // executed and are answered "SERVER_ERROR <message>" (text and meta) or a
  // binary response with status 0x0084 (internal error) and `message` as its
  // body. count <= 0 disarms.
  void FailNextCommands(int64_t count, absl::string_view message) {
    {
      MutexLock lock(&mu_);
      fail_message_.assign(message.data(), message.size());
    }
    fail_remaining_.store(count > 0 ? count : 0, std::memory_order_release);
  }

  // If a failure is armed, takes one and copies its message to `*message`.
  bool TakeFailure(std::string* message) {
    if (fail_remaining_.load(std::memory_order_relaxed) <= 0) return false;
    if (!TakeOne(&fail_remaining_)) return false;
    MutexLock lock(&mu_);
    *message = fail_message_;
    return true;
  }

  // The next `count` commands are executed but their replies are discarded.
  // count <= 0 disarms.
  void DropNextReplies(int64_t count) {
    drop_remaining_.store(count > 0 ? count : 0, std::memory_order_release);
  }
  bool TakeDrop() {
    if (drop_remaining_.load(std::memory_order_relaxed) <= 0) return false;
    return TakeOne(&drop_remaining_);
  }

  // Every flush of every connection is held back by `delay` (zero: none).
  void SetLatency(absl::Duration delay) {
    latency_ns_.store(absl::ToInt64Nanoseconds(delay), std::memory_order_release);
  }
  int64_t latency_ns() const { return latency_ns_.load(std::memory_order_relaxed); }

  int64_t failures_pending() const { return fail_remaining_.load(std::memory_order_acquire); }
  int64_t drops_pending() const { return drop_remaining_.load(std::memory_order_acquire); }

 private:
  static bool TakeOne(std::atomic<int64_t>* counter) {
    int64_t n = counter->load(std::memory_order_acquire);
    while (n > 0) {
      if (counter->compare_exchange_weak(n, n - 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  std::atomic<int64_t> fail_remaining_{0};
  std::atomic<int64_t> drop_remaining_{0};
  std::atomic<int64_t> latency_ns_{0};
  Mutex mu_;
  std::string fail_message_ ABSL_GUARDED_BY(mu_);
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SERVER_FAULTS_H_
