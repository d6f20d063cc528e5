// MetaProtocol: the meta commands' part of a frontend::Connection (mg, ms,
// md, ma, me, mn). The line is read by TextProtocol (memcached tells text
// and meta apart by the command word, one parser reads both); once decoded,
// a meta request comes here: "mn" is answered by the front end itself (and
// is a write point: memcached flushes on it), everything else goes to the
// Backend. Opaques (O), keys (k), base64 keys (b) and q are the back end's to
// echo and honour when it encodes (meta_reply_writer.h, or request.h's
// ReplyWriter).
//
// Private to core/frontend. Thread-compatible: the connection's loop thread.

#ifndef MEMKIT_CORE_FRONTEND_META_PROTOCOL_H_
#define MEMKIT_CORE_FRONTEND_META_PROTOCOL_H_

namespace memkit {
namespace frontend {

class Connection;
class Exchange;

class MetaProtocol {
 public:
  // Runs the decoded meta request in `c`'s ascii_ with `ex`.
  static void Run(Connection* c, Exchange* ex);
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_META_PROTOCOL_H_
