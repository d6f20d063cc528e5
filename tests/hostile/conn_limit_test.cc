// The connection limit (-c N, maxconns_fast on, memcached 1.6's default),
// memkit-server beside real memcached 1.6.18: a client over the limit reads
// "ERROR Too many open connections" and is closed, the connections already
// open keep working, and closing one makes room for a new one.
//
// How many clients fit under -c N differs, and is reported rather than
// compared: memcached counts its own descriptors (listeners, threads'
// event fds, stdio) against N, so with -c 24 -t 2 only a handful of clients
// fit; memkit-server admits exactly N clients (docs/server.md).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_util.h"
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace hostile {
namespace {

constexpr int kConnLimit = 24;  // the least memcached -t 2 starts with is about 20
constexpr char kTooMany[] = "ERROR Too many open connections\r\n";

struct LimitOutcome {
  int admitted = 0;       // clients served before the first refusal
  std::string refusal;    // what the first refused client read before EOF
  bool refused_closed = false;
};

// Opens clients one at a time, each asking "version", until one is refused
// (or 4 N have been admitted: no limit). Then checks the admitted ones still
// work and that closing one admits a new client.
void ProbeLimit(const std::string& label, const std::string& path, LimitOutcome* outcome) {
  absl::StatusOr<Server> server =
      StartServer(label, path, {"-t", "2", "-c", absl::StrCat(kConnLimit)});
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::unique_ptr<Socket>> admitted;
  while (static_cast<int>(admitted.size()) < 4 * kConnLimit) {
    absl::StatusOr<std::unique_ptr<Socket>> s = Socket::Connect(server->port());
    ASSERT_TRUE(s.ok()) << s.status();
    std::string reply;
    ASSERT_TRUE((*s)->WriteAll("version\r\n", absl::Now() + absl::Seconds(5)).ok());
    const ReadEnd end = (*s)->ReadUntil(
        [](absl::string_view got) { return absl::EndsWith(got, "\r\n"); },
        absl::Now() + absl::Seconds(5), &reply);
    ASSERT_EQ(end, ReadEnd::kCondition) << label << ": client " << admitted.size();
    if (absl::StartsWith(reply, "VERSION ")) {
      admitted.push_back(std::move(*s));
      continue;
    }
    outcome->refusal = reply;
    outcome->refused_closed = (*s)->ReadToEof(absl::Now() + absl::Seconds(5), &outcome->refusal) ==
                              ReadEnd::kEof;
    break;
  }
  outcome->admitted = static_cast<int>(admitted.size());
  Figure(label + ".conn_limit_admitted_under_c" + absl::StrCat(kConnLimit),
         absl::StrCat(outcome->admitted));
  ASSERT_FALSE(outcome->refusal.empty()) << label << " admitted " << admitted.size();

  // The admitted clients are unharmed by the refusal.
  for (size_t i = 0; i < admitted.size(); ++i) {
    EXPECT_TRUE(RoundTrip(*admitted[i], "version\r\n", "\r\n", absl::Seconds(5)).ok())
        << label << ": admitted client " << i;
  }
  // Closing one makes room (once the server has seen the close).
  admitted.pop_back();
  EXPECT_TRUE(test_support::Eventually([&] {
    absl::StatusOr<std::unique_ptr<Socket>> s = Socket::Connect(server->port());
    if (!s.ok()) return false;
    std::string reply;
    return RoundTrip(**s, "version\r\n", "\r\n", absl::Seconds(5), &reply).ok() &&
           absl::StartsWith(reply, "VERSION ");
  })) << label << ": no room after a client left";
  ASSERT_TRUE(server->process->CheckAlive().ok()) << server->process->LogTail();
}

TEST(ConnLimitTest, ClientOverTheLimitSeesWhatMemcachedSays) {
  LimitOutcome memkit;
  LimitOutcome memcached;
  ASSERT_NO_FATAL_FAILURE(ProbeLimit("memkit-server", MemkitServerPath(), &memkit));
  ASSERT_NO_FATAL_FAILURE(ProbeLimit("memcached", test_support::kMemcachedPath, &memcached));
  EXPECT_EQ(memcached.refusal, kTooMany);
  EXPECT_EQ(memkit.refusal, memcached.refusal);
  EXPECT_TRUE(memcached.refused_closed);
  EXPECT_TRUE(memkit.refused_closed);
  // memkit-server's -c counts clients only (docs/server.md).
  EXPECT_EQ(memkit.admitted, kConnLimit);
}

}  // namespace
}  // namespace hostile
}  // namespace memkit
