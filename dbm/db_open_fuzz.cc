// Fuzzes Db::Open on hostile files: the input becomes a data file and,
// optionally, its hint file (`path.hint`), which Open reads through the
// record reader and the hint reader. Open must fail cleanly or give a
// database whose every key can be read back and verified; nothing may crash,
// hang or allocate beyond what the files themselves justify.
//
// Input: 1 byte of option bits, a 4-byte little-endian length N, N bytes of
// data file, and the rest as the hint file.
//   bit 0: open read-write (else read-only)
//   bit 1: truncate_corrupt_tail
//   bit 2: write the hint file (else none exists)

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dbm/db.h"

namespace {

// Aborts naming the broken promise, so a finding says which it is.
void CheckAt(bool condition, const char* what, int line) {
  if (condition) return;
  std::fprintf(stderr, "db_open_fuzz.cc:%d: check failed: %s\n", line, what);
  std::abort();
}
#define Check(condition) CheckAt((condition), #condition, __LINE__)

// One scratch directory per process, removed at exit.
const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* root = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(root != nullptr ? root : "/tmp") + "/db_open_fuzz.XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr);
    auto* path = new std::string(pattern);
    std::atexit([] {
      const std::string& d = ScratchDir();
      for (const char* name : {"/f", "/f.hint", "/f.hint.tmp", "/f.compact"}) {
        unlink((d + name).c_str());
      }
      rmdir(d.c_str());
    });
    return path;
  }();
  return *dir;
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  Check(out.good());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using memkit::dbm::Db;
  if (size < 5) return 0;
  const uint8_t bits = data[0];
  uint32_t data_len;
  std::memcpy(&data_len, data + 1, 4);
  const absl::string_view rest(reinterpret_cast<const char*>(data + 5), size - 5);
  if (data_len > rest.size()) data_len = static_cast<uint32_t>(rest.size());
  const std::string path = ScratchDir() + "/f";
  WriteFile(path, rest.substr(0, data_len));
  unlink((path + ".hint").c_str());
  if ((bits & 4) != 0) WriteFile(path + ".hint", rest.substr(data_len));

  memkit::dbm::Options options;
  options.mode = (bits & 1) != 0 ? memkit::dbm::OpenMode::kReadWrite
                                 : memkit::dbm::OpenMode::kReadOnly;
  options.truncate_corrupt_tail = (bits & 2) != 0;
  options.auto_compact = false;
  options.write_hint = false;
  options.hint_every_bytes = 0;
  options.min_growth_bytes = 4096;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(path, options);
  if (!db.ok()) return 0;

  // Open checks only the records after the hint; damage under a trusted
  // hint is Verify()'s to find (docs/dbm.md). Once Verify() passes, every
  // key the index holds must be iterated and read back.
  const bool verified = (*db)->Verify().ok();
  uint64_t seen = 0;
  std::unique_ptr<memkit::dbm::Iterator> it = (*db)->NewIterator();
  for (; it->Valid(); it->Next()) {
    ++seen;
    std::string value;
    const absl::Status got = (*db)->Get(it->key(), &value);
    if (verified) Check(got.ok() && value == it->value());
    memkit::dbm::ReadOptions verify;
    verify.verify_checksum = true;
    const absl::Status checked = (*db)->Get(verify, it->key(), &value);
    if (verified) Check(checked.ok());
  }
  if (verified) Check(seen == (*db)->Size());
  if ((bits & 1) != 0) {
    // The store must stay writable after recovering from whatever it read.
    (void)(*db)->Put("fuzz-key", "fuzz-value");
  }
  (void)(*db)->Close();
  return 0;
}
