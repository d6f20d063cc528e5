// WatchLog on its own: memcached's lines, gids, the subscription mask, the
// bounded queues and their "skipped" counts.

#include "server/handlers/watch_log.h"

#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// The line without its "ts=... gid=N " prefix.
std::string Body(const LogEntry& e) {
  static const std::regex prefix("^ts=[0-9]+\\.[0-9]+ gid=[0-9]+ ");
  return std::regex_replace(e.event->line, prefix, "");
}

TEST(UriEncodeTest, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UriEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(UriEncode("a%b/c d"), "a%25b%2Fc%20d");
  EXPECT_EQ(UriEncode(std::string("\0\xff", 2)), "%00%FF");
}

TEST(WatchLogTest, WantsOnlyWhatSubscribersAskFor) {
  WatchLog log;
  EXPECT_FALSE(log.Wants(kWatchFetchers | kWatchMutations | kWatchEvictions | kWatchConnEvents));
  auto a = log.Subscribe(kWatchFetchers, [] {});
  ASSERT_TRUE(a.ok());
  auto b = log.Subscribe(kWatchEvictions, [] {});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(log.Wants(kWatchFetchers));
  EXPECT_TRUE(log.Wants(kWatchEvictions));
  EXPECT_FALSE(log.Wants(kWatchMutations));
  EXPECT_EQ(log.watchers(), 2u);
  log.Unsubscribe(a->get());
  EXPECT_FALSE(log.Wants(kWatchFetchers));
  log.Unsubscribe(b->get());
  EXPECT_FALSE(log.Wants(kWatchEvictions));
  EXPECT_EQ(log.watchers(), 0u);
}

TEST(WatchLogTest, MemcachedsLinesAndGids) {
  WatchLog log;
  int wakes = 0;
  auto sub = log.Subscribe(kWatchFetchers | kWatchMutations | kWatchEvictions | kWatchConnEvents,
                           [&wakes] { ++wakes; });
  ASSERT_TRUE(sub.ok());
  log.ConnNew("tcp:127.0.0.1:51836", 25);
  log.ItemGet("k", WatchLog::GetStatus::kNotFound, 0, 25, 0);
  log.ItemStore("a%b", WatchLog::StoreStatus::kStored, "set", 100, 1, 25, 3);
  log.Eviction("big0", false, -1, 7, 32, 100000);
  log.ConnClose("tcp:[::1]:4000", WatchLog::CloseReason::kError, 26);
  log.ConnNew("unix:/tmp/mc.sock", 27);
  EXPECT_EQ(wakes, 1);  // only when its queue was empty
  const std::vector<LogEntry> entries = (*sub)->Take();
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(Body(entries[0]), "type=conn_new rip=127.0.0.1 rport=51836 transport=tcp cfd=25\n");
  EXPECT_EQ(Body(entries[1]), "type=item_get key=k status=not_found clsid=0 cfd=25 size=0\n");
  EXPECT_EQ(Body(entries[2]),
            "type=item_store key=a%25b status=stored cmd=set ttl=100 clsid=1 cfd=25 size=3\n");
  EXPECT_EQ(Body(entries[3]), "type=eviction key=big0 fetch=no ttl=-1 la=7 clsid=32 size=100000\n");
  EXPECT_EQ(Body(entries[4]),
            "type=conn_close rip=::1 rport=4000 transport=tcp reason=error cfd=26\n");
  EXPECT_EQ(Body(entries[5]), "type=conn_new rip=unix rport=0 transport=local cfd=27\n");
  // Subscribing took gid 1 (as memcached's logger_add_watcher); events follow.
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].event->gid, i + 2);
    EXPECT_EQ(entries[i].skipped_before, 0u);
  }
  EXPECT_EQ(entries[2].event->key, "a%b");
  EXPECT_EQ(entries[2].event->command, "set");
  EXPECT_EQ(entries[2].event->status, "stored");
  EXPECT_EQ(entries[2].event->size, 3);
  EXPECT_EQ(log.written(), 6u);
  EXPECT_EQ(log.sent(), 6u);
  log.Unsubscribe(sub->get());
}

TEST(WatchLogTest, MicrosecondsAreNotZeroPadded) {
  // memcached prints tv_usec with %d; the line's time must equal the event's.
  WatchLog log;
  auto sub = log.Subscribe(kWatchFetchers, [] {});
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 50; ++i) log.ItemGet("k", WatchLog::GetStatus::kFound, 1, 5, 1);
  for (const LogEntry& e : (*sub)->Take()) {
    EXPECT_EQ(e.event->line.substr(0, e.event->line.find(' ')),
              "ts=" + std::to_string(e.event->ts_sec) + "." + std::to_string(e.event->ts_usec));
  }
  log.Unsubscribe(sub->get());
}

TEST(WatchLogTest, OnlyTheKindsASubscriberAskedFor) {
  WatchLog log;
  auto gets = log.Subscribe(kWatchFetchers, [] {});
  auto stores = log.Subscribe(kWatchMutations, [] {});
  ASSERT_TRUE(gets.ok() && stores.ok());
  log.ItemGet("k", WatchLog::GetStatus::kFound, 1, 5, 1);
  log.ItemStore("k", WatchLog::StoreStatus::kExists, "cas", 0, 1, 5, 1);
  const auto g = (*gets)->Take();
  const auto s = (*stores)->Take();
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(g[0].event->type, "item_get");
  EXPECT_EQ(s[0].event->type, "item_store");
  log.Unsubscribe(gets->get());
  log.Unsubscribe(stores->get());
}

TEST(WatchLogTest, AFullQueueSkipsAndTheNextEntrySaysHowMany) {
  WatchLog::Options options;
  options.watcher_buffer_bytes = 1024;
  WatchLog log(options);
  auto sub = log.Subscribe(kWatchFetchers, [] {});
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 100; ++i) log.ItemGet("key", WatchLog::GetStatus::kFound, 1, 5, 10);
  const auto first = (*sub)->Take();
  ASSERT_GT(first.size(), 0u);
  ASSERT_LT(first.size(), 100u);
  const uint64_t skipped = 100 - first.size();
  EXPECT_EQ(log.skipped(), skipped);
  EXPECT_EQ((*sub)->pending_skipped(), skipped);
  log.ItemGet("after", WatchLog::GetStatus::kNotFound, 0, 5, 0);
  const auto next = (*sub)->Take();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].skipped_before, skipped);
  EXPECT_EQ(next[0].event->key, "after");
  EXPECT_EQ((*sub)->pending_skipped(), 0u);
  log.Unsubscribe(sub->get());
}

TEST(WatchLogTest, TwentyWatchersAtMost) {
  WatchLog log;
  std::vector<std::shared_ptr<WatchSubscriber>> subs;
  for (int i = 0; i < 20; ++i) {
    auto s = log.Subscribe(kWatchFetchers, [] {});
    ASSERT_TRUE(s.ok());
    subs.push_back(*s);
  }
  auto refused = log.Subscribe(kWatchFetchers, [] {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  for (const auto& s : subs) log.Unsubscribe(s.get());
}

TEST(WatchLogTest, ManyPublishersOneReader) {
  WatchLog log;
  auto sub = log.Subscribe(kWatchMutations, [] {});
  ASSERT_TRUE(sub.ok());
  std::atomic<bool> stop{false};
  size_t received = 0;
  std::thread reader([&] {
    while (!stop) received += (*sub)->Take().size();
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&log] {
      for (int i = 0; i < 2000; ++i) {
        log.ItemStore("k", WatchLog::StoreStatus::kStored, "set", 0, 1, 5, 1);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  received += (*sub)->Take().size();
  EXPECT_EQ(received + log.skipped(), 8000u);
  EXPECT_EQ(log.written(), 8000u);
  log.Unsubscribe(sub->get());
}

}  // namespace
}  // namespace internal
}  // namespace server
}  // namespace memkit
