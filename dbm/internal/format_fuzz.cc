// Fuzzes dbm's record reader: arbitrary bytes as a data file go through the
// header decoder, the log replay (ScanLog) and the per-record checks. None
// may crash or read outside the input, and what the replay reports must lie
// inside the scanned range.
//
// Input: the bytes of a data file (header, then records); dbm/testdata
// holds real files written by Db and cut or damaged versions of them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dbm/internal/format.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace memkit::dbm::internal;  // NOLINT: a fuzzer of this one header
  const char* base = reinterpret_cast<const char*>(data);

  FileHeader header;
  const bool header_ok = DecodeFileHeader(base, size, &header).ok();
  if (header_ok) Check(size >= kHeaderSize);

  // Replay after the header, as Open does, or from 0 for short inputs so
  // that records alone are exercised too.
  const uint64_t start = size >= kHeaderSize ? kHeaderSize : 0;
  uint64_t items = 0;
  const ScanResult scan = ScanLog(
      base, start, size,
      [&](const ScanItem& item) {
        ++items;
        Check(item.offset >= start && item.offset < size);
        Check(item.size <= size - item.offset);
        Entry entry;
        Check(PeekEntry(base, size, item.offset, &entry));
        Check(entry.type == item.type && entry.key == item.key && entry.size == item.size);
        Check(RecordKeyEquals(base, size, item.offset, item.key));
        Check(RecordSizeAt(base, item.offset) == item.size);
      },
      /*garbage_limit=*/size);
  Check(scan.end >= start && scan.end <= size);
  // A batch is replayed entirely or not at all: no member is reported
  // unless some top-level record was accepted.
  if (scan.records == 0) Check(items == 0);
  if (scan.records > 0) Check(scan.last_record >= start && scan.last_record < scan.end);
  Check(scan.garbage_end <= size);

  // Every record ScanLog accepted is accepted again on its own, and a check
  // at any offset stays inside the input.
  if (scan.records > 0) {
    uint32_t crc = 0;
    std::string problem;
    const uint64_t n = CheckRecord(base, scan.last_record, scan.end, &crc, &problem);
    Check(n == scan.end - scan.last_record && crc == scan.last_record_crc);
  }
  for (uint64_t off = 0; off < size && off < 512; off += 1 + off / 16) {
    uint32_t crc = 0;
    std::string problem;
    const uint64_t n = CheckRecord(base, off, size, &crc, &problem);
    Check(n <= size - off);
    Entry entry;
    if (PeekEntry(base, size, off, &entry)) {
      Check(entry.size <= size - off);
      Check(entry.key.data() >= base && entry.key.data() + entry.key.size() <= base + size);
      Check(entry.value.data() >= base && entry.value.data() + entry.value.size() <= base + size);
      (void)EntryCrcOk(base, off, entry);
    }
  }
  return 0;
}
