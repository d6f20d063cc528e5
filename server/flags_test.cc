#include "server/flags.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace {

absl::StatusOr<ServerFlags> Parse(std::vector<std::string> args) {
  return ParseServerFlags(args);
}

TEST(FlagsTest, DefaultsAreMemcacheds) {
  auto f = Parse({});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 11211);
  EXPECT_EQ(f->options.num_threads, 4);
  EXPECT_EQ(f->options.max_connections, 1024);
  EXPECT_EQ(f->options.cache.memory_limit, 64u << 20);
  EXPECT_EQ(f->options.cache.item_size_max, 1u << 20);
  EXPECT_EQ(f->options.reqs_per_event, 20);
  EXPECT_TRUE(f->options.cache.evict);
  EXPECT_TRUE(f->options.cache.use_cas);
  EXPECT_FALSE(f->options.shutdown_command);
  EXPECT_EQ(f->options.protocol, BindingProtocol::kAuto);
}

TEST(FlagsTest, PortMinusOneAsksForAnyFreePortAsMemcached) {
  auto f = Parse({"-p", "-1"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 0);
  EXPECT_FALSE(Parse({"-p", "-2"}).ok());
}

TEST(FlagsTest, EverySupportedFlag) {
  auto f = Parse({"-p", "11311", "-U", "0", "-l", "127.0.0.1,::1", "-m", "128", "-M", "-c",
                  "500", "-t", "2", "-R", "5", "-C", "-B", "binary", "-I", "2m", "-F", "-A",
                  "-X", "-vv", "-b", "64", "-f", "1.5", "-n", "96", "-a", "755", "-u", "nobody",
                  "-P", "/tmp/pid", "-o", "idle_timeout=30,hashpower=20,track_sizes,no_lru_crawler"});
  ASSERT_TRUE(f.ok()) << f.status();
  const ServerOptions& o = f->options;
  EXPECT_EQ(o.port, 11311);
  EXPECT_EQ(o.listen, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(o.cache.memory_limit, 128u << 20);
  EXPECT_FALSE(o.cache.evict);
  EXPECT_EQ(o.max_connections, 500);
  EXPECT_EQ(o.num_threads, 2);
  EXPECT_EQ(o.reqs_per_event, 5);
  EXPECT_FALSE(o.cache.use_cas);
  EXPECT_EQ(o.protocol, BindingProtocol::kBinary);
  EXPECT_EQ(o.cache.item_size_max, 2u << 20);
  EXPECT_FALSE(o.flush_enabled);
  EXPECT_TRUE(o.shutdown_command);
  EXPECT_FALSE(o.dump_enabled);
  EXPECT_EQ(o.verbosity, 2);
  EXPECT_EQ(o.backlog, 64);
  EXPECT_DOUBLE_EQ(o.cache.growth_factor, 1.5);
  EXPECT_EQ(o.cache.chunk_size, 96u);
  EXPECT_EQ(o.unix_mask, 0755);
  EXPECT_EQ(f->user, "nobody");
  EXPECT_EQ(f->pidfile, "/tmp/pid");
  EXPECT_EQ(o.idle_timeout, absl::Seconds(30));
  EXPECT_EQ(o.cache.hash_power, 20);
  EXPECT_TRUE(o.track_sizes);
  EXPECT_EQ(o.cache.reclaim_interval, absl::ZeroDuration());
}

TEST(FlagsTest, LongAndAttachedForms) {
  auto f = Parse({"--port=1234", "--threads", "3", "-c99", "--max-item-size=512k",
                  "--enable-shutdown", "-vA"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 1234);
  EXPECT_EQ(f->options.num_threads, 3);
  EXPECT_EQ(f->options.max_connections, 99);
  EXPECT_EQ(f->options.cache.item_size_max, 512u << 10);
  EXPECT_TRUE(f->options.shutdown_command);
  EXPECT_EQ(f->options.verbosity, 1);
}

TEST(FlagsTest, HelpAndVersion) {
  auto h = Parse({"-h"});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->help);
  auto v = Parse({"--version"});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->version);
  const std::string usage = ServerUsage();
  for (const char* flag : {"-p,", "-U,", "-s,", "-a,", "-A,", "-l,", "-m,", "-M,", "-c,", "-t,",
                           "-R,", "-C,", "-B,", "-I,", "-F,", "-X,", "-o,", "idle_timeout"}) {
    EXPECT_TRUE(absl::StrContains(usage, flag)) << flag;
  }
  // Only what is supported is listed.
  EXPECT_FALSE(absl::StrContains(usage, "--daemon"));
  EXPECT_TRUE(absl::StrContains(usage, "--enable-sasl"));  // -S, -Y, -Z: h-security
}

TEST(FlagsTest, ErrorsAreOneLine) {
  const std::vector<std::vector<std::string>> bad = {
      {"-p", "abc"},  {"-p", "70000"},      {"-t", "0"},          {"-t", "x"},
      {"-c", "0"},    {"-m", "abc"},        {"-m", "0"},          {"-I", "512"},
      {"-I", "2g"},   {"-I", "1x"},         {"-B", "foo"},        {"-o", "bogus"},
      {"-o", "idle_timeout=abc"},           {"-Q"},               {"-p"},
      {"-R", "0"},    {"-f", "0.5"},        {"-n", "0"},          {"-U", "11211"},
      {"-d"},         {"--daemon"},         {"--nope"},           {"stray"},
      {"-I", "3m", "-m", "4"},              {"-a", "999"},        {"--port"},
      {"-o", "slab_chunk_max=4096", "-I", "1m"}};
  for (const auto& args : bad) {
    auto f = Parse(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    ASSERT_FALSE(f.ok()) << joined;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << joined;
    EXPECT_FALSE(f.status().message().empty()) << joined;
    EXPECT_FALSE(absl::StrContains(f.status().message(), "\n")) << joined;
  }
  EXPECT_EQ(Parse({"-t", "0"}).status().message(), "Number of threads must be greater than 0");
  EXPECT_EQ(Parse({"-o", "bogus"}).status().message(), "Illegal suboption \"bogus\"");
  EXPECT_EQ(Parse({"-B", "foo"}).status().message(),
            "Invalid value for binding protocol: foo -- should be one of auto, binary, or ascii");
}

TEST(FlagsTest, Sizes) {
  EXPECT_EQ(*ParseSizeFlag("64", 1 << 20), 64u << 20);
  EXPECT_EQ(*ParseSizeFlag("64k", 1 << 20), 64u << 10);
  EXPECT_EQ(*ParseSizeFlag("2M", 1), 2u << 20);
  EXPECT_EQ(*ParseSizeFlag("1g", 1), 1u << 30);
  EXPECT_FALSE(ParseSizeFlag("", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("-1", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("k", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("99999999999999999999", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("18446744073709551615k", 1).ok());
}

}  // namespace
}  // namespace server
}  // namespace memkit
