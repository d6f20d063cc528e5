// FailoverRoute: children tried in order while the answer is a failure
// (IsFailure) or, with on_miss, a retrieval's miss; at most max_attempts
// children per request. A multi-get asks the next child only for the keys
// still missing (on_miss) and merges the hits. The client gets the last
// answer that was not a failure, else the last failure.
//
// Thread-safety: as Route.

#ifndef MEMKIT_PROXY_ROUTE_FAILOVER_H_
#define MEMKIT_PROXY_ROUTE_FAILOVER_H_

#include <memory>
#include <vector>

#include "proxy/route.h"

namespace memkit {
namespace proxy {

class FailoverRoute final : public Route {
 public:
  // `max_attempts` 0: all children.
  FailoverRoute(std::vector<std::unique_ptr<Route>> children, bool on_miss, int max_attempts);
  void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override;
  void AppendStatLines(std::string* out) const override;

 private:
  struct State;
  void Attempt(std::shared_ptr<State> state, std::shared_ptr<const RouteRequest> request) const;
  void OnReply(std::shared_ptr<State> state, std::shared_ptr<const RouteRequest> request,
               RouteReply reply) const;

  const std::vector<std::unique_ptr<Route>> children_;
  const bool on_miss_;
  const size_t max_attempts_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_FAILOVER_H_
