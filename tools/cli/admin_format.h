// Human-readable tables for `memkit admin`'s replies (admin.proto messages).
// `--json` bypasses these and prints protobuf's JSON mapping instead.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_TOOLS_CLI_ADMIN_FORMAT_H_
#define MEMKIT_TOOLS_CLI_ADMIN_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

#include "core/admin/admin.pb.h"
#include "google/protobuf/message.h"

namespace memkit {
namespace cli {

// Every scope of a snapshot: counters (with their rate once a watch has an
// interval), gauges, histogram percentiles, memcached's stats keys.
std::string FormatSnapshot(const admin::v1::StatsSnapshot& snapshot);

// A pool and its members, one row each.
std::string FormatPool(const admin::v1::PoolInfo& pool);

std::string FormatConfig(const admin::v1::GetConfigResponse& config);
std::string FormatConnections(const admin::v1::ListConnectionsResponse& connections);
std::string FormatFaults(const admin::v1::FaultState& state);
// ValidateConfig / ReloadConfig: verdict, errors, changes.
std::string FormatConfigErrors(
    bool ok, absl::string_view verdict,
    const google::protobuf::RepeatedPtrField<admin::v1::ConfigError>& errors,
    const google::protobuf::RepeatedPtrField<std::string>& changes);

// A Unix-nanosecond time as RFC 3339 (UTC, milliseconds).
std::string FormatUnixNanos(int64_t nanos);

// One line of protobuf's JSON mapping (field names as in the .proto).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_ADMIN_FORMAT_H_
