// The contents of memcached's stats replies, as name/value pairs, for a
// memkit server: "stats", "stats settings", "stats items", "stats slabs",
// "stats sizes", "stats conns", and "stats cachedump". The text and binary
// handlers turn the pairs into "STAT name value" lines or stat packets.
//
// Names, order and meanings are memcached 1.6.18's (Debian's build, with
// extstore and TLS compiled in). Counters of machinery memkit does not have
// (slab rebalancer, LRU maintainer, log workers, resp-object pools) read 0;
// settings of it read memcached's defaults or what admin commands set.
//
// Thread-safety: the functions read atomics, the engine (thread-safe) and
// the connection registry (under its lock); callable from any worker.

#ifndef MEMKIT_SERVER_STATS_WRITER_H_
#define MEMKIT_SERVER_STATS_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace server {
namespace internal {

class ServerCore;
class CacheSession;

using StatSink = absl::FunctionRef<void(absl::string_view name, absl::string_view value)>;

// "stats" with no argument.
void WriteGeneralStats(const ServerCore& core, StatSink sink);
// "stats settings".
void WriteSettingsStats(const ServerCore& core, StatSink sink);
// "stats items", "stats slabs", "stats sizes": returns false for any other
// `which` (memcached's get_stats()).
bool WriteEngineStats(const ServerCore& core, absl::string_view which, StatSink sink);
// "stats sizes_enable" / "stats sizes_disable": switches "stats sizes" on or
// off and says so (memcached sends no END after these); false for any other
// `which`.
bool SwitchSizeTracking(ServerCore& core, absl::string_view which, StatSink sink);
// "stats conns": listeners first, then every client connection; `self` is
// the asking session (its state is conn_parse_cmd).
void WriteConnsStats(ServerCore& core, const CacheSession* self, StatSink sink);
// "stats cachedump <class> <limit>": the ITEM lines and "END\r\n".
std::string FormatCachedump(const ServerCore& core, uint32_t slab_class, uint32_t limit);

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_STATS_WRITER_H_
