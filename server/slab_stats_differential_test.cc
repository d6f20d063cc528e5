// memkit-server's memory accounting against real memcached 1.6.18: the same
// scripted fills sent to both servers started with the same flags, then
// "stats slabs", "stats items" and "stats" compared field by field.
//
// Fields that must match exactly (for every class either server lists):
//   stats slabs: chunk_size, chunks_per_page, total_pages, total_chunks,
//                used_chunks, free_chunks, free_chunks_end, cmd_set, get_hits,
//                active_slabs, total_malloced
//   stats items: number, mem_requested, evicted, evicted_nonzero,
//                evicted_unfetched, outofmemory
//   stats:       bytes, curr_items, total_items, evictions, limit_maxbytes
// Fields that may differ, and are not compared: items:N:number_hot/warm/cold,
// age_hot/warm, moves_*, hits_to_* (memkit's LRU is not segmented), age and
// evicted_time (wall-clock seconds), and, right after items were stored
// already expired, used_chunks and curr_items (memcached's LRU maintainer
// thread reclaims them in the background at its own pace; memkit on the next
// store in the class). docs/server-engine.md lists them.
//
// argv[1]: the memkit-server binary.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace server {
namespace {

using test_support::CommandFor;
using test_support::ServerProcess;
using testing::ConnectToLoopback;
using testing::TestConnection;

std::string g_memkit_server;

// Longer than TestConnection's 5 s default: the "mn" after a fill of megabytes
// at -t 1 can take that long on a loaded two-core machine.
constexpr absl::Duration kReplyTimeout = absl::Seconds(10);

// Sends `request` and reads until what came ends with `suffix`; a failure
// comes back as "<status>" so the comparison with the expected reply shows it.
std::string Call(TestConnection& conn, absl::string_view request, absl::string_view suffix) {
  const absl::Status sent = conn.Send(request);
  if (!sent.ok()) return absl::StrCat("<", sent.ToString(), ">");
  absl::StatusOr<std::string> reply = conn.ReadUntil(suffix, kReplyTimeout);
  return reply.ok() ? *std::move(reply) : absl::StrCat("<", reply.status().ToString(), ">");
}

// "stats <group>" as a map of name -> value.
std::map<std::string, std::string> Stats(TestConnection& conn, absl::string_view group) {
  const std::string reply = Call(conn, absl::StrCat("stats ", group, "\r\n"), "END\r\n");
  EXPECT_TRUE(absl::EndsWith(reply, "END\r\n")) << "stats " << group << ": " << reply;
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(reply, "\r\n")) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 3 && parts[0] == "STAT") out[parts[1]] = parts[2];
  }
  return out;
}

// Pipelined "set ... noreply" lines, then "mn" to wait for them.
void SetMany(TestConnection& conn, absl::string_view prefix, int count, size_t value_size,
             int exptime = 0) {
  const std::string value(value_size, 'v');
  std::string batch;
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&batch, "set ", prefix, absl::StrFormat("%05d", i), " 0 ", exptime, " ",
                    value_size, " noreply\r\n", value, "\r\n");
    if (batch.size() > (1 << 20)) {
      const absl::Status sent = conn.Send(batch);
      EXPECT_TRUE(sent.ok()) << sent;
      batch.clear();
    }
  }
  EXPECT_EQ(Call(conn, batch + "mn\r\n", "MN\r\n"), "MN\r\n");
}

struct Pair {
  std::unique_ptr<ServerProcess> memcached;
  std::unique_ptr<ServerProcess> memkit;
  std::unique_ptr<TestConnection> mc;
  std::unique_ptr<TestConnection> mk;
};

Pair StartBoth(const std::vector<std::string>& args) {
  Pair p;
  std::vector<std::string> all = {"-t", "1"};
  all.insert(all.end(), args.begin(), args.end());
  auto mc = ServerProcess::Start(CommandFor(test_support::kMemcachedPath, all));
  auto mk = ServerProcess::Start(CommandFor(g_memkit_server, all));
  EXPECT_TRUE(mc.ok()) << mc.status();
  EXPECT_TRUE(mk.ok()) << mk.status();
  if (!mc.ok() || !mk.ok()) return p;
  p.memcached = std::move(*mc);
  p.memkit = std::move(*mk);
  p.mc = ConnectToLoopback(p.memcached->port());
  p.mk = ConnectToLoopback(p.memkit->port());
  return p;
}

// Compares the fields named (as suffixes, e.g. ":used_chunks") between the
// two servers' replies; a field either server lists must be in both.
void ExpectSame(const std::map<std::string, std::string>& mc,
                const std::map<std::string, std::string>& mk,
                const std::vector<std::string>& suffixes, const std::string& what,
                bool may_be_empty = false) {
  auto wanted = [&](const std::string& name) {
    for (const std::string& s : suffixes) {
      if (name == s || absl::EndsWith(name, ":" + s)) return true;
    }
    return false;
  };
  size_t compared = 0;
  for (const auto* side : {&mc, &mk}) {
    for (const auto& [name, value] : *side) {
      if (!wanted(name)) continue;
      ++compared;
      auto a = mc.find(name);
      auto b = mk.find(name);
      ASSERT_TRUE(a != mc.end()) << what << ": memcached lacks " << name;
      ASSERT_TRUE(b != mk.end()) << what << ": memkit lacks " << name;
      EXPECT_EQ(b->second, a->second) << what << ": " << name;
    }
  }
  if (!may_be_empty) {
    EXPECT_GT(compared, 0u) << what << ": nothing to compare";
  }
}

const std::vector<std::string> kSlabFields = {"chunk_size",      "chunks_per_page", "total_pages",
                                              "total_chunks",    "used_chunks",     "free_chunks",
                                              "free_chunks_end", "cmd_set",         "get_hits",
                                              "active_slabs",    "total_malloced"};
const std::vector<std::string> kItemFields = {
    "number", "mem_requested", "evicted", "evicted_nonzero", "evicted_unfetched", "outofmemory"};
const std::vector<std::string> kGeneralFields = {"bytes", "curr_items", "total_items", "evictions",
                                                 "limit_maxbytes"};

void ExpectSameMemoryStats(Pair& p, const std::string& what) {
  ExpectSame(Stats(*p.mc, "slabs"), Stats(*p.mk, "slabs"), kSlabFields, what + " stats slabs");
  // "stats items" is empty while no class holds an item.
  ExpectSame(Stats(*p.mc, "items"), Stats(*p.mk, "items"), kItemFields, what + " stats items",
             /*may_be_empty=*/true);
  ExpectSame(Stats(*p.mc, ""), Stats(*p.mk, ""), kGeneralFields, what + " stats");
}

TEST(SlabStatsDifferentialTest, EmptyServer) {
  Pair p = StartBoth({"-m", "64"});
  ASSERT_TRUE(p.mc && p.mk);
  ExpectSameMemoryStats(p, "empty");
  EXPECT_EQ(Stats(*p.mk, "slabs")["total_malloced"], "0");
}

TEST(SlabStatsDifferentialTest, SmallAndChunkedItems) {
  // Items above slab_chunk_max (512 KiB) take a header chunk, full chunks
  // and a last chunk from smaller classes.
  Pair p = StartBoth({"-m", "64", "-I", "2m"});
  ASSERT_TRUE(p.mc && p.mk);
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) {
    SetMany(*c, "k", 100, 100);
    SetMany(*c, "big", 3, 600000);
    SetMany(*c, "huge", 2, 1500000);
    SetMany(*c, "mid", 50, 5000);
  }
  ExpectSameMemoryStats(p, "filled");
  const auto slabs = Stats(*p.mk, "slabs");
  EXPECT_EQ(slabs.at("39:used_chunks"), "9");  // 3 + 2 x 3 full chunks
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) {
    EXPECT_EQ(Call(*c, "delete big00001\r\ndelete huge00000\r\n", "DELETED\r\nDELETED\r\n"),
              "DELETED\r\nDELETED\r\n");
  }
  ExpectSameMemoryStats(p, "after deletes");
}

TEST(SlabStatsDifferentialTest, TinyLimitEvictsPerClass) {
  // -m 2: the first class fills its two pages and evicts; the second class
  // still gets its first page, past the limit, then evicts within itself.
  Pair p = StartBoth({"-m", "2"});
  ASSERT_TRUE(p.mc && p.mk);
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) SetMany(*c, "a", 20000, 100);
  ExpectSameMemoryStats(p, "one class");
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) {
    SetMany(*c, "b", 1000, 3000);
    SetMany(*c, "c", 300, 20000);
  }
  ExpectSameMemoryStats(p, "three classes");
  EXPECT_EQ(Stats(*p.mk, "slabs")["total_malloced"], "4194304");
  EXPECT_EQ(Stats(*p.mk, "items")["items:4:evicted"], "9078");
}

TEST(SlabStatsDifferentialTest, WithoutEvictionClassesRunOutOnTheirOwn) {
  // -M -m 2: class 4 fills its two pages, then refuses (outofmemory counted
  // in its class); appends grow one item through classes that each still
  // get their first page.
  Pair p = StartBoth({"-m", "2", "-M"});
  ASSERT_TRUE(p.mc && p.mk);
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) {
    SetMany(*c, "a", 12000, 100);
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(Call(*c, "append a00001 0 0 200\r\n" + std::string(200, 'y') + "\r\n", "\r\n"),
                "STORED\r\n");
    }
  }
  ExpectSameMemoryStats(p, "-M");
  EXPECT_EQ(Stats(*p.mk, "items")["items:4:outofmemory"], "1078");
  EXPECT_EQ(Stats(*p.mk, "slabs")["total_malloced"], "7340032");  // classes 4 (2), 6, 7, 9, 11, 12
}

TEST(SlabStatsDifferentialTest, ReusedMemoryDoesNotGrowTotalMalloced) {
  Pair p = StartBoth({"-m", "64"});
  ASSERT_TRUE(p.mc && p.mk);
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) {
    SetMany(*c, "k", 3000, 1000, /*exptime=*/-1);  // stored already expired
    SetMany(*c, "k", 3000, 1000);                  // the same keys, live
  }
  ExpectSameMemoryStats(p, "replaced");
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) {
    SetMany(*c, "k", 3000, 1000, /*exptime=*/-1);
    SetMany(*c, "k", 3000, 1000);
  }
  ExpectSameMemoryStats(p, "replaced twice");
  EXPECT_EQ(Stats(*p.mk, "slabs")["total_malloced"], "4194304");
}

TEST(SlabStatsDifferentialTest, LimitAbove4GiB) {
  Pair p = StartBoth({"-m", "6000"});
  ASSERT_TRUE(p.mc && p.mk);
  for (TestConnection* c : {p.mc.get(), p.mk.get()}) SetMany(*c, "k", 10, 100);
  ExpectSameMemoryStats(p, "-m 6000");
  EXPECT_EQ(Stats(*p.mk, "")["limit_maxbytes"], "6291456000");
}

}  // namespace
}  // namespace server
}  // namespace memkit

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MEMKIT_SERVER\n", argv[0]);
    return 2;
  }
  memkit::server::g_memkit_server = argv[1];
  return RUN_ALL_TESTS();
}
