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
  explicit QueueSink(net::OutputQueue* out) : queue_(out) {}
  void Append(absl::string_view bytes) override { queue_->Append(bytes); }

 private:
  net::OutputQueue* queue_;
};

}  // namespace

void CacheSession::MetaGet() {
  GetOptions options;
  options.bump = !ascii()->HasMetaFlag('u');
  if (ascii()->HasMetaFlag('T')) options.new_exptime = ascii()->exptime;
  if (ascii()->HasMetaFlag('N')) options.vivify_exptime = ascii()->vivify_ttl;
  if (ascii()->HasMetaFlag('R')) options.recache_exptime = ascii()->recache_ttl;
  WatchLookup(ascii()->key);
  GetResult g = core_->cache->Get(ascii()->key, options);
  if (!g.hit()) {
    if (ascii()->noreply) return;
    QueueSink sink(out());
    protocol::WriteMetaStatus(&sink, MetaCode::kEN, *ascii());
    return;
  }
  const absl::string_view value = g.item.value();
  const bool with_value = ascii()->HasMetaFlag('v');
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
  protocol::AddMetaReturnFlags(*ascii(), "stcflhOk", info, &line);
  // Z before W: a request that wins is not told a token was already out.
  if (g.token_sent) line.AddFlag('Z');
  if (g.stale) line.AddFlag('X');
  if (g.win) line.AddFlag('W');
  out()->Append(line.Finish());
  if (with_value) {
    pins_.AppendValue(out(), g.item, value);
    out()->Append(protocol::kTextCrlf);
  }
  HoldUntilWritten(std::move(g.item));
}

void CacheSession::MetaSet() {
  StoreRequest request;
  switch (ascii()->set_mode) {
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
  const bool has_cas = ascii()->HasMetaFlag('C');
  if (has_cas) {
    request.cas = ascii()->cas;
    // memcached: a CAS value upgrades set and replace to a CAS store.
    if (request.mode == StoreMode::kSet || request.mode == StoreMode::kReplace) {
      request.mode = StoreMode::kCas;
      request.set_stale = ascii()->HasMetaFlag('I');
    }
  }
  request.client_flags = ascii()->flags;
  request.exptime = ascii()->HasMetaFlag('T') ? ascii()->exptime : 0;
  request.drop_on_failure = true;  // memcached unlinks the key for every failed ms allocation
  request.key_binary = ascii()->key_is_base64;
  const StoreResult r = StoreWatched(ascii()->key, ascii()->value, request);
  MetaCode code;
  switch (r.code) {
    case McCode::kOk:
      if (ascii()->noreply) return;
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
      out()->Append(protocol::kTextTooLarge);
      return;
    case McCode::kOutOfMemory:
      out()->Append(protocol::kTextOutOfMemory);
      return;
    default:
      out()->Append(kBadCommandLineFormatLine);
      return;
  }
  MetaReplyLine line;
  line.Start(code);
  MetaItemInfo info;
  info.cas = r.code == McCode::kOk ? r.cas : 0;
  info.key_is_base64 = ascii()->key_is_base64;
  protocol::AddMetaReturnFlags(*ascii(), "Okc", info, &line);
  out()->Append(line.Finish());
}

void CacheSession::MetaDelete() {
  DeleteOptions options;
  if (ascii()->HasMetaFlag('C')) options.cas = ascii()->cas;
  options.mark_stale = ascii()->HasMetaFlag('I');
  if (options.mark_stale && ascii()->HasMetaFlag('T')) options.new_exptime = ascii()->exptime;
  WatchLookup(ascii()->key);
  const McCode result = core_->cache->Delete(ascii()->key, options);
  MetaCode code = MetaCode::kNF;
  if (result == McCode::kOk) {
    if (ascii()->noreply) return;
    code = MetaCode::kHD;
  } else if (result == McCode::kExists) {
    code = MetaCode::kEX;
  }
  QueueSink sink(out());
  protocol::WriteMetaStatus(&sink, code, *ascii());
}

void CacheSession::MetaArithmetic() {
  ArithmeticOptions options;
  options.incr = ascii()->arithmetic_mode == protocol::MetaArithmeticMode::kIncrement;
  options.delta = ascii()->delta;
  if (ascii()->HasMetaFlag('C')) options.cas = ascii()->cas;
  if (ascii()->HasMetaFlag('N')) {
    options.vivify = true;
    options.initial = ascii()->initial;
    options.vivify_exptime = ascii()->vivify_ttl;
  }
  if (ascii()->HasMetaFlag('T')) options.new_exptime = ascii()->exptime;
  const ArithmeticResult r = ArithmeticWatched(ascii()->key, options, /*meta=*/true);
  MetaCode code;
  switch (r.code) {
    case McCode::kOk: {
      // q hides the reply to an increment, but not to one that created the
      // counter (N): memcached's vivify path never marks its reply skippable.
      if (ascii()->noreply && !r.created) return;
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
      const bool with_value = ascii()->HasMetaFlag('v');
      MetaReplyLine line;
      if (with_value) {
        line.StartValue(number.size());
      } else {
        line.Start(MetaCode::kHD);
      }
      MetaItemInfo info;
      info.cas = r.cas;
      info.ttl = r.ttl;
      info.key_is_base64 = ascii()->key_is_base64;
      protocol::AddMetaReturnFlags(*ascii(), "ctOk", info, &line);
      out()->Append(line.Finish());
      if (with_value) out()->Append({number, protocol::kTextCrlf});
      return;
    }
    case McCode::kNonNumeric:
      out()->Append(protocol::kTextNonNumeric);
      return;
    case McCode::kOutOfMemory:
      out()->Append("SERVER_ERROR out of memory\r\n");
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
  QueueSink sink(out());
  protocol::WriteMetaStatus(&sink, code, *ascii());
}

void CacheSession::MetaDebug() {
  worker_->counters.meta_cmds.Inc();
  const std::optional<ItemInfo> info = core_->cache->Inspect(ascii()->key);
  if (!info.has_value()) {
    out()->Append(protocol::kMetaMissReply);
    return;
  }
  QueueSink sink(out());
  // memcached prints exp as now - exptime: minus the seconds left, -1 for never.
  const int64_t exp = info->ttl < 0 ? -1 : -info->ttl;
  protocol::WriteMetaDebug(&sink, ascii()->key, info->key_binary, exp, info->idle, info->cas,
                           info->fetched, static_cast<uint32_t>(info->slab_class),
                           info->total_size);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
