#include "proxy/route_shadow.h"

#include <optional>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace memkit {
namespace proxy {
namespace {

bool SameReply(const RouteReply& a, const RouteReply& b) {
  if (a.status.ok() != b.status.ok()) return false;
  if (!a.status.ok()) return true;
  return a.bytes == b.bytes && a.values == b.values && a.error_line == b.error_line &&
         a.binary_status == b.binary_status;
}

}  // namespace

ShadowRoute::ShadowRoute(std::unique_ptr<Route> main, std::unique_ptr<Route> shadow,
                         double fraction, std::string name)
    : main_(std::move(main)),
      shadow_(std::move(shadow)),
      fraction_(fraction),
      name_(name.empty() ? "shadow" : std::move(name)) {}

void ShadowRoute::Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                       RouteDone done) const {
  thread_local absl::BitGen gen;
  const bool copy = fraction_ >= 1.0 || (fraction_ > 0 && absl::Uniform(gen, 0.0, 1.0) < fraction_);
  if (!copy) {
    main_->Send(call, std::move(request), std::move(done));
    return;
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  // Whichever reply comes second compares the two.
  struct Pair {
    std::optional<RouteReply> main;
    std::optional<RouteReply> shadow;
  };
  auto pair = std::make_shared<Pair>();
  auto compare = [this, pair] {
    if (pair->main.has_value() && pair->shadow.has_value() &&
        !SameReply(*pair->main, *pair->shadow)) {
      differing_.fetch_add(1, std::memory_order_relaxed);
    }
  };
  shadow_->Send(call, request, [pair, compare](RouteReply reply) {
    pair->shadow = std::move(reply);
    compare();
  });
  main_->Send(call, std::move(request),
              [pair, compare, done = std::move(done)](RouteReply reply) mutable {
                pair->main = reply;
                compare();
                done(std::move(reply));
              });
}

void ShadowRoute::AppendStatLines(std::string* out) const {
  absl::StrAppend(out, "STAT shadow:", name_, ":requests ",
                  requests_.load(std::memory_order_relaxed), "\r\n");
  absl::StrAppend(out, "STAT shadow:", name_, ":differing ",
                  differing_.load(std::memory_order_relaxed), "\r\n");
  main_->AppendStatLines(out);
  shadow_->AppendStatLines(out);
}

}  // namespace proxy
}  // namespace memkit
