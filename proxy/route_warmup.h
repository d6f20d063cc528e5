// WarmupRoute: fills a cold (new, empty) pool from a warm one. Reads go to
// cold; a key that misses there is read from warm, and a warm hit is both
// the client's answer and copied into cold: "mg <key> v f t" on warm, then
// "ms <key> <n> F<flags> T<ttl>" on cold, with the item's remaining TTL, or
// the configured ttl when the item never expires in warm. Writes go to cold
// only; deletes to both (so warm cannot refill a deleted key).
//
// Thread-safety: as Route.

#ifndef MEMKIT_PROXY_ROUTE_WARMUP_H_
#define MEMKIT_PROXY_ROUTE_WARMUP_H_

#include <atomic>
#include <memory>
#include <string>

#include "proxy/route.h"

namespace memkit {
namespace proxy {

class WarmupRoute final : public Route {
 public:
  // `ttl_s`: for items without expiry in warm (0: none in cold either).
  WarmupRoute(std::unique_ptr<Route> cold, std::unique_ptr<Route> warm, int32_t ttl_s);
  void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override;
  void AppendStatLines(std::string* out) const override;

 private:
  void SendKeyed(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                 RouteDone done) const;
  void SendGet(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
               RouteDone done) const;
  // Copies `key` from warm into cold, in the background.
  void Fill(const RouteCall& call, const std::string& key) const;

  const std::unique_ptr<Route> cold_;
  const std::unique_ptr<Route> warm_;
  const int32_t ttl_s_;
};

// Parses a meta "VA <n> f<flags> t<ttl>\r\n<data>\r\n" reply. False if it
// is not one.
bool ParseMetaValue(absl::string_view reply, std::string* data, uint32_t* flags, int64_t* ttl);

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_WARMUP_H_
