// The hint file: a snapshot of a data file's index, so that opening a
// database with a million keys reads one array instead of every record.
//
//   hint := magic "MKDBHINT" | u32 version | u32 header_size(80) |
//           u64 file_id | u64 checkpoint | u64 last_record | u32 last_record_crc |
//           u32 reserved | u64 live_keys | u64 live_bytes | u64 capacity |
//           u32 slots_crc | u32 header_crc(bytes 0..75) | capacity * {u64 hash, u64 offset}
//
// A hint describes the data file whose header has `file_id`, up to byte
// `checkpoint`; records after it are replayed from the data file on open.
// It is trusted only if its checksums match, its file_id matches, and the
// record at `last_record` still ends exactly at `checkpoint` with the same
// crc; every slot must point inside [header, checkpoint). Anything else means
// "no hint", never an error: the data file alone is the truth.
//
// Written to `<hint>.tmp` and renamed into place, without fsync: a torn hint
// fails its checksum and is ignored.
//
// Thread-safety: free functions; the caller keeps the Index still meanwhile.

#ifndef MEMKIT_DBM_INTERNAL_HINT_H_
#define MEMKIT_DBM_INTERNAL_HINT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dbm/env.h"
#include "dbm/internal/index.h"

namespace memkit {
namespace dbm {
namespace internal {

struct HintInfo {
  uint64_t file_id = 0;
  uint64_t checkpoint = 0;
  uint64_t last_record = 0;
  uint32_t last_record_crc = 0;
  uint64_t live_bytes = 0;
};

absl::Status WriteHint(Env* env, const std::string& path, const HintInfo& info,
                       const Index& index);

struct LoadedHint {
  HintInfo info;
  Index index;
};

// NotFound if there is no hint; FailedPrecondition if it belongs to another
// file or does not fit `data_size`; DataLoss if it is damaged. The caller
// still checks the last record against the data file.
absl::StatusOr<LoadedHint> ReadHint(Env* env, const std::string& path, uint64_t file_id,
                                    uint64_t data_size);

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_HINT_H_
