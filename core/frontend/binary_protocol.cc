// memcached 1.6.18's binary connection behaviour around the parser
// (core/protocol/binary_request_parser.h): error responses and when they
// are written, swallowing, closing on bad magic, noop and quit.

#include "core/frontend/binary_protocol.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/frontend/connection.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_response_writer.h"
#include "core/status/status.h"

namespace memkit {
namespace frontend {

using protocol::BinaryOpcode;
using protocol::BinaryStatus;

namespace {

void Send(net::OutputQueue* out, const protocol::BinaryPacket& packet) {
  out->Append({packet.head(), packet.key, packet.body});
}

}  // namespace

bool BinaryProtocol::Step(Connection* c) {
  net::ReadBuffer& in = c->conn_->input();
  const absl::string_view input = in.data();
  protocol::BinaryRequest& request = c->binary();
  const protocol::BinaryParserOptions& shared = c->options().binary;
  protocol::ParseResult r;
  if (shared.authenticated == c->binary_authenticated_) {
    r = protocol::ParseBinaryRequest(input, shared, &request);
  } else {
    protocol::BinaryParserOptions own = shared;  // after a SASL login only
    own.authenticated = c->binary_authenticated_;
    r = protocol::ParseBinaryRequest(input, own, &request);
  }
  if (r.incomplete()) {
    c->wait_until_ = Connection::Saturate32(input.size() + r.bytes_needed);
    // With header, extras and key in, only a value can be missing: memcached
    // is in conn_nread and holds its replies back meanwhile.
    c->awaiting_value_ = false;
    if (input.size() >= protocol::kBinaryHeaderSize) {
      c->SetState(ConnectionState::kNread);
      const size_t head = protocol::kBinaryHeaderSize + static_cast<uint8_t>(input[4]) +
                          protocol::LoadBigEndian16(input.data() + 2);
      c->awaiting_value_ = input.size() >= head;
    }
    c->ReserveOrClose(r.bytes_needed);
    return false;
  }
  c->wait_until_ = 0;
  c->awaiting_value_ = false;
  if (r.status == protocol::ParseStatus::kError) {
    const protocol::ProtocolError& e = r.error;
    c->backend_->OnBinaryError(request, e);
    Exchange* ex = c->BeginOwnReply();
    if (e.reply.empty()) {
      if (e.close) ex->DropUnwritten();  // bad magic: memcached hangs up at once
    } else {
      ex->out()->Append(e.reply);
      // memcached writes its error responses at once, unless it must first
      // swallow a body (it writes after that).
      if (e.swallow == 0) ex->WritePoint();
    }
    ex->Finish();
    c->EndExchange(ex);
    in.Consume(r.consumed);
    c->swallow_ = e.swallow;
    if (e.close) {
      c->CloseAfterReplies();
      return false;
    }
    return true;
  }
  const uint8_t op = static_cast<uint8_t>(request.opcode);
  bool fail = false;
  Exchange* ex = c->BeginExchange(/*consult_faults=*/true, &fail);
  if (fail) {
    // The status memcached would send for that SERVER_ERROR text, read the
    // way core/status reads it: out of memory is 0x0082, anything else an
    // internal error.
    const bool out_of_memory =
        GetMcCode(StatusFromTextReply(absl::StrCat("SERVER_ERROR ", c->fail_message()))) ==
        McCode::kOutOfMemory;
    Send(ex->out(), protocol::BinaryErrorResponse(
                        op, request.opaque,
                        out_of_memory ? BinaryStatus::kOutOfMemory : BinaryStatus::kInternalError,
                        c->fail_message()));
    ex->Finish();
  } else if (request.command == BinaryOpcode::kNoop) {
    Send(ex->out(), protocol::BinarySuccessResponse(op, request.opaque));
    ex->WritePoint();  // noop forces memcached to write
    ex->Finish();
  } else if (request.command == BinaryOpcode::kQuit) {
    if (protocol::BinaryResponseIsSent(op, BinaryStatus::kSuccess)) {
      Send(ex->out(), protocol::BinarySuccessResponse(op, request.opaque));
    }
    ex->Finish();
    c->CloseAfterReplies();
  } else {
    ex->request_bytes_ = input.substr(0, r.consumed);
    c->backend_->OnBinaryRequest(request, ex);
  }
  c->EndExchange(ex);
  in.Consume(r.consumed);
  return !c->closing_;
}

}  // namespace frontend
}  // namespace memkit
