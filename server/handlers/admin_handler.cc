// memcached's administrative text commands (slabs, lru, lru_crawler, watch,
// extstore, refresh_certs), answered as memcached 1.6.18 answers them where
// memkit has the feature or the knob is meaningless for it, and refused
// where it has not (no log watchers, extstore or TLS).

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/protocol/text_reply_writer.h"
#include "server/handlers/session.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// memcached's uriencode(): everything but [A-Za-z0-9-._~] as %XX.
std::string UriEncode(absl::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// "all" or a comma-separated list of slab class ids (1..63).
bool ValidClassList(absl::string_view list) {
  if (list == "all") return true;
  for (absl::string_view id : absl::StrSplit(list, ',')) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(id, &n) || n < 1 || n > 63) return false;
  }
  return true;
}

}  // namespace

void Session::AsciiAdmin() {
  const absl::string_view word = ascii_.command_name;
  const auto args = ascii_.args();
  const size_t ntokens = args.size() + 2;  // memcached's count: word, args, terminal
  const absl::string_view sub = args.empty() ? absl::string_view() : args[0];

  if (word == "lru_crawler") {
    const bool enabled = core_->lru_crawler_enabled.load(std::memory_order_relaxed);
    uint32_t n = 0;
    if (ntokens == 4 && sub == "crawl") {
      if (!enabled) {
        out_->Append("CLIENT_ERROR lru crawler disabled\r\n");
      } else if (!ValidClassList(args[1])) {
        out_->Append("BADCLASS invalid class id\r\n");
      } else {
        // One sweep over every hash bucket.
        const uint64_t power = core_->cache->GetStats().hash_power_level;
        core_->cache->ReclaimExpired(size_t{1} << (power < 40 ? power : 40));
        out_->Append(protocol::kTextOk);
      }
    } else if (ntokens == 4 && sub == "metadump") {
      if (!enabled) {
        out_->Append("CLIENT_ERROR lru crawler disabled\r\n");
      } else if (!core_->options.dump_enabled) {
        out_->Append("ERROR metadump not allowed\r\n");
      } else if (!conn_->output().empty()) {
        out_->Append("ERROR cannot pipeline other commands before metadump\r\n");
      } else if (!ValidClassList(args[1])) {
        out_->Append("BADCLASS invalid class id\r\n");
      } else {
        MetaDump(args[1]);
      }
    } else if (ntokens == 4 && (sub == "tocrawl" || sub == "sleep")) {
      if (!absl::SimpleAtoi(args[1], &n)) {
        out_->Append("CLIENT_ERROR bad command line format\r\n");
      } else if (sub == "sleep" && n > 1000000) {
        out_->Append("CLIENT_ERROR sleep must be one second or less\r\n");
      } else {
        out_->Append(protocol::kTextOk);  // pacing knobs of memcached's crawler thread
      }
    } else if (ntokens == 3 && (sub == "enable" || sub == "disable")) {
      core_->lru_crawler_enabled.store(sub == "enable", std::memory_order_relaxed);
      out_->Append(protocol::kTextOk);
    } else {
      out_->Append(protocol::kTextError);
    }
    return;
  }
  if (word == "slabs") {
    if (ntokens == 5 && sub == "reassign") {
      int32_t src = 0;
      int32_t dst = 0;
      if (!absl::SimpleAtoi(args[1], &src) || !absl::SimpleAtoi(args[2], &dst)) {
        out_->Append("CLIENT_ERROR bad command line format\r\n");
      } else if (src == dst) {
        out_->Append("SAME src and dst class are identical\r\n");
      } else {
        // memkit allocates items individually: there are never spare pages.
        out_->Append("NOSPARE source class has no spare pages\r\n");
      }
    } else if (ntokens >= 4 && sub == "automove") {
      uint32_t level = 0;
      double ratio = 0;
      if (args[1] == "ratio") {
        if (ntokens < 5 || !absl::SimpleAtod(args[2], &ratio)) {
          AsciiReply(protocol::kTextError);
        } else {
          AsciiReply(protocol::kTextOk);
        }
      } else if (!absl::SimpleAtoi(args[1], &level)) {
        AsciiReply("CLIENT_ERROR bad command line format\r\n");
      } else if (level > 2) {
        AsciiReply(protocol::kTextError);
      } else {
        AsciiReply(protocol::kTextOk);  // no slab pages to move in memkit
      }
    } else {
      out_->Append(protocol::kTextError);
    }
    return;
  }
  if (word == "watch") {
    static constexpr absl::string_view kKinds[] = {
        "rawcmds", "evictions", "fetchers", "mutations", "sysevents",
        "connevents", "proxyreqs", "proxyevents", "proxyuser"};
    for (absl::string_view arg : args) {
      bool known = false;
      for (absl::string_view k : kKinds) known |= arg == k;
      if (!known) {
        AsciiReply(protocol::kTextError);
        return;
      }
    }
    // memkit has no log watchers; memcached -W answers this way.
    AsciiReply("CLIENT_ERROR watch commands not allowed\r\n");
    return;
  }
  // lru (segmented-LRU tuning), extstore, refresh_certs: not in memkit.
  AsciiReply(protocol::kTextError);
}

void Session::MetaDump(absl::string_view classes) {
  const bool all = classes == "all";
  bool wanted[64] = {};
  if (!all) {
    for (absl::string_view id : absl::StrSplit(classes, ',')) {
      uint32_t n = 0;
      if (absl::SimpleAtoi(id, &n) && n < 64) wanted[n] = true;
    }
  }
  std::string chunk;
  net::OutputQueue* out = out_;
  core_->cache->ForEachItem([&](const ItemInfo& info) {
    if (!all && (info.slab_class < 0 || info.slab_class >= 64 || !wanted[info.slab_class])) {
      return true;
    }
    absl::StrAppendFormat(&chunk, "key=%s exp=%lld la=%lld cas=%llu fetch=%s cls=%d size=%zu\n",
                          UriEncode(info.key),
                          static_cast<long long>(info.exptime_unix == 0 ? -1 : info.exptime_unix),
                          static_cast<long long>(info.last_access_unix),
                          static_cast<unsigned long long>(info.cas), info.fetched ? "yes" : "no",
                          info.slab_class, info.total_size);
    if (chunk.size() > 64 * 1024) {
      out->Append(chunk);
      chunk.clear();
    }
    return true;
  });
  chunk += "END\r\n";
  out->Append(chunk);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
