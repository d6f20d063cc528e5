// The on-disk format of a dbm data file: file header, records, batches.
// docs/dbm.md describes the same layout for people; keep the two in step.
//
//   file   := header(64 bytes) record*
//   header := magic "\x89MKDBM\r\n" | u32 version | u32 header_size |
//             u64 file_id | u64 hash_seed | u32 flags | u32 crc(bytes 0..35) |
//             u64 committed_end | 16 zero bytes
//   record := u32 crc | u32 type:8,key_len:24 | u32 value_len | key | value
//             crc = CRC-32C of everything after it: the two header words, key
//             and value. Types: 1 put, 2 delete (value_len 0).
//   batch  := u32 crc | u32 type(3):8,count:24 | u32 payload_len | payload
//             payload = `count` put/delete records, each with its own crc;
//             the batch crc covers the two header words and the whole payload,
//             so a batch is replayed entirely or not at all.
//
// All integers are little-endian. Fields are unaligned (memcpy'd).
//
// Thread-safety: pure functions over caller-owned memory.

#ifndef MEMKIT_DBM_INTERNAL_FORMAT_H_
#define MEMKIT_DBM_INTERNAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "dbm writes its little-endian format with memcpy; port the codecs first");

namespace memkit {
namespace dbm {
namespace internal {

inline constexpr char kFileMagic[8] = {'\x89', 'M', 'K', 'D', 'B', 'M', '\r', '\n'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint64_t kHeaderSize = 64;
inline constexpr size_t kHeaderCrcSpan = 36;       // bytes 0..35 are covered
inline constexpr size_t kCommittedEndOffset = 40;  // u64, rewritten on every write
inline constexpr size_t kRecordHeaderSize = 12;
inline constexpr uint32_t kMaxKeySize = (1u << 24) - 1;
inline constexpr uint32_t kMaxBatchCount = (1u << 24) - 1;
// Format allows 4 GiB - 1; the API keeps well clear of u32 overflow in batches.
inline constexpr uint64_t kMaxValueSize = uint64_t{1} << 31;

enum class RecordType : uint8_t { kPut = 1, kDelete = 2, kBatch = 3 };

inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store32(char* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }
inline void Store64(char* p, uint64_t v) { std::memcpy(p, &v, sizeof(v)); }

struct FileHeader {
  uint32_t version = kFormatVersion;
  uint64_t file_id = 0;    // random; new for every file (compaction too)
  uint64_t hash_seed = 0;  // random at creation; kept by compaction
  uint32_t flags = 0;      // reserved, must be 0 in version 1
  uint64_t committed_end = kHeaderSize;
};

// Writes kHeaderSize bytes.
void EncodeFileHeader(const FileHeader& header, char* out);

// DataLoss for a file that is not a dbm file or whose header is corrupt,
// FailedPrecondition for a version this build cannot read.
absl::Status DecodeFileHeader(const char* data, size_t n, FileHeader* header);

inline size_t RecordSize(size_t key_len, size_t value_len) {
  return kRecordHeaderSize + key_len + value_len;
}

// Writes a put or delete record of RecordSize(key, value) bytes at `out`.
// Returns its crc.
uint32_t EncodeRecord(RecordType type, absl::string_view key, absl::string_view value, char* out);

// Writes the 12-byte batch header at `out`, where `out + 12` already holds
// `payload_len` bytes of encoded member records.
void EncodeBatchHeader(uint32_t count, uint32_t payload_len, char* out);

// A put or delete record located in a mapped file; views point into it.
struct Entry {
  RecordType type;
  absl::string_view key;
  absl::string_view value;
  size_t size;  // whole record, header included
};

// True if the record at `off`, which lies below `limit`, has key `key`.
inline bool RecordKeyEquals(const char* base, uint64_t limit, uint64_t off,
                            absl::string_view key) {
  if (off > limit || limit - off < kRecordHeaderSize + key.size()) return false;
  const char* p = base + off;
  return (Load32(p + 4) >> 8) == key.size() &&
         (key.empty() || std::memcmp(p + kRecordHeaderSize, key.data(), key.size()) == 0);
}

// The size of the put/delete record at `off`, trusting its header (the
// index only holds offsets of records that were checked).
inline uint64_t RecordSizeAt(const char* base, uint64_t off) {
  const char* p = base + off;
  return kRecordHeaderSize + (Load32(p + 4) >> 8) + uint64_t{Load32(p + 8)};
}

// Bounds-checked decoding of the put/delete record at `off` without checking
// its crc (the index only points at records verified at write or open).
// False if it does not fit below `limit` or is not a put/delete.
bool PeekEntry(const char* base, uint64_t limit, uint64_t off, Entry* entry);

// True if the record at `off` (already peeked) has a correct crc.
bool EntryCrcOk(const char* base, uint64_t off, const Entry& entry);

// One put or delete met while replaying the log (batch members in order).
struct ScanItem {
  RecordType type;
  uint64_t offset;  // where its record starts: the index's location for it
  absl::string_view key;
  size_t size;  // record size
};

struct ScanResult {
  uint64_t end = 0;        // first byte after the last valid record
  uint64_t records = 0;    // top-level records replayed (a batch counts once)
  uint64_t last_record = 0;      // offset of the last top-level record, 0 if none
  uint32_t last_record_crc = 0;  // its crc
  bool clean = true;       // true if everything from `end` to `limit` is zero
  uint64_t garbage_end = 0;  // one past the last non-zero byte at or after `end`
  std::string problem;     // why the scan stopped early, empty when clean
};

// Replays the log in [start, limit): checks each record's crc and structure,
// calls `fn` for each put/delete, and stops at the first record that is torn,
// corrupt or zero (the unwritten, preallocated tail). Looks for non-zero
// bytes after the stop only up to `garbage_limit` (capped at `limit`): the
// preallocated tail can be large, and reading it all would slow every open
// after a crash.
ScanResult ScanLog(const char* base, uint64_t start, uint64_t limit,
                   absl::FunctionRef<void(const ScanItem&)> fn,
                   uint64_t garbage_limit = UINT64_MAX);

// Checks one top-level record at `off` fully (crc, batch structure). Returns
// its size, or 0 if it is not a valid record ending at or before `limit`.
uint64_t CheckRecord(const char* base, uint64_t off, uint64_t limit, uint32_t* crc,
                     std::string* problem);

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_FORMAT_H_
