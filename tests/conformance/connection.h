// A blocking TCP client connection with deadlines, for the conformance harness.
//
// The harness talks to real servers byte for byte: it writes exactly the bytes
// a case asks for and reads whatever comes back until a condition, EOF or a
// deadline. Nothing here parses the protocol.
//
// Thread-safety: a Connection is used by one thread at a time.

#ifndef MEMKIT_TESTS_CONFORMANCE_CONNECTION_H_
#define MEMKIT_TESTS_CONFORMANCE_CONNECTION_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace memkit {
namespace conformance {

// Why a Read*() call returned.
enum class ReadEnd {
  kCondition,  // The caller's condition became true.
  kEof,        // The peer closed its side (or reset the connection).
  kDeadline,   // The deadline passed first.
  kQuiet,      // No byte arrived for the quiet period.
};

absl::string_view ReadEndName(ReadEnd end);

class Connection {
 public:
  // Connects to 127.0.0.1:`port`, retrying refused connections until
  // `deadline`. TCP_NODELAY is set so separate writes leave separately.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(int port, absl::Time deadline);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Writes all of `bytes`. A peer that closed mid-write is not an error here:
  // the harness compares what each server did, and closing is behaviour.
  absl::Status WriteAll(absl::string_view bytes, absl::Time deadline);

  // Half-closes the connection: the server sees EOF after what was written.
  void ShutdownWrite();

  // Appends received bytes to `*out` until `done(*out)` is true, EOF, or
  // `deadline`. `done` is checked after every read (and once before any).
  ReadEnd ReadUntil(const std::function<bool(absl::string_view)>& done, absl::Time deadline,
                    std::string* out);

  // Appends received bytes to `*out` until no byte has arrived for `quiet`,
  // EOF, or `deadline`.
  ReadEnd ReadUntilQuiet(absl::Duration quiet, absl::Time deadline, std::string* out);

 private:
  explicit Connection(int fd) : fd_(fd) {}

  // Waits for readability until `until`; then reads once into `*out`.
  // Returns kCondition when bytes were read, kEof or kDeadline otherwise.
  ReadEnd ReadSome(absl::Time until, std::string* out);

  const int fd_;
  bool eof_ = false;
};

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_CONNECTION_H_
