// TextProtocol: the text decoder of a frontend::Connection, which also
// reads meta lines (one parser reads both: memcached tells them apart by the
// command word) and passes those to MetaProtocol. It runs one request from
// the connection's input: parses it, applies memcached's error behaviour
// (what to swallow after a refused storage command, which errors close, a
// too-long get key dropping unwritten replies), answers "quit" itself,
// makes every get a write point, applies an injected failure, and hands
// everything else to the Backend with an Exchange.
//
// Private to core/frontend. Thread-compatible: the connection's loop thread.

#ifndef MEMKIT_CORE_FRONTEND_TEXT_PROTOCOL_H_
#define MEMKIT_CORE_FRONTEND_TEXT_PROTOCOL_H_

#include "absl/strings/string_view.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace frontend {

class Connection;

class TextProtocol {
 public:
  // Runs the next request of `c`'s input. Returns false when the
  // connection must stop parsing for now (need more bytes, closing, watch).
  static bool Step(Connection* c);

 private:
  static void HandleError(Connection* c, absl::string_view input,
                          const protocol::ParseResult& result);
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_TEXT_PROTOCOL_H_
