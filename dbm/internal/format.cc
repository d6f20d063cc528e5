#include "dbm/internal/format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dbm/internal/crc32c.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

// One past the last non-zero byte in [begin, end), or `begin` if all zero.
uint64_t LastNonZero(const char* base, uint64_t begin, uint64_t end) {
  uint64_t pos = end;
  while (pos > begin && (pos & 7) != 0) {
    if (base[pos - 1] != 0) return pos;
    --pos;
  }
  while (pos >= begin + 8) {
    if (Load64(base + pos - 8) != 0) break;
    pos -= 8;
  }
  while (pos > begin) {
    if (base[pos - 1] != 0) return pos;
    --pos;
  }
  return begin;
}

// Size of a put/delete record header's claim, or 0 for another type.
uint64_t EntrySizeFromHeader(uint32_t word, uint32_t value_len) {
  const uint8_t type = word & 0xff;
  const uint64_t key_len = word >> 8;
  if (type == static_cast<uint8_t>(RecordType::kPut)) {
    return kRecordHeaderSize + key_len + value_len;
  }
  if (type == static_cast<uint8_t>(RecordType::kDelete) && value_len == 0) {
    return kRecordHeaderSize + key_len;
  }
  return 0;
}

}  // namespace

void EncodeFileHeader(const FileHeader& header, char* out) {
  std::memset(out, 0, kHeaderSize);
  std::memcpy(out, kFileMagic, sizeof(kFileMagic));
  Store32(out + 8, header.version);
  Store32(out + 12, static_cast<uint32_t>(kHeaderSize));
  Store64(out + 16, header.file_id);
  Store64(out + 24, header.hash_seed);
  Store32(out + 32, header.flags);
  Store32(out + 36, Crc32cExtend(0, out, kHeaderCrcSpan));
  Store64(out + kCommittedEndOffset, header.committed_end);
}

absl::Status DecodeFileHeader(const char* data, size_t n, FileHeader* header) {
  if (n < kHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("corrupt header: file has ", n, " bytes, a dbm header needs ", kHeaderSize));
  }
  if (std::memcmp(data, kFileMagic, sizeof(kFileMagic)) != 0) {
    return absl::DataLossError("corrupt header: not a memkit dbm file (bad magic)");
  }
  if (Load32(data + 36) != Crc32cExtend(0, data, kHeaderCrcSpan)) {
    return absl::DataLossError("corrupt header: header checksum mismatch");
  }
  const uint32_t version = Load32(data + 8);
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "unsupported dbm format version ", version, "; this build reads version ",
        kFormatVersion));
  }
  if (Load32(data + 12) != kHeaderSize || Load32(data + 32) != 0) {
    return absl::DataLossError("corrupt header: unexpected header size or flags");
  }
  header->version = version;
  header->file_id = Load64(data + 16);
  header->hash_seed = Load64(data + 24);
  header->flags = 0;
  header->committed_end = Load64(data + kCommittedEndOffset);
  return absl::OkStatus();
}

uint32_t EncodeRecord(RecordType type, absl::string_view key, absl::string_view value,
                      char* out) {
  Store32(out + 4, static_cast<uint32_t>(type) | (static_cast<uint32_t>(key.size()) << 8));
  Store32(out + 8, static_cast<uint32_t>(value.size()));
  if (!key.empty()) std::memcpy(out + kRecordHeaderSize, key.data(), key.size());
  if (!value.empty()) std::memcpy(out + kRecordHeaderSize + key.size(), value.data(), value.size());
  const uint32_t crc = Crc32cExtend(0, out + 4, 8 + key.size() + value.size());
  Store32(out, crc);
  return crc;
}

void EncodeBatchHeader(uint32_t count, uint32_t payload_len, char* out) {
  Store32(out + 4, static_cast<uint32_t>(RecordType::kBatch) | (count << 8));
  Store32(out + 8, payload_len);
  Store32(out, Crc32cExtend(0, out + 4, 8 + uint64_t{payload_len}));
}

bool PeekEntry(const char* base, uint64_t limit, uint64_t off, Entry* entry) {
  if (off > limit || limit - off < kRecordHeaderSize) return false;
  const char* p = base + off;
  const uint32_t word = Load32(p + 4);
  const uint32_t value_len = Load32(p + 8);
  const uint64_t size = EntrySizeFromHeader(word, value_len);
  if (size == 0 || size > limit - off) return false;
  const size_t key_len = word >> 8;
  entry->type = static_cast<RecordType>(word & 0xff);
  entry->key = absl::string_view(p + kRecordHeaderSize, key_len);
  entry->value = absl::string_view(p + kRecordHeaderSize + key_len, value_len);
  entry->size = size;
  return true;
}

bool EntryCrcOk(const char* base, uint64_t off, const Entry& entry) {
  const char* p = base + off;
  return Load32(p) == Crc32cExtend(0, p + 4, entry.size - 4);
}

uint64_t CheckRecord(const char* base, uint64_t off, uint64_t limit, uint32_t* crc,
                     std::string* problem) {
  if (off > limit || limit - off < kRecordHeaderSize) {
    *problem = absl::StrCat("torn record header at offset ", off);
    return 0;
  }
  const char* p = base + off;
  const uint32_t word = Load32(p + 4);
  const uint32_t len = Load32(p + 8);
  const uint8_t type = word & 0xff;
  uint64_t size;
  if (type == static_cast<uint8_t>(RecordType::kBatch)) {
    size = kRecordHeaderSize + uint64_t{len};
  } else {
    size = EntrySizeFromHeader(word, len);
    if (size == 0) {
      *problem = absl::StrCat("invalid record header at offset ", off);
      return 0;
    }
  }
  if (size > limit - off) {
    *problem = absl::StrCat("record at offset ", off, " of ", size,
                            " bytes runs past the end of the data (torn write)");
    return 0;
  }
  if (Load32(p) != Crc32cExtend(0, p + 4, size - 4)) {
    *problem = absl::StrCat("checksum mismatch in record at offset ", off);
    return 0;
  }
  if (type == static_cast<uint8_t>(RecordType::kBatch)) {
    // The crc matched, so only a writer bug could make members malformed;
    // check anyway so that the index never points outside the batch.
    const uint64_t end = off + size;
    uint64_t pos = off + kRecordHeaderSize;
    const uint32_t count = word >> 8;
    for (uint32_t i = 0; i < count; ++i) {
      Entry entry;
      if (!PeekEntry(base, end, pos, &entry) || !EntryCrcOk(base, pos, entry)) {
        *problem = absl::StrCat("malformed batch at offset ", off);
        return 0;
      }
      pos += entry.size;
    }
    if (pos != end) {
      *problem = absl::StrCat("malformed batch at offset ", off);
      return 0;
    }
  }
  *crc = Load32(p);
  return size;
}

ScanResult ScanLog(const char* base, uint64_t start, uint64_t limit,
                   absl::FunctionRef<void(const ScanItem&)> fn, uint64_t garbage_limit) {
  ScanResult result;
  uint64_t pos = start;
  while (pos < limit) {
    uint32_t crc = 0;
    const uint64_t size = CheckRecord(base, pos, limit, &crc, &result.problem);
    if (size == 0) break;
    const char* p = base + pos;
    const uint32_t word = Load32(p + 4);
    if ((word & 0xff) == static_cast<uint8_t>(RecordType::kBatch)) {
      uint64_t member = pos + kRecordHeaderSize;
      for (uint32_t i = 0; i < (word >> 8); ++i) {
        Entry entry;
        PeekEntry(base, pos + size, member, &entry);  // checked by CheckRecord
        fn(ScanItem{entry.type, member, entry.key, entry.size});
        member += entry.size;
      }
    } else {
      Entry entry;
      PeekEntry(base, limit, pos, &entry);
      fn(ScanItem{entry.type, pos, entry.key, entry.size});
    }
    result.last_record = pos;
    result.last_record_crc = crc;
    ++result.records;
    pos += size;
  }
  result.end = pos;
  const uint64_t check_to = std::max(pos, std::min(limit, garbage_limit));
  result.garbage_end = LastNonZero(base, pos, check_to);
  result.clean = result.garbage_end == pos;
  if (result.clean) result.problem.clear();
  return result;
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
