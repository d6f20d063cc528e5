#include "client/internal/cluster.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/hash/server_spec.h"
#include "core/net/clock.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {
namespace {

// Above this much output a lone batch also goes through poll(), so that a
// server answering while we still send can never block both sides.
constexpr size_t kBlockingSendLimit = 64 * 1024;

int64_t ToNanos(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return std::numeric_limits<int64_t>::max() / 4;
  return absl::ToInt64Nanoseconds(d);
}

int PollTimeoutMillis(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return -1;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, std::numeric_limits<int>::max()));
}

std::string Millis(int64_t nanos) { return absl::StrCat(nanos / 1000000, " ms"); }

}  // namespace

int64_t Cluster::NowNanos() const {
  if (options_.clock != nullptr) return options_.clock->MonotonicNow();
  return net::MonotonicNanos();
}

Cluster::Cluster(const ClientOptions& options)
    : options_(options),
      codec_(CodecFor(options.protocol)),
      poll_timeout_ms_(PollTimeoutMillis(options.io_timeout)) {}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Create(const ClientOptions& options) {
  if (options.servers.empty()) return absl::InvalidArgumentError("ClientOptions.servers is empty");
  if (options.replicas < 0) return absl::InvalidArgumentError("replicas must be >= 0");
  if (options.server_failure_limit < 0) {
    return absl::InvalidArgumentError("server_failure_limit must be >= 0");
  }
  std::unique_ptr<Cluster> cluster(new Cluster(options));
  for (const std::string& entry : options.servers) {
    auto list = hash::ParseServerList(entry);
    if (!list.ok()) return list.status();
    for (hash::ServerSpec& spec : *list) {
      if (!spec.unix_socket && spec.port == 0) spec.port = hash::kDefaultPort;
      cluster->specs_.push_back(std::move(spec));
    }
  }
  if (static_cast<size_t>(options.replicas) >= cluster->specs_.size() && options.replicas > 0) {
    return absl::InvalidArgumentError(absl::StrCat("replicas (", options.replicas,
                                                   ") must be below the number of servers (",
                                                   cluster->specs_.size(), ")"));
  }
  cluster->placement_options_.distribution = options.distribution;
  cluster->placement_options_.hash = options.hash;
  cluster->placement_options_.sort_hosts = options.sort_hosts;
  cluster->placement_options_.auto_weighted = options.auto_weighted;
  auto placement = hash::Placement::Create(cluster->specs_, cluster->placement_options_);
  if (!placement.ok()) return placement.status();
  cluster->placement_ = std::move(*placement);

  SocketOptions so;
  so.connect_timeout = options.connect_timeout;
  so.io_timeout = options.io_timeout;
  so.tcp_nodelay = options.tcp_nodelay;
  so.tcp_keepalive = options.tcp_keepalive;
  so.send_buffer = options.socket_send_size;
  so.receive_buffer = options.socket_recv_size;
  cluster->servers_.resize(cluster->specs_.size());
  for (size_t i = 0; i < cluster->specs_.size(); ++i) {
    cluster->servers_[i].conn = std::make_unique<Connection>(cluster->specs_[i], so);
  }
  return cluster;
}

bool Cluster::is_dead(size_t server) const {
  return servers_[server].dead_until > NowNanos();
}

absl::Status Cluster::NoLiveServer() const {
  return McError(McCode::kConnectionError,
                 absl::StrCat("no live server: all ", servers_.size(),
                              " servers are ejected after failures"));
}

void Cluster::RebuildPlacement() {
  std::vector<bool> live(servers_.size());
  for (size_t i = 0; i < servers_.size(); ++i) live[i] = !servers_[i].ejected;
  auto placement = hash::Placement::Create(specs_, placement_options_, live);
  // The options were accepted once; a failure here would be a bug in
  // core/hash. Keep the old placement rather than lose every server.
  if (placement.ok()) placement_ = std::move(*placement);
}

void Cluster::MaybeRestore() {
  const int64_t now = NowNanos();
  if (now < next_restore_) return;
  bool changed = false;
  int64_t next = std::numeric_limits<int64_t>::max();
  for (Server& sv : servers_) {
    if (!sv.ejected) continue;
    if (sv.dead_until <= now) {
      sv.ejected = false;  // on probation: one more failure ejects it again
      --ejected_count_;
      changed = true;
    } else {
      next = std::min(next, sv.dead_until);
    }
  }
  next_restore_ = next;
  if (changed) RebuildPlacement();
}

absl::Status Cluster::Ready(size_t server, int64_t now) {
  Server& sv = servers_[server];
  const std::string& name = sv.conn->name();
  if (sv.dead_until > now || sv.retry_at > now) {
    absl::Status resting =
        sv.dead_until > now
            ? McError(McCode::kConnectionError,
                      absl::StrCat("server ", name, " is marked dead for another ",
                                   Millis(sv.dead_until - now), " after ", sv.failures,
                                   " consecutive failures; last: ", sv.last_error.message()))
            : McError(McCode::kConnectionError,
                      absl::StrCat("server ", name, " failed; not retried for another ",
                                   Millis(sv.retry_at - now), "; last: ",
                                   sv.last_error.message()));
    if (observer_ != nullptr) Observe(server, resting);  // a failed call all the same
    return resting;
  }
  absl::Status s = sv.conn->Connect();
  if (!s.ok()) RecordFailure(server, s);
  return s;
}

void Cluster::Observe(size_t server, const absl::Status& status) {
  const int64_t elapsed = execute_start_ == 0 ? 0 : NowNanos() - execute_start_;
  observer_->OnRoundTrip(server, status, absl::Nanoseconds(elapsed));
}

void Cluster::RecordFailure(size_t server, const absl::Status& why) {
  if (observer_ != nullptr) Observe(server, why);
  Server& sv = servers_[server];
  sv.conn->Close();
  ++sv.failures;
  sv.last_error = why;
  const int64_t now = NowNanos();
  if (options_.server_failure_limit > 0 && sv.failures >= options_.server_failure_limit) {
    sv.dead_until = now + ToNanos(options_.dead_timeout);
    if (options_.auto_eject_hosts && !sv.ejected) {
      sv.ejected = true;
      ++ejected_count_;
      next_restore_ = ejected_count_ == 1 ? sv.dead_until : std::min(next_restore_, sv.dead_until);
      RebuildPlacement();
    }
  } else {
    sv.retry_at = now + ToNanos(options_.retry_timeout);
  }
}

void Cluster::Fail(Batch* batch, const absl::Status& why) { FinishBatch(batch, why); }

bool Cluster::DecodeInput(Batch* batch) {
  Connection& c = *servers_[batch->server].conn;
  size_t consumed = 0;
  absl::Status error;
  DecodeProgress p = codec_->Decode(batch, c.in().data(), &scratch_, &consumed, &error);
  if (p == DecodeProgress::kBroken) {
    absl::Status why = McError(GetMcCode(error),
                               absl::StrCat("server ", c.name(), ": ", error.message()));
    RecordFailure(batch->server, why);
    Fail(batch, why);
    return false;
  }
  c.in().Consume(consumed);
  return true;
}

void Cluster::Execute(absl::Span<Batch* const> batches) {
  if (observer_ != nullptr) execute_start_ = NowNanos();
  int64_t now = 0;
  bool have_now = false;  // the clock is read once, and only if needed
  size_t active = 0;
  Batch* last = nullptr;
  for (Batch* b : batches) {
    b->Reset();
    Server& sv = servers_[b->server];
    if (!sv.conn->connected()) {
      if (!have_now) {
        now = NowNanos();
        have_now = true;
      }
      absl::Status s = Ready(b->server, now);
      if (!s.ok()) {
        Fail(b, s);
        continue;
      }
    }
    codec_->Encode(b, sv.conn->next_opaque(), &sv.conn->out());
    if (!b->expects_reply) {
      // buffer_requests: quiet requests wait for the next round trip.
      if (options_.buffer_requests && sv.conn->out().size() < kBlockingSendLimit) continue;
      if (!sv.conn->has_output()) continue;
    }
    ++active;
    last = b;
  }
  if (active == 0) return;
  if (active == 1 && servers_[last->server].conn->out().size() <= kBlockingSendLimit) {
    RunBlocking(last);
  } else {
    RunPolled(batches);
  }
}

void Cluster::RunBlocking(Batch* b) {
  Connection& c = *servers_[b->server].conn;
  absl::Status s = c.SendAll();
  if (!s.ok()) {
    RecordFailure(b->server, s);
    Fail(b, s);
    return;
  }
  while (!b->done) {
    if (c.in().size() > 0) {
      if (!DecodeInput(b)) return;
      if (b->done) break;
    }
    s = c.ReceiveSome();
    if (!s.ok()) {
      RecordFailure(b->server, s);
      Fail(b, s);
      return;
    }
  }
  RecordSuccess(b->server);
}

void Cluster::RunPolled(absl::Span<Batch* const> batches) {
  std::vector<struct pollfd>& fds = poll_fds_;
  std::vector<Batch*>& owners = poll_owners_;
  const int timeout_ms = poll_timeout_ms_;
  // Everything goes out before anything is read.
  for (Batch* b : batches) {
    Connection& c = *servers_[b->server].conn;
    if (!c.connected() || !c.has_output()) continue;
    if (options_.buffer_requests && !b->expects_reply &&
        c.out().size() < kBlockingSendLimit) {
      continue;
    }
    absl::Status error;
    if (c.TrySend(&error) == IoResult::kFailed) {
      RecordFailure(b->server, error);
      Fail(b, error);
    }
  }
  for (;;) {
    fds.clear();
    owners.clear();
    for (Batch* b : batches) {
      Connection& c = *servers_[b->server].conn;
      if (!c.connected()) continue;
      const bool sending = c.has_output() && !(options_.buffer_requests && !b->expects_reply &&
                                               c.out().size() < kBlockingSendLimit);
      const bool receiving = !b->done && b->expects_reply;
      if (!sending && !receiving) continue;
      if (receiving && c.in().size() > 0) {
        if (!DecodeInput(b)) continue;
        if (b->done && !sending) continue;
      }
      struct pollfd p;
      p.fd = c.fd();
      p.events = static_cast<short>((sending ? POLLOUT : 0) | (!b->done ? POLLIN : 0));
      p.revents = 0;
      fds.push_back(p);
      owners.push_back(b);
    }
    if (fds.empty()) break;
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      for (Batch* b : owners) {
        absl::Status why = n == 0 ? servers_[b->server].conn->TimeoutError()
                                  : servers_[b->server].conn->IoError(errno, "poll");
        RecordFailure(b->server, why);
        Fail(b, why);
      }
      break;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      const short ev = fds[i].revents;
      if (ev == 0) continue;
      Batch* b = owners[i];
      Connection& c = *servers_[b->server].conn;
      absl::Status error;
      if ((ev & (POLLOUT | POLLERR)) && c.has_output()) {
        if (c.TrySend(&error) == IoResult::kFailed) {
          RecordFailure(b->server, error);
          Fail(b, error);
          continue;
        }
      }
      // Read what is ready, and again at once while a read fills all the
      // room it had (more is waiting: no need to ask poll()).
      bool filled = (ev & (POLLIN | POLLHUP | POLLERR)) != 0;
      while (filled && !b->done) {
        IoResult r = c.TryReceive(&error, &filled);
        if (r == IoResult::kFailed) {
          RecordFailure(b->server, error);
          Fail(b, error);
          break;
        }
        if (r != IoResult::kProgress || !DecodeInput(b)) break;
      }
    }
  }
  for (Batch* b : batches) {
    if (servers_[b->server].conn->connected()) RecordSuccess(b->server);
  }
}

absl::Status Cluster::FlushBuffered() {
  execute_start_ = 0;  // no round trip of a call to time
  absl::Status first;
  for (size_t i = 0; i < servers_.size(); ++i) {
    Connection& c = *servers_[i].conn;
    if (!c.connected() || !c.has_output()) continue;
    absl::Status s = c.SendAll();
    if (!s.ok()) {
      RecordFailure(i, s);
      if (first.ok()) first = s;
    }
  }
  return first;
}

}  // namespace internal
}  // namespace client
}  // namespace memkit
