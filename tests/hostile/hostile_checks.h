// gtest checks the hostile-load tests share, for memkit-server, memcached and
// memkit-proxy alike (hostile_util.h has the gtest-free helpers).
//
// Thread-safety: call from the test's thread.

#ifndef MEMKIT_TESTS_HOSTILE_HOSTILE_CHECKS_H_
#define MEMKIT_TESTS_HOSTILE_HOSTILE_CHECKS_H_

#include <string>

#include "absl/time/time.h"
#include "tests/hostile/hostile_util.h"

namespace memkit {
namespace hostile {

// Round trips of an active client, 100 per connection, until `until` (at
// least 100), summarised over all of them.
LatencySummary ActiveUntil(int port, absl::Time until);

// Loose bounds for two busy cores: a server that starved its active client
// would miss them by far.
void ExpectUnstarved(const std::string& what, const LatencySummary& active);

// Slowloris: 400 connections each send a request one byte every 100 ms
// (even ones a get line, odd ones a 100 KB data block) for `duration`,
// while an active client runs: it must stay unstarved, no dribbled byte may
// be refused, and the half-sent get lines must be kept (finishing a sample
// of them is served). `label` prefixes the FIGURE lines.
void ExpectSlowlorisDoesNotStarve(Server& server, const std::string& label,
                                  absl::Duration duration);

// A client asks for a 500 KB value over and over for 3 s and never reads:
// `server` must stop reading from it (its replies back up in the socket)
// rather than buffer them (RSS grows < 64 MiB outside sanitizers), keep
// serving others, and still owe whole replies once the client reads.
// `label` prefixes the FIGURE lines.
void ExpectClientThatNeverReadsIsBounded(Server& server, const std::string& label);

}  // namespace hostile
}  // namespace memkit

#endif  // MEMKIT_TESTS_HOSTILE_HOSTILE_CHECKS_H_
