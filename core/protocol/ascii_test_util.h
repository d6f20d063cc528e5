// Test helpers for the text and meta codecs: a byte stream replayed through
// ParseAsciiRequest() the way a connection to a memcached with an empty cache
// would answer it (for comparing with replies recorded from a real memcached),
// and readers for the recorded tables in testdata/ascii/.
//
// Thread-compatible.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_TEST_UTIL_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_TEST_UTIL_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/protocol/ascii_parser.h"
#include "absl/status/status.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/ascii_rewrite.h"

namespace memkit {
namespace protocol {
namespace testing {

struct Replay {
  std::string replies;    // every byte "sent back", in order
  bool closed = false;    // the connection was closed (quit, HTTP, overlong line)
  size_t requests = 0;    // requests parsed whole
  std::vector<std::string> parsed;  // AsciiRequest::DebugString() of each
};

// Feeds `input` to a simulated connection in pieces ending at each of `cuts`
// (ascending offsets; the rest comes last), parsing as far as possible after
// each piece, swallowing and closing as ParseResult says. Each request gets
// the reply memcached 1.6.18 gives with an empty cache: END for retrievals,
// STORED for set/add, NOT_STORED for replace/append/prepend, NOT_FOUND for
// cas/delete/incr/decr/touch, EN/NF/HD/NS (with O and k echoed) for meta,
// and so on; noreply and 'q' silence them as memcached does. Commands whose
// answer depends on more than that (stats, admin, ms's 'c', ma's 'N') get
// "<unemulated>".
Replay ReplayOnEmptyCache(absl::string_view input, const AsciiParserOptions& options,
                          const std::vector<size_t>& cuts = {});

// The reply ReplayOnEmptyCache() gives one parsed request.
std::string EmptyCacheReply(const AsciiRequest& request);

// One row of testdata/ascii/hostile_requests.txt.
struct RecordedCase {
  std::string name;
  std::string request;
  std::string reply;
  bool closed = false;
};

// Reads a table written by testdata/ascii/record_hostile.py; fails the
// calling test (and returns nothing) if the file cannot be read.
std::vector<RecordedCase> ReadRecordedCases(const std::string& path);

// One row of testdata/ascii/session.txt (record_session.py).
struct SessionStep {
  std::string name;
  std::string request;
  std::string reply;
};
std::vector<SessionStep> ReadSession(const std::string& path);

// Where test data files are, relative to the test's working directory.
std::string TestDataPath(absl::string_view file);

}  // namespace testing
}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_TEST_UTIL_H_
