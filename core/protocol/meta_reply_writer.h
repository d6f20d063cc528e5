// Server side of the meta protocol: memcached 1.6.18's reply lines ("HD",
// "VA <size>", "EN", "NF", "NS", "EX", "MN", "ME ...") with their return
// flags, byte for byte. MetaReplyLine formats one line into an inline buffer
// (no allocation); the value of a "VA" reply is the caller's to reference:
// a hit is three pieces for writev(): the line, the value, "\r\n".
//
// Which flags a reply carries, in the request's order, is memcached's rule:
//   mg hit   s t c f l h O k, then Z (win token sent), X (stale), W (won)
//   ms       O k c            (for HD, NS, EX and NF alike)
//   ma hit   c t O k          ("VA" when the request had 'v')
//   misses   O k              (mg EN, md/ma NF, and md's other codes)
// AddMetaReturnFlags() applies it. Quiet mode ('q') is the server's call:
// memcached drops mg's EN, and HD from ms, md and ma.
//
// Thread-compatible.

#ifndef MEMKIT_CORE_PROTOCOL_META_REPLY_WRITER_H_
#define MEMKIT_CORE_PROTOCOL_META_REPLY_WRITER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/ascii_sink.h"

namespace memkit {
namespace protocol {

enum class MetaCode : uint8_t {
  kHD,  // success, no value
  kVA,  // success with a value
  kEN,  // mg miss
  kNF,  // not found (md, ma, ms with C)
  kNS,  // not stored (ms add/replace/append/prepend)
  kEX,  // cas mismatch
  kMN,  // mn
};

// "HD", "VA", ...
absl::string_view MetaCodeName(MetaCode code);

inline constexpr absl::string_view kMetaNoopReply = "MN\r\n";
inline constexpr absl::string_view kMetaMissReply = "EN\r\n";  // also me's miss

// Item facts a reply's flags report.
struct MetaItemInfo {
  size_t size = 0;             // 's': value bytes
  int64_t ttl = -1;            // 't': seconds left, -1 for never
  uint64_t cas = 0;            // 'c'
  uint32_t flags = 0;          // 'f'
  uint64_t last_access = 0;    // 'l': seconds since last access
  bool fetched = false;        // 'h': fetched before
  bool key_is_base64 = false;  // 'k': print the key base64 + " b"
};

class MetaReplyLine {
 public:
  // Room for any reply memcached 1.6.18 can send (at most 17 flags, a key
  // of 250 bytes in base64, opaques of 31).
  static constexpr size_t kCapacity = 1024;

  MetaReplyLine() = default;
  MetaReplyLine(const MetaReplyLine&) = delete;
  MetaReplyLine& operator=(const MetaReplyLine&) = delete;

  // Starts a line: "HD", "EN", ... (for kVA use StartValue).
  void Start(MetaCode code);
  // Starts "VA <length>".
  void StartValue(size_t length);
  // " <flag><value>": numbers, signed numbers, tokens (copied), bare flags.
  void AddNumber(char flag, uint64_t value);
  void AddSigned(char flag, int64_t value);
  void AddToken(char flag, absl::string_view token);
  void AddFlag(char flag);
  // " k<key>", or " k<base64 of key> b" for a binary key.
  void AddKey(absl::string_view key, bool base64);
  // Appends "\r\n" and returns the line (valid while this object lives).
  absl::string_view Finish();

  // True if something did not fit (the line is then cut short: a bug).
  bool overflow() const { return overflow_; }

 private:
  bool Reserve(size_t n);

  char buf_[kCapacity];
  size_t len_ = 0;
  bool overflow_ = false;
};

// Adds the flags of `request` that are in `which` (e.g. "Ok" for a miss,
// "Okc" for ms, "stcflhOk" for an mg hit, "ctOk" for an ma hit), in request
// order, with values from `item` and the opaque and key from `request`.
void AddMetaReturnFlags(const AsciiRequest& request, absl::string_view which,
                        const MetaItemInfo& item, MetaReplyLine* line);

// A miss or status reply echoing O and k: e.g. "EN O123 kfoo\r\n".
void WriteMetaStatus(AsciiSink* sink, MetaCode code, const AsciiRequest& request);

// A finished "VA" line, then `value` (referenced) and "\r\n".
void WriteMetaValue(AsciiSink* sink, MetaReplyLine* line, absl::string_view value);

// me's hit: "ME <key> exp=<exp> la=<la> cas=<cas> fetch=<yes|no> cls=<cls>
// size=<size>\r\n" (a binary key printed in base64, without " b").
void WriteMetaDebug(AsciiSink* sink, absl::string_view key, bool key_is_base64, int64_t exp,
                    uint64_t last_access, uint64_t cas, bool fetched, uint32_t slab_class,
                    uint64_t size);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_META_REPLY_WRITER_H_
