// Text protocol commands: memcached 1.6.18's process_command_ascii() after
// the parser (core/protocol/ascii_parser.h) accepted the request line, with
// memcached's replies for every outcome of the engine.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "core/status/status.h"
#include "server/handlers/cache_session.h"
#include "server/stats_writer.h"

namespace memkit {
namespace server {
namespace internal {

using protocol::AsciiCommand;

// memcached-debug's "debugtime <secs>|p|r" (the parser, which follows the
// release build, calls it an unknown command).
bool CacheSession::HandleDebugtime(absl::string_view line, net::OutputQueue* out) {
  absl::string_view text = absl::StripAsciiWhitespace(line);
  std::vector<absl::string_view> tokens = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (tokens.empty() || tokens[0] != "debugtime") return false;
  if (tokens.size() < 2) {
    out->Append(protocol::kTextError);
    return true;
  }
  if (tokens[1] == "p") {
    core_->clock.Pause();
  } else if (tokens[1] == "r") {
    core_->clock.Resume();
  } else {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(tokens[1], &seconds)) {
      out->Append(protocol::kTextError);
      return true;
    }
    core_->clock.Advance(absl::Seconds(seconds));
  }
  out->Append(protocol::kTextOk);
  return true;
}

void CacheSession::AsciiReply(absl::string_view line) {
  if (!ascii()->noreply) out()->Append(line);
}

void CacheSession::ExecuteAscii() {
  switch (ascii()->command) {
    case AsciiCommand::kGet:
    case AsciiCommand::kGets:
    case AsciiCommand::kGat:
    case AsciiCommand::kGats:
      AsciiRetrieve();  // the front end makes it a write point
      return;
    case AsciiCommand::kSet:
    case AsciiCommand::kAdd:
    case AsciiCommand::kReplace:
    case AsciiCommand::kAppend:
    case AsciiCommand::kPrepend:
    case AsciiCommand::kCas:
      AsciiStore();
      return;
    case AsciiCommand::kDelete:
      AsciiDelete();
      return;
    case AsciiCommand::kIncr:
    case AsciiCommand::kDecr:
      AsciiArithmetic();
      return;
    case AsciiCommand::kTouch:
      AsciiTouch();
      return;
    case AsciiCommand::kFlushAll:
      AsciiFlushAll();
      return;
    case AsciiCommand::kVerbosity:
      AsciiVerbosity();
      return;
    case AsciiCommand::kVersion:
      out()->Append({"VERSION ", core_->options.version, "\r\n"});
      return;
    case AsciiCommand::kStats:
      AsciiStats();
      return;
    case AsciiCommand::kShutdown:
      AsciiShutdown();
      return;
    case AsciiCommand::kCacheMemlimit:
      AsciiMemlimit();
      return;
    case AsciiCommand::kAdmin:
      AsciiAdmin();
      return;
    case AsciiCommand::kMetaGet:
      MetaGet();
      return;
    case AsciiCommand::kMetaSet:
      MetaSet();
      return;
    case AsciiCommand::kMetaDelete:
      MetaDelete();
      return;
    case AsciiCommand::kMetaArithmetic:
      MetaArithmetic();
      return;
    case AsciiCommand::kMetaDebug:
      MetaDebug();
      return;
    case AsciiCommand::kQuit:      // the front end answers these
    case AsciiCommand::kMetaNoop:
    case AsciiCommand::kNone:
      break;
  }
  out()->Append(protocol::kTextError);
}

void CacheSession::AsciiRetrieve() {
  const AsciiCommand command = ascii()->command;
  const bool with_cas = command == AsciiCommand::kGets || command == AsciiCommand::kGats;
  GetOptions options;
  if (command == AsciiCommand::kGat || command == AsciiCommand::kGats) {
    options.new_exptime = ascii()->exptime;
  }
  char line[protocol::kMaxValueLineSize];
  const bool detail = core_->settings.detail_enabled();
  for (absl::string_view key : ascii()->keys) {
    WatchLookup(key);
    GetResult g = core_->cache->Get(key, options);
    if (detail) core_->prefix_stats.RecordGet(key, g.hit());
    if (!g.hit()) continue;
    const absl::string_view value = g.item.value();
    out()->Append(protocol::FormatValueLine(line, g.item.key(), g.item.client_flags(), value.size(),
                                           with_cas, g.cas));
    pins_.AppendValue(out(), g.item, value);
    out()->Append(protocol::kTextCrlf);
  }
  out()->Append(protocol::kTextEnd);
}

void CacheSession::AsciiRetrieveSilently() {
  GetOptions options;
  if (ascii()->command == AsciiCommand::kGat || ascii()->command == AsciiCommand::kGats) {
    options.new_exptime = ascii()->exptime;
  }
  const bool detail = core_->settings.detail_enabled();
  for (absl::string_view key : ascii()->keys) {
    WatchLookup(key);
    const GetResult g = core_->cache->Get(key, options);
    if (detail) core_->prefix_stats.RecordGet(key, g.hit());
  }
}

void CacheSession::AsciiStore() {
  StoreRequest request;
  switch (ascii()->command) {
    case AsciiCommand::kAdd:
      request.mode = StoreMode::kAdd;
      break;
    case AsciiCommand::kReplace:
      request.mode = StoreMode::kReplace;
      break;
    case AsciiCommand::kAppend:
      request.mode = StoreMode::kAppend;
      break;
    case AsciiCommand::kPrepend:
      request.mode = StoreMode::kPrepend;
      break;
    case AsciiCommand::kCas:
      request.mode = StoreMode::kCas;
      request.cas = ascii()->cas;
      break;
    default:
      request.mode = StoreMode::kSet;
      break;
  }
  request.client_flags = ascii()->flags;
  request.exptime = ascii()->exptime;
  if (core_->settings.detail_enabled()) {
    core_->prefix_stats.RecordSet(ascii()->key);
  }
  const StoreResult r = StoreWatched(ascii()->key, ascii()->value, request);
  switch (r.code) {
    case McCode::kOk:
      AsciiReply(protocol::kTextStored);
      return;
    case McCode::kExists:
      AsciiReply(protocol::kTextExists);
      return;
    case McCode::kNotFound:
      AsciiReply(protocol::kTextNotFound);
      return;
    case McCode::kTooLarge:
      AsciiReply(protocol::kTextTooLarge);
      return;
    case McCode::kOutOfMemory:
      AsciiReply(protocol::kTextOutOfMemory);
      return;
    case McCode::kClientError:
      AsciiReply(kBadCommandLineFormatLine);
      return;
    default:
      AsciiReply(protocol::kTextNotStored);
      return;
  }
}

void CacheSession::AsciiDelete() {
  if (core_->settings.detail_enabled()) {
    core_->prefix_stats.RecordDelete(ascii()->key);
  }
  WatchLookup(ascii()->key);
  const McCode code = core_->cache->Delete(ascii()->key);
  AsciiReply(code == McCode::kOk ? protocol::kTextDeleted : protocol::kTextNotFound);
}

void CacheSession::AsciiArithmetic() {
  ArithmeticOptions options;
  options.incr = ascii()->command == AsciiCommand::kIncr;
  options.delta = ascii()->delta;
  const ArithmeticResult r = ArithmeticWatched(ascii()->key, options);
  if (ascii()->noreply) return;
  switch (r.code) {
    case McCode::kOk:
      out()->AppendDecimal(r.value);
      out()->Append(protocol::kTextCrlf);
      return;
    case McCode::kNonNumeric:
      out()->Append(protocol::kTextNonNumeric);
      return;
    case McCode::kOutOfMemory:
      out()->Append("SERVER_ERROR out of memory\r\n");
      return;
    default:
      out()->Append(protocol::kTextNotFound);
      return;
  }
}

void CacheSession::AsciiTouch() {
  WatchLookup(ascii()->key);
  const McCode code = core_->cache->Touch(ascii()->key, ascii()->exptime);
  AsciiReply(code == McCode::kOk ? protocol::kTextTouched : protocol::kTextNotFound);
}

void CacheSession::AsciiFlushAll() {
  if (!core_->options.flush_enabled) {
    worker_->counters.flush_cmds_refused.Inc();
    AsciiReply(protocol::kTextFlushDisabled);
    return;
  }
  core_->cache->FlushAll(ascii()->has_delay && ascii()->exptime > 0 ? ascii()->exptime : 0);
  AsciiReply(protocol::kTextOk);
}

void CacheSession::AsciiVerbosity() {
  // memcached's MAX_VERBOSITY_LEVEL is 2.
  core_->settings.set_verbosity(static_cast<int>(std::min<uint32_t>(ascii()->number, 2)));
  AsciiReply(protocol::kTextOk);
}

void CacheSession::AsciiShutdown() {
  if (!core_->options.shutdown_command) {
    out()->Append(protocol::kTextShutdownDisabled);
    return;
  }
  if (ascii()->shutdown_mode == protocol::ShutdownMode::kInvalid) {
    out()->Append(protocol::kTextInvalidShutdownMode);
    return;
  }
  // memcached closes the asking connection without a reply (dropping
  // replies it had not written yet), then exits.
  core_->Log(1, "<%d shutdown requested\n", fd);
  ex()->DropUnwritten();
  ex()->CloseAfterReplies();
  core_->RequestShutdown();
}

void CacheSession::AsciiMemlimit() {
  const uint32_t megabytes = ascii()->number;
  if (megabytes < 8) {
    AsciiReply(protocol::kTextMemlimitTooSmall);
  } else if (megabytes > 1000000000) {
    AsciiReply(protocol::kTextMemlimitNotBytes);
  } else {
    core_->cache->SetMemoryLimit(static_cast<size_t>(megabytes) * 1024 * 1024);
    core_->Log(1, "maxbytes adjusted to %um\n", megabytes);
    AsciiReply(protocol::kTextOk);
  }
}

void CacheSession::AsciiStats() {
  const auto args = ascii()->args();
  net::OutputQueue* out = this->out();
  auto sink = [out](absl::string_view name, absl::string_view value) {
    out->Append({"STAT ", name, " ", value, "\r\n"});
  };
  if (args.empty()) {
    WriteGeneralStats(*core_, sink);
    out->Append(protocol::kTextEnd);
    return;
  }
  const absl::string_view sub = args[0];
  if (sub == "reset") {
    core_->ResetStats();
    core_->prefix_stats.Clear();
    out->Append(protocol::kTextReset);
  } else if (sub == "extstore") {
    // Debian's memcached has extstore compiled in but not configured: no stats.
    out->Append(protocol::kTextEnd);
  } else if (sub == "detail") {
    const absl::string_view arg = args.size() > 1 ? args[1] : absl::string_view();
    if (arg == "on" || arg == "off") {
      core_->settings.set_detail_enabled(arg == "on");
      out->Append(protocol::kTextOk);
    } else if (arg == "dump") {
      out->Append(core_->prefix_stats.Dump());
    } else {
      out->Append("CLIENT_ERROR usage: stats detail on|off|dump\r\n");
    }
  } else if (sub == "settings") {
    WriteSettingsStats(*core_, sink);
    out->Append(protocol::kTextEnd);
  } else if (sub == "cachedump") {
    uint32_t id = 0;
    uint32_t limit = 0;
    if (!core_->options.dump_enabled) {
      out->Append("CLIENT_ERROR stats cachedump not allowed\r\n");
    } else if (args.size() < 3) {
      out->Append("CLIENT_ERROR bad command line\r\n");
    } else if (!absl::SimpleAtoi(args[1], &id) || !absl::SimpleAtoi(args[2], &limit)) {
      out->Append(kBadCommandLineFormatLine);
    } else if (id >= 64) {
      out->Append("CLIENT_ERROR Illegal slab id\r\n");
    } else {
      out->Append(FormatCachedump(*core_, id, limit));
    }
  } else if (sub == "conns") {
    WriteConnsStats(*core_, this, sink);
    out->Append(protocol::kTextEnd);
  } else if (WriteEngineStats(*core_, sub, sink)) {
    out->Append(protocol::kTextEnd);
  } else if (SwitchSizeTracking(*core_, sub, sink)) {
    // memcached ends these without "END".
  } else {
    out->Append(protocol::kTextError);
  }
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
