// A blocking text-protocol connection to one memcached server, for the
// commands the client library does not model: `lru_crawler metadump`
// (memkit dump), `watch` (memkit watch) and timed round trips (memkit ping).
//
// Thread-safety: not thread-safe; one per command run.

#ifndef MEMKIT_TOOLS_CLI_LINE_CONNECTION_H_
#define MEMKIT_TOOLS_CLI_LINE_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/socket.h"

namespace memkit {
namespace cli {

class LineConnection {
 public:
  // Connects to "host:port" (or a unix socket path), waiting at most
  // `timeout`; every later read waits at most `timeout` too
  // (absl::InfiniteDuration(): forever, as `watch` wants).
  static absl::StatusOr<std::unique_ptr<LineConnection>> Connect(absl::string_view server,
                                                                 absl::Duration timeout);

  // Sends all of `bytes`.
  absl::Status Send(absl::string_view bytes);
  // Reads one line, without its "\r\n". Unavailable if the server closed the
  // connection, DeadlineExceeded after the timeout.
  absl::StatusOr<std::string> ReadLine();

 private:
  LineConnection(net::UniqueFd fd, absl::Duration timeout) : fd_(std::move(fd)), timeout_(timeout) {}

  net::UniqueFd fd_;
  const absl::Duration timeout_;
  std::string buffer_;  // bytes read past the last line returned
  size_t consumed_ = 0;
};

// One key of `lru_crawler metadump all`: the key (URL-decoded) and the rest
// of its line ("exp=-1 la=... cas=... fetch=no cls=1 size=63").
struct MetadumpEntry {
  std::string key;
  std::string metadata;
};

// Every key of `server`, by `lru_crawler metadump all` on a new connection.
// memcached refuses a metadump pipelined behind other commands, so this one
// is sent alone.
absl::StatusOr<std::vector<MetadumpEntry>> ReadMetadump(absl::string_view server,
                                                        absl::Duration timeout);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_LINE_CONNECTION_H_
