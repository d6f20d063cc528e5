#include "core/protocol/ascii_rewrite.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/protocol/ascii_internal.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/meta_request_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "core/protocol/text_request_writer.h"

namespace memkit {
namespace protocol {
namespace testing {
namespace {

MetaFlags FlagsOf(const AsciiRequest& req) {
  MetaFlags flags;
  for (const MetaFlag& f : req.meta_flags()) {
    if (f.flag == 'b') continue;  // the writer adds it for base64 keys
    if (f.token.empty()) {
      flags.Add(f.flag);
    } else {
      flags.Add(f.flag, f.token);
    }
  }
  return flags;
}

std::string JoinArgs(const AsciiRequest& req) {
  std::string out;
  for (absl::string_view arg : req.args()) {
    if (!out.empty()) out += ' ';
    out.append(arg.data(), arg.size());
  }
  return out;
}

}  // namespace

absl::Status RewriteRequest(const AsciiRequest& req, AsciiSink* sink) {
  switch (req.command) {
    case AsciiCommand::kGet:
    case AsciiCommand::kGets:
      return WriteGetRequest(sink, req.command, req.keys);
    case AsciiCommand::kGat:
    case AsciiCommand::kGats:
      return WriteGatRequest(sink, req.command, req.exptime, req.keys);
    case AsciiCommand::kSet:
    case AsciiCommand::kAdd:
    case AsciiCommand::kReplace:
    case AsciiCommand::kAppend:
    case AsciiCommand::kPrepend:
    case AsciiCommand::kCas:
      return WriteStorageRequest(sink, req.command, req.key, req.flags, req.exptime, req.value,
                                 req.cas, req.noreply);
    case AsciiCommand::kDelete:
      return WriteDeleteRequest(sink, req.key, req.noreply);
    case AsciiCommand::kIncr:
    case AsciiCommand::kDecr:
      return WriteArithmeticRequest(sink, req.command, req.key, req.delta, req.noreply);
    case AsciiCommand::kTouch:
      return WriteTouchRequest(sink, req.key, req.exptime, req.noreply);
    case AsciiCommand::kFlushAll:
      WriteFlushAllRequest(sink, req.has_delay ? absl::optional<int32_t>(req.exptime)
                                               : absl::nullopt,
                           req.noreply);
      return absl::OkStatus();
    case AsciiCommand::kVerbosity:
      WriteVerbosityRequest(sink, req.number, req.noreply);
      return absl::OkStatus();
    case AsciiCommand::kVersion:
      WriteVersionRequest(sink);
      return absl::OkStatus();
    case AsciiCommand::kQuit:
      WriteQuitRequest(sink);
      return absl::OkStatus();
    case AsciiCommand::kStats:
      return WriteStatsRequest(sink, JoinArgs(req));
    case AsciiCommand::kShutdown:
      WriteShutdownRequest(sink, req.shutdown_mode == ShutdownMode::kGraceful);
      return absl::OkStatus();
    case AsciiCommand::kCacheMemlimit:
      WriteCacheMemlimitRequest(sink, req.number, req.noreply);
      return absl::OkStatus();
    case AsciiCommand::kMetaGet:
      return WriteMetaGetRequest(sink, req.key, FlagsOf(req), req.key_is_base64);
    case AsciiCommand::kMetaSet:
      return WriteMetaSetRequest(sink, req.key, req.value, FlagsOf(req), req.key_is_base64);
    case AsciiCommand::kMetaDelete:
      return WriteMetaDeleteRequest(sink, req.key, FlagsOf(req), req.key_is_base64);
    case AsciiCommand::kMetaArithmetic:
      return WriteMetaArithmeticRequest(sink, req.key, FlagsOf(req), req.key_is_base64);
    case AsciiCommand::kMetaNoop:
      WriteMetaNoopRequest(sink);
      return absl::OkStatus();
    case AsciiCommand::kMetaDebug:
      return WriteMetaDebugRequest(sink, req.key, req.key_is_base64);
    case AsciiCommand::kAdmin:
    case AsciiCommand::kNone:
      break;
  }
  return absl::UnimplementedError("no writer for this command");
}

namespace {

// Item facts a meta reply reports, read back from it.
MetaItemInfo InfoFromReply(const AsciiResponse& reply) {
  MetaItemInfo info;
  uint64_t u = 0;
  int64_t i = 0;
  if (reply.MetaNumber('s', &u)) info.size = u;
  if (reply.MetaSigned('t', &i)) info.ttl = i;
  if (reply.MetaNumber('c', &u)) info.cas = u;
  if (reply.MetaNumber('f', &u)) info.flags = static_cast<uint32_t>(u);
  if (reply.MetaNumber('l', &u)) info.last_access = u;
  if (reply.MetaNumber('h', &u)) info.fetched = u != 0;
  info.key_is_base64 = reply.HasMetaFlag('b');
  return info;
}

absl::Status RewriteMeta(const AsciiResponse& reply, const AsciiRequest& req, AsciiSink* sink) {
  MetaReplyLine line;
  if (reply.meta_code == MetaCode::kVA) {
    line.StartValue(reply.value.size());
  } else {
    line.Start(reply.meta_code);
  }
  const bool hit = reply.meta_code == MetaCode::kVA || reply.meta_code == MetaCode::kHD;
  absl::string_view which = "Ok";
  switch (req.command) {
    case AsciiCommand::kMetaGet:
      if (hit) which = "stcflhOk";
      break;
    case AsciiCommand::kMetaSet:
      which = "Okc";
      break;
    case AsciiCommand::kMetaArithmetic:
      if (hit) which = "ctOk";
      break;
    default:
      break;
  }
  AddMetaReturnFlags(req, which, InfoFromReply(reply), &line);
  if (req.command == AsciiCommand::kMetaGet && hit) {
    // memcached adds these after the requested flags, in this order.
    for (char f : {'Z', 'X', 'W'}) {
      if (reply.HasMetaFlag(f)) line.AddFlag(f);
    }
  }
  if (line.overflow()) return absl::InternalError("meta reply overflow");
  if (reply.meta_code == MetaCode::kVA) {
    WriteMetaValue(sink, &line, reply.value);
  } else {
    sink->Append(line.Finish());
  }
  return absl::OkStatus();
}

absl::Status RewriteMetaDebug(const AsciiResponse& reply, const AsciiRequest& req,
                              AsciiSink* sink) {
  // "exp=<i> la=<u> cas=<u> fetch=<yes|no> cls=<u> size=<u>"
  std::vector<absl::string_view> pairs = absl::StrSplit(reply.message, ' ');
  if (pairs.size() != 6) return absl::DataLossError("unexpected ME line");
  int64_t exp = 0;
  uint64_t la = 0, cas = 0, cls = 0, size = 0;
  if (!internal::ParseStrictI64(pairs[0].substr(4), &exp) ||
      !internal::ParseStrictU64(pairs[1].substr(3), &la) ||
      !internal::ParseStrictU64(pairs[2].substr(4), &cas) ||
      !internal::ParseStrictU64(pairs[4].substr(4), &cls) ||
      !internal::ParseStrictU64(pairs[5].substr(5), &size)) {
    return absl::DataLossError("unexpected ME numbers");
  }
  WriteMetaDebug(sink, req.key, req.key_is_base64, exp, la, cas, pairs[3] == "fetch=yes",
                 static_cast<uint32_t>(cls), size);
  return absl::OkStatus();
}

}  // namespace

absl::Status RewriteReply(const AsciiResponse& reply, const AsciiRequest& req, AsciiSink* sink) {
  switch (reply.kind) {
    case AsciiResponseKind::kValue:
      WriteValue(sink, reply.key, reply.flags, reply.value, reply.has_cas, reply.cas);
      return absl::OkStatus();
    case AsciiResponseKind::kEnd:
      sink->Append(kTextEnd);
      return absl::OkStatus();
    case AsciiResponseKind::kStored:
      sink->Append(kTextStored);
      return absl::OkStatus();
    case AsciiResponseKind::kNotStored:
      sink->Append(kTextNotStored);
      return absl::OkStatus();
    case AsciiResponseKind::kExists:
      sink->Append(kTextExists);
      return absl::OkStatus();
    case AsciiResponseKind::kNotFound:
      sink->Append(kTextNotFound);
      return absl::OkStatus();
    case AsciiResponseKind::kDeleted:
      sink->Append(kTextDeleted);
      return absl::OkStatus();
    case AsciiResponseKind::kTouched:
      sink->Append(kTextTouched);
      return absl::OkStatus();
    case AsciiResponseKind::kOk:
      sink->Append(kTextOk);
      return absl::OkStatus();
    case AsciiResponseKind::kReset:
      sink->Append(kTextReset);
      return absl::OkStatus();
    case AsciiResponseKind::kNumber:
      WriteNumber(sink, reply.number);
      return absl::OkStatus();
    case AsciiResponseKind::kStat:
      WriteStat(sink, reply.stat_name, reply.stat_value);
      return absl::OkStatus();
    case AsciiResponseKind::kVersion:
      WriteVersion(sink, reply.message);
      return absl::OkStatus();
    case AsciiResponseKind::kClientError:
      WriteClientError(sink, reply.message);
      return absl::OkStatus();
    case AsciiResponseKind::kServerError:
      WriteServerError(sink, reply.message);
      return absl::OkStatus();
    case AsciiResponseKind::kError:
    case AsciiResponseKind::kOther:
      WriteLine(sink, reply.line);
      return absl::OkStatus();
    case AsciiResponseKind::kMeta:
      return RewriteMeta(reply, req, sink);
    case AsciiResponseKind::kMetaDebug:
      return RewriteMetaDebug(reply, req, sink);
    case AsciiResponseKind::kNone:
      break;
  }
  return absl::InternalError("nothing to rewrite");
}

absl::Status RewriteReplyAsParsed(const AsciiResponse& reply, AsciiSink* sink) {
  if (reply.kind == AsciiResponseKind::kMeta) {
    MetaReplyLine line;
    if (reply.meta_code == MetaCode::kVA) {
      line.StartValue(reply.value.size());
    } else {
      line.Start(reply.meta_code);
    }
    for (const MetaFlag& f : reply.meta_flags()) line.AddToken(f.flag, f.token);
    if (line.overflow()) return absl::InternalError("meta reply overflow");
    if (reply.meta_code == MetaCode::kVA) {
      WriteMetaValue(sink, &line, reply.value);
    } else {
      sink->Append(line.Finish());
    }
    return absl::OkStatus();
  }
  if (reply.kind == AsciiResponseKind::kMetaDebug) {
    std::string line = "ME ";
    line.append(reply.key.data(), reply.key.size());
    line += ' ';
    line.append(reply.message.data(), reply.message.size());
    WriteLine(sink, line);
    return absl::OkStatus();
  }
  return RewriteReply(reply, AsciiRequest(), sink);
}

std::string DescribeResponse(const AsciiResponse& r) {
  std::string out = absl::StrCat(static_cast<int>(r.kind), "|", absl::CHexEscape(r.key), "|",
                                 r.flags, "|", r.has_cas, ":", r.cas, "|", absl::CHexEscape(r.value),
                                 "|", r.number, "|", absl::CHexEscape(r.stat_name), "|",
                                 absl::CHexEscape(r.stat_value), "|", absl::CHexEscape(r.message),
                                 "|", static_cast<int>(r.meta_code), "|");
  for (const MetaFlag& f : r.meta_flags()) {
    absl::StrAppend(&out, absl::CHexEscape(absl::string_view(&f.flag, 1)),
                    absl::CHexEscape(f.token), ",");
  }
  return out;
}

}  // namespace testing
}  // namespace protocol
}  // namespace memkit
