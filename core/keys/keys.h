// Key rules shared by memkit's client, server and proxy: one validator, the
// namespace prefix, and the meta protocol's base64 keys.
//
// The rules are memcached 1.6.18's and libmemcached 1.1.4's (checked against
// both; see docs/keys.md):
//   text, meta     1..250 bytes. With verify_keys (the default) every byte must
//                  be printable ASCII, 0x21..0x7e, as libmemcached's verify_key
//                  (isgraph) demands; allow_non_ascii also admits 0x80..0xff,
//                  which memcached itself stores fine. Without verify_keys only
//                  the length is checked, as libmemcached does.
//   meta + base64  the key is arbitrary bytes, sent base64-encoded with the `b`
//                  flag. memcached limits the *encoded* token to 250 bytes, so
//                  a key holds 1..186 bytes.
//   binary         1..250 bytes, any bytes.
// A namespace prefix (libmemcached's MEMCACHED_CALLBACK_PREFIX_KEY, pylibmc's
// and pymemcache's key_prefix) is prepended to every key on the wire and counts
// toward the limit. (libmemcached checks only the unprefixed key and lets the
// server refuse the line; memkit refuses it before sending.)
//
// A key memkit will not send is McError(McCode::kBadKey, ...), an
// InvalidArgument whose message names the problem: "key is empty", "key is 251
// bytes; the limit is 250", "key contains a space at byte 3" (bytes count from
// 0). Validating a good key allocates nothing.
//
// Thread-safety: a KeyPolicy is immutable after construction; any number of
// threads may use one concurrently.

#ifndef MEMKIT_CORE_KEYS_KEYS_H_
#define MEMKIT_CORE_KEYS_KEYS_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace keys {

// memcached's KEY_MAX_LENGTH, and libmemcached's MEMCACHED_MAX_KEY - 1.
inline constexpr size_t kMaxKeyLength = 250;

// The longest key (in bytes, before encoding) whose base64 form fits in
// kMaxKeyLength characters: 186 bytes encode to 248 characters.
inline constexpr size_t kMaxBase64KeyLength = kMaxKeyLength / 4 * 3;

// The wire protocol keys travel in; it decides which bytes a key may hold.
enum class Protocol {
  kText,    // get/set/... lines: keys end at a space or line end.
  kMeta,    // mg/ms/md/ma: as text, or base64 with the `b` flag.
  kBinary,  // length-prefixed keys: any bytes.
};

// "text", "meta", "binary".
absl::string_view ProtocolName(Protocol protocol);

struct KeyOptions {
  // The protocol keys are sent with.
  Protocol protocol = Protocol::kText;

  // Check each byte of a text or meta key, not only the length (libmemcached's
  // MEMCACHED_BEHAVIOR_VERIFY_KEY; libmemcached defaults it off, memkit on).
  // Ignored for binary and base64 keys, whose bytes are never parsed.
  bool verify_keys = true;

  // With verify_keys: also accept bytes 0x80..0xff (UTF-8 keys, like
  // pymemcache's allow_unicode_keys). memcached stores such keys; libmemcached
  // with verify_key refuses them.
  bool allow_non_ascii = false;

  // Meta protocol only: keys are arbitrary bytes, sent base64-encoded with
  // the `b` flag (so at most kMaxBase64KeyLength bytes, prefix included).
  bool base64_keys = false;

  // Namespace prepended to every key on the wire; counts toward the limit.
  // Must itself be a valid key fragment for the protocol (checked by Create
  // whatever verify_keys says, as libmemcached checks its namespace) and
  // leave room for at least one byte of key.
  std::string prefix;
};

// Validates keys and converts them to and from their wire form under one set
// of KeyOptions.
class KeyPolicy {
 public:
  // Text protocol, verify_keys on, no prefix.
  KeyPolicy();

  // Fails (kBadKey) if the prefix is invalid or too long, or (InvalidArgument)
  // if base64_keys is set for a protocol other than meta.
  static absl::StatusOr<std::unique_ptr<KeyPolicy>> Create(const KeyOptions& options);

  KeyPolicy(const KeyPolicy&) = default;
  KeyPolicy& operator=(const KeyPolicy&) = default;

  const KeyOptions& options() const { return options_; }

  // The longest key Validate() accepts: the protocol's limit less the prefix.
  size_t max_key_length() const { return limit_ - options_.prefix.size(); }

  // OK if `key` (without the prefix) may be sent; else kBadKey. Never allocates
  // when the key is valid.
  absl::Status Validate(absl::string_view key) const;

  // Validates `key` and replaces `*out` with what goes on the wire: prefix +
  // key, base64-encoded for base64 keys. Reuses `*out`'s capacity.
  absl::Status WireKey(absl::string_view key, std::string* out) const;
  absl::StatusOr<std::string> WireKey(absl::string_view key) const;

  // The caller's key from a key a server returned (a VALUE line, a meta `k`
  // flag): base64-decoded when `base64` (the reply carried the `b` flag),
  // then stripped of the prefix. A key without the prefix, or bad base64, is
  // McError(kProtocolError) (DataLoss): the server sent what memkit never asked.
  absl::StatusOr<std::string> KeyFromWire(absl::string_view wire_key, bool base64) const;

  // Zero-copy prefix strip for a plain (not base64) returned key; the view
  // points into `wire_key`. Errors as KeyFromWire.
  absl::StatusOr<absl::string_view> StripPrefix(absl::string_view wire_key) const;

 private:
  explicit KeyPolicy(const KeyOptions& options);

  // True when bytes are checked one by one (text/meta, verify_keys, not base64).
  bool checks_bytes() const;

  KeyOptions options_;
  size_t limit_;  // Limit on prefix + key, in bytes before any encoding.
};

// Validate() under a default KeyPolicy for `protocol` (verify_keys on, no
// prefix); a shortcut for callers with no options of their own.
absl::Status ValidateKey(absl::string_view key, Protocol protocol = Protocol::kText);

}  // namespace keys
}  // namespace memkit

#endif  // MEMKIT_CORE_KEYS_KEYS_H_
