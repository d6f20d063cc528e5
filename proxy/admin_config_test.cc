// memkit-proxy's admin Config service over the reloadable route table,
// black-box: the binary with --config and --admin-listen over real memcached
// servers (OS-chosen ports, stopped by the test). ValidateConfig applies
// nothing; ReloadConfig swaps the config under load with no failed request;
// a refused config names its field and the old one keeps serving; "" re-reads
// the file; Pools/Stats follow the current pools; a pool left unchanged by a
// reload keeps its runtime membership; binary clients reach a meta pool
// through a composite route after a reload.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/admin_test_util.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_parser.h"
#include "gtest/gtest.h"
#include "proxy/proxy_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"

namespace memkit {
namespace proxy {
namespace {

namespace v1 = ::memkit::admin::v1;
using protocol::BinaryOpcode;
using test_support::ServerProcess;
using testing::Conn;
using ::memkit::admin::testing::PortAfter;

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// {"name": NAME, "servers": [ADDRESSES]} plus `extra` fields.
std::string PoolJson(const std::string& name, const std::vector<std::string>& addresses,
                     const std::string& extra = "") {
  std::vector<std::string> quoted;
  for (const auto& a : addresses) quoted.push_back(Quoted(a));
  return absl::StrCat("{\"name\": ", Quoted(name), ", \"servers\": [", absl::StrJoin(quoted, ","),
                      "]", extra.empty() ? "" : ", ", extra, "}");
}

class ProxyAdminConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backends = testing::StartMemcached(3);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = std::move(*backends);
    auto dir = test_support::ScratchDir::Create("proxy-admin-config-test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
    config_path_ = dir_->path() + "/proxy.json";
  }

  void WriteConfig(const std::string& pools, const std::string& route = "") {
    std::ofstream(config_path_) << "{\"threads\": 2, \"pools\": [" << pools << "]"
                                << (route.empty() ? "" : ", \"route\": ") << route << "}";
  }

  void StartProxy() {
    auto proxy = testing::StartProxy(
        {"--config", config_path_, "--admin-listen=127.0.0.1:0"});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    const int port = PortAfter(proxy_->LogTail(), "admin-listen: 127.0.0.1:");
    ASSERT_NE(port, 0) << proxy_->LogTail();
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    config_ = v1::Config::NewStub(channel);
    pools_ = v1::Pools::NewStub(channel);
  }

  v1::ValidateConfigResponse Validate(const std::string& json) {
    v1::ValidateConfigRequest req;
    req.set_config_json(json);
    v1::ValidateConfigResponse resp;
    auto ctx = admin::testing::MakeContext();
    grpc::Status s = config_->ValidateConfig(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  v1::ReloadConfigResponse Reload(const std::string& json) {
    v1::ReloadConfigRequest req;
    req.set_config_json(json);
    v1::ReloadConfigResponse resp;
    auto ctx = admin::testing::MakeContext();
    grpc::Status s = config_->ReloadConfig(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::vector<std::string> PoolNames() {
    v1::ListPoolsResponse resp;
    auto ctx = admin::testing::MakeContext();
    EXPECT_TRUE(pools_->ListPools(ctx.get(), v1::ListPoolsRequest(), &resp).ok());
    std::vector<std::string> names;
    for (const auto& p : resp.pools()) names.push_back(p.name());
    return names;
  }

  std::vector<std::string> Members(const std::string& pool) {
    v1::GetPoolRequest req;
    req.set_pool(pool);
    v1::GetPoolResponse resp;
    auto ctx = admin::testing::MakeContext();
    grpc::Status s = pools_->GetPool(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const auto& m : resp.pool().servers()) out.push_back(m.address());
    return out;
  }

  // True when backend `b` holds `key` (asked directly, in text).
  bool Holds(size_t b, const std::string& key) {
    auto c = Conn::Open(backends_[b]->port());
    if (!c.ok()) return false;
    return absl::StartsWith((*c)->Call("get " + key + "\r\n", "END\r\n"), "VALUE");
  }

  bool SetThroughProxy(const std::string& key) {
    auto c = Conn::Open(proxy_->port());
    return c.ok() && (*c)->Call(absl::StrCat("set ", key, " 0 0 1\r\nx\r\n")) == "STORED\r\n";
  }

  std::vector<std::unique_ptr<ServerProcess>> backends_;
  std::unique_ptr<test_support::ScratchDir> dir_;
  std::string config_path_;
  std::unique_ptr<ServerProcess> proxy_;
  std::unique_ptr<v1::Config::Stub> config_;
  std::unique_ptr<v1::Pools::Stub> pools_;
};

TEST_F(ProxyAdminConfigTest, ValidateAppliesNothingReloadSwapsUnderLoadWithoutFailures) {
  WriteConfig(PoolJson("a", {backends_[0]->address()}));
  StartProxy();
  // Only "b" gets backends_[1]; the route moves everything there.
  const std::string next =
      absl::StrCat("{\"pools\": [", PoolJson("a", {backends_[0]->address()}), ",",
                   PoolJson("b", {backends_[1]->address()}), "], \"route\": {\"pool\": \"b\"}}");

  v1::ValidateConfigResponse v = Validate(next);
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.errors_size(), 0);
  std::vector<std::string> changes(v.changes().begin(), v.changes().end());
  EXPECT_NE(std::find(changes.begin(), changes.end(), "pool \"b\": added"), changes.end())
      << absl::StrJoin(changes, "; ");
  EXPECT_NE(std::find(changes.begin(), changes.end(), "route: changed"), changes.end());
  // Nothing applied: one pool, and keys still land on "a".
  EXPECT_EQ(PoolNames(), std::vector<std::string>{"a"});
  ASSERT_TRUE(SetThroughProxy("before"));
  EXPECT_TRUE(Holds(0, "before"));
  EXPECT_FALSE(Holds(1, "before"));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::string first_failure;
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&, t] {
      auto c = Conn::Open(proxy_->port());
      if (!c.ok()) {
        failed.fetch_add(1);
        return;
      }
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = absl::StrCat("load:", t, ":", i % 50);
        const std::string set = (*c)->Call(absl::StrCat("set ", key, " 0 0 2\r\nok\r\n"));
        const std::string get = (*c)->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n");
        // The reload may move a key between the set and the get: a miss is
        // fine, an error is a failure.
        if (set == "STORED\r\n" && (absl::StartsWith(get, "VALUE") || get == "END\r\n")) {
          ok.fetch_add(1);
        } else if (failed.fetch_add(1) == 0) {
          first_failure = set + get;
        }
      }
    });
  }
  ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > 300; }));
  // Back and forth a few times under load.
  const std::string back = absl::StrCat("{\"pools\": [", PoolJson("a", {backends_[0]->address()}),
                                        "]}");
  for (int round = 0; round < 3; ++round) {
    v1::ReloadConfigResponse r = Reload(next);
    EXPECT_TRUE(r.applied()) << (r.errors_size() > 0 ? r.errors(0).message() : "");
    const int mark = ok.load();
    ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > mark + 100; }));
    if (round < 2) {
      r = Reload(back);
      EXPECT_TRUE(r.applied());
      const int mark2 = ok.load();
      ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > mark2 + 100; }));
    }
  }
  stop.store(true);
  for (auto& t : load) t.join();
  EXPECT_EQ(failed.load(), 0) << first_failure;

  // The last reload is in effect, and the admin API sees the new pools.
  ASSERT_TRUE(SetThroughProxy("after"));
  EXPECT_TRUE(Holds(1, "after"));
  EXPECT_FALSE(Holds(0, "after"));
  EXPECT_EQ(PoolNames(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Members("b"), std::vector<std::string>{backends_[1]->address()});
  auto c = Conn::Open(proxy_->port());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(absl::StrContains((*c)->Call("stats proxy\r\n", "END\r\n"), "proxy:reloads 5\r\n"));
}

TEST_F(ProxyAdminConfigTest, RefusedConfigNamesTheFieldAndTheOldOneKeepsServing) {
  WriteConfig(PoolJson("a", {backends_[0]->address()}));
  StartProxy();
  // The second pool's protocol is wrong: every pool's is checked.
  const std::string bad =
      absl::StrCat("{\"pools\": [", PoolJson("a", {backends_[0]->address()}), ",",
                   PoolJson("b", {backends_[1]->address()}, "\"backendProtocol\": \"grpc\""),
                   "], \"route\": {\"pool\": \"b\"}}");
  v1::ValidateConfigResponse v = Validate(bad);
  EXPECT_FALSE(v.valid());
  ASSERT_EQ(v.errors_size(), 1);
  EXPECT_EQ(v.errors(0).path(), "pools[1].backend_protocol");
  EXPECT_TRUE(absl::StrContains(v.errors(0).message(), "grpc")) << v.errors(0).message();

  v1::ReloadConfigResponse r = Reload(bad);
  EXPECT_FALSE(r.applied());
  ASSERT_EQ(r.errors_size(), 1);
  EXPECT_EQ(r.errors(0).path(), "pools[1].backend_protocol");
  // A route naming an unknown pool, a changed thread count (the running 2
  // came from the file, not -t, which would win), and JSON that does not
  // parse are refused too.
  r = Reload(absl::StrCat("{\"pools\": [", PoolJson("a", {backends_[0]->address()}),
                          "], \"route\": {\"pool\": \"nope\"}}"));
  EXPECT_FALSE(r.applied());
  ASSERT_EQ(r.errors_size(), 1);
  EXPECT_TRUE(absl::StartsWith(r.errors(0).path(), "route")) << r.errors(0).path();
  r = Reload(absl::StrCat("{\"threads\": 3, \"pools\": [", PoolJson("a", {backends_[0]->address()}),
                          "]}"));
  EXPECT_FALSE(r.applied());
  ASSERT_EQ(r.errors_size(), 1);
  EXPECT_EQ(r.errors(0).path(), "threads");
  r = Reload("{\"pools\": [");
  EXPECT_FALSE(r.applied());
  EXPECT_EQ(r.errors_size(), 1);

  // The old config serves on.
  EXPECT_EQ(PoolNames(), std::vector<std::string>{"a"});
  ASSERT_TRUE(SetThroughProxy("still"));
  EXPECT_TRUE(Holds(0, "still"));
  EXPECT_FALSE(Holds(1, "still"));
  EXPECT_TRUE(absl::StrContains(proxy_->LogTail(), "admin ReloadConfig: refused"));
}

TEST_F(ProxyAdminConfigTest, EmptyJsonRereadsTheFileAndUnchangedPoolsKeepRuntimeMembers) {
  WriteConfig(PoolJson("a", {backends_[0]->address()}));
  StartProxy();
  // A runtime member of "a".
  v1::AddServerRequest add;
  add.set_pool("a");
  add.set_address(backends_[2]->address());
  v1::AddServerResponse added;
  auto ctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->AddServer(ctx.get(), add, &added).ok());
  ASSERT_EQ(Members("a").size(), 2u);

  // The file now adds pool "b" and leaves "a" as it was: "" reloads it, and
  // "a" keeps its runtime member.
  WriteConfig(absl::StrCat(PoolJson("a", {backends_[0]->address()}), ",",
                           PoolJson("b", {backends_[1]->address()})));
  v1::ValidateConfigResponse v = Validate("");
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(std::vector<std::string>(v.changes().begin(), v.changes().end()),
            std::vector<std::string>{"pool \"b\": added"});
  v1::ReloadConfigResponse r = Reload("");
  ASSERT_TRUE(r.applied());
  EXPECT_EQ(PoolNames(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Members("a"),
            (std::vector<std::string>{backends_[0]->address(), backends_[2]->address()}));

  // A reload that changes "a" makes it anew from its config: the runtime
  // member is gone (docs/proxy.md, "Limits").
  WriteConfig(PoolJson("a", {backends_[0]->address()}, "\"readTimeoutMs\": 900"));
  v = Validate("");
  EXPECT_TRUE(v.valid());
  std::vector<std::string> changes(v.changes().begin(), v.changes().end());
  EXPECT_NE(std::find(changes.begin(), changes.end(), "pool \"a\": changed (made anew)"),
            changes.end())
      << absl::StrJoin(changes, "; ");
  EXPECT_NE(std::find(changes.begin(), changes.end(), "pool \"b\": removed"), changes.end());
  r = Reload("");
  ASSERT_TRUE(r.applied());
  EXPECT_EQ(Members("a"), std::vector<std::string>{backends_[0]->address()});
}

TEST_F(ProxyAdminConfigTest, BinaryClientsReachAMetaPoolThroughARouteAfterReload) {
  // A server that speaks no binary: only a translation can store there.
  test_support::ServerCommand ascii_only = test_support::CommandFor(
      test_support::kMemcachedPath, {"-t", "1", "-m", "64", "-B", "ascii"});
  ascii_only.label = "memcached-ascii";
  auto meta_server = ServerProcess::Start(ascii_only, test_support::StartOptions());
  ASSERT_TRUE(meta_server.ok()) << meta_server.status();
  backends_.push_back(std::move(*meta_server));
  const size_t meta = backends_.size() - 1;

  WriteConfig(PoolJson("bin", {backends_[0]->address()}));
  StartProxy();
  // Writes replicated to a binary pool and a meta pool.
  v1::ReloadConfigResponse r = Reload(absl::StrCat(
      "{\"pools\": [", PoolJson("bin", {backends_[0]->address()}), ",",
      PoolJson("meta", {backends_[meta]->address()}, "\"backendProtocol\": \"meta\""),
      "], \"route\": {\"replicated\": {\"children\": [{\"pool\": \"bin\"}, {\"pool\": \"meta\"}]}}}"));
  ASSERT_TRUE(r.applied()) << (r.errors_size() > 0 ? r.errors(0).message() : "");

  auto c = Conn::Open(proxy_->port());
  ASSERT_TRUE(c.ok());
  protocol::BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryStore(BinaryOpcode::kSet, "bk", "vv", 3, 0, 0, 77, &p).ok());
  ASSERT_TRUE((*c)->Send(p.ToString()));
  std::string reply = (*c)->ReadPacket();
  protocol::BinaryResponse resp;
  ASSERT_TRUE(protocol::ParseBinaryResponse(reply, {}, &resp).ok());
  EXPECT_EQ(resp.status_code, 0);
  EXPECT_EQ(resp.opaque, 77u);
  EXPECT_TRUE(Holds(0, "bk"));
  EXPECT_TRUE(Holds(meta, "bk"));
  // A quiet get of a key on neither, then a noop: only the noop answers.
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGetKQ, "missing", 5, &p).ok());
  std::string batch = p.ToString();
  ASSERT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kNoop, 6, &p).ok());
  batch += p.ToString();
  ASSERT_TRUE((*c)->Send(batch));
  reply = (*c)->ReadPacket();
  ASSERT_TRUE(protocol::ParseBinaryResponse(reply, {}, &resp).ok());
  EXPECT_EQ(resp.opcode, BinaryOpcode::kNoop);
  EXPECT_EQ(resp.opaque, 6u);
  // A read (first replica is "bin"): the hit with its flags.
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGet, "bk", 8, &p).ok());
  ASSERT_TRUE((*c)->Send(p.ToString()));
  reply = (*c)->ReadPacket();
  ASSERT_TRUE(protocol::ParseBinaryResponse(reply, {}, &resp).ok());
  EXPECT_EQ(resp.status_code, 0);
  EXPECT_EQ(resp.value, "vv");
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
