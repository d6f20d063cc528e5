// CRC-32C (Castagnoli), the checksum of every dbm record, header and hint.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (about 20 GB/s) and a
// slice-by-8 table otherwise; both give identical results.
//
// Thread-safety: pure functions, safe from any thread.

#ifndef MEMKIT_DBM_INTERNAL_CRC32C_H_
#define MEMKIT_DBM_INTERNAL_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace memkit {
namespace dbm {
namespace internal {

// Extends `crc` (the CRC-32C of some prefix) with `n` bytes at `data`.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

// The CRC-32C of `data`.
inline uint32_t Crc32c(absl::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

// The table-driven implementation, exposed so a test can compare it with the
// hardware one.
uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n);

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_CRC32C_H_
