// Private to server/flags.cc: memcached's number rules for option values
// and its -o suboptions (flags_extended.cc), split from flags.cc to keep
// each file about one thing.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_SERVER_FLAGS_EXTENDED_H_
#define MEMKIT_SERVER_FLAGS_EXTENDED_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/server.h"

namespace memkit {
namespace server {
namespace internal {

// memcached's exit statuses for command-line errors.
constexpr int kExitBadValue = 1;   // a check inside the option loop
constexpr int kExitUsage = 64;     // EX_USAGE: the checks after it
constexpr int kExitOsErr = 71;     // EX_OSERR

// InvalidArgument(message) carrying memcached's exit status.
absl::Status FlagError(absl::string_view message, int exit_code = kExitBadValue);

// C's atoi/atof (leading blanks, a sign, digits; trailing text ignored;
// nothing numeric is 0), as memcached reads most option values.
int CAtoi(absl::string_view text);
double CAtof(absl::string_view text);
// memcached's safe_strtoul / safe_strtol / safe_strtod (util.c): the whole
// text (up to trailing blanks) must be the number; a '-' makes strtoul fail.
bool SafeStrtoul(absl::string_view text, uint32_t* out);
bool SafeStrtol(absl::string_view text, int32_t* out);
bool SafeStrtod(absl::string_view text, double* out);

// What the -o options leave for memcached's checks after parsing.
struct ExtendedState {
  bool slab_chunk_changed = false;  // slab_chunk_max (or no_chunked_items) given
  bool has_slab_sizes = false;
  std::string slab_sizes;           // the last slab_sizes (or worker_logbuf_size) value
  bool lru_maintainer = true;       // false after no_lru_maintainer / no_modern
};

// Applies one -o argument (comma-separated suboptions, getsubopt's rules).
absl::Status ApplyExtendedOptions(absl::string_view value, ServerOptions* o, ExtendedState* st);

// memcached's slab_sizes check ("100-200-300"), given the chunk size (-n)
// and slab_chunk_max; the error is memcached's, exit status 64.
absl::Status CheckSlabSizes(absl::string_view sizes, size_t chunk_size, size_t slab_chunk_max);

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_FLAGS_EXTENDED_H_
