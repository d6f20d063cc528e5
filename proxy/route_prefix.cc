#include "proxy/route_prefix.h"

#include "absl/strings/match.h"

namespace memkit {
namespace proxy {

PrefixRoute::PrefixRoute(std::vector<std::pair<std::string, std::unique_ptr<Route>>> routes,
                         std::unique_ptr<Route> default_route)
    : routes_(std::move(routes)), default_(std::move(default_route)) {}

const Route* PrefixRoute::Choose(absl::string_view key) const {
  const Route* best = default_.get();
  size_t best_len = 0;
  for (const auto& [prefix, route] : routes_) {
    if (prefix.size() > best_len && absl::StartsWith(key, prefix)) {
      best = route.get();
      best_len = prefix.size();
    }
  }
  return best;
}

void PrefixRoute::Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                       RouteDone done) const {
  if (request->kind == RouteRequest::Kind::kKeyed) {
    Choose(request->key)->Send(call, std::move(request), std::move(done));
    return;
  }
  const size_t n = request->keys.size();
  std::vector<std::pair<const Route*, std::vector<size_t>>> groups;
  for (size_t i = 0; i < n; ++i) {
    const Route* r = Choose(request->keys[i]);
    bool placed = false;
    for (auto& g : groups) {
      if (g.first == r) {
        g.second.push_back(i);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({r, {i}});
  }
  if (groups.size() == 1) {
    groups[0].first->Send(call, std::move(request), std::move(done));
    return;
  }
  struct Merge {
    RouteDone done;
    RouteReply reply;
    size_t remaining = 0;
  };
  auto merge = std::make_shared<Merge>();
  merge->done = std::move(done);
  merge->reply.values.resize(n);
  merge->remaining = groups.size();
  for (auto& [route, positions] : groups) {
    std::vector<std::string> keys;
    for (size_t p : positions) keys.push_back(request->keys[p]);
    route->Send(call, SubGet(*request, std::move(keys)),
                [merge, positions = std::move(positions)](RouteReply reply) {
                  RouteReply& m = merge->reply;
                  if (!reply.status.ok()) {
                    if (m.status.ok()) m.status = reply.status;
                  } else if (!reply.error_line.empty()) {
                    if (m.error_line.empty()) m.error_line = std::move(reply.error_line);
                  } else {
                    for (size_t k = 0; k < positions.size() && k < reply.values.size(); ++k) {
                      m.values[positions[k]] = std::move(reply.values[k]);
                    }
                  }
                  if (--merge->remaining == 0) merge->done(std::move(merge->reply));
                });
  }
}

void PrefixRoute::AppendStatLines(std::string* out) const {
  for (const auto& r : routes_) r.second->AppendStatLines(out);
  default_->AppendStatLines(out);
}

}  // namespace proxy
}  // namespace memkit
