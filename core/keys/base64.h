// Base64 (RFC 4648, standard alphabet, '=' padding) for memcached's meta
// protocol, where the `b` flag means "this key is base64 of arbitrary bytes".
//
// Encoding is what memcached 1.6 emits for `k` with `b`. Base64Decode is strict,
// stricter than memcached's own decoder (which skips characters outside the
// alphabet): the length must be a multiple of 4, only the last one or two
// characters may be '=', and the unused bits of the last group must be zero
// (so every byte string has exactly one accepted encoding, and a key that
// round-trips through the server comes back byte-identical). Errors are
// InvalidArgument with a message naming the offending offset.
//
// Thread-safety: stateless functions, safe from any thread.

#ifndef MEMKIT_CORE_KEYS_BASE64_H_
#define MEMKIT_CORE_KEYS_BASE64_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace keys {

// The encoded size of `n` bytes: 4 * ceil(n / 3).
constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }

// The largest number of bytes whose encoding fits in `encoded_limit`
// characters: floor(encoded_limit / 4) * 3.
constexpr size_t Base64MaxDecodedSize(size_t encoded_limit) { return encoded_limit / 4 * 3; }

// Writes the Base64EncodedSize(data.size()) characters encoding `data` at
// `out`; returns the end. The one encoder: the string forms below and the
// protocol writers use it.
char* Base64EncodeTo(absl::string_view data, char* out);

// Appends the encoding of `data` to `*out`.
void Base64EncodeAppend(absl::string_view data, std::string* out);

// The encoding of `data`.
std::string Base64Encode(absl::string_view data);

// Appends the bytes `encoded` stands for to `*out`. On error `*out` keeps its
// old contents and the status (InvalidArgument) says what is wrong and where.
// The empty string decodes to nothing.
absl::Status Base64DecodeAppend(absl::string_view encoded, std::string* out);

// The bytes `encoded` stands for.
absl::StatusOr<std::string> Base64Decode(absl::string_view encoded);

// memcached's own base64_decode(), its leniency included, for reading what
// memcached accepts on the wire: bytes outside the alphabet are skipped, the
// alphabet bytes ('=' counts) must be a multiple of 4, and decoding stops
// after the first block holding padding. Writes at most `out_cap` bytes and
// returns the decoded length, 0 on failure (memcached treats an empty result
// as failure too).
size_t Base64DecodeLikeMemcached(absl::string_view in, char* out, size_t out_cap);

}  // namespace keys
}  // namespace memkit

#endif  // MEMKIT_CORE_KEYS_BASE64_H_
