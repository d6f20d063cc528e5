#include "tests/hostile/hostile_checks.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace memkit {
namespace hostile {

void ExpectSlowlorisDoesNotStarve(Server& server, const std::string& label,
                                  absl::Duration duration) {
  constexpr int kSlowConnections = 400;
  // Even connections dribble a get line, odd ones a 100 KB data block.
  std::vector<std::unique_ptr<Socket>> slow;
  std::vector<std::string> scripts;
  for (int i = 0; i < kSlowConnections; ++i) {
    absl::StatusOr<std::unique_ptr<Socket>> s = Socket::Connect(server.port());
    ASSERT_TRUE(s.ok()) << s.status();
    slow.push_back(std::move(*s));
    scripts.push_back(i % 2 == 0 ? absl::StrCat("get slow:", i, ":", std::string(200, 'k'))
                                 : absl::StrCat("set slow:", i, " 0 0 100000\r\n",
                                                std::string(100000, 'v')));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> write_errors{0};
  size_t sent = 0;  // bytes of each script sent so far
  std::thread dribbler([&] {
    while (!stop.load()) {
      for (size_t i = 0; i < slow.size(); ++i) {
        absl::StatusOr<size_t> n = slow[i]->TryWrite(absl::string_view(scripts[i]).substr(sent, 1));
        if (!n.ok() || *n != 1) write_errors.fetch_add(1);
      }
      ++sent;
      absl::SleepFor(absl::Milliseconds(100));  // the attack's pace, not a wait for readiness
    }
  });
  const LatencySummary active = ActiveUntil(server.port(), absl::Now() + duration);
  stop = true;
  dribbler.join();
  Figure(label + ".slowloris_connections", absl::StrCat(kSlowConnections));
  Figure(label + ".slowloris_bytes_each", absl::StrCat(sent));
  Figure(label + ".slowloris_active", active.ToString());
  ExpectUnstarved(label, active);
  EXPECT_EQ(write_errors.load(), 0);
  // The half-sent get lines were kept, not dropped: finishing one is served.
  for (int i = 0; i < kSlowConnections; i += 50) {
    std::string reply;
    absl::StatusOr<absl::Duration> t =
        RoundTrip(*slow[i], absl::StrCat(absl::string_view(scripts[i]).substr(sent), "\r\n"),
                  "END\r\n", absl::Seconds(5), &reply);
    EXPECT_TRUE(t.ok()) << "slow connection " << i << ": " << t.status() << " " << reply;
  }
  ASSERT_TRUE(server.process->CheckAlive().ok()) << server.process->LogTail();
}

LatencySummary ActiveUntil(int port, absl::Time until) {
  std::vector<absl::Duration> samples;
  int failures = 0;
  do {
    failures += MeasureActiveClient(port, 100, absl::Seconds(2), &samples).failures;
  } while (absl::Now() < until);
  return Summarize(std::move(samples), failures);
}

void ExpectUnstarved(const std::string& what, const LatencySummary& active) {
  EXPECT_EQ(active.failures, 0) << what << ": " << active.ToString();
  EXPECT_LT(active.p99, absl::Milliseconds(100)) << what << ": " << active.ToString();
  EXPECT_LT(active.max, absl::Seconds(1)) << what << ": " << active.ToString();
}

void ExpectClientThatNeverReadsIsBounded(Server& server, const std::string& label) {
  constexpr int kValueBytes = 500 * 1000;
  // Far more than the sockets' buffers hold (18 MB of requests, 1 PB of
  // replies): only a server that stops reading keeps the writer from finishing.
  constexpr int kRequests = 2000000;
  absl::StatusOr<std::unique_ptr<Socket>> setter = Socket::Connect(server.port());
  ASSERT_TRUE(setter.ok()) << setter.status();
  ASSERT_TRUE(RoundTrip(**setter,
                        absl::StrCat("set big 0 0 ", kValueBytes, "\r\n",
                                     std::string(kValueBytes, 'b'), "\r\n"),
                        "STORED\r\n", absl::Seconds(5))
                  .ok());
  const int64_t rss_before = RssKib(server.pid);
  absl::StatusOr<std::unique_ptr<Socket>> hog = Socket::Connect(server.port());
  ASSERT_TRUE(hog.ok()) << hog.status();
  // Write requests as fast as the server takes them, for at most 3 s.
  const std::string request = "get big\r\n";
  int written = 0;
  size_t partial = 0;
  int64_t rss_max = rss_before;
  const absl::Time until = absl::Now() + absl::Seconds(3);
  while (written < kRequests && absl::Now() < until) {
    absl::StatusOr<size_t> n = (*hog)->TryWrite(absl::string_view(request).substr(partial));
    ASSERT_TRUE(n.ok()) << n.status();
    partial += *n;
    if (partial == request.size()) {
      ++written;
      partial = 0;
    }
    if (*n == 0) {
      rss_max = std::max(rss_max, RssKib(server.pid));
      absl::SleepFor(absl::Milliseconds(5));  // the socket is full: the server stopped reading
    }
  }
  rss_max = std::max(rss_max, RssKib(server.pid));
  // Others are served meanwhile.
  const LatencySummary active = MeasureActiveClient(server.port(), 200);
  const double growth_mib = static_cast<double>(rss_max - rss_before) / 1024.0;
  Figure(label + ".nonreader_requests_written", absl::StrCat(written));
  Figure(label + ".nonreader_rss_growth_mib", absl::StrCat(growth_mib));
  Figure(label + ".nonreader_active", active.ToString());
  ExpectUnstarved(label + " beside a client that never reads", active);
  EXPECT_LT(written, kRequests) << label << " read every request without its replies leaving";
  if (!SanitizedBuild()) {
    EXPECT_LT(growth_mib, 64.0) << "asked for " << written << " x 500 KB";
  }
  // What was asked for is still owed: once the hog reads, whole replies come.
  std::string replies;
  const ReadEnd end = (*hog)->ReadUntil(
      [](absl::string_view got) {
        return got.size() > 3 * (kValueBytes + 40) && absl::StrContains(got, "END\r\n");
      },
      absl::Now() + absl::Seconds(10), &replies);
  EXPECT_EQ(end, ReadEnd::kCondition) << replies.size() << " bytes of replies";
  EXPECT_TRUE(absl::StartsWith(replies, absl::StrCat("VALUE big 0 ", kValueBytes, "\r\n")));
  ASSERT_TRUE(server.process->CheckAlive().ok()) << server.process->LogTail();
}

}  // namespace hostile
}  // namespace memkit
