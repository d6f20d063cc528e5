// The records of a memkit-server snapshot (server/persist.h): how one cached
// item, and the snapshot's own header, are laid out as memkit dbm values.
// docs/server.md ("Persistence") documents the format; this is its codec.
//
// Every item is one dbm record: the memcached key as the dbm key, and as the
// value a small versioned header followed by the item's data:
//
//   u8  version (1)      u8  header length (30 in version 1; a reader skips
//   u32 client flags         any bytes a later minor revision appends)
//   i64 expiry, absolute unix seconds of the server clock, 0 = never
//   u64 CAS unique the item had
//   i64 last access, unix seconds
//   ... data
//
// The snapshot header is the record under the empty key, which is never a
// memcached key. It is written first with `complete` false and rewritten
// last with the totals, so a file cut short or damaged mid-way still says
// it is incomplete. All integers are little-endian.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_SERVER_PERSIST_FORMAT_H_
#define MEMKIT_SERVER_PERSIST_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace server {
namespace persist {

// The dbm key of the snapshot header.
inline constexpr absl::string_view kHeaderKey = "";

inline constexpr uint8_t kItemVersion = 1;
inline constexpr size_t kItemHeaderSize = 31;
// Bits of the item record's flags byte (offset 30).
inline constexpr uint8_t kItemKeyBinary = 0x01;

struct ItemRecord {
  uint32_t client_flags = 0;
  int64_t exptime_unix = 0;  // 0: never expires
  uint64_t cas = 0;
  int64_t last_access_unix = 0;
  // Stored with a base64 meta key (ms ... b), so mg and me return it so.
  bool key_binary = false;
  // DecodeItem: a view into the record it decoded.
  absl::string_view value;
};

// Appends the record's header and then `record.value` to `out` (cleared first).
void EncodeItem(const ItemRecord& record, std::string* out);

// DataLoss for a record shorter than its header, a header length below
// version 1's, or an unknown version.
absl::StatusOr<ItemRecord> DecodeItem(absl::string_view bytes);

inline constexpr absl::string_view kHeaderMagic = "MKSRVSNP";
inline constexpr uint32_t kHeaderVersion = 1;

struct SnapshotHeader {
  // False while the snapshot is being written: a file whose header still
  // says so was cut short or damaged.
  bool complete = false;
  int64_t written_unix = 0;   // server clock when the snapshot began
  uint64_t item_count = 0;    // item records (complete headers only)
  uint64_t item_bytes = 0;    // sum of memcached item sizes (Cache::ItemSize)
  uint64_t max_cas = 0;       // largest CAS unique among the items
};

std::string EncodeHeader(const SnapshotHeader& header);

// DataLoss when `bytes` is not a snapshot header (wrong magic or length);
// FailedPrecondition for a header version this build does not know.
absl::StatusOr<SnapshotHeader> DecodeHeader(absl::string_view bytes);

}  // namespace persist
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_PERSIST_FORMAT_H_
