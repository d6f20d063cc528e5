// Client side of the meta protocol: mg, ms, md, ma, mn and me requests,
// written byte for byte through an AsciiSink, with their flags in the order
// the caller adds them (replies carry return flags in that order).
//
//   MetaFlags flags;
//   flags.Add('v').Add('c').AddSigned('T', 30).Add('O', "req7").Add('q');
//   WriteMetaGetRequest(&sink, "foo", flags);   // "mg foo v c T30 Oreq7 q\r\n"
//
// A binary key (any bytes, up to 186) goes base64-encoded with the 'b' flag
// when `base64_key` is set; otherwise keys follow the text rules
// (CheckTextKey). memcached 1.6.18 takes at most 17 flags on mg/md/ma and
// 16 on ms (counting 'b'); more is InvalidArgument, as is a flag that is
// not a letter or a token holding a space or control character. Nothing is
// written when a check fails.
//
// Thread-compatible (MetaFlags); the writers are pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_META_REQUEST_WRITER_H_
#define MEMKIT_CORE_PROTOCOL_META_REQUEST_WRITER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/protocol/ascii_sink.h"

namespace memkit {
namespace protocol {

// The flags of one meta request, formatted as they go on the wire.
class MetaFlags {
 public:
  static constexpr size_t kCapacity = 512;

  MetaFlags() = default;

  // A bare flag: v, c, f, k, q, s, t, h, l, u, I, ...
  MetaFlags& Add(char flag);
  // A flag with a token: O(opaque), or any flag with a preformatted token.
  MetaFlags& Add(char flag, absl::string_view token);
  // Numeric tokens: F, C, D, J, E (unsigned); T, N, R (signed TTLs).
  MetaFlags& AddNumber(char flag, uint64_t value);
  MetaFlags& AddSigned(char flag, int64_t value);
  // Mode switch "M<mode>" (ms: E A P R S; ma: I + D -).
  MetaFlags& Mode(char mode) { return Add('M', absl::string_view(&mode, 1)); }

  // " v c T30 Oreq7": each flag with a leading space.
  absl::string_view text() const { return absl::string_view(buf_, len_); }
  size_t count() const { return count_; }
  // The first problem met while adding, if any (later adds are ignored).
  const absl::Status& status() const { return status_; }

 private:
  bool Begin(char flag, size_t room);

  char buf_[kCapacity];
  size_t len_ = 0;
  size_t count_ = 0;
  absl::Status status_;
};

// "mg <key><flags>\r\n".
absl::Status WriteMetaGetRequest(AsciiSink* sink, absl::string_view key, const MetaFlags& flags,
                                 bool base64_key = false);
// "ms <key> <bytes><flags>\r\n<value>\r\n" (the value by AppendRef).
absl::Status WriteMetaSetRequest(AsciiSink* sink, absl::string_view key, absl::string_view value,
                                 const MetaFlags& flags, bool base64_key = false);
// "md <key><flags>\r\n".
absl::Status WriteMetaDeleteRequest(AsciiSink* sink, absl::string_view key,
                                    const MetaFlags& flags, bool base64_key = false);
// "ma <key><flags>\r\n".
absl::Status WriteMetaArithmeticRequest(AsciiSink* sink, absl::string_view key,
                                        const MetaFlags& flags, bool base64_key = false);
// "mn\r\n".
void WriteMetaNoopRequest(AsciiSink* sink);
// "me <key>[ b]\r\n".
absl::Status WriteMetaDebugRequest(AsciiSink* sink, absl::string_view key, bool base64_key = false);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_META_REQUEST_WRITER_H_
