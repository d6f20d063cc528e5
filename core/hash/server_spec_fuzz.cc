// Fuzzes the server-list parser: any input must give a list or a clear error,
// and every parsed server must print back to a form that parses to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "core/hash/server_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<memkit::hash::ServerSpec>> list =
      memkit::hash::ParseServerList(text);
  if (!list.ok()) return 0;
  for (const memkit::hash::ServerSpec& spec : *list) {
    absl::StatusOr<memkit::hash::ServerSpec> again =
        memkit::hash::ParseServerSpec(spec.ToString());
    if (!again.ok() || *again != spec) std::abort();
  }
  return 0;
}
