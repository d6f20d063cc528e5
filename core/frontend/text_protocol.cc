// memcached 1.6.18's text/meta connection behaviour around the parser
// (core/protocol/ascii_parser.h): what is swallowed, held, dropped or closed
// after each request, and the replies the front end writes itself.

#include "core/frontend/text_protocol.h"

#include <cstring>

#include "core/frontend/connection.h"
#include "core/frontend/meta_protocol.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/text_reply_writer.h"

namespace memkit {
namespace frontend {

using protocol::AsciiCommand;

bool TextProtocol::Step(Connection* c) {
  net::ReadBuffer& in = c->conn_->input();
  const absl::string_view input = in.data();
  const protocol::ParseResult r = protocol::ParseAsciiRequest(input, c->options().ascii, &c->ascii());
  if (r.incomplete()) {
    c->wait_until_ = Connection::Saturate32(input.size() + r.bytes_needed);
    // A complete line means a storage command waiting for its data block
    // (memcached's conn_nread, which holds replies back); otherwise the line
    // itself is unfinished (memcached writes what it has meanwhile).
    c->awaiting_value_ =
        r.bytes_needed > 1 || std::memchr(input.data(), '\n', input.size()) != nullptr;
    if (r.bytes_needed > 1) {
      c->SetState(ConnectionState::kNread);
      c->ReserveOrClose(r.bytes_needed);
    }
    return false;
  }
  c->wait_until_ = 0;
  c->awaiting_value_ = false;
  if (r.status == protocol::ParseStatus::kError) {
    HandleError(c, input, r);
    in.Consume(r.consumed);
    return !c->closing_;
  }
  const AsciiCommand command = c->ascii().command;
  bool fail = false;
  Exchange* ex = c->BeginExchange(/*consult_faults=*/true, &fail);
  if (fail) {
    ex->out()->Append({"SERVER_ERROR ", c->fail_message(), "\r\n"});
    ex->Finish();
  } else if (command == AsciiCommand::kQuit) {
    ex->Finish();
    c->CloseAfterReplies();
  } else if (protocol::IsMetaCommand(command)) {
    ex->request_bytes_ = input.substr(0, r.consumed);
    MetaProtocol::Run(c, ex);
  } else {
    ex->request_bytes_ = input.substr(0, r.consumed);
    c->backend_->OnTextRequest(c->ascii(), ex);
    // memcached writes after every get.
    if (protocol::IsTextRetrievalCommand(command)) ex->WritePoint();
  }
  c->EndExchange(ex);
  in.Consume(r.consumed);
  if (c->drop_buffered_input_) {
    c->drop_buffered_input_ = false;
    in.Consume(in.size());
  }
  return !c->closing_ && !c->ignore_input_;
}

void TextProtocol::HandleError(Connection* c, absl::string_view input,
                               const protocol::ParseResult& r) {
  const protocol::ProtocolError& e = r.error;
  Exchange* ex = c->BeginOwnReply();
  if (!c->backend_->OnTextError(input.substr(0, r.consumed), c->ascii(), e, ex->out())) {
    // A get with a too-long key: memcached has looked up the keys before it
    // (the back end's OnTextError), then discards every unwritten reply.
    if (e.drop_unsent) ex->DropUnwritten();
    if (!e.reply.empty()) ex->out()->Append(e.reply);
    c->swallow_ = e.swallow;
    if (e.close) {
      // memcached hangs up at once: replies it had not written yet are lost.
      if (e.reply.empty()) ex->DropUnwritten();
      c->CloseAfterReplies();
    }
  }
  ex->Finish();
  c->EndExchange(ex);
}

}  // namespace frontend
}  // namespace memkit
