// ShadowRoute: every request goes to main, whose answer is the client's; a
// random `fraction` of them also goes to shadow. The shadow's reply is
// compared with main's and thrown away; `stats proxy` counts the copies
// ("shadow:<name>:requests") and the replies that differed
// (":differing"; a failure on one side only counts, and so do gets whose
// cas values differ between the pools).
//
// Thread-safety: as Route (counters are atomics).

#ifndef MEMKIT_PROXY_ROUTE_SHADOW_H_
#define MEMKIT_PROXY_ROUTE_SHADOW_H_

#include <atomic>
#include <memory>
#include <string>

#include "proxy/route.h"

namespace memkit {
namespace proxy {

class ShadowRoute final : public Route {
 public:
  ShadowRoute(std::unique_ptr<Route> main, std::unique_ptr<Route> shadow, double fraction,
              std::string name);
  void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override;
  void AppendStatLines(std::string* out) const override;

 private:
  const std::unique_ptr<Route> main_;
  const std::unique_ptr<Route> shadow_;
  const double fraction_;
  const std::string name_;
  mutable std::atomic<uint64_t> requests_{0};
  mutable std::atomic<uint64_t> differing_{0};
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_SHADOW_H_
