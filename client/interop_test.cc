// Interoperability with pylibmc, pymemcache and python-memcached (Debian's
// /usr/bin/python3) on the same three servers (weights 1, 2, 3), real
// memcached and then memkit-server:
//   1. pylibmc with default behaviors (modula) and with ketama_weighted,
//      pymemcache (one server, and HashClient over all three) and
//      python-memcached (weighted) store typed values, some zlib-compressed;
//      memkit, configured to match, finds every key (so it places them on the
//      same servers) and decodes the same typed values.
//   2. memkit stores the same values; pylibmc and pymemcache read them back
//      (interop/client_interop.py checks and reports mismatches).

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/client.h"
#include "client/testing/backend.h"
#include "client/testing/memcached_process.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace client {
namespace {

using testing::Backend;
using testing::MemcachedProcess;
using value::Value;

constexpr int kKeys = 60;  // N in client_interop.py
constexpr char kPython[] = "/usr/bin/python3";
constexpr char kScript[] = "client/interop/client_interop.py";

// Mirrors expected() in client_interop.py.
Value Expected(int i, bool compressible = true) {
  switch (i % 5) {
    case 0: return Value::Int(int64_t{i} * 1000 - 7000);
    case 1: return Value::Text(absl::StrCat("text-\xc3\xa9-", i));
    case 2: return Value::Bytes(absl::StrCat("bytes-", i));
    case 3: return Value::Bool(i % 10 == 3);
    default:
      return Value::Text(compressible ? std::string(5000, 'z') + std::to_string(i)
                                      : absl::StrCat("long-", i));
  }
}

// Compares by meaning: pylibmc stores bools as the ints 1 and 0.
bool SameMeaning(const Value& got, const Value& want) {
  if (want.kind() == Value::Kind::kBool) {
    if (got.kind() == Value::Kind::kBool) return got.bool_value() == want.bool_value();
    return got.kind() == Value::Kind::kInt && got.int_value() == (want.bool_value() ? 1 : 0);
  }
  if (got.kind() != want.kind()) return false;
  if (want.kind() == Value::Kind::kInt) return got.int_value() == want.int_value();
  return got.data() == want.data();
}

// Runs the Python side with `args`; its exit code (-1 if it could not run or
// timed out), its stdout and stderr appended to `output`.
int RunPython(const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {kPython, kScript};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<test_support::CommandResult> run =
      test_support::RunCommand(argv, absl::Seconds(25));
  if (!run.ok()) {
    output->append(run.status().ToString());
    return -1;
  }
  output->append(run->output);
  return run->timed_out ? -1 : run->exit_code;
}

class InteropTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!MemcachedProcess::Available() || access(kPython, X_OK) != 0) {
      GTEST_SKIP() << "needs /usr/bin/memcached and /usr/bin/python3";
    }
    auto options = testing::BackendOptions(GetParam());
    ASSERT_TRUE(options.ok()) << options.status();
    for (int i = 0; i < 3; ++i) {
      auto p = MemcachedProcess::Start(*options);
      ASSERT_TRUE(p.ok()) << p.status();
      servers_.push_back(absl::StrCat((*p)->address(), ":", i + 1));
      processes_.push_back(std::move(*p));
    }
  }

  std::unique_ptr<Client> Memkit(hash::Distribution d, value::Compat compat,
                                 std::vector<std::string> servers) {
    ClientOptions o;
    o.servers = std::move(servers);
    o.distribution = d;
    o.value_codec.compat = compat;
    o.value_codec.min_compress_len = compat == value::Compat::kPylibmc ? 100 : 0;
    auto c = Client::Create(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }

  std::vector<std::unique_ptr<MemcachedProcess>> processes_;
  std::vector<std::string> servers_;
};

TEST_P(InteropTest, BothWays) {
  const std::string all = absl::StrJoin(servers_, ",");
  std::string out;
  ASSERT_EQ(RunPython({"write", all, servers_[0]}, &out), 0) << out;

  struct Scenario {
    const char* prefix;
    hash::Distribution distribution;
    value::Compat compat;
    bool single;
  };
  const Scenario scenarios[] = {
      {"pl-default", hash::Distribution::kModula, value::Compat::kPylibmc, false},
      {"pl-kw", hash::Distribution::kKetamaWeighted, value::Compat::kPylibmc, false},
      {"pm", hash::Distribution::kModula, value::Compat::kPymemcache, true},
      {"pmh", hash::Distribution::kRendezvous, value::Compat::kPymemcache, false},
      {"py", hash::Distribution::kPythonMemcached, value::Compat::kPymemcache, false},
  };
  for (const Scenario& s : scenarios) {
    auto c = Memkit(s.distribution, s.compat,
                    s.single ? std::vector<std::string>{servers_[0]} : servers_);
    int found = 0;
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = absl::StrCat(s.prefix, ":", i);
      auto v = c->GetValue(key);
      ASSERT_TRUE(v.ok()) << key << ": " << v.status();
      // pymemcache cannot read compressed values, so its keys hold short ones.
      const bool read_by_pymemcache = s.compat == value::Compat::kPymemcache &&
                                      s.distribution != hash::Distribution::kPythonMemcached;
      const Value want = Expected(i, !read_by_pymemcache);
      EXPECT_TRUE(SameMeaning(*v, want)) << key << ": " << v->DebugString() << " vs "
                                         << want.DebugString();
      ++found;
      // And memkit writes the same value under its own key for Python.
      absl::string_view name = s.prefix;
      absl::ConsumePrefix(&name, "pl-");
      const std::string mine = absl::StrCat("mk-", name, ":", i);
      ASSERT_TRUE(c->SetValue(mine, want).ok()) << mine;
    }
    EXPECT_EQ(found, kKeys) << s.prefix;
  }
  out.clear();
  EXPECT_EQ(RunPython({"read", all, servers_[0]}, &out), 0) << out;
}

INSTANTIATE_TEST_SUITE_P(All, InteropTest, ::testing::ValuesIn(testing::AllBackends()),
                         testing::BackendParamName);

}  // namespace
}  // namespace client
}  // namespace memkit
