// The client's hot paths allocate nothing once warm, against real memcached:
// a get hit into a reused string, a set, and a 100-key multi-get over four
// servers into a reused MultiGetResult. This binary counts every operator new
// (//tests/support:alloc_counter).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "client/testing/memcached_process.h"
#include "gtest/gtest.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace client {
namespace {

using testing::MemcachedProcess;

class AllocTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    if (!MemcachedProcess::Available()) GTEST_SKIP() << "no /usr/bin/memcached";
    ClientOptions options;
    for (int i = 0; i < 4; ++i) {
      auto p = MemcachedProcess::Start();
      ASSERT_TRUE(p.ok()) << p.status();
      options.servers.push_back((*p)->address());
      servers_.push_back(std::move(*p));
    }
    options.protocol = GetParam();
    options.distribution = hash::Distribution::kKetama;
    auto c = Client::Create(options);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
  }

  std::vector<std::unique_ptr<MemcachedProcess>> servers_;
  std::unique_ptr<Client> client_;
};

TEST_P(AllocTest, SteadyStateCallsAllocateNothing) {
  Client& c = *client_;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    keys.push_back(absl::StrCat("alloc:", i));
    ASSERT_TRUE(c.Set(keys.back(), std::string(100, 'v')).ok());
  }
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  const std::string value(100, 'w');
  std::string got;
  MultiGetResult result;
  auto round = [&] {
    ASSERT_TRUE(c.Get(keys[7], &got).ok());
    ASSERT_TRUE(c.Set(keys[8], value).ok());
    ASSERT_TRUE(c.GetMulti(views, &result).ok());
    ASSERT_EQ(result.hits(), 100u);
  };
  // Connect and grow the buffers. The measured rounds are many so that meta's
  // opaques gain digits (10^3, 10^4) inside them: request bytes then grow, and
  // must still fit what the connection reserved.
  for (int i = 0; i < 5; ++i) round();
  const test_support::AllocCounter::Snapshot before = test_support::AllocCounter::Now();
  for (int i = 0; i < 500; ++i) round();
  EXPECT_EQ(test_support::AllocCounter::Since(before).total, 0);
  EXPECT_EQ(got, std::string(100, 'v'));
}

INSTANTIATE_TEST_SUITE_P(All, AllocTest,
                         ::testing::Values(Protocol::kText, Protocol::kMeta, Protocol::kBinary),
                         [](const ::testing::TestParamInfo<Protocol>& info) {
                           return std::string(ProtocolName(info.param));
                         });

}  // namespace
}  // namespace client
}  // namespace memkit
