// Runs conformance cases against the reference server and the server under
// test in lockstep, and compares their rendered replies.
//
// Per case and per server: a separate probe connection flushes the server and
// reads its CAS counter (set + gets + delete of one key); then one fresh
// connection carries the case's steps. Both servers get each step before the
// next one starts, so a @sleep waits once for both. The end of the reply is
// found by the case's @end mode (a sentinel by default).
//
// Thread-safety: a CaseRunner is used by one thread at a time.

#ifndef MEMKIT_TESTS_CONFORMANCE_CASE_RUNNER_H_
#define MEMKIT_TESTS_CONFORMANCE_CASE_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/conformance/case_file.h"

namespace memkit {
namespace conformance {

// One server's side of a case.
struct SideResult {
  std::vector<std::string> lines;  // Rendered, normalised, with a final <end: ...> line.
  std::string raw;                 // The bytes received.
  bool binary = false;             // The connection spoke the binary protocol.
  uint64_t cas_base = 0;
  bool timed_out = false;          // A read hit the case's deadline.
};

struct CaseResult {
  SideResult reference;
  SideResult sut;
  // Empty when the case passed; otherwise what to print.
  std::string failure;
};

class CaseRunner {
 public:
  CaseRunner(int reference_port, int sut_port)
      : reference_port_(reference_port), sut_port_(sut_port) {}

  CaseResult Run(const Case& c);

 private:
  const int reference_port_;
  const int sut_port_;
};

// Checks that the server on `port` answers both sentinels (text and binary,
// see request.h) exactly as memcached does; without that no case can end.
absl::Status CheckSentinels(int port);

// Flushes the server on `port` and returns its CAS counter: the CAS value the
// last stored item got, so the next store gets that plus one.
absl::StatusOr<uint64_t> ProbeCasBase(int port);

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_CASE_RUNNER_H_
