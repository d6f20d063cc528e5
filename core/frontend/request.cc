#include "core/frontend/request.h"

#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_response_writer.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/text_reply_writer.h"

namespace memkit {
namespace frontend {

using protocol::AsciiCommand;
using protocol::BinaryOpcode;
using protocol::BinaryStatus;

Request Request::FromText(const protocol::AsciiRequest& r) {
  Request q;
  q.text = &r;
  q.wire = protocol::IsMetaCommand(r.command) ? Wire::kMeta : Wire::kText;
  q.key_ = r.key;
  q.value = r.value;
  q.flags = r.flags;
  q.exptime = r.exptime;
  q.cas = r.cas;
  q.delta = r.delta;
  q.quiet = r.noreply;
  switch (r.command) {
    case AsciiCommand::kGet:
    case AsciiCommand::kGets:
    case AsciiCommand::kGat:
    case AsciiCommand::kGats:
      q.command = Command::kGet;
      q.multi_keys_ = absl::MakeConstSpan(r.keys);
      q.return_cas = r.command == AsciiCommand::kGets || r.command == AsciiCommand::kGats;
      q.has_exptime = r.command == AsciiCommand::kGat || r.command == AsciiCommand::kGats;
      break;
    case AsciiCommand::kSet:
      q.command = Command::kSet;
      break;
    case AsciiCommand::kAdd:
      q.command = Command::kAdd;
      break;
    case AsciiCommand::kReplace:
      q.command = Command::kReplace;
      break;
    case AsciiCommand::kAppend:
      q.command = Command::kAppend;
      break;
    case AsciiCommand::kPrepend:
      q.command = Command::kPrepend;
      break;
    case AsciiCommand::kCas:
      q.command = Command::kCas;
      break;
    case AsciiCommand::kDelete:
      q.command = Command::kDelete;
      break;
    case AsciiCommand::kIncr:
      q.command = Command::kIncr;
      break;
    case AsciiCommand::kDecr:
      q.command = Command::kDecr;
      break;
    case AsciiCommand::kTouch:
      q.command = Command::kTouch;
      q.has_exptime = true;
      break;
    case AsciiCommand::kFlushAll:
      q.command = Command::kFlushAll;
      q.has_exptime = r.has_delay;
      break;
    case AsciiCommand::kVersion:
      q.command = Command::kVersion;
      break;
    case AsciiCommand::kMetaGet:
      q.command = Command::kGet;
      q.with_value = r.HasMetaFlag('v');
      q.return_cas = r.HasMetaFlag('c');
      q.has_exptime = r.HasMetaFlag('T');
      break;
    case AsciiCommand::kMetaSet:
      switch (r.set_mode) {
        case protocol::MetaSetMode::kSet:
          q.command = Command::kSet;
          break;
        case protocol::MetaSetMode::kAdd:
          q.command = Command::kAdd;
          break;
        case protocol::MetaSetMode::kReplace:
          q.command = Command::kReplace;
          break;
        case protocol::MetaSetMode::kAppend:
          q.command = Command::kAppend;
          break;
        case protocol::MetaSetMode::kPrepend:
          q.command = Command::kPrepend;
          break;
      }
      q.has_exptime = r.HasMetaFlag('T');
      if (!q.has_exptime) q.exptime = 0;
      if (!r.HasMetaFlag('C')) q.cas = 0;
      q.return_cas = r.HasMetaFlag('c');
      break;
    case AsciiCommand::kMetaDelete:
      q.command = Command::kDelete;
      if (!r.HasMetaFlag('C')) q.cas = 0;
      break;
    case AsciiCommand::kMetaArithmetic:
      q.command = r.arithmetic_mode == protocol::MetaArithmeticMode::kIncrement ? Command::kIncr
                                                                               : Command::kDecr;
      q.create = r.HasMetaFlag('N');
      q.initial = r.initial;
      q.exptime = r.HasMetaFlag('N') ? r.vivify_ttl : 0;
      q.with_value = r.HasMetaFlag('v');
      q.return_cas = r.HasMetaFlag('c');
      if (!r.HasMetaFlag('C')) q.cas = 0;
      break;
    default:
      q.command = Command::kOther;
      break;
  }
  return q;
}

Request Request::FromBinary(const protocol::BinaryRequest& r) {
  Request q;
  q.binary = &r;
  q.wire = Wire::kBinary;
  q.key_ = r.key;
  q.value = r.value;
  q.flags = r.flags;
  q.exptime = r.exptime;
  q.cas = r.cas;
  q.delta = r.delta;
  q.initial = r.initial;
  q.quiet = r.quiet;
  q.opaque = r.opaque;
  q.return_cas = true;  // binary responses always carry the cas
  switch (r.command) {
    case BinaryOpcode::kGet:
    case BinaryOpcode::kGetK:
      q.command = Command::kGet;
      break;
    case BinaryOpcode::kGat:
    case BinaryOpcode::kGatK:
      q.command = Command::kGet;
      q.has_exptime = true;
      break;
    case BinaryOpcode::kTouch:
      q.command = Command::kGet;
      q.has_exptime = true;
      q.with_value = false;
      break;
    case BinaryOpcode::kSet:
      q.command = Command::kSet;
      break;
    case BinaryOpcode::kAdd:
      q.command = Command::kAdd;
      break;
    case BinaryOpcode::kReplace:
      q.command = Command::kReplace;
      break;
    case BinaryOpcode::kAppend:
      q.command = Command::kAppend;
      break;
    case BinaryOpcode::kPrepend:
      q.command = Command::kPrepend;
      break;
    case BinaryOpcode::kDelete:
      q.command = Command::kDelete;
      break;
    case BinaryOpcode::kIncrement:
    case BinaryOpcode::kDecrement:
      q.command = r.command == BinaryOpcode::kIncrement ? Command::kIncr : Command::kDecr;
      // An expiration of 0xffffffff means "do not create".
      q.create = r.exptime != 0xffffffffu;
      break;
    case BinaryOpcode::kFlush:
      q.command = Command::kFlushAll;
      q.has_exptime = r.exptime != 0;
      break;
    case BinaryOpcode::kVersion:
      q.command = Command::kVersion;
      break;
    default:
      q.command = Command::kOther;
      break;
  }
  return q;
}

// ---- ReplyWriter

namespace {

class QueueSink final : public protocol::AsciiSink {
 public:
  explicit QueueSink(net::OutputQueue* out) : out_(out) {}
  void Append(absl::string_view bytes) override { out_->Append(bytes); }

 private:
  net::OutputQueue* out_;
};

uint8_t Op(const Request& r) { return static_cast<uint8_t>(r.binary->opcode); }

}  // namespace

void ReplyWriter::Value(absl::string_view key, uint32_t flags, uint64_t cas,
                        absl::string_view value, net::OutputQueue::ReleaseFn release, void* arg) {
  switch (req_.wire) {
    case Wire::kText: {
      char line[protocol::kMaxValueLineSize];
      out_->Append(
          protocol::FormatValueLine(line, key, flags, value.size(), req_.return_cas, cas));
      out_->AppendRef(value, release, arg);
      out_->Append(protocol::kTextCrlf);
      return;
    }
    case Wire::kMeta: {
      protocol::MetaReplyLine line;
      if (req_.with_value) {
        line.StartValue(value.size());
      } else {
        line.Start(protocol::MetaCode::kHD);
      }
      protocol::MetaItemInfo info;
      info.size = value.size();
      info.cas = cas;
      info.flags = flags;
      protocol::AddMetaReturnFlags(*req_.text, "scfOk", info, &line);
      out_->Append(line.Finish());
      if (req_.with_value) {
        out_->AppendRef(value, release, arg);
        out_->Append(protocol::kTextCrlf);
      } else if (release != nullptr) {
        release(arg);
      }
      return;
    }
    case Wire::kBinary: {
      const protocol::BinaryPacket p = protocol::BinaryGetHitResponse(
          Op(req_), req_.opaque, flags, cas, key, req_.with_value ? value : absl::string_view());
      out_->Append({p.head(), p.key});
      if (!p.body.empty()) {
        out_->AppendRef(p.body, release, arg);
      } else if (release != nullptr) {
        release(arg);
      }
      return;
    }
  }
}

void ReplyWriter::Miss(absl::string_view key) {
  if (req_.wire == Wire::kMeta) {
    if (req_.quiet) return;
    QueueSink sink(out_);
    protocol::WriteMetaStatus(&sink, protocol::MetaCode::kEN, *req_.text);
  } else if (req_.wire == Wire::kBinary) {
    if (!protocol::BinaryResponseIsSent(Op(req_), BinaryStatus::kKeyNotFound)) return;
    const protocol::BinaryPacket p = protocol::BinaryGetMissResponse(Op(req_), req_.opaque, key);
    AppendPacket(p);
  }
}

void ReplyWriter::End() {
  if (req_.wire == Wire::kText) out_->Append(protocol::kTextEnd);
}

void ReplyWriter::MetaStatus(int code, uint64_t cas) {
  const auto meta_code = static_cast<protocol::MetaCode>(code);
  if (req_.quiet && meta_code == protocol::MetaCode::kHD) return;
  protocol::MetaReplyLine line;
  line.Start(meta_code);
  protocol::MetaItemInfo info;
  info.cas = cas;
  info.key_is_base64 = req_.text->key_is_base64;
  protocol::AddMetaReturnFlags(*req_.text, "Okc", info, &line);
  out_->Append(line.Finish());
}

void ReplyWriter::Binary(uint16_t status, uint64_t cas) {
  const auto s = static_cast<BinaryStatus>(status);
  if (!protocol::BinaryResponseIsSent(Op(req_), s)) return;
  const protocol::BinaryPacket p =
      s == BinaryStatus::kSuccess ? protocol::BinarySuccessResponse(Op(req_), req_.opaque, cas)
                                  : protocol::BinaryErrorResponse(Op(req_), req_.opaque, s);
  AppendPacket(p);
}

void ReplyWriter::Outcome(absl::string_view text_line, protocol::MetaCode meta,
                          BinaryStatus binary, uint64_t cas) {
  if (req_.wire == Wire::kText) {
    if (!req_.quiet) out_->Append(text_line);
  } else if (req_.wire == Wire::kMeta) {
    MetaStatus(static_cast<int>(meta), cas);
  } else {
    Binary(static_cast<uint16_t>(binary), cas);
  }
}

void ReplyWriter::Stored(uint64_t cas) {
  Outcome(protocol::kTextStored, protocol::MetaCode::kHD, BinaryStatus::kSuccess, cas);
}

void ReplyWriter::NotStored() {
  Outcome(protocol::kTextNotStored, protocol::MetaCode::kNS, BinaryStatus::kNotStored, 0);
}

void ReplyWriter::Exists() {
  Outcome(protocol::kTextExists, protocol::MetaCode::kEX, BinaryStatus::kKeyExists, 0);
}

void ReplyWriter::NotFound() {
  Outcome(protocol::kTextNotFound, protocol::MetaCode::kNF, BinaryStatus::kKeyNotFound, 0);
}

void ReplyWriter::Deleted() {
  Outcome(protocol::kTextDeleted, protocol::MetaCode::kHD, BinaryStatus::kSuccess, 0);
}

void ReplyWriter::Touched() {
  Outcome(protocol::kTextTouched, protocol::MetaCode::kHD, BinaryStatus::kSuccess, 0);
}

void ReplyWriter::Number(uint64_t value, uint64_t cas) {
  if (req_.wire == Wire::kText) {
    if (req_.quiet) return;
    out_->AppendDecimal(value);
    out_->Append(protocol::kTextCrlf);
  } else if (req_.wire == Wire::kMeta) {
    if (req_.quiet) return;
    char digits[24];
    size_t n = 0;
    char reversed[24];
    uint64_t v = value;
    do {
      reversed[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; ++i) digits[i] = reversed[n - 1 - i];
    const absl::string_view number(digits, n);
    protocol::MetaReplyLine line;
    if (req_.with_value) {
      line.StartValue(number.size());
    } else {
      line.Start(protocol::MetaCode::kHD);
    }
    protocol::MetaItemInfo info;
    info.cas = cas;
    info.key_is_base64 = req_.text->key_is_base64;
    protocol::AddMetaReturnFlags(*req_.text, "cOk", info, &line);
    out_->Append(line.Finish());
    if (req_.with_value) out_->Append({number, protocol::kTextCrlf});
  } else {
    if (!protocol::BinaryResponseIsSent(Op(req_), BinaryStatus::kSuccess)) return;
    const protocol::BinaryPacket p =
        protocol::BinaryCounterResponse(Op(req_), req_.opaque, cas, value);
    AppendPacket(p);
  }
}

void ReplyWriter::Ok() {
  if (req_.wire == Wire::kBinary) {
    Binary(static_cast<uint16_t>(BinaryStatus::kSuccess), 0);
  } else if (!req_.quiet) {
    out_->Append(protocol::kTextOk);
  }
}

void ReplyWriter::Version(absl::string_view version) {
  if (req_.wire == Wire::kBinary) {
    const protocol::BinaryPacket p = protocol::BinaryVersionResponse(req_.opaque, version);
    AppendPacket(p);
  } else {
    out_->Append({"VERSION ", version, "\r\n"});
  }
}

void ReplyWriter::ServerError(absl::string_view message) {
  ErrorLine(BinaryStatus::kInternalError, "SERVER_ERROR ", message);
}

void ReplyWriter::ClientError(absl::string_view message) {
  ErrorLine(BinaryStatus::kInvalidArguments, "CLIENT_ERROR ", message);
}

void ReplyWriter::ErrorLine(BinaryStatus binary, absl::string_view text_prefix,
                            absl::string_view message) {
  if (req_.wire == Wire::kBinary) {
    AppendPacket(protocol::BinaryErrorResponse(Op(req_), req_.opaque, binary, message));
  } else if (!(req_.wire == Wire::kText && req_.quiet)) {
    out_->Append({text_prefix, message, "\r\n"});
  }
}

void ReplyWriter::AppendPacket(const protocol::BinaryPacket& p) {
  out_->Append({p.head(), p.key, p.body});
}

void ReplyWriter::UnknownCommand() {
  if (req_.wire == Wire::kBinary) {
    const protocol::BinaryPacket p = protocol::BinaryErrorResponse(
        Op(req_), req_.opaque, BinaryStatus::kUnknownCommand);
    AppendPacket(p);
  } else {
    out_->Append(protocol::kTextError);
  }
}

}  // namespace frontend
}  // namespace memkit
