// The meta protocol over real sockets: mg/ms/md/ma/mn/me with their return
// flags, quiet mode and errors, as memcached 1.6.18 answers them.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/net/clock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::StartServer;
using testing::TestConnection;

class MetaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A stopped clock: "l" (seconds since last access) and "t" must not
    // depend on whether a second boundary passes during the test.
    ServerOptions options = testing::TestServerOptions();
    options.clock = &clock_;
    server_ = StartServer(options);
    ASSERT_NE(server_, nullptr);
    auto conn = TestConnection::Connect(server_->address());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
  }
  std::string Call(absl::string_view request, absl::string_view suffix = "\r\n") {
    return conn_->Call(request, suffix);
  }

  net::ManualClock clock_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<TestConnection> conn_;
};

TEST_F(MetaTest, GetMissAndNoop) {
  EXPECT_EQ(Call("mg a v\r\n"), "EN\r\n");
  EXPECT_EQ(Call("mg a v O42 k\r\n"), "EN O42 ka\r\n");
  EXPECT_EQ(Call("mg a v q\r\nmn\r\n"), "MN\r\n");
}

TEST_F(MetaTest, SetThenGetWithFlags) {
  EXPECT_EQ(Call("ms a 2 F7 T0\r\nhi\r\n"), "HD\r\n");
  EXPECT_EQ(Call("mg a v s f t k O123\r\n", "hi\r\n"), "VA 2 s2 f7 t-1 ka O123\r\nhi\r\n");
  EXPECT_EQ(Call("mg a\r\n"), "HD\r\n");
  EXPECT_EQ(Call("mg a h l\r\n"), "HD h1 l0\r\n");
  const std::string cas_reply = Call("mg a c\r\n");
  ASSERT_EQ(cas_reply.substr(0, 4), "HD c") << cas_reply;
  const std::string cas = cas_reply.substr(4, cas_reply.size() - 6);
  EXPECT_EQ(Call(absl::StrCat("ms a 1 C", cas, " c\r\nz\r\n")).substr(0, 4), "HD c");
  EXPECT_EQ(Call("ms a 1 C1\r\nz\r\n"), "EX\r\n");
  EXPECT_EQ(Call("ms nope 1 C1\r\nz\r\n"), "NF\r\n");
}

TEST_F(MetaTest, SetModesAndQuiet) {
  EXPECT_EQ(Call("ms a 2 q\r\nhi\r\nms a 2 ME q\r\nhi\r\nmn\r\n", "MN\r\n"), "NS\r\nMN\r\n");
  EXPECT_EQ(Call("ms a 2 MA\r\n!!\r\nmg a v\r\n", "hi!!\r\n"), "HD\r\nVA 4\r\nhi!!\r\n");
  EXPECT_EQ(Call("ms a 2 MP\r\n<<\r\nmg a v\r\n", "<<hi!!\r\n"), "HD\r\nVA 6\r\n<<hi!!\r\n");
  EXPECT_EQ(Call("ms b 1 MR\r\nx\r\n"), "NS\r\n");
  EXPECT_EQ(Call("ms a 2 MZ\r\nhi\r\n"), "CLIENT_ERROR invalid mode for ms M token\r\n");
  EXPECT_EQ(Call("ms a abc\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(MetaTest, Arithmetic) {
  EXPECT_EQ(Call("ma n\r\n"), "NF\r\n");
  EXPECT_EQ(Call("ma n N0 J5 v\r\n", "5\r\n"), "VA 1\r\n5\r\n");
  EXPECT_EQ(Call("ma n v\r\n", "6\r\n"), "VA 1\r\n6\r\n");
  EXPECT_EQ(Call("ma n MD D10 v\r\n", "0\r\n"), "VA 1\r\n0\r\n");
  EXPECT_EQ(Call("ma n q\r\nmn\r\n", "MN\r\n"), "MN\r\n");
  EXPECT_EQ(Call("ma n t\r\n"), "HD t-1\r\n");
  EXPECT_EQ(Call("ms s 1\r\nx\r\nma s\r\n", "value\r\n"),
            "HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
}

TEST_F(MetaTest, DeleteAndStale) {
  EXPECT_EQ(Call("md a\r\n"), "NF\r\n");
  EXPECT_EQ(Call("md a q\r\nmn\r\n", "MN\r\n"), "NF\r\nMN\r\n");  // q hides only HD
  EXPECT_EQ(Call("ms a 1\r\nx\r\nmd a q\r\nmn\r\n", "MN\r\n"), "HD\r\nMN\r\n");
  EXPECT_EQ(Call("ms a 1\r\nx\r\nmd a I T30\r\n"), "HD\r\nHD\r\n");
  // A stale item: the next mg wins the recache token.
  EXPECT_EQ(Call("mg a\r\n"), "HD X W\r\n");
  EXPECT_EQ(Call("mg a\r\n"), "HD Z X\r\n");
}

TEST_F(MetaTest, VivifyOnMiss) {
  EXPECT_EQ(Call("mg v N30 s\r\n"), "HD s0 W\r\n");
  EXPECT_EQ(Call("mg v N30 s\r\n"), "HD s0 Z\r\n");
}

TEST_F(MetaTest, Debug) {
  EXPECT_EQ(Call("me a\r\n"), "EN\r\n");
  EXPECT_EQ(Call("ms a 1\r\nx\r\n"), "HD\r\n");
  EXPECT_EQ(Call("me a\r\n").substr(0, 19), "ME a exp=-1 la=0 ca");
  EXPECT_EQ(testing::StatValue(Call("stats\r\n", "END\r\n"), "cmd_meta"), "2");
}

TEST_F(MetaTest, Errors) {
  EXPECT_EQ(Call("mg a zz\r\n"), "CLIENT_ERROR invalid flag\r\n");
  EXPECT_EQ(Call("mg a v v\r\n"), "CLIENT_ERROR duplicate flag\r\n");
  EXPECT_EQ(Call("mz a\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call(absl::StrCat("mg a O", std::string(40, '9'), "\r\n")),
            "CLIENT_ERROR opaque token too long\r\n");
  EXPECT_EQ(Call("mg\r\n"), "ERROR\r\n");
}

TEST_F(MetaTest, Base64Keys) {
  // "Zm9v" is "foo".
  EXPECT_EQ(Call("ms Zm9v 1 b\r\nx\r\n"), "HD\r\n");
  EXPECT_EQ(Call("get foo\r\n", "END\r\n"), "VALUE foo 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(Call("mg Zm9v b k v\r\n", "x\r\n"), "VA 1 kZm9v b\r\nx\r\n");
}

TEST_F(MetaTest, AHitShowsTheKeyTheWayTheItemWasStored) {
  // memcached marks an item stored by ms with 'b' (ITEM_KEY_BINARY): mg and
  // me print its key in base64 whatever the request sent; other replies
  // (misses, md, ma) follow the request. "YQ==" is "a".
  EXPECT_EQ(Call("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("mg YQ== b k v\r\n", "x\r\n"), "VA 1 ka\r\nx\r\n");
  EXPECT_EQ(Call("me YQ== b\r\n").substr(0, 5), "ME a ");
  EXPECT_EQ(Call("md YQ== b k\r\n"), "HD kYQ== b\r\n");
  EXPECT_EQ(Call("mg Yg== b k\r\n"), "EN kYg== b\r\n");
  EXPECT_EQ(Call("ms YQ== 2 b\r\n42\r\n"), "HD\r\n");
  EXPECT_EQ(Call("mg a k v\r\n", "42\r\n"), "VA 2 kYQ== b\r\n42\r\n");
  EXPECT_EQ(Call("me a\r\n").substr(0, 8), "ME YQ== ");
  // Kept by an in-place incr, lost by one that grows the number or an append
  // (both make a new item).
  EXPECT_EQ(Call("incr a 1\r\n"), "43\r\n");
  EXPECT_EQ(Call("mg a k\r\n"), "HD kYQ== b\r\n");
  EXPECT_EQ(Call("incr a 100\r\n"), "143\r\n");
  EXPECT_EQ(Call("mg a k\r\n"), "HD ka\r\n");
  EXPECT_EQ(Call("ms YQ== 1 b\r\n1\r\nappend a 0 0 1\r\n2\r\n", "STORED\r\n"),
            "HD\r\nSTORED\r\n");
  EXPECT_EQ(Call("mg a k\r\n"), "HD ka\r\n");
}

TEST_F(MetaTest, QuietArithmeticStillAnswersWhenItCreates) {
  // memcached's q silences ma's HD for an increment, not for a vivify.
  EXPECT_EQ(Call("ma n q N0\r\nma n q\r\nma m q N0 v k\r\nmn\r\n", "MN\r\n"),
            "HD\r\nVA 1 km\r\n0\r\nMN\r\n");
}

TEST_F(MetaTest, AnUnwrittenHitKeepsItsItemBusyForIncr) {
  // memcached's reply to an mg hit holds the item until it is written, so a
  // decr pipelined behind it makes a new item ("99") rather than rewriting
  // the number in place ("99 ", padded). A write point in between (mn)
  // frees it.
  EXPECT_EQ(Call("set n 0 0 3\r\n100\r\nmg n\r\ndecr n 1\r\nget n\r\n", "END\r\n"),
            "STORED\r\nHD\r\n99\r\nVALUE n 0 2\r\n99\r\nEND\r\n");
  EXPECT_EQ(Call("set n 0 0 3\r\n100\r\nmg n\r\nmn\r\ndecr n 1\r\nget n\r\n", "END\r\n"),
            "STORED\r\nHD\r\nMN\r\n99\r\nVALUE n 0 3\r\n99 \r\nEND\r\n");
}

}  // namespace
}  // namespace server
}  // namespace memkit
