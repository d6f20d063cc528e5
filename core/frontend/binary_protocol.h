// BinaryProtocol: the binary decoder of a frontend::Connection. It runs one
// packet from the connection's input: parses it, writes memcached's error
// response for a packet it refuses (bad magic closes; a too-large value is
// swallowed), answers noop and quit (quiet or not) itself, applies an
// injected failure with the status memcached sends for its text, and hands
// every other opcode to the Backend with an Exchange. Quiet opcodes are the
// back end's to honour when it encodes (protocol::BinaryResponseIsSent).
//
// Private to core/frontend. Thread-compatible: the connection's loop thread.

#ifndef MEMKIT_CORE_FRONTEND_BINARY_PROTOCOL_H_
#define MEMKIT_CORE_FRONTEND_BINARY_PROTOCOL_H_

namespace memkit {
namespace frontend {

class Connection;

class BinaryProtocol {
 public:
  // Runs the next packet of `c`'s input. Returns false when the connection
  // must stop parsing for now (need more bytes, closing).
  static bool Step(Connection* c);
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_BINARY_PROTOCOL_H_
