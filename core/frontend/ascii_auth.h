// AsciiAuth: the decoder of a frontend::Connection that has not yet
// authenticated under memcached's ASCII authentication (-Y). Until the
// client logs in, memcached 1.6.18 reads nothing but its auth command:
//
//   set <any key> <any flags> <any ttl> <N>\r\n<user> <password>\r\n
//
//  - any other line (including quit, a binary header, a malformed set) gets
//    "CLIENT_ERROR unauthenticated" and runs nothing;
//  - the N+2 data bytes must end in \r\n, else "CLIENT_ERROR bad command
//    line termination";
//  - fewer than two space-separated words in them: "CLIENT_ERROR bad
//    authentication token format"; good ones "STORED" (the connection then
//    speaks text), bad ones "CLIENT_ERROR authentication failure";
//  - noreply is ignored; a line of more than 2048 bytes without a newline
//    closes the connection;
//  - memcached reuses one response object for every reply of one read batch
//    here, so only the last reply of a batch is sent; so does this.
//
// Private to core/frontend. Thread-compatible: the connection's loop thread.

#ifndef MEMKIT_CORE_FRONTEND_ASCII_AUTH_H_
#define MEMKIT_CORE_FRONTEND_ASCII_AUTH_H_

#include "absl/strings/string_view.h"

namespace memkit {
namespace frontend {

class Connection;

class AsciiAuth {
 public:
  // Runs the next request of `c`'s input (see the file comment). Returns
  // false when the connection must stop parsing for now.
  static bool Step(Connection* c);

 private:
  static void Reply(Connection* c, absl::string_view line);
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_ASCII_AUTH_H_
