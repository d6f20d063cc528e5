// The gtest fixture from docs/fake-server.md, compiled and run so the
// example stays true. It talks raw text protocol to keep the example
// self-contained; a real test would point its memcached client at
// fake_->address_string().

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "server/fake_server.h"
#include "server/server_test_util.h"

namespace {

using memkit::server::FakeServer;
using memkit::server::FakeServerOptions;
using memkit::server::testing::TestConnection;

class CacheUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeServerOptions options;
    options.freeze_clock = true;  // time moves only when the test says so
    auto fake = FakeServer::Create(options);
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = std::move(*fake);
    auto conn = TestConnection::Connect(fake_->address());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
  }

  std::unique_ptr<FakeServer> fake_;
  std::unique_ptr<TestConnection> conn_;
};

TEST_F(CacheUserTest, EntryExpires) {
  EXPECT_EQ(conn_->Call("set session 0 30 2\r\nok\r\n"), "STORED\r\n");
  fake_->AdvanceClock(absl::Seconds(31));
  EXPECT_EQ(conn_->Call("get session\r\n", "END\r\n"), "END\r\n");
}

TEST_F(CacheUserTest, ServerErrorsAreSurvivable) {
  fake_->FailNextCommands(1, "out of memory storing object");
  EXPECT_EQ(conn_->Call("set k 0 0 1\r\nv\r\n"), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(conn_->Call("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
}

TEST_F(CacheUserTest, ServerGoesAway) {
  ASSERT_TRUE(fake_->StartOutage(FakeServer::Outage::kRefuse).ok());
  EXPECT_TRUE(conn_->WaitForClose());
  EXPECT_FALSE(TestConnection::Connect(fake_->address()).ok());
  ASSERT_TRUE(fake_->EndOutage().ok());
  EXPECT_TRUE(TestConnection::Connect(fake_->address()).ok());
}

}  // namespace
