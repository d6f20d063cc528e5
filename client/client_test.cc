// Client against real servers: every operation, over the text, binary and
// meta protocols, with one server and with four, on each backend: real
// memcached and memkit-server (client/testing/backend.h). The same cases run
// unchanged on both; a case that fails on only one backend is a bug in that
// server (or in the client's reliance on a quirk of the other).

#include "client/client.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/testing/backend.h"
#include "client/testing/memcached_process.h"
#include "core/status/status.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace client {
namespace {

using testing::Backend;
using testing::MemcachedProcess;

struct Param {
  Backend backend;
  Protocol protocol;
  int servers;
};

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return absl::StrCat(testing::BackendName(info.param.backend), "_",
                      ProtocolName(info.param.protocol), info.param.servers);
}

std::vector<Param> AllParams() {
  std::vector<Param> params;
  for (Backend b : testing::AllBackends()) {
    for (Protocol p : {Protocol::kText, Protocol::kBinary, Protocol::kMeta}) {
      params.push_back({b, p, 1});
      params.push_back({b, p, 4});
    }
  }
  return params;
}

// Four servers per backend, started once for the whole suite (every
// parameter), flushed before each test.
struct BackendServers {
  absl::Status status;  // why they could not be started
  std::vector<std::unique_ptr<MemcachedProcess>> processes;
};

class ClientTest : public ::testing::TestWithParam<Param> {
 protected:
  static void SetUpTestSuite() {
    for (Backend b : testing::AllBackends()) {
      BackendServers& s = (*backends_)[static_cast<int>(b)];
      if (testing::SystemServerMissing(b)) continue;
      auto options = testing::BackendOptions(b);
      if (!options.ok()) {
        s.status = options.status();
        continue;
      }
      for (int i = 0; i < 4 && s.status.ok(); ++i) {
        auto p = MemcachedProcess::Start(*options);
        if (p.ok()) {
          s.processes.push_back(std::move(*p));
        } else {
          s.status = p.status();
        }
      }
    }
  }
  static void TearDownTestSuite() {
    for (BackendServers& s : *backends_) s = BackendServers();
  }

  std::vector<std::unique_ptr<MemcachedProcess>>& Servers() const {
    return (*backends_)[static_cast<int>(GetParam().backend)].processes;
  }

  void SetUp() override {
    const Backend backend = GetParam().backend;
    if (testing::SystemServerMissing(backend)) {
      GTEST_SKIP() << "no /usr/bin/memcached";
    }
    const BackendServers& s = (*backends_)[static_cast<int>(backend)];
    ASSERT_TRUE(s.status.ok()) << testing::BackendName(backend) << ": " << s.status;
    ASSERT_EQ(s.processes.size(), 4u);
    options_.protocol = GetParam().protocol;
    options_.distribution = hash::Distribution::kKetama;
    for (int i = 0; i < GetParam().servers; ++i) {
      options_.servers.push_back(Servers()[i]->address());
    }
    auto c = Client::Create(options_);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
    ASSERT_TRUE(client_->FlushAll().ok());
  }

  std::unique_ptr<Client> NewClient(ClientOptions o) {
    auto c = Client::Create(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Indexed by Backend.
  static std::vector<BackendServers>* backends_;
  ClientOptions options_;
  std::unique_ptr<Client> client_;
};

std::vector<BackendServers>* ClientTest::backends_ =
    new std::vector<BackendServers>(testing::AllBackends().size());

TEST_P(ClientTest, SetGetDelete) {
  Client& c = *client_;
  StoreOptions o;
  o.flags = 42;
  ASSERT_TRUE(c.Set("alpha", "one", o).ok());
  auto item = c.Get("alpha");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "one");
  EXPECT_EQ(item->flags, 42u);
  std::string v;
  uint32_t flags = 0;
  ASSERT_TRUE(c.Get("alpha", &v, &flags).ok());
  EXPECT_EQ(v, "one");
  EXPECT_EQ(flags, 42u);
  EXPECT_TRUE(c.Delete("alpha").ok());
  EXPECT_TRUE(absl::IsNotFound(c.Get("alpha").status()));
  EXPECT_TRUE(absl::IsNotFound(c.Delete("alpha")));
  EXPECT_EQ(GetMcCode(c.Delete("alpha")), McCode::kNotFound);
}

TEST_P(ClientTest, EmptyAndLargeValues) {
  Client& c = *client_;
  ASSERT_TRUE(c.Set("empty", "").ok());
  auto item = c.Get("empty");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "");
  std::string big(500 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(c.Set("big", big).ok());
  item = c.Get("big");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, big);
  // Over memcached's 1 MiB item limit: refused, connection still usable.
  absl::Status s = c.Set("huge", std::string(2 << 20, 'h'));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(c.Set("after", "ok").ok());
  EXPECT_EQ(c.Get("after")->value, "ok");
}

TEST_P(ClientTest, AddReplaceAppendPrepend) {
  Client& c = *client_;
  EXPECT_TRUE(c.Add("k", "a").ok());
  absl::Status s = c.Add("k", "b");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(GetMcCode(s), McCode::kNotStored);
  EXPECT_TRUE(c.Replace("k", "c").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(c.Replace("missing", "x")));
  EXPECT_TRUE(c.Append("k", "z").ok());
  EXPECT_TRUE(c.Prepend("k", "y").ok());
  EXPECT_EQ(c.Get("k")->value, "ycz");
  EXPECT_TRUE(absl::IsFailedPrecondition(c.Append("missing", "x")));
}

TEST_P(ClientTest, CasConflictAndMiss) {
  Client& c = *client_;
  ASSERT_TRUE(c.Set("c", "1").ok());
  auto item = c.Gets("c");
  ASSERT_TRUE(item.ok());
  EXPECT_NE(item->cas, 0u);
  EXPECT_TRUE(c.Cas("c", "2", item->cas).ok());
  absl::Status s = c.Cas("c", "3", item->cas);
  EXPECT_TRUE(absl::IsAborted(s)) << s;
  EXPECT_EQ(c.Get("c")->value, "2");
  EXPECT_TRUE(absl::IsNotFound(c.Cas("nothere", "x", 12345)));
}

TEST_P(ClientTest, IncrDecrWithInitial) {
  Client& c = *client_;
  EXPECT_TRUE(absl::IsNotFound(c.Incr("n", 1).status()));
  CounterOptions o;
  o.initial = 10;
  auto v = c.Incr("n", 5, o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 10u);  // created with the initial value
  v = c.Incr("n", 5);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 15u);
  v = c.Decr("n", 20);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0u);  // decr stops at 0
  ASSERT_TRUE(c.Set("text", "abc").ok());
  absl::Status s = c.Incr("text", 1).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TEST_P(ClientTest, TouchAndGat) {
  Client& c = *client_;
  ASSERT_TRUE(c.Set("t", "v").ok());
  EXPECT_TRUE(c.Touch("t", 100).ok());
  EXPECT_TRUE(absl::IsNotFound(c.Touch("nothere", 100)));
  auto item = c.GetAndTouch("t", 100);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "v");
  item = c.GetsAndTouch("t", 100);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_NE(item->cas, 0u);
  EXPECT_TRUE(absl::IsNotFound(c.GetAndTouch("nothere", 1).status()));
  // A negative expiry expires the item at once.
  ASSERT_TRUE(c.Touch("t", -1).ok());
  EXPECT_TRUE(absl::IsNotFound(c.Get("t").status()));
}

TEST_P(ClientTest, MultiGetSetDelete) {
  Client& c = *client_;
  std::vector<std::string> keys, values;
  std::vector<KeyValue> items;
  for (int i = 0; i < 300; ++i) keys.push_back(absl::StrCat("multi:", i));
  for (int i = 0; i < 300; ++i) values.push_back(keys[i] + "=v");
  for (int i = 0; i < 300; i += 2) items.push_back({keys[i], values[i], uint32_t(i)});
  std::vector<absl::Status> per_key;
  ASSERT_TRUE(c.SetMulti(items, {}, &per_key).ok());
  ASSERT_EQ(per_key.size(), items.size());
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  ItemMap found;
  ASSERT_TRUE(c.GetMulti(views, &found).ok());
  ASSERT_EQ(found.size(), 150u);
  for (int i = 0; i < 300; i += 2) {
    auto it = found.find(keys[i]);
    ASSERT_NE(it, found.end()) << keys[i];
    EXPECT_EQ(it->second.value, keys[i] + "=v");
    EXPECT_EQ(it->second.flags, uint32_t(i));
  }
  ItemMap with_cas;
  ASSERT_TRUE(c.GetsMulti(views, &with_cas).ok());
  for (auto& kv : with_cas) EXPECT_NE(kv.second.cas, 0u) << kv.first;
  ASSERT_TRUE(c.DeleteMulti({views[0], views[1]}, &per_key).ok() == false);
  EXPECT_TRUE(per_key[0].ok());
  EXPECT_TRUE(absl::IsNotFound(per_key[1]));
  found.clear();
  ASSERT_TRUE(c.GetMulti(views, &found).ok());
  EXPECT_EQ(found.size(), 149u);
  // A bad key fails alone; the others are still fetched.
  found.clear();
  const std::string bad(251, 'k');
  absl::Status s = c.GetMulti({bad, views[2]}, &found);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(found.size(), 1u);
}

TEST_P(ClientTest, MultiGetIntoReusedResult) {
  Client& c = *client_;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back(absl::StrCat("reuse:", i));
  std::vector<KeyValue> items;
  for (int i = 0; i < 300; i += 2) items.push_back({keys[i], keys[i], uint32_t(i)});
  ASSERT_TRUE(c.SetMulti(items).ok());
  ASSERT_TRUE(c.Set("reuse:empty", "").ok());
  std::vector<absl::string_view> views(keys.begin(), keys.end());

  MultiGetResult r;
  ASSERT_TRUE(c.GetMulti(views, &r).ok());
  ASSERT_EQ(r.size(), 300u);
  EXPECT_EQ(r.hits(), 150u);
  for (size_t i = 0; i < 300; ++i) {
    EXPECT_TRUE(r.status(i).ok()) << i;
    if (i % 2 == 0) {
      ASSERT_TRUE(r.hit(i)) << keys[i];
      EXPECT_EQ(r.value(i), keys[i]);
      EXPECT_EQ(r.flags(i), uint32_t(i));
    } else {
      EXPECT_FALSE(r.hit(i)) << keys[i];
      EXPECT_EQ(r.value(i), "");
    }
  }
  ASSERT_TRUE(c.GetsMulti(views, &r).ok());
  for (size_t i = 0; i < 300; i += 2) EXPECT_NE(r.cas(i), 0u) << keys[i];

  // A smaller call replaces everything; order is the call's; an empty value
  // is a hit; a key asked twice is answered twice.
  ASSERT_TRUE(c.GetMulti({views[1], "reuse:empty", views[0], views[0]}, &r).ok());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r.hits(), 3u);
  EXPECT_FALSE(r.hit(0));
  EXPECT_TRUE(r.hit(1));
  EXPECT_EQ(r.value(1), "");
  EXPECT_TRUE(r.hit(2));
  EXPECT_EQ(r.value(2), keys[0]);
  EXPECT_TRUE(r.hit(3));
  EXPECT_EQ(r.value(3), keys[0]);

  // A bad key fails alone, with its own status; the others are fetched.
  const std::string bad(251, 'k');
  absl::Status s = c.GetMulti({bad, views[2]}, &r);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status(0)));
  EXPECT_FALSE(r.hit(0));
  EXPECT_TRUE(r.status(1).ok());
  EXPECT_EQ(r.value(1), keys[2]);

  ASSERT_TRUE(c.GetMulti({}, &r).ok());
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.hits(), 0u);
}

TEST_P(ClientTest, MultiGetOfLargeValuesAcrossReads) {
  // Replies far larger than one read: several reads per server, values that
  // straddle reads, and the result's buffer growing mid-call.
  Client& c = *client_;
  std::vector<std::string> keys, values;
  for (int i = 0; i < 12; ++i) {
    keys.push_back(absl::StrCat("big:", i));
    values.push_back(std::string(150 * 1024 + static_cast<size_t>(i) * 977, char('a' + i)));
    ASSERT_TRUE(c.Set(keys.back(), values.back()).ok()) << i;
  }
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  MultiGetResult r;
  ASSERT_TRUE(c.GetMulti(views, &r).ok());
  ASSERT_EQ(r.hits(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(r.value(i) == values[i]) << keys[i];
  ItemMap found;
  ASSERT_TRUE(c.GetMulti(views, &found).ok());
  ASSERT_EQ(found.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(found[keys[i]].value == values[i]);
}

TEST_P(ClientTest, UnverifiedKeysStillCannotBreakTheLine) {
  // verify_keys off checks only the length, as libmemcached does; the text
  // and meta codecs must still refuse a key that would split the command.
  if (GetParam().protocol == Protocol::kBinary) GTEST_SKIP() << "binary keys are any bytes";
  ClientOptions opts = options_;
  opts.verify_keys = false;
  auto loose = NewClient(opts);
  ASSERT_TRUE(client_->Set("loose:ok", "v").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(loose->Get("loose:ok flush_all").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(loose->Set("a\r\nflush_all", "v")));
  MultiGetResult r;
  absl::Status s = loose->GetMulti({"a b", "loose:ok", "c\nd"}, &r);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status(0)));
  EXPECT_TRUE(absl::IsInvalidArgument(r.status(2)));
  EXPECT_EQ(r.value(1), "v");
  EXPECT_EQ(loose->Get("loose:ok")->value, "v");  // and the stream is in step
}

TEST_P(ClientTest, ByKeyUsesMasterKeyServer) {
  Client& c = *client_;
  ASSERT_TRUE(c.SetByKey("user:7", "user:7:name", "ann").ok());
  ASSERT_TRUE(c.SetByKey("user:7", "user:7:mail", "a@x").ok());
  EXPECT_EQ(c.GetByKey("user:7", "user:7:name")->value, "ann");
  ItemMap found;
  ASSERT_TRUE(c.GetMultiByKey("user:7", {"user:7:name", "user:7:mail"}, &found).ok());
  EXPECT_EQ(found.size(), 2u);
  EXPECT_TRUE(c.DeleteByKey("user:7", "user:7:mail").ok());
  // Placed by the master key, so a plain Get finds it only if both keys map
  // to the same server; with one server they always do.
  if (GetParam().servers == 1) {
    EXPECT_EQ(c.Get("user:7:name")->value, "ann");
  }
}

TEST_P(ClientTest, NoreplyPerCallAndBehavior) {
  Client& c = *client_;
  StoreOptions o;
  o.noreply = true;
  ASSERT_TRUE(c.Set("nr", "1", o).ok());
  ASSERT_TRUE(c.Add("nr", "2", o).ok());  // refused silently
  EXPECT_EQ(c.Get("nr")->value, "1");     // and the stream stays in step
  ClientOptions opts = options_;
  opts.noreply = true;
  auto quiet = NewClient(opts);
  ASSERT_TRUE(quiet->Set("nr2", "x").ok());
  ASSERT_TRUE(quiet->Delete("missing").ok());
  EXPECT_EQ(quiet->Get("nr2")->value, "x");
}

TEST_P(ClientTest, PrefixAndBadKeys) {
  ClientOptions opts = options_;
  opts.prefix = "ns:";
  opts.hash_with_prefix = true;  // placed by "ns:k", as client_ places it
  auto prefixed = NewClient(opts);
  ASSERT_TRUE(prefixed->Set("k", "v").ok());
  EXPECT_EQ(client_->Get("ns:k")->value, "v");
  EXPECT_EQ(prefixed->Get("k")->value, "v");
  // libmemcached's default: placed by the key without its prefix.
  opts.hash_with_prefix = false;
  auto by_key = NewClient(opts);
  ASSERT_TRUE(by_key->Set("other", "w").ok());
  EXPECT_EQ(by_key->Get("other")->value, "w");
  EXPECT_EQ(*by_key->ServerForKey("other"), *client_->ServerForKey("other"));
  ItemMap found;
  ASSERT_TRUE(prefixed->GetMulti({"k"}, &found).ok());
  EXPECT_EQ(found.count("k"), 1u);
  if (GetParam().protocol != Protocol::kBinary) {
    EXPECT_TRUE(absl::IsInvalidArgument(client_->Set("a b", "v")));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(client_->Set(std::string(251, 'k'), "v")));
  EXPECT_TRUE(absl::IsInvalidArgument(client_->Get("").status()));
  EXPECT_EQ(GetMcCode(client_->Get("").status()), McCode::kBadKey);
}

TEST_P(ClientTest, TypedValues) {
  Client& c = *client_;
  ASSERT_TRUE(c.SetValue("i", value::Value::Int(-42)).ok());
  ASSERT_TRUE(c.SetValue("s", value::Value::Text("héllo")).ok());
  ASSERT_TRUE(c.SetValue("b", value::Value::Bool(true)).ok());
  auto i = c.GetValue("i");
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->int_value(), -42);
  EXPECT_EQ(c.GetValue("s")->data(), "héllo");
  EXPECT_TRUE(c.GetValue("b")->bool_value() || c.GetValue("b")->int_value() == 1);
}

TEST_P(ClientTest, PerServerCommands) {
  Client& c = *client_;
  auto versions = c.Versions();
  ASSERT_EQ(versions.size(), size_t(GetParam().servers));
  for (auto& v : versions) {
    ASSERT_TRUE(v.version.ok()) << v.version.status();
    EXPECT_FALSE(v.version->empty());
  }
  auto stats = c.Stats();
  ASSERT_EQ(stats.size(), size_t(GetParam().servers));
  bool saw_pid = false;
  for (auto& kv : stats[0].stats) saw_pid |= kv.first == "pid";
  EXPECT_TRUE(saw_pid);
  auto settings = c.Stats("settings");
  EXPECT_TRUE(settings[0].status.ok()) << settings[0].status;
  EXPECT_FALSE(settings[0].stats.empty());
  if (GetParam().protocol != Protocol::kBinary) {
    EXPECT_TRUE(c.Verbosity(0).ok());
  }
  ASSERT_TRUE(c.Set("f", "v").ok());
  EXPECT_TRUE(c.FlushAll().ok());
  EXPECT_TRUE(absl::IsNotFound(c.Get("f").status()));
  ASSERT_TRUE(c.Set("f", "v").ok());
  EXPECT_TRUE(c.FlushAll(100).ok());  // delayed: still there now
  EXPECT_EQ(c.Get("f")->value, "v");
  EXPECT_TRUE(c.FlushAll().ok());
}

TEST_P(ClientTest, ReplicasWriteEverywhereAndReadBack) {
  if (GetParam().servers < 2) GTEST_SKIP();
  ClientOptions opts = options_;
  opts.replicas = 1;
  opts.randomize_replica_read = true;
  auto rep = NewClient(opts);
  ASSERT_TRUE(rep->Set("r", "copy").ok());
  // Every server that has it: the primary and its successor.
  int copies = 0;
  for (int i = 0; i < GetParam().servers; ++i) {
    ClientOptions one = options_;
    one.servers = {Servers()[i]->address()};
    auto single = NewClient(one);
    copies += single->Get("r").ok() ? 1 : 0;
  }
  EXPECT_EQ(copies, 2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rep->Get("r")->value, "copy");
  EXPECT_TRUE(rep->Delete("r").ok());
  EXPECT_TRUE(absl::IsNotFound(rep->Get("r").status()));
}

TEST_P(ClientTest, BufferedRequestsGoOutWithTheNextRoundTrip) {
  ClientOptions opts = options_;
  opts.buffer_requests = true;
  auto buffered = NewClient(opts);
  ASSERT_TRUE(buffered->Set("buf", "1").ok());
  ASSERT_TRUE(buffered->Set("buf", "2").ok());
  EXPECT_TRUE(absl::IsNotFound(client_->Get("buf").status()));  // held back
  EXPECT_EQ(buffered->Get("buf")->value, "2");                  // same server: sent first, in order
  ASSERT_TRUE(buffered->Set("buf", "3").ok());
  ASSERT_TRUE(buffered->Flush().ok());
  // Sent now; another connection sees it once memcached has read it.
  test_support::Eventually([&] {
    auto item = client_->Get("buf");
    return item.ok() && item->value == "3";
  });
  EXPECT_EQ(client_->Get("buf")->value, "3");
}

INSTANTIATE_TEST_SUITE_P(All, ClientTest, ::testing::ValuesIn(AllParams()), ParamName);

}  // namespace
}  // namespace client
}  // namespace memkit

namespace memkit {
namespace client {
namespace {

TEST(ClientOptionsTest, BadOptionsAreInvalidArgument) {
  ClientOptions o;
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Create(o).status()));  // no servers
  o.servers = {"host:notaport"};
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Create(o).status()));
  o.servers = {"a:1", "b:2"};
  o.replicas = 2;
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Create(o).status()));
  o.replicas = 0;
  o.prefix = "bad prefix";
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Create(o).status()));
}

TEST(ClientOptionsTest, ServerFormsParse) {
  ClientOptions o;
  o.servers = {"[::1]:11311:2", "/tmp/none.sock", "unix:/tmp/other.sock", "h1:11212, h2"};
  auto c = Client::Create(o);
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.push_back(*(*c)->ServerForKey(absl::StrCat("k", i)));
  auto has = [&](const std::string& s) {
    return std::find(seen.begin(), seen.end(), s) != seen.end();
  };
  EXPECT_TRUE(has("[::1]:11311"));
  EXPECT_TRUE(has("/tmp/none.sock"));
  EXPECT_TRUE(has("/tmp/other.sock"));
  EXPECT_TRUE(has("h1:11212"));
  EXPECT_TRUE(has("h2:11211"));
}

class ClientUnixSocketTest : public ::testing::TestWithParam<Backend> {};

TEST_P(ClientUnixSocketTest, WorksOverAUnixSocket) {
  if (testing::SystemServerMissing(GetParam())) GTEST_SKIP() << "no /usr/bin/memcached";
  testing::MemcachedOptions base;
  // Bazel's TEST_TMPDIR can exceed sun_path's 107 bytes.
  base.unix_path = absl::StrCat("/tmp/memkit-client-test-", getpid(), "-",
                                testing::BackendName(GetParam()), ".sock");
  auto mo = testing::BackendOptions(GetParam(), base);
  ASSERT_TRUE(mo.ok()) << mo.status();
  auto server = MemcachedProcess::Start(*mo);
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions o;
  o.servers = {(*server)->address()};
  auto c = *Client::Create(o);
  ASSERT_TRUE(c->Set("u", "nix").ok());
  EXPECT_EQ(c->Get("u")->value, "nix");
}

INSTANTIATE_TEST_SUITE_P(All, ClientUnixSocketTest, ::testing::ValuesIn(testing::AllBackends()),
                         testing::BackendParamName);

}  // namespace
}  // namespace client
}  // namespace memkit
