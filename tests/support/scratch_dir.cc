#include "tests/support/scratch_dir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace test_support {
namespace {

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;  // keep going: remove as much as possible
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScratchDir>> ScratchDir::Create(absl::string_view prefix) {
  std::string pattern = absl::StrCat(TempRoot(), "/", prefix, "-XXXXXX");
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", strerror(errno)));
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(std::string(buf.data())));
}

ScratchDir::~ScratchDir() {
  // Depth first (FTW_DEPTH), not following symlinks out of the tree (FTW_PHYS).
  nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string ScratchDir::Path(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

}  // namespace test_support
}  // namespace memkit
