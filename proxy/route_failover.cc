#include "proxy/route_failover.h"

#include <algorithm>
#include <string>
#include <utility>

namespace memkit {
namespace proxy {

struct FailoverRoute::State {
  RouteCall call;
  std::shared_ptr<const RouteRequest> original;
  RouteDone done;
  size_t attempt = 0;  // the child asked last
  // kGet: the original's key positions the current request asks for, and
  // the values found so far per original position.
  std::vector<size_t> positions;
  RouteReply merged;
  bool have_answer = false;  // `merged` (or `best` for kKeyed) holds an answer
  RouteReply best;           // kKeyed: the last answer that was not a failure
};

FailoverRoute::FailoverRoute(std::vector<std::unique_ptr<Route>> children, bool on_miss,
                             int max_attempts)
    : children_(std::move(children)),
      on_miss_(on_miss),
      max_attempts_(max_attempts <= 0 ? children_.size()
                                      : std::min<size_t>(max_attempts, children_.size())) {}

void FailoverRoute::Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                         RouteDone done) const {
  auto state = std::make_shared<State>();
  state->call = call;
  state->original = request;
  state->done = std::move(done);
  if (request->kind == RouteRequest::Kind::kGet) {
    for (size_t i = 0; i < request->keys.size(); ++i) state->positions.push_back(i);
    state->merged.values.resize(request->keys.size());
  }
  Attempt(std::move(state), std::move(request));
}

void FailoverRoute::Attempt(std::shared_ptr<State> state,
                            std::shared_ptr<const RouteRequest> request) const {
  const Route& child = *children_[state->attempt];
  const RouteCall& call = state->call;
  child.Send(call, request, [this, state, request](RouteReply reply) mutable {
    OnReply(std::move(state), std::move(request), std::move(reply));
  });
}

void FailoverRoute::OnReply(std::shared_ptr<State> state,
                            std::shared_ptr<const RouteRequest> request, RouteReply reply) const {
  const bool last = state->attempt + 1 >= max_attempts_;
  const bool failed = IsFailure(reply);
  if (request->kind == RouteRequest::Kind::kKeyed) {
    if (!failed) {
      const bool retry = on_miss_ && request->retrieval && reply.miss && !last;
      if (!retry) {
        state->done(std::move(reply));
        return;
      }
      state->best = std::move(reply);
      state->have_answer = true;
    } else if (last) {
      state->done(state->have_answer ? std::move(state->best) : std::move(reply));
      return;
    }
    ++state->attempt;
    Attempt(std::move(state), std::move(request));
    return;
  }
  // kGet.
  if (failed) {
    if (last) {
      // Hits found by earlier children still count; the rest are misses.
      state->done(state->have_answer ? std::move(state->merged) : std::move(reply));
      return;
    }
    ++state->attempt;
    Attempt(std::move(state), std::move(request));
    return;
  }
  std::vector<size_t> missing;
  std::vector<std::string> missing_keys;
  for (size_t k = 0; k < state->positions.size() && k < reply.values.size(); ++k) {
    const size_t p = state->positions[k];
    if (!reply.values[k].empty()) {
      state->merged.values[p] = std::move(reply.values[k]);
    } else {
      missing.push_back(p);
      missing_keys.push_back(state->original->keys[p]);
    }
  }
  state->have_answer = true;
  if (!on_miss_ || missing.empty() || last) {
    state->done(std::move(state->merged));
    return;
  }
  state->positions = std::move(missing);
  ++state->attempt;
  Attempt(state, SubGet(*state->original, std::move(missing_keys)));
}

void FailoverRoute::AppendStatLines(std::string* out) const {
  for (const auto& c : children_) c->AppendStatLines(out);
}

}  // namespace proxy
}  // namespace memkit
