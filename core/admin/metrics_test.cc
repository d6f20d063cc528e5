#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/admin/admin_endpoints.h"
#include "core/admin/admin_test_util.h"
#include "core/admin/metrics_http_server.h"
#include "core/admin/prometheus_text.h"
#include "core/admin/stats_collector.h"
#include "core/stats/histogram.h"
#include "gtest/gtest.h"

namespace memkit {
namespace admin {
namespace {

class Provider : public StatsProvider {
 public:
  Provider() {
    for (int i = 1; i <= 100; ++i) latency_.Record(i * 10000);  // 10 us .. 1 ms
  }
  std::string component() const override { return "test"; }
  void Collect(StatsBuilder* b) override {
    b->BeginScope(v1::SCOPE_KIND_COMPONENT, "test");
    b->AddCounter("requests_total", "Requests served.", 100);
    b->AddCounter("errors", "Errors \\ with \"quotes\".", 2);  // gets _total
    b->AddHistogram("request_latency", "Time to serve one request.", latency_.Snapshot(),
                    kNanosToMicros);
    b->BeginScope(v1::SCOPE_KIND_SERVER, "127.0.0.1:11211", "main\"pool");
    b->AddGauge("items", "Items stored.", 5);
    b->AddCounter("requests_total", "Requests served.", 40, {{"command", "get"}});
    b->BeginScope(v1::SCOPE_KIND_SERVER, "127.0.0.1:11212", "main\"pool");
    b->AddGauge("items", "Items stored.", 6);
  }

 private:
  stats::Histogram latency_;
};

std::string Scrape() {
  Provider provider;
  CollectOptions options;
  options.include_histogram_buckets = true;
  return FormatPrometheus(CollectStats(provider, options).snapshot);
}

TEST(PrometheusTextTest, FamiliesTypesLabelsAndHistograms) {
  const std::string text = Scrape();
  EXPECT_TRUE(absl::StrContains(text, "# TYPE memkit_requests_total counter\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "memkit_requests_total 100\n"));
  EXPECT_TRUE(absl::StrContains(text,
                                "memkit_requests_total{pool=\"main\\\"pool\",server=\"127.0.0.1:"
                                "11211\",command=\"get\"} 40\n"));
  EXPECT_TRUE(absl::StrContains(text, "# TYPE memkit_errors_total counter\n"));
  EXPECT_TRUE(absl::StrContains(text, "# TYPE memkit_items gauge\n"));
  EXPECT_TRUE(absl::StrContains(
      text, "memkit_items{pool=\"main\\\"pool\",server=\"127.0.0.1:11212\"} 6\n"));
  // One TYPE line per family, even with samples from several scopes.
  EXPECT_EQ(text.find("# TYPE memkit_items"), text.rfind("# TYPE memkit_items"));
  EXPECT_TRUE(absl::StrContains(text, "# TYPE memkit_request_latency_seconds histogram\n"));
  // 100 values of 10 us .. 1 ms: 50 at or below 500 us, all below 1 ms + .
  EXPECT_TRUE(absl::StrContains(text, "memkit_request_latency_seconds_bucket{le=\"0.0005\"} 50\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "memkit_request_latency_seconds_bucket{le=\"+Inf\"} 100\n"));
  EXPECT_TRUE(absl::StrContains(text, "memkit_request_latency_seconds_count 100\n"));
  EXPECT_TRUE(absl::StrContains(text, "memkit_request_latency_seconds_sum 0.0505\n"));
}

TEST(PrometheusTextTest, PromtoolAcceptsTheScrape) {
  auto result = testing::RunPromtoolCheckMetrics(Scrape());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_status, 0) << result->output;
  EXPECT_EQ(result->output, "") << result->output;
}

TEST(MetricsHttpServerTest, ServesMetricsAndRefusesTheRest) {
  MetricsHttpServerOptions options;
  options.render = [] { return Scrape(); };
  auto server = MetricsHttpServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), absl::StrCat("127.0.0.1:", (*server)->port()));

  auto response = testing::HttpGet((*server)->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(absl::StartsWith(*response, "HTTP/1.1 200 OK\r\n")) << *response;
  EXPECT_TRUE(absl::StrContains(*response, "Content-Type: text/plain; version=0.0.4"));
  EXPECT_EQ(testing::HttpBody(*response), Scrape());

  auto missing = testing::HttpGet((*server)->port(), "/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(absl::StartsWith(*missing, "HTTP/1.1 404")) << *missing;

  (*server)->Shutdown();
  EXPECT_FALSE(testing::HttpGet((*server)->port(), "/metrics").ok());
}

TEST(MetricsHttpServerTest, RejectsBadAddresses) {
  MetricsHttpServerOptions options;
  options.render = [] { return std::string(); };
  options.listen = "not-an-address";
  EXPECT_EQ(MetricsHttpServer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.listen = "example.com:0";
  EXPECT_EQ(MetricsHttpServer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AdminEndpointsTest, StartsWhatIsAskedForAndNothingWithoutAnAddress) {
  Provider provider;
  AdminServerOptions no_admin;
  no_admin.listen = "";
  AdminEndpoints none;
  EXPECT_EQ(none.Start(no_admin, "", &provider).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(none.admin_port(), 0);
  EXPECT_EQ(none.metrics_port(), 0);

  AdminEndpoints metrics_only;
  ASSERT_TRUE(metrics_only.Start(no_admin, "127.0.0.1:0", &provider).ok());
  EXPECT_EQ(metrics_only.admin_port(), 0);
  EXPECT_EQ(metrics_only.admin_address(), "");
  ASSERT_GT(metrics_only.metrics_port(), 0);
  auto response = testing::HttpGet(metrics_only.metrics_port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(absl::StrContains(testing::HttpBody(*response), "memkit_requests_total"))
      << *response;
  metrics_only.Shutdown();
  EXPECT_FALSE(testing::HttpGet(metrics_only.metrics_port(), "/metrics").ok());

  AdminEndpoints bad;
  EXPECT_EQ(bad.Start(no_admin, "not-an-address", &provider).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace admin
}  // namespace memkit
