// PrefixRoute: the child whose prefix is the longest one that starts the
// key, else the default. A multi-get is split per child and the hits merged
// back in key order.
//
// Thread-safety: as Route.

#ifndef MEMKIT_PROXY_ROUTE_PREFIX_H_
#define MEMKIT_PROXY_ROUTE_PREFIX_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "proxy/route.h"

namespace memkit {
namespace proxy {

class PrefixRoute final : public Route {
 public:
  PrefixRoute(std::vector<std::pair<std::string, std::unique_ptr<Route>>> routes,
              std::unique_ptr<Route> default_route);
  void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override;
  void AppendStatLines(std::string* out) const override;

 private:
  const Route* Choose(absl::string_view key) const;

  const std::vector<std::pair<std::string, std::unique_ptr<Route>>> routes_;
  const std::unique_ptr<Route> default_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_PREFIX_H_
