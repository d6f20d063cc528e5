#include "proxy/route_warmup.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace memkit {
namespace proxy {
namespace {

// Keys a text meta command can carry as they are.
bool TextSafeKey(absl::string_view key) {
  if (key.empty() || key.size() > 250) return false;
  for (char c : key) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

std::shared_ptr<RouteRequest> TextKeyed(const std::string& key, std::string bytes,
                                        bool retrieval) {
  auto r = std::make_shared<RouteRequest>();
  r->kind = RouteRequest::Kind::kKeyed;
  r->key = key;
  r->bytes = std::move(bytes);
  r->shape = ReplyShape::kTextLine;
  r->retrieval = retrieval;
  return r;
}

}  // namespace

bool ParseMetaValue(absl::string_view reply, std::string* data, uint32_t* flags, int64_t* ttl) {
  const size_t eol = reply.find("\r\n");
  if (eol == absl::string_view::npos || !absl::StartsWith(reply, "VA ")) return false;
  std::vector<absl::string_view> tokens =
      absl::StrSplit(reply.substr(3, eol - 3), ' ', absl::SkipEmpty());
  size_t n = 0;
  if (tokens.empty() || !absl::SimpleAtoi(tokens[0], &n)) return false;
  if (reply.size() < eol + 2 + n + 2) return false;
  *data = std::string(reply.substr(eol + 2, n));
  *flags = 0;
  *ttl = -1;
  for (size_t i = 1; i < tokens.size(); ++i) {
    if (tokens[i].size() < 2) continue;
    if (tokens[i][0] == 'f' && !absl::SimpleAtoi(tokens[i].substr(1), flags)) return false;
    if (tokens[i][0] == 't' && !absl::SimpleAtoi(tokens[i].substr(1), ttl)) return false;
  }
  return true;
}

WarmupRoute::WarmupRoute(std::unique_ptr<Route> cold, std::unique_ptr<Route> warm, int32_t ttl_s)
    : cold_(std::move(cold)), warm_(std::move(warm)), ttl_s_(ttl_s) {}

void WarmupRoute::Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                       RouteDone done) const {
  if (request->kind == RouteRequest::Kind::kGet) {
    SendGet(call, std::move(request), std::move(done));
  } else {
    SendKeyed(call, std::move(request), std::move(done));
  }
}

void WarmupRoute::SendKeyed(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                            RouteDone done) const {
  if (!request->retrieval) {
    if (request->is_delete) warm_->Send(call, request, [](RouteReply) {});
    cold_->Send(call, std::move(request), std::move(done));
    return;
  }
  cold_->Send(call, request,
              [this, call, request, done = std::move(done)](RouteReply cold) mutable {
                if (IsFailure(cold) || !cold.miss) {
                  done(std::move(cold));
                  return;
                }
                warm_->Send(call, request,
                            [this, call, request, cold = std::move(cold),
                             done = std::move(done)](RouteReply warm) mutable {
                              if (IsFailure(warm) || warm.miss) {
                                done(std::move(cold));
                                return;
                              }
                              done(std::move(warm));
                              Fill(call, request->key);
                            });
              });
}

void WarmupRoute::SendGet(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                          RouteDone done) const {
  cold_->Send(call, request, [this, call, request, done = std::move(done)](RouteReply cold) mutable {
    std::vector<size_t> missing;
    std::vector<std::string> keys;
    if (!IsFailure(cold)) {
      for (size_t i = 0; i < cold.values.size(); ++i) {
        if (cold.values[i].empty()) {
          missing.push_back(i);
          keys.push_back(request->keys[i]);
        }
      }
    }
    if (missing.empty()) {
      done(std::move(cold));
      return;
    }
    warm_->Send(call, SubGet(*request, std::move(keys)),
                [this, call, request, missing = std::move(missing), cold = std::move(cold),
                 done = std::move(done)](RouteReply warm) mutable {
                  std::vector<std::string> filled;
                  if (!IsFailure(warm)) {
                    for (size_t k = 0; k < missing.size() && k < warm.values.size(); ++k) {
                      if (warm.values[k].empty()) continue;
                      cold.values[missing[k]] = std::move(warm.values[k]);
                      filled.push_back(request->keys[missing[k]]);
                    }
                  }
                  done(std::move(cold));
                  for (const std::string& key : filled) Fill(call, key);
                });
  });
}

void WarmupRoute::Fill(const RouteCall& call, const std::string& key) const {
  if (!TextSafeKey(key)) return;
  warm_->Send(call, TextKeyed(key, absl::StrCat("mg ", key, " v f t\r\n"), true),
              [this, call, key](RouteReply warm) {
                std::string data;
                uint32_t flags = 0;
                int64_t ttl = -1;
                if (IsFailure(warm) || warm.miss ||
                    !ParseMetaValue(warm.bytes, &data, &flags, &ttl)) {
                  return;
                }
                if (ttl == 0) return;  // expiring this second: not worth copying
                const int64_t cold_ttl = ttl < 0 ? ttl_s_ : ttl;
                std::string set = absl::StrCat("ms ", key, " ", data.size(), " F", flags, " T",
                                               cold_ttl, "\r\n", data, "\r\n");
                cold_->Send(call, TextKeyed(key, std::move(set), false), [](RouteReply) {});
              });
}

void WarmupRoute::AppendStatLines(std::string* out) const {
  cold_->AppendStatLines(out);
  warm_->AppendStatLines(out);
}

}  // namespace proxy
}  // namespace memkit
