#include "core/frontend/meta_protocol.h"

#include "core/frontend/connection.h"
#include "core/protocol/meta_reply_writer.h"

namespace memkit {
namespace frontend {

void MetaProtocol::Run(Connection* c, Exchange* ex) {
  if (c->ascii().command == protocol::AsciiCommand::kMetaNoop) {
    ex->out()->Append(protocol::kMetaNoopReply);
    ex->WritePoint();  // mn forces memcached to write
    ex->Finish();
    return;
  }
  c->backend_->OnTextRequest(c->ascii(), ex);
}

}  // namespace frontend
}  // namespace memkit
