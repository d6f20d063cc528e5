// The client against the in-process FakeServer (server/fake_server.h): one
// black-box test per control, each asserting the status the client documents
// for it (client.h; docs/client.md "Errors" and "Failover semantics"), over
// the text, binary and meta protocols.
//
// Deterministic and quick: the fakes' clocks are frozen (expiry moves only
// with AdvanceClock), timeouts are short, failed servers are retried at once
// (retry_timeout 0) and nothing waits for readiness except by polling a
// condition with a deadline.

#include "server/fake_server.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "core/net/clock.h"
#include "core/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace client {
namespace {

using server::FakeServer;
using server::FakeServerOptions;
using ::testing::HasSubstr;

// Long enough that a healthy loopback call never misses it on a loaded
// two-core machine under ASan; short enough that the timeout tests are quick.
constexpr absl::Duration kIoTimeout = absl::Milliseconds(300);

std::string ProtocolParamName(const ::testing::TestParamInfo<Protocol>& info) {
  return ProtocolName(info.param);
}

StoreOptions Expiring(int32_t seconds) {
  StoreOptions o;
  o.exptime = seconds;
  return o;
}

std::unique_ptr<FakeServer> NewFake() {
  FakeServerOptions options;
  options.freeze_clock = true;
  auto fake = FakeServer::Create(options);
  EXPECT_TRUE(fake.ok()) << fake.status();
  return fake.ok() ? std::move(*fake) : nullptr;
}

// Every call reports its own outcome: a failed server is tried again at the
// next call (retry_timeout 0) and never declared dead (no failure limit),
// so no call fails fast with a "resting" Unavailable left by the previous one.
ClientOptions EveryCallOptions(Protocol protocol, std::vector<std::string> servers) {
  ClientOptions o;
  o.protocol = protocol;
  o.servers = std::move(servers);
  o.distribution = hash::Distribution::kKetama;
  o.io_timeout = kIoTimeout;
  o.connect_timeout = kIoTimeout;
  o.retry_timeout = absl::ZeroDuration();
  o.server_failure_limit = 0;
  return o;
}

std::unique_ptr<Client> NewClient(const ClientOptions& options) {
  auto c = Client::Create(options);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

// ---- one fake ---------------------------------------------------------------

class FakeServerClientTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    fake_ = NewFake();
    ASSERT_NE(fake_, nullptr);
    client_ = NewClient(EveryCallOptions(GetParam(), {fake_->address_string()}));
    ASSERT_NE(client_, nullptr);
  }

  // The value of `key`, or the failure as text (for EXPECT_EQ messages).
  std::string ValueOf(absl::string_view key) {
    absl::StatusOr<Item> item = client_->Get(key);
    return item.ok() ? item->value : item.status().ToString();
  }

  std::unique_ptr<FakeServer> fake_;
  std::unique_ptr<Client> client_;
};

TEST_P(FakeServerClientTest, FailNextCommandsIsOneServerErrorThenNormalService) {
  ASSERT_TRUE(client_->Set("k", "v").ok());

  fake_->FailNextCommands(1, "injected: disk on fire");
  absl::StatusOr<Item> got = client_->Get("k");
  EXPECT_TRUE(absl::IsInternal(got.status())) << got.status();
  EXPECT_EQ(GetMcCode(got.status()), McCode::kServerError);
  // Text and meta carry the text after "SERVER_ERROR ", binary the 0x0084
  // response's body.
  EXPECT_THAT(got.status().message(), HasSubstr("injected: disk on fire"));
  EXPECT_EQ(ValueOf("k"), "v");  // the same connection serves the next call

  fake_->FailNextCommands(1, "injected: disk on fire");
  absl::Status s = client_->Set("k", "w");
  EXPECT_EQ(GetMcCode(s), McCode::kServerError) << s;
  EXPECT_EQ(ValueOf("k"), "v");  // the failed set did not run
  EXPECT_TRUE(client_->Set("k", "w").ok());
  EXPECT_EQ(ValueOf("k"), "w");
}

TEST_P(FakeServerClientTest, FailNextCommandsWithOutOfMemoryText) {
  fake_->FailNextCommands(1, "out of memory storing object");
  absl::Status s = client_->Set("k", "v");
  // Text and meta: "SERVER_ERROR out of memory storing object"; binary:
  // status 0x0082, as memcached sends them.
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(GetMcCode(s), McCode::kOutOfMemory);
  EXPECT_TRUE(client_->Set("k", "v").ok());
}

TEST_P(FakeServerClientTest, LatencyBelowTheTimeoutOnlySlowsCalls) {
  ASSERT_TRUE(client_->Set("k", "v").ok());
  fake_->SetLatency(absl::Milliseconds(60));
  const absl::Time start = absl::Now();
  EXPECT_EQ(ValueOf("k"), "v");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(60));
}

TEST_P(FakeServerClientTest, LatencyBeyondTheTimeoutIsDeadlineExceeded) {
  ASSERT_TRUE(client_->Set("a", "1").ok());
  ASSERT_TRUE(client_->Set("b", "2").ok());
  // The reply to "a" comes out a little after the client gave up on it.
  const absl::Duration late = kIoTimeout + absl::Milliseconds(150);
  fake_->SetLatency(late);
  const absl::Time start = absl::Now();
  absl::StatusOr<Item> got = client_->Get("a");
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(got.status())) << got.status();
  EXPECT_EQ(GetMcCode(got.status()), McCode::kTimeout);
  EXPECT_THAT(got.status().message(), HasSubstr(fake_->address_string()));
  EXPECT_GE(took, kIoTimeout - absl::Milliseconds(20));  // it waited for io_timeout...
  EXPECT_LT(took, late);                                 // ...and not for the reply

  fake_->SetLatency(absl::ZeroDuration());
  // The client closed the timed-out connection, and the server lets go of it.
  // A client that kept it instead would find the late "VALUE a" waiting in it
  // (the text protocol has nothing else to tell replies apart): this poll
  // would then run out only after that reply was written, and the reads
  // below would see it.
  EXPECT_TRUE(test_support::Eventually([&] { return fake_->connection_count() == 0; },
                                       late + absl::Seconds(5)));
  EXPECT_EQ(ValueOf("b"), "2");
  EXPECT_EQ(ValueOf("a"), "1");
}

TEST_P(FakeServerClientTest, DroppedReplyTimesOutThatCallOnly) {
  ASSERT_TRUE(client_->Set("a", "1").ok());
  ASSERT_TRUE(client_->Set("b", "2").ok());

  fake_->DropNextReplies(1);
  absl::StatusOr<Item> got = client_->Get("a");
  EXPECT_TRUE(absl::IsDeadlineExceeded(got.status())) << got.status();
  EXPECT_EQ(GetMcCode(got.status()), McCode::kTimeout);
  EXPECT_EQ(ValueOf("b"), "2");  // its own reply, not a's

  // A dropped reply to a set: the set ran, only its answer was lost.
  fake_->DropNextReplies(1);
  absl::Status s = client_->Set("c", "3");
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_EQ(ValueOf("c"), "3");
  EXPECT_EQ(ValueOf("a"), "1");
}

TEST_P(FakeServerClientTest, RefusingOutageIsUnavailableNamingTheServer) {
  ASSERT_TRUE(client_->Set("k", "v").ok());
  ASSERT_TRUE(fake_->StartOutage(FakeServer::Outage::kRefuse).ok());
  // The open connection was closed under the client...
  absl::StatusOr<Item> got = client_->Get("k");
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  EXPECT_EQ(GetMcCode(got.status()), McCode::kConnectionError);
  EXPECT_THAT(got.status().message(), HasSubstr(fake_->address_string()));
  // ...and a new one is refused.
  absl::Status s = client_->Set("k", "w");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(fake_->address_string()));

  ASSERT_TRUE(fake_->EndOutage().ok());
  EXPECT_EQ(ValueOf("k"), "v");  // back, with its data
  EXPECT_TRUE(client_->Set("k", "w").ok());
}

TEST_P(FakeServerClientTest, ResettingOutageIsUnavailableNamingTheServer) {
  ASSERT_TRUE(client_->Set("k", "v").ok());
  ASSERT_TRUE(fake_->StartOutage(FakeServer::Outage::kReset).ok());
  // Reset under the client, then accepted and reset at once: both Unavailable.
  for (int call = 0; call < 2; ++call) {
    absl::StatusOr<Item> got = client_->Get("k");
    EXPECT_TRUE(absl::IsUnavailable(got.status())) << call << ": " << got.status();
    EXPECT_EQ(GetMcCode(got.status()), McCode::kConnectionError);
    EXPECT_THAT(got.status().message(), HasSubstr(fake_->address_string()));
  }
  ASSERT_TRUE(fake_->EndOutage().ok());
  EXPECT_EQ(ValueOf("k"), "v");
}

TEST_P(FakeServerClientTest, ClosedConnectionFailsOneCallThenReconnects) {
  // docs/client.md: an I/O error closes the connection and fails the call
  // (no transparent retry: the request may have run); the next call
  // reconnects (here at once, retry_timeout being 0).
  ASSERT_TRUE(client_->Set("k", "v").ok());
  for (bool reset : {false, true}) {
    SCOPED_TRACE(reset ? "RST" : "FIN");
    fake_->CloseAllConnections(reset);
    absl::StatusOr<Item> got = client_->Get("k");
    EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
    EXPECT_EQ(GetMcCode(got.status()), McCode::kConnectionError);
    EXPECT_THAT(got.status().message(), HasSubstr(fake_->address_string()));
    EXPECT_EQ(ValueOf("k"), "v");
  }
}

TEST_P(FakeServerClientTest, AdvanceClockExpiresItems) {
  ASSERT_TRUE(client_->Set("e", "v", Expiring(60)).ok());
  ASSERT_TRUE(client_->Set("forever", "v").ok());
  fake_->AdvanceClock(absl::Seconds(59));
  EXPECT_EQ(ValueOf("e"), "v");
  fake_->AdvanceClock(absl::Seconds(2));
  absl::StatusOr<Item> got = client_->Get("e");
  EXPECT_TRUE(absl::IsNotFound(got.status())) << got.status();
  EXPECT_EQ(ValueOf("forever"), "v");
}

TEST_P(FakeServerClientTest, TouchAndGatExtendTheExpiry) {
  for (const char* key : {"touched", "gat", "gats", "untouched"}) {
    ASSERT_TRUE(client_->Set(key, key, Expiring(60)).ok());
  }
  fake_->AdvanceClock(absl::Seconds(50));
  EXPECT_TRUE(client_->Touch("touched", 60).ok());
  absl::StatusOr<Item> gat = client_->GetAndTouch("gat", 60);
  ASSERT_TRUE(gat.ok()) << gat.status();
  EXPECT_EQ(gat->value, "gat");
  absl::StatusOr<Item> gats = client_->GetsAndTouch("gats", 60);
  ASSERT_TRUE(gats.ok()) << gats.status();
  EXPECT_NE(gats->cas, 0u);

  fake_->AdvanceClock(absl::Seconds(50));  // 100 s in: past the first 60 s
  EXPECT_TRUE(absl::IsNotFound(client_->Get("untouched").status()));
  EXPECT_EQ(ValueOf("touched"), "touched");
  EXPECT_EQ(ValueOf("gat"), "gat");
  EXPECT_EQ(ValueOf("gats"), "gats");

  fake_->AdvanceClock(absl::Seconds(11));  // 111 s in: past 50 + 60
  for (const char* key : {"touched", "gat", "gats"}) {
    EXPECT_TRUE(absl::IsNotFound(client_->Get(key).status())) << key;
  }
}

TEST_P(FakeServerClientTest, FlushEmptiesTheCache) {
  ASSERT_TRUE(client_->Set("k", "v").ok());
  fake_->Flush();
  EXPECT_TRUE(absl::IsNotFound(client_->Get("k").status()));
  EXPECT_TRUE(client_->Set("k", "v").ok());
}

INSTANTIATE_TEST_SUITE_P(All, FakeServerClientTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary, Protocol::kMeta),
                         ProtocolParamName);

// ---- four fakes ---------------------------------------------------------------

constexpr int kFakes = 4;
constexpr int kKeys = 40;

class FourFakesTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    std::vector<std::string> addresses;
    for (int i = 0; i < kFakes; ++i) {
      fakes_.push_back(NewFake());
      ASSERT_NE(fakes_.back(), nullptr);
      addresses.push_back(fakes_.back()->address_string());
    }
    options_ = EveryCallOptions(GetParam(), addresses);
    for (int i = 0; i < kKeys; ++i) keys_.push_back(absl::StrCat("key:", i));
    views_.assign(keys_.begin(), keys_.end());
  }

  // Stores every key (value = key) and returns the index of the fake that
  // holds keys_[0]: the one the test takes away.
  int Populate(Client& c) {
    std::vector<KeyValue> items;
    for (const std::string& k : keys_) items.push_back({k, k, 0});
    EXPECT_TRUE(c.SetMulti(items).ok());
    return FakeOf(c, keys_[0]);
  }

  int FakeOf(Client& c, absl::string_view key) {
    absl::StatusOr<std::string> where = c.ServerForKey(key);
    EXPECT_TRUE(where.ok()) << where.status();
    for (int i = 0; i < kFakes; ++i) {
      if (where.ok() && *where == fakes_[i]->address_string()) return i;
    }
    return -1;
  }

  std::vector<std::unique_ptr<FakeServer>> fakes_;
  ClientOptions options_;
  std::vector<std::string> keys_;
  std::vector<absl::string_view> views_;
};

TEST_P(FourFakesTest, GetMultiKeepsOtherServersHitsWhenOneIsDown) {
  auto client = NewClient(options_);
  ASSERT_NE(client, nullptr);
  const int dead = Populate(*client);
  ASSERT_GE(dead, 0);
  std::vector<bool> on_dead(kKeys);
  int dead_keys = 0;
  for (int i = 0; i < kKeys; ++i) {
    on_dead[i] = FakeOf(*client, keys_[i]) == dead;
    dead_keys += on_dead[i] ? 1 : 0;
  }
  ASSERT_LT(dead_keys, kKeys);  // the others hold some keys too

  ASSERT_TRUE(fakes_[dead]->StartOutage(FakeServer::Outage::kRefuse).ok());
  // Twice: first the connection closed under the client, then connect refused.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "closed" : "refused");
    MultiGetResult r;
    absl::Status s = client->GetMulti(views_, &r);
    EXPECT_TRUE(absl::IsUnavailable(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr(fakes_[dead]->address_string()));
    ASSERT_EQ(r.size(), static_cast<size_t>(kKeys));
    EXPECT_EQ(r.hits(), static_cast<size_t>(kKeys - dead_keys));
    for (int i = 0; i < kKeys; ++i) {
      if (on_dead[i]) {
        EXPECT_TRUE(absl::IsUnavailable(r.status(i))) << keys_[i] << ": " << r.status(i);
        EXPECT_FALSE(r.hit(i)) << keys_[i];
      } else {
        EXPECT_TRUE(r.status(i).ok()) << keys_[i] << ": " << r.status(i);
        ASSERT_TRUE(r.hit(i)) << keys_[i];
        EXPECT_EQ(r.value(i), keys_[i]);
      }
    }
  }
  ItemMap found;
  EXPECT_TRUE(absl::IsUnavailable(client->GetMulti(views_, &found)));
  EXPECT_EQ(found.size(), static_cast<size_t>(kKeys - dead_keys));

  ASSERT_TRUE(fakes_[dead]->EndOutage().ok());
  MultiGetResult r;
  EXPECT_TRUE(client->GetMulti(views_, &r).ok());
  EXPECT_EQ(r.hits(), static_cast<size_t>(kKeys));
}

TEST_P(FourFakesTest, AutoEjectMovesKeysToLiveServersAndBringsThemBack) {
  ClientOptions o = options_;
  o.auto_eject_hosts = true;
  o.server_failure_limit = 2;
  o.dead_timeout = absl::Seconds(30);
  net::ManualClock clock;  // the client's dead timer: moved below, not waited for
  o.clock = &clock;
  auto client = NewClient(o);
  ASSERT_NE(client, nullptr);
  const int dead = Populate(*client);
  ASSERT_GE(dead, 0);
  const std::string dead_address = fakes_[dead]->address_string();
  const std::string moved_key = keys_[0];

  ASSERT_TRUE(fakes_[dead]->StartOutage(FakeServer::Outage::kRefuse).ok());
  // Two consecutive failures (closed, then refused): dead and ejected.
  for (int call = 0; call < 2; ++call) {
    absl::StatusOr<Item> got = client->Get(moved_key);
    EXPECT_TRUE(absl::IsUnavailable(got.status())) << call << ": " << got.status();
  }
  EXPECT_TRUE(client->IsEjected(static_cast<size_t>(dead)));
  const int moved_to = FakeOf(*client, moved_key);
  EXPECT_NE(moved_to, dead);
  EXPECT_GE(moved_to, 0);
  // Its keys are served by the live servers now: misses there at first, then
  // whatever is written.
  EXPECT_TRUE(absl::IsNotFound(client->Get(moved_key).status()));
  ASSERT_TRUE(client->Set(moved_key, "moved").ok());
  MultiGetResult r;
  EXPECT_TRUE(client->GetMulti(views_, &r).ok());  // every placed server answers
  ASSERT_EQ(r.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(r.value(0), "moved");

  ASSERT_TRUE(fakes_[dead]->EndOutage().ok());
  // Restored exactly when dead_timeout has passed on the client's clock.
  clock.Advance(o.dead_timeout - absl::Milliseconds(1));
  EXPECT_NE(FakeOf(*client, moved_key), dead);
  EXPECT_TRUE(client->IsEjected(static_cast<size_t>(dead)));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(FakeOf(*client, moved_key), dead);
  EXPECT_FALSE(client->IsEjected(static_cast<size_t>(dead)));
  // Back on its own server, which kept its data through the outage.
  absl::StatusOr<Item> back = client->Get(moved_key);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->value, moved_key);
  EXPECT_TRUE(client->GetMulti(views_, &r).ok());
}

INSTANTIATE_TEST_SUITE_P(All, FourFakesTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary, Protocol::kMeta),
                         ProtocolParamName);

}  // namespace
}  // namespace client
}  // namespace memkit
