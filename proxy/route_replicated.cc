#include "proxy/route_replicated.h"

#include <utility>

#include "absl/random/random.h"

namespace memkit {
namespace proxy {

ReplicatedRoute::ReplicatedRoute(std::vector<std::unique_ptr<Route>> children, Mode mode,
                                 ReadPolicy policy)
    : children_(std::move(children)),
      mode_(mode),
      policy_(policy),
      latency_ns_(new std::atomic<int64_t>[children_.size()]) {
  for (size_t i = 0; i < children_.size(); ++i) latency_ns_[i].store(0);
}

size_t ReplicatedRoute::PickReader() const {
  switch (policy_) {
    case ReadPolicy::kFirst:
      return 0;
    case ReadPolicy::kRandom: {
      thread_local absl::BitGen gen;
      return absl::Uniform<size_t>(gen, 0, children_.size());
    }
    case ReadPolicy::kFastest: {
      size_t best = 0;
      int64_t best_ns = latency_ns_[0].load(std::memory_order_relaxed);
      for (size_t i = 1; i < children_.size(); ++i) {
        const int64_t ns = latency_ns_[i].load(std::memory_order_relaxed);
        if (ns < best_ns) {
          best = i;
          best_ns = ns;
        }
      }
      return best;
    }
  }
  return 0;
}

void ReplicatedRoute::SendTo(size_t i, const RouteCall& call,
                             std::shared_ptr<const RouteRequest> request, RouteDone done) const {
  net::EventLoop* loop = call.loop;
  const int64_t start = loop->cached_now_ns();
  children_[i]->Send(call, std::move(request),
                     [this, i, loop, start, done = std::move(done)](RouteReply reply) mutable {
                       if (reply.status.ok()) {
                         // The loop's clock is per turn: a reply in the same
                         // turn measures 0, so count at least 1 ns.
                         const int64_t ns = std::max<int64_t>(loop->cached_now_ns() - start, 1);
                         std::atomic<int64_t>& avg = latency_ns_[i];
                         const int64_t old = avg.load(std::memory_order_relaxed);
                         avg.store(old == 0 ? ns : old - old / 8 + ns / 8,
                                   std::memory_order_relaxed);
                       }
                       done(std::move(reply));
                     });
}

void ReplicatedRoute::Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                           RouteDone done) const {
  if (request->kind == RouteRequest::Kind::kGet || request->retrieval) {
    SendTo(PickReader(), call, std::move(request), std::move(done));
    return;
  }
  struct Write {
    RouteDone done;
    std::shared_ptr<const RouteRequest> request;
    size_t remaining = 0;
    int worst = -1;
    RouteReply reply;
    bool answered = false;
  };
  auto w = std::make_shared<Write>();
  w->done = std::move(done);
  w->request = request;
  w->remaining = children_.size();
  const bool sync = mode_ == Mode::kAllSync;
  for (size_t i = 0; i < children_.size(); ++i) {
    SendTo(i, call, request, [w, sync](RouteReply reply) {
      --w->remaining;
      if (!sync) {
        if (!w->answered) {
          w->answered = true;
          w->done(std::move(reply));
        }
        return;
      }
      const int severity = Severity(*w->request, reply);
      if (severity > w->worst) {
        w->worst = severity;
        w->reply = std::move(reply);
      }
      if (w->remaining == 0) w->done(std::move(w->reply));
    });
  }
}

void ReplicatedRoute::AppendStatLines(std::string* out) const {
  for (const auto& c : children_) c->AppendStatLines(out);
}

}  // namespace proxy
}  // namespace memkit
