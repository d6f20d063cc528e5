#include "dbm/testing/test_util.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/support/subprocess.h"

namespace memkit {
namespace dbm {
namespace testing {

ScratchDir::ScratchDir() {
  absl::StatusOr<std::unique_ptr<test_support::ScratchDir>> dir =
      test_support::ScratchDir::Create("dbm");
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", dir.status().ToString().c_str());
    std::abort();
  }
  dir_ = *std::move(dir);
}

std::string ReadFileBytes(const std::string& path) { return test_support::ReadFileOrEmpty(path); }

bool WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_size;
}

bool LongMode() {
  const char* value = std::getenv("MEMKIT_LONG");
  return value != nullptr && std::string(value) == "1";
}

}  // namespace testing
}  // namespace dbm
}  // namespace memkit
