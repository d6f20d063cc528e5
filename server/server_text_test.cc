// The text protocol over real sockets: every command's replies and
// memcached 1.6.18's quirks (noreply, swallowing after a refused storage
// command, closing on "HTTP/" lines and endless lines, pipelining, half-close).
// Expected bytes were checked against a real memcached 1.6.18.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::StartServer;
using testing::TestConnection;
using testing::TestServerOptions;

class TextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(Options());
    ASSERT_NE(server_, nullptr);
    auto conn = TestConnection::Connect(server_->address());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
  }
  virtual ServerOptions Options() { return TestServerOptions(); }

  std::string Call(absl::string_view request, absl::string_view suffix = "\r\n") {
    return conn_->Call(request, suffix);
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<TestConnection> conn_;
};

TEST_F(TextTest, SetGetGets) {
  EXPECT_EQ(Call("set a 5 0 3\r\nabc\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("get a\r\n", "END\r\n"), "VALUE a 5 3\r\nabc\r\nEND\r\n");
  const std::string gets = Call("gets a missing a\r\n", "END\r\n");
  EXPECT_EQ(gets.substr(0, 14), "VALUE a 5 3 1\r") << gets;  // first cas is 1
  EXPECT_EQ(Call("get missing\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(Call("bget a\r\n", "END\r\n"), "VALUE a 5 3\r\nabc\r\nEND\r\n");
}

TEST_F(TextTest, LargeValueRoundTrip) {
  const std::string value(700 * 1000, 'v');
  EXPECT_EQ(Call(absl::StrCat("set big 0 0 ", value.size(), "\r\n", value, "\r\n")),
            "STORED\r\n");
  EXPECT_EQ(Call("get big\r\n", "END\r\n"),
            absl::StrCat("VALUE big 0 ", value.size(), "\r\n", value, "\r\nEND\r\n"));
}

TEST_F(TextTest, ValueArrivingByteByByte) {
  const std::string request = "set k 0 0 5\r\nhello\r\nget k\r\n";
  for (char c : request) ASSERT_TRUE(conn_->Send(std::string(1, c)).ok());
  EXPECT_EQ(*conn_->ReadUntil("END\r\n"), "STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n");
}

TEST_F(TextTest, StorageCommands) {
  EXPECT_EQ(Call("add a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("add a 0 0 1\r\ny\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(Call("replace b 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(Call("replace a 0 0 1\r\nz\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("append a 0 0 2\r\nyz\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("prepend a 0 0 2\r\nvw\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("append nope 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(Call("get a\r\n", "END\r\n"), "VALUE a 0 5\r\nvwzyz\r\nEND\r\n");
  EXPECT_EQ(Call("cas nope 0 0 1 1\r\nx\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Call("cas a 0 0 1 999\r\nx\r\n"), "EXISTS\r\n");
  const std::string gets = Call("gets a\r\n", "END\r\n");
  const std::string cas = gets.substr(12, gets.find("\r\n") - 12);
  EXPECT_EQ(Call(absl::StrCat("cas a 0 0 1 ", cas, "\r\nq\r\n")), "STORED\r\n");
}

TEST_F(TextTest, NoreplyIsSilent) {
  ASSERT_TRUE(conn_->Send("set a 0 0 1 noreply\r\nx\r\nadd a 0 0 1 noreply\r\ny\r\n"
                          "incr a 1 noreply\r\ndelete zz noreply\r\ntouch zz 1 noreply\r\n"
                          "flush_all noreply\r\nverbosity 0 noreply\r\nversion\r\n")
                  .ok());
  EXPECT_EQ(*conn_->ReadUntil("\r\n"), "VERSION 1.6.18\r\n");
}

TEST_F(TextTest, Arithmetic) {
  EXPECT_EQ(Call("incr n 1\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Call("set n 0 0 2\r\n10\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("incr n 5\r\n"), "15\r\n");
  EXPECT_EQ(Call("decr n 100\r\n"), "0\r\n");
  // memcached pads a shortened number with spaces.
  EXPECT_EQ(Call("get n\r\n", "END\r\n"), "VALUE n 0 2\r\n0 \r\nEND\r\n");
  EXPECT_EQ(Call("incr n 18446744073709551615\r\n"), "18446744073709551615\r\n");
  EXPECT_EQ(Call("incr n 1\r\n"), "0\r\n");  // wraps
  EXPECT_EQ(Call("incr n abc\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(Call("set s 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("incr s 1\r\n"),
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
}

TEST_F(TextTest, DeleteTouchFlush) {
  EXPECT_EQ(Call("delete a\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Call("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("delete a 1\r\n"),
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
  EXPECT_EQ(Call("delete a 0\r\n"), "DELETED\r\n");
  EXPECT_EQ(Call("touch a 10\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Call("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("touch a 10\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(Call("gat 0 a\r\n", "END\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(Call("flush_all\r\n"), "OK\r\n");
  EXPECT_EQ(Call("get a\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(Call("flush_all abc\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
}

TEST_F(TextTest, MiscCommands) {
  EXPECT_EQ(Call("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_EQ(Call("verbosity 1\r\n"), "OK\r\n");
  EXPECT_EQ(Call("verbosity\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("verbosity 0\r\n"), "OK\r\n");
  EXPECT_EQ(Call("cache_memlimit 1\r\n"),
            "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
  EXPECT_EQ(Call("cache_memlimit 2000000000\r\n"),
            "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n");
  EXPECT_EQ(Call("cache_memlimit abc\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("cache_memlimit 100\r\n"), "OK\r\n");
  EXPECT_EQ(testing::StatValue(Call("stats\r\n", "END\r\n"), "limit_maxbytes"), "104857600");
  EXPECT_EQ(Call("foo\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("a\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("get\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("set a 0 0\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("set a 0 0 abc\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(TextTest, ShutdownDisabledByDefault) {
  EXPECT_EQ(Call("shutdown\r\n"), "ERROR: shutdown not enabled\r\n");
  EXPECT_FALSE(server_->shutdown_requested());
}

TEST_F(TextTest, BadDataChunkThenNextCommand) {
  // memcached reads length+2 bytes, complains, and parses what follows.
  EXPECT_EQ(Call("set a 0 0 1\r\nxy\r\nget a\r\n", "END\r\n"),
            "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
}

TEST_F(TextTest, TooLargeIsSwallowedAndUnlinksOldValue) {
  EXPECT_EQ(Call("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  const std::string big(2 * 1024 * 1024, 'b');
  EXPECT_EQ(Call(absl::StrCat("set a 0 0 ", big.size(), "\r\n", big, "\r\nget a\r\n"), "END\r\n"),
            "SERVER_ERROR object too large for cache\r\nEND\r\n");
  EXPECT_EQ(testing::StatValue(Call("stats\r\n", "END\r\n"), "store_too_large"), "1");
  // Just under memcached's value limit but over its item limit: refused too.
  const std::string edge(1024 * 1024 - 10, 'e');
  EXPECT_EQ(Call(absl::StrCat("set e 0 0 ", edge.size(), "\r\n", edge, "\r\n")),
            "SERVER_ERROR object too large for cache\r\n");
}

TEST_F(TextTest, KeyTooLong) {
  const std::string key(251, 'k');
  EXPECT_EQ(Call(absl::StrCat("get ", key, "\r\n")), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Call(absl::StrCat("set ", key, " 0 0 1\r\nx\r\n"), "ERROR\r\n"),
            "CLIENT_ERROR bad command line format\r\nERROR\r\n");
}

TEST_F(TextTest, GetWithKeyTooLongDropsRepliesNotYetWritten) {
  // memcached 1.6.18 discards its whole unwritten response chain: STORED and
  // the hits of the get itself go; a reply written before (after "get")
  // stays.
  const std::string key(251, 'k');
  EXPECT_EQ(Call(absl::StrCat("set a 0 0 1\r\nx\r\nget a\r\nset b 0 0 1\r\ny\r\nget a b ", key,
                              " a\r\nmn\r\n"),
                 "MN\r\n"),
            "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\nCLIENT_ERROR bad command line format\r\nMN\r\n");
  // The keys before the long one were looked up: a gat has touched them.
  EXPECT_EQ(Call(absl::StrCat("gat 100 a ", key, "\r\n")),
            "CLIENT_ERROR bad command line format\r\n");
  const std::string ttl = Call("mg a t\r\n");
  EXPECT_TRUE(ttl == "HD t100\r\n" || ttl == "HD t99\r\n") << ttl;  // a second may tick
}

TEST_F(TextTest, RepliesWaitWhileAValueIsArriving) {
  // memcached writes nothing while it reads a value (conn_nread) or
  // swallows one it refused (conn_swallow): STORED waits for the next value.
  ASSERT_TRUE(conn_->Send("set a 0 0 1\r\nx\r\nset b 0 0 4\r\nab").ok());
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  // memcached reads the missing bytes straight off the socket and writes
  // once it has them, before it reads on: both STOREDs come, c's waits.
  ASSERT_TRUE(conn_->Send("cd\r\nset c 0 0 4\r\nab").ok());
  EXPECT_EQ(*conn_->ReadUntil("STORED\r\nSTORED\r\n"), "STORED\r\nSTORED\r\n");
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  EXPECT_EQ(Call("cd\r\n"), "STORED\r\n");
  const std::string big(2 * 1024 * 1024, 'b');
  ASSERT_TRUE(conn_->Send(absl::StrCat("set c 0 0 1\r\nz\r\nset d 0 0 ", big.size(), "\r\n",
                                       big.substr(0, 1000)))
                  .ok());
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  EXPECT_EQ(Call(absl::StrCat(big.substr(1000), "\r\n"), "cache\r\n"),
            "STORED\r\nSERVER_ERROR object too large for cache\r\n");
  // A partial command line is no such wait: what is queued goes out.
  EXPECT_EQ(Call("set e 0 0 1\r\nz\r\nget"), "STORED\r\n");
  EXPECT_EQ(Call(" e\r\n", "END\r\n"), "VALUE e 0 1\r\nz\r\nEND\r\n");
}

TEST_F(TextTest, HttpRequestClosesSilently) {
  ASSERT_TRUE(conn_->Send("GET / HTTP/1.1\r\n").ok());
  bool reset = false;
  EXPECT_TRUE(conn_->WaitForClose(absl::Seconds(5), &reset));
  EXPECT_EQ(conn_->ReadFor(absl::ZeroDuration()), "");
}

TEST_F(TextTest, HangUpDropsRepliesMemcachedHadNotWritten) {
  // memcached writes after a get but queues STORED; hanging up loses it.
  ASSERT_TRUE(conn_->Send("get a\r\nset a 0 0 1\r\nx\r\nGET / HTTP/1.1\r\n").ok());
  EXPECT_TRUE(conn_->WaitForClose());
  EXPECT_EQ(conn_->ReadFor(absl::ZeroDuration()), "END\r\n");
  auto again = TestConnection::Connect(server_->address());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Call("get a\r\n", "END\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
}

TEST_F(TextTest, EndlessLineCloses) {
  ASSERT_TRUE(conn_->Send(std::string(5000, 'x')).ok());
  EXPECT_TRUE(conn_->WaitForClose());
}

TEST_F(TextTest, LongMultigetIsFine) {
  std::string line = "get";
  for (int i = 0; i < 2000; ++i) absl::StrAppend(&line, " key", i);
  EXPECT_EQ(Call(absl::StrCat("set key1999 0 0 1\r\nz\r\n", line, "\r\n"), "END\r\n"),
            "STORED\r\nVALUE key1999 0 1\r\nz\r\nEND\r\n");
}

TEST_F(TextTest, QuitClosesAfterEarlierReplies) {
  ASSERT_TRUE(conn_->Send("version\r\nquit\r\nversion\r\n").ok());
  EXPECT_EQ(*conn_->ReadUntil("\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_TRUE(conn_->WaitForClose());
}

TEST_F(TextTest, PipelinedRequestsBeyondReqsPerEvent) {
  std::string batch;
  for (int i = 0; i < 500; ++i) absl::StrAppend(&batch, "set k", i, " 0 0 1\r\nx\r\n");
  batch += "version\r\n";
  ASSERT_TRUE(conn_->Send(batch).ok());
  auto reply = conn_->ReadUntil("VERSION 1.6.18\r\n");
  ASSERT_TRUE(reply.ok()) << reply.status();
  std::string expected;
  for (int i = 0; i < 500; ++i) expected += "STORED\r\n";
  EXPECT_EQ(*reply, expected + "VERSION 1.6.18\r\n");
  EXPECT_NE(testing::StatValue(Call("stats\r\n", "END\r\n"), "conn_yields"), "0");
}

TEST_F(TextTest, AnswersEverythingBeforeHalfClose) {
  ASSERT_TRUE(conn_->Send("set a 0 0 1\r\nx\r\nget a\r\n").ok());
  ASSERT_EQ(::shutdown(conn_->fd(), SHUT_WR), 0);
  EXPECT_EQ(*conn_->ReadUntil("END\r\n"), "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_TRUE(conn_->WaitForClose());
}

TEST_F(TextTest, AdminCommands) {
  EXPECT_EQ(Call("lru\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("lru mode flat\r\n"), "OK\r\n");
  EXPECT_EQ(Call("lru mode bogus\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("lru tune 10 20 0.1 2\r\n"), "OK\r\n");
  EXPECT_EQ(Call("lru tune 50 40 0.1 2\r\n"), "ERROR hot and warm pcts must not exceed 80\r\n");
  EXPECT_EQ(Call("lru tune 10 20 0 2\r\n"),
            "ERROR hot/warm age factors must be greater than 0\r\n");
  EXPECT_EQ(Call("lru temp_ttl 30\r\n"), "OK\r\n");
  EXPECT_EQ(Call("slabs automove 2\r\n"), "OK\r\n");
  EXPECT_EQ(Call("slabs automove 3\r\n"), "ERROR\r\n");
  // noreply silences slabs automove (but not slabs reassign, which has no such token).
  EXPECT_EQ(Call("slabs automove 9 noreply\r\nmn\r\n"), "MN\r\n");
  EXPECT_EQ(Call("slabs reassign 1 2\r\n"), "NOSPARE source class has no spare pages\r\n");
  EXPECT_EQ(Call("slabs reassign 0 39\r\n"), "NOSPARE source class has no spare pages\r\n");
  EXPECT_EQ(Call("slabs reassign 99 1\r\n"), "BADCLASS invalid src or dst class id\r\n");
  EXPECT_EQ(Call("slabs reassign 1 40\r\n"), "BADCLASS invalid src or dst class id\r\n");
  EXPECT_EQ(Call("slabs reassign -1 1\r\n"), "BADCLASS invalid src or dst class id\r\n");
  EXPECT_EQ(Call("slabs reassign 7 7\r\n"), "SAME src and dst class are identical\r\n");
  EXPECT_EQ(Call("extstore item_size 100\r\n"), "OK\r\n");
  EXPECT_EQ(Call("extstore item_size x\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("extstore bogus 1\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("refresh_certs\r\n"), "Error TLS not enabled\r\n");
  EXPECT_EQ(Call("lru_crawler crawl all\r\n"), "OK\r\n");
  EXPECT_EQ(Call("lru_crawler crawl 99\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_EQ(Call("lru_crawler sleep 5000000\r\n"),
            "CLIENT_ERROR sleep must be one second or less\r\n");
  EXPECT_EQ(Call("lru_crawler sleep 250\r\n"), "OK\r\n");
  EXPECT_EQ(Call("lru_crawler tocrawl abc\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Call("lru_crawler\r\n"), "ERROR\r\n");
  // What was set reads back from "stats settings", as in memcached.
  const std::string settings = Call("stats settings\r\n", "END\r\n");
  EXPECT_EQ(testing::StatValue(settings, "lru_segmented"), "no");
  EXPECT_EQ(testing::StatValue(settings, "hot_lru_pct"), "10");
  EXPECT_EQ(testing::StatValue(settings, "warm_max_factor"), "2.00");
  EXPECT_EQ(testing::StatValue(settings, "temp_lru"), "yes");
  EXPECT_EQ(testing::StatValue(settings, "temporary_ttl"), "30");
  EXPECT_EQ(testing::StatValue(settings, "slab_automove"), "2");
  // memcached zeroes a setting whose new value does not parse.
  EXPECT_EQ(testing::StatValue(settings, "ext_item_size"), "0");
  EXPECT_EQ(testing::StatValue(settings, "lru_crawler_sleep"), "250");
  EXPECT_EQ(Call("set a/b 0 100 1\r\nx\r\n"), "STORED\r\n");
  const std::string dump = Call("lru_crawler metadump all\r\n", "END\r\n");
  EXPECT_EQ(dump.substr(0, 16), "key=a%2Fb exp=17") << dump;
  EXPECT_NE(dump.find(" fetch=no cls=1 size=63\nEND\r\n"), std::string::npos) << dump;
  // memcached's crawler thread cannot be started twice.
  EXPECT_EQ(Call("lru_crawler enable\r\n"), "ERROR failed to start lru crawler thread\r\n");
  EXPECT_EQ(Call("lru_crawler disable\r\n"), "OK\r\n");
  EXPECT_EQ(Call("lru_crawler crawl all\r\n"), "CLIENT_ERROR lru crawler disabled\r\n");
  EXPECT_EQ(testing::StatValue(Call("stats settings\r\n", "END\r\n"), "lru_crawler"), "no");
  EXPECT_EQ(Call("lru_crawler enable\r\n"), "OK\r\n");
}

TEST_F(TextTest, MetadumpLosesWhatWasPipelinedBehindIt) {
  // A get writes its reply (nothing is pending), so the dump may follow it;
  // memcached hands the connection to its crawler and drops "version".
  EXPECT_EQ(Call("get nothing\r\nlru_crawler metadump all\r\nversion\r\n", "END\r\nEND\r\n"),
            "END\r\nEND\r\n");
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  EXPECT_EQ(Call("version\r\n"), "VERSION 1.6.18\r\n");
  // An unwritten reply before it: refused.
  EXPECT_EQ(Call("version\r\nlru_crawler metadump all\r\n", "metadump\r\n"),
            "VERSION 1.6.18\r\nERROR cannot pipeline other commands before metadump\r\n");
}

TEST_F(TextTest, WatchTurnsTheConnectionIntoALogStream) {
  EXPECT_EQ(Call("watch foo\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("watch fetchers deletions noreply\r\nmn\r\n"), "MN\r\n");
  EXPECT_EQ(Call("version\r\nwatch\r\n", "watch\r\n"),
            "VERSION 1.6.18\r\nERROR cannot pipeline other commands before watch\r\n");
  EXPECT_EQ(Call("watch fetchers mutations\r\nversion\r\n"), "OK\r\n");
  // Commands on a watching connection go unanswered.
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  ASSERT_TRUE(conn_->Send("version\r\n").ok());
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  auto other = TestConnection::Connect(server_->address());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(testing::StatValue((*other)->Call("stats\r\n", "END\r\n"), "log_watchers"), "1");
}

TEST_F(TextTest, DebugtimeIsOffByDefault) {
  EXPECT_EQ(Call("debugtime 100\r\n"), "ERROR\r\n");
}

class FlushDisabledTest : public TextTest {
  ServerOptions Options() override {
    ServerOptions o = TestServerOptions();
    o.flush_enabled = false;
    o.cache.use_cas = false;
    return o;
  }
};

TEST_F(FlushDisabledTest, FlushAllRefused) {
  EXPECT_EQ(Call("flush_all\r\n"), "CLIENT_ERROR flush_all not allowed\r\n");
  EXPECT_EQ(testing::StatValue(Call("stats\r\n", "END\r\n"), "cmd_flush"), "1");
  EXPECT_EQ(Call("set a 0 0 1\r\nx\r\ngets a\r\n", "END\r\n"),
            "STORED\r\nVALUE a 0 1 0\r\nx\r\nEND\r\n");  // -C: cas is 0
}

class DebugtimeTest : public TextTest {
  ServerOptions Options() override {
    ServerOptions o = TestServerOptions();
    o.enable_debugtime = true;
    return o;
  }
};

TEST_F(DebugtimeTest, MovesTheClock) {
  EXPECT_EQ(Call("set a 0 10 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(Call("debugtime 5\r\n"), "OK\r\n");
  EXPECT_EQ(Call("get a\r\n", "END\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(Call("debugtime 6\r\n"), "OK\r\n");
  EXPECT_EQ(Call("get a\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(Call("debugtime abc\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("debugtime p\r\n"), "OK\r\n");
  EXPECT_EQ(Call("debugtime r\r\n"), "OK\r\n");
}

}  // namespace
}  // namespace server
}  // namespace memkit
