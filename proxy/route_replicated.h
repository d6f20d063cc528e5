// ReplicatedRoute: writes go to every child; reads to one child chosen by
// the read policy (first, random, or fastest: the lowest moving average of
// recent latency, so untried children get tried). all_sync answers a write
// once every child has, with the worst answer (Severity); all_async answers
// with the first and lets the others finish in the background.
//
// Thread-safety: as Route (latencies are relaxed atomics: a lost update
// only blurs the average).

#ifndef MEMKIT_PROXY_ROUTE_REPLICATED_H_
#define MEMKIT_PROXY_ROUTE_REPLICATED_H_

#include <atomic>
#include <memory>
#include <vector>

#include "proxy/route.h"

namespace memkit {
namespace proxy {

class ReplicatedRoute final : public Route {
 public:
  enum class Mode : uint8_t { kAllSync, kAllAsync };
  enum class ReadPolicy : uint8_t { kFirst, kRandom, kFastest };

  ReplicatedRoute(std::vector<std::unique_ptr<Route>> children, Mode mode, ReadPolicy policy);
  void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override;
  void AppendStatLines(std::string* out) const override;

 private:
  size_t PickReader() const;
  // Sends to child `i`, folding its latency into the average.
  void SendTo(size_t i, const RouteCall& call, std::shared_ptr<const RouteRequest> request,
              RouteDone done) const;

  const std::vector<std::unique_ptr<Route>> children_;
  const Mode mode_;
  const ReadPolicy policy_;
  // Per child: moving average of reply latency, ns (0: not measured yet).
  std::unique_ptr<std::atomic<int64_t>[]> latency_ns_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_REPLICATED_H_
