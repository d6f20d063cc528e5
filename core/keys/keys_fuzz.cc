// Fuzzes the key validator and the base64 decoder with arbitrary bytes: they
// must never crash, and whatever they accept must round-trip.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "core/keys/base64.h"
#include "core/keys/keys.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using memkit::keys::KeyOptions;
  using memkit::keys::KeyPolicy;
  using memkit::keys::Protocol;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  // Base64: an accepted text re-encodes to itself (canonical decoding).
  absl::StatusOr<std::string> decoded = memkit::keys::Base64Decode(input);
  if (decoded.ok()) Check(memkit::keys::Base64Encode(*decoded) == input);
  Check(*memkit::keys::Base64Decode(memkit::keys::Base64Encode(input)) == input);

  // The first byte picks the options; the rest is the prefix length and key.
  if (size < 2) return 0;
  KeyOptions options;
  options.protocol = static_cast<Protocol>(data[0] % 3);
  options.verify_keys = (data[0] & 0x04) != 0;
  options.allow_non_ascii = (data[0] & 0x08) != 0;
  options.base64_keys = options.protocol == Protocol::kMeta && (data[0] & 0x10) != 0;
  const size_t prefix_len = std::min<size_t>(data[1] % 8, size - 2);
  options.prefix = std::string(input.substr(2, prefix_len));
  const absl::string_view key = input.substr(2 + prefix_len);

  absl::StatusOr<std::unique_ptr<KeyPolicy>> policy = KeyPolicy::Create(options);
  if (!policy.ok()) return 0;
  absl::StatusOr<std::string> wire = (*policy)->WireKey(key);
  Check(wire.ok() == (*policy)->Validate(key).ok());
  if (wire.ok()) {
    Check(wire->size() <= memkit::keys::kMaxKeyLength);
    Check(key.size() <= (*policy)->max_key_length());
    absl::StatusOr<std::string> back = (*policy)->KeyFromWire(*wire, options.base64_keys);
    Check(back.ok() && *back == key);
  }
  return 0;
}
