#include "proxy/config.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace memkit {
namespace proxy {
namespace {

absl::StatusOr<ProxyOptions> FromJson(const std::string& json) {
  auto config = ParseProxyConfigJson(json);
  if (!config.ok()) return config.status();
  return ProxyOptionsFromConfig(*config);
}

TEST(ProxyConfigTest, FullConfig) {
  auto options = FromJson(R"({
    "listen": "127.0.0.1:0", "threads": 3,
    "pools": [{"name": "main", "servers": ["127.0.0.1:11211", "127.0.0.1:11212:3"],
               "connectionsPerServer": 4, "connect_timeout_ms": 250, "readTimeoutMs": 700,
               "failureLimit": 5, "probeInitialMs": 10, "probeMaxMs": 100}]})");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:0");
  EXPECT_EQ(options->threads, 3);
  EXPECT_EQ(options->pools[0].name, "main");
  ASSERT_EQ(options->pools[0].servers.size(), 2u);
  EXPECT_EQ(options->pools[0].servers[1].port, 11212);
  EXPECT_EQ(options->pools[0].servers[1].weight, 3u);
  EXPECT_EQ(options->pools[0].addresses[1].ToString(), "127.0.0.1:11212");
  EXPECT_EQ(options->pools[0].placement.distribution, hash::Distribution::kKetamaWeighted);
  EXPECT_EQ(options->pools[0].backend.connections_per_server, 4);
  EXPECT_EQ(options->pools[0].backend.connect_timeout, absl::Milliseconds(250));
  EXPECT_EQ(options->pools[0].backend.read_timeout, absl::Milliseconds(700));
  EXPECT_EQ(options->pools[0].health.failure_limit, 5);
  EXPECT_EQ(options->pools[0].health.probe_initial, absl::Milliseconds(10));
  EXPECT_EQ(options->pools[0].health.probe_max, absl::Milliseconds(100));
}

TEST(ProxyConfigTest, Defaults) {
  auto options = FromJson(R"({"pools": [{"servers": ["10.0.0.1"]}]})");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:11211");
  EXPECT_EQ(options->threads, 4);
  EXPECT_EQ(options->pools[0].name, "default");
  EXPECT_EQ(options->pools[0].addresses[0].ToString(), "10.0.0.1:11211");
  EXPECT_EQ(options->pools[0].backend.read_timeout, absl::Seconds(1));
}

void ExpectError(const std::string& json, const std::string& needle) {
  auto options = FromJson(json);
  ASSERT_FALSE(options.ok()) << json;
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(options.status().message(), needle))
      << options.status() << " should say " << needle;
}

TEST(ProxyConfigTest, ErrorsNameTheField) {
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1", "10.0.0.1:x"]}]})",
              "pools[0].servers[1]: bad address \"10.0.0.1:x\"");
  ExpectError(R"({"pools": [{"servers": []}]})", "pools[0].servers: at least one server");
  ExpectError(R"({"pools": []})", "pools: one pool is needed");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1"]}, {"servers": ["127.0.0.1:2"]}]})",
              "pools[1].name: \"default\" names two pools");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1"], "distribution": "bogus"}]})",
              "pools[0].distribution");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1"], "hash": "sha9"}]})", "pools[0].hash");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1"], "readTimeoutMs": -1}]})",
              "pools[0].read_timeout_ms: must not be negative");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1", "127.0.0.1:1"]}]})",
              "pools[0].servers[1]: \"127.0.0.1:1\" is listed twice");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1"], "name": "a b"}]})", "pools[0].name");
  ExpectError(R"({"listen": "nope", "pools": [{"servers": ["127.0.0.1:1"]}]})", "listen: ");
  ExpectError(R"({"threads": -2, "pools": [{"servers": ["127.0.0.1:1"]}]})", "threads: ");
  ExpectError(R"({"pools": [{"servers": ["127.0.0.1:1"], "probeInitialMs": 900,
                  "probeMaxMs": 10}]})",
              "pools[0].probe_max_ms");
}

TEST(ProxyConfigTest, NoRouteMeansTheFirstPool) {
  auto options = FromJson(R"({"pools": [{"name": "a", "servers": ["127.0.0.1:1"]},
                                        {"name": "b", "servers": ["127.0.0.1:2"]}]})");
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_EQ(options->pools.size(), 2u);
  EXPECT_EQ(options->route.pool(), "a");
}

TEST(ProxyConfigTest, RoutesParseAndNest) {
  auto options = FromJson(R"({"pools": [{"name": "a", "servers": ["127.0.0.1:1"]},
                                        {"name": "b", "servers": ["127.0.0.1:2"]}],
    "route": {"prefix": {"routes": {"user:": {"failover": {"children": [{"pool": "a"},
                                                                         {"pool": "b"}],
                                                            "onMiss": true}}},
                         "defaultRoute": {"replicated": {"children": [{"pool": "a"}, {"pool": "b"}],
                                                         "mode": "all_async",
                                                         "readPolicy": "fastest"}}}}})");
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_TRUE(options->route.has_prefix());
  EXPECT_TRUE(options->route.prefix().routes().at("user:").failover().on_miss());
  EXPECT_EQ(options->route.prefix().default_route().replicated().read_policy(), "fastest");
}

TEST(ProxyConfigTest, RouteErrorsNameTheField) {
  const std::string pools = R"("pools": [{"name": "a", "servers": ["127.0.0.1:1"]},
                                         {"name": "b", "servers": ["127.0.0.1:2"]}])";
  auto with = [&](const std::string& route) { return "{" + pools + ", \"route\": " + route + "}"; };
  ExpectError(with(R"({"failover": {"children": [{"pool": "a"}, {"pool": "c"}]}})"),
              "route.failover.children[1].pool: no pool named \"c\"");
  ExpectError(with(R"({"failover": {"children": [{"pool": "a"}]}})"),
              "route.failover.children: at least two children");
  ExpectError(with(R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}], "mode": "x"}})"),
              "route.replicated.mode: want all_sync or all_async");
  ExpectError(
      with(R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}], "readPolicy": "x"}})"),
      "route.replicated.read_policy");
  ExpectError(with(R"({"prefix": {"routes": {"x:": {"pool": "a"}}}})"),
              "route.prefix.default_route: is required");
  ExpectError(with(R"({"prefix": {"routes": {"x:": {}}, "defaultRoute": {"pool": "a"}}})"),
              "route.prefix.routes[\"x:\"]: a route needs one of");
  ExpectError(with(R"({"warmup": {"cold": {"pool": "a"}}})"), "route.warmup.warm: is required");
  ExpectError(with(R"({"shadow": {"main": {"pool": "a"}, "shadow": {"pool": "b"},
                                  "fraction": 1.5}})"),
              "route.shadow.fraction: want 0 to 1");
  ExpectError(with(R"({})"), "route: a route needs one of");
}

TEST(ProxyConfigTest, BadJson) {
  auto c = ParseProxyConfigJson(R"({"pools": [{"servers": ["a"]}], "unknownField": 1})");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "unknownField")) << c.status();
  EXPECT_FALSE(ParseProxyConfigJson("{not json").ok());
  EXPECT_FALSE(ParseProxyConfigJson(R"({"threads": "many"})").ok());
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
