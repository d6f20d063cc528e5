// Meta protocol commands (mg, ms, md, ma, me; mn is answered inline):
// memcached 1.6.18's process_m*_command() after the parser accepted the
// request, with its return flags, its quiet-mode rules (q hides mg's EN and
// the HD of ms, md and ma) and its error strings.

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "core/status/status.h"
#include "server/handlers/cache_session.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

using protocol::MetaCode;
using protocol::MetaItemInfo;
using protocol::MetaReplyLine;

// Copies everything into an OutputQueue (meta status lines are short).
class QueueSink final : public protocol::AsciiSink {
 public:
  explicit QueueSink(net::OutputQueue* out) : out_(out) {}
  void Append(absl::string_view bytes) override { out_->Append(bytes); }

 private:
  net::OutputQueue* out_;
};

}  // namespace

void CacheSession::MetaGet() {
  GetOptions options;
  options.bump = !ascii_->HasMetaFlag('u');
  if (ascii_->HasMetaFlag('T')) options.new_exptime = ascii_->exptime;
  if (ascii_->HasMetaFlag('N')) options.vivify_exptime = ascii_->vivify_ttl;
  if (ascii_->HasMetaFlag('R')) options.recache_exptime = ascii_->recache_ttl;
  WatchLookup(ascii_->key);
  GetResult g = core_->cache->Get(ascii_->key, options);
  if (!g.hit()) {
    if (ascii_->noreply) return;
    QueueSink sink(out_);
    protocol::WriteMetaStatus(&sink, MetaCode::kEN, *ascii_);
    return;
  }
  const absl::string_view value = g.item.value();
  const bool with_value = ascii_->HasMetaFlag('v');
  MetaReplyLine line;
  if (with_value) {
    line.StartValue(value.size());
  } else {
    line.Start(MetaCode::kHD);
  }
  MetaItemInfo info;
  info.size = value.size();
  info.ttl = g.ttl;
  info.cas = g.cas;
  info.flags = g.item.client_flags();
  info.last_access = g.last_access;
  info.fetched = g.fetched;
  // memcached prints a hit's key as the item was stored (ms with b or not),
  // whatever this request sent.
  info.key_is_base64 = g.item.key_binary();
  protocol::AddMetaReturnFlags(*ascii_, "stcflhOk", info, &line);
  // Z before W: a request that wins is not told a token was already out.
  if (g.token_sent) line.AddFlag('Z');
  if (g.stale) line.AddFlag('X');
  if (g.win) line.AddFlag('W');
  out_->Append(line.Finish());
  if (with_value) {
    pins_.AppendValue(out_, g.item, value);
    out_->Append(protocol::kTextCrlf);
  }
  HoldUntilWritten(std::move(g.item));
}

void CacheSession::MetaSet() {
  StoreRequest request;
  switch (ascii_->set_mode) {
    case protocol::MetaSetMode::kAdd:
      request.mode = StoreMode::kAdd;
      break;
    case protocol::MetaSetMode::kAppend:
      request.mode = StoreMode::kAppend;
      break;
    case protocol::MetaSetMode::kPrepend:
      request.mode = StoreMode::kPrepend;
      break;
    case protocol::MetaSetMode::kReplace:
      request.mode = StoreMode::kReplace;
      break;
    case protocol::MetaSetMode::kSet:
      request.mode = StoreMode::kSet;
      break;
  }
  const bool has_cas = ascii_->HasMetaFlag('C');
  if (has_cas) {
    request.cas = ascii_->cas;
    // memcached: a CAS value upgrades set and replace to a CAS store.
    if (request.mode == StoreMode::kSet || request.mode == StoreMode::kReplace) {
      request.mode = StoreMode::kCas;
      request.set_stale = ascii_->HasMetaFlag('I');
    }
  }
  request.client_flags = ascii_->flags;
  request.exptime = ascii_->HasMetaFlag('T') ? ascii_->exptime : 0;
  request.drop_on_failure = true;  // memcached unlinks the key for every failed ms allocation
  request.key_binary = ascii_->key_is_base64;
  const StoreResult r = StoreWatched(ascii_->key, ascii_->value, request);
  MetaCode code;
  switch (r.code) {
    case McCode::kOk:
      if (ascii_->noreply) return;
      code = MetaCode::kHD;
      break;
    case McCode::kExists:
      code = MetaCode::kEX;
      break;
    case McCode::kNotFound:
      code = MetaCode::kNF;
      break;
    case McCode::kNotStored:
      code = MetaCode::kNS;
      break;
    case McCode::kTooLarge:
      out_->Append(protocol::kTextTooLarge);
      return;
    case McCode::kOutOfMemory:
      out_->Append(protocol::kTextOutOfMemory);
      return;
    default:
      out_->Append(kBadCommandLineFormatLine);
      return;
  }
  MetaReplyLine line;
  line.Start(code);
  MetaItemInfo info;
  info.cas = r.code == McCode::kOk ? r.cas : 0;
  info.key_is_base64 = ascii_->key_is_base64;
  protocol::AddMetaReturnFlags(*ascii_, "Okc", info, &line);
  out_->Append(line.Finish());
}

void CacheSession::MetaDelete() {
  DeleteOptions options;
  if (ascii_->HasMetaFlag('C')) options.cas = ascii_->cas;
  options.mark_stale = ascii_->HasMetaFlag('I');
  if (options.mark_stale && ascii_->HasMetaFlag('T')) options.new_exptime = ascii_->exptime;
  WatchLookup(ascii_->key);
  const McCode result = core_->cache->Delete(ascii_->key, options);
  MetaCode code = MetaCode::kNF;
  if (result == McCode::kOk) {
    if (ascii_->noreply) return;
    code = MetaCode::kHD;
  } else if (result == McCode::kExists) {
    code = MetaCode::kEX;
  }
  QueueSink sink(out_);
  protocol::WriteMetaStatus(&sink, code, *ascii_);
}

void CacheSession::MetaArithmetic() {
  ArithmeticOptions options;
  options.incr = ascii_->arithmetic_mode == protocol::MetaArithmeticMode::kIncrement;
  options.delta = ascii_->delta;
  if (ascii_->HasMetaFlag('C')) options.cas = ascii_->cas;
  if (ascii_->HasMetaFlag('N')) {
    options.vivify = true;
    options.initial = ascii_->initial;
    options.vivify_exptime = ascii_->vivify_ttl;
  }
  if (ascii_->HasMetaFlag('T')) options.new_exptime = ascii_->exptime;
  const ArithmeticResult r = ArithmeticWatched(ascii_->key, options, /*meta=*/true);
  MetaCode code;
  switch (r.code) {
    case McCode::kOk: {
      // q hides the reply to an increment, but not to one that created the
      // counter (N): memcached's vivify path never marks its reply skippable.
      if (ascii_->noreply && !r.created) return;
      char digits[24];
      char* end = digits;
      {
        // Decimal form of the new value (the VA body).
        char tmp[24];
        int n = 0;
        uint64_t v = r.value;
        do {
          tmp[n++] = static_cast<char>('0' + v % 10);
          v /= 10;
        } while (v != 0);
        while (n > 0) *end++ = tmp[--n];
      }
      const absl::string_view number(digits, static_cast<size_t>(end - digits));
      const bool with_value = ascii_->HasMetaFlag('v');
      MetaReplyLine line;
      if (with_value) {
        line.StartValue(number.size());
      } else {
        line.Start(MetaCode::kHD);
      }
      MetaItemInfo info;
      info.cas = r.cas;
      info.ttl = r.ttl;
      info.key_is_base64 = ascii_->key_is_base64;
      protocol::AddMetaReturnFlags(*ascii_, "ctOk", info, &line);
      out_->Append(line.Finish());
      if (with_value) out_->Append({number, protocol::kTextCrlf});
      return;
    }
    case McCode::kNonNumeric:
      out_->Append(protocol::kTextNonNumeric);
      return;
    case McCode::kOutOfMemory:
      out_->Append("SERVER_ERROR out of memory\r\n");
      return;
    case McCode::kExists:
      code = MetaCode::kEX;
      break;
    case McCode::kNotStored:
      code = MetaCode::kNS;
      break;
    default:
      code = MetaCode::kNF;
      break;
  }
  QueueSink sink(out_);
  protocol::WriteMetaStatus(&sink, code, *ascii_);
}

void CacheSession::MetaDebug() {
  worker_->counters.meta_cmds.Inc();
  const std::optional<ItemInfo> info = core_->cache->Inspect(ascii_->key);
  if (!info.has_value()) {
    out_->Append(protocol::kMetaMissReply);
    return;
  }
  QueueSink sink(out_);
  // memcached prints exp as now - exptime: minus the seconds left, -1 for never.
  const int64_t exp = info->ttl < 0 ? -1 : -info->ttl;
  protocol::WriteMetaDebug(&sink, ascii_->key, info->key_binary, exp, info->idle, info->cas,
                           info->fetched, static_cast<uint32_t>(info->slab_class),
                           info->total_size);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
