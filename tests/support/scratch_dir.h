// ScratchDir: a fresh directory of a test's own, removed with everything in it
// when the ScratchDir is destroyed. Made under $TEST_TMPDIR (Bazel) or /tmp.
//
//   auto dir = ScratchDir::Create("dbm");
//   ASSERT_TRUE(dir.ok()) << dir.status();
//   std::string file = (*dir)->Path("data.log");
//
// Thread-compatible.

#ifndef MEMKIT_TESTS_SUPPORT_SCRATCH_DIR_H_
#define MEMKIT_TESTS_SUPPORT_SCRATCH_DIR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace test_support {

class ScratchDir {
 public:
  // A new empty directory named "<prefix>-XXXXXX" (mkdtemp).
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(absl::string_view prefix = "memkit");

  // Removes the directory and everything under it (best effort: a test's
  // leftovers must not fail it).
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Path(absl::string_view name) const;

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}

  const std::string path_;
};

}  // namespace test_support
}  // namespace memkit

#endif  // MEMKIT_TESTS_SUPPORT_SCRATCH_DIR_H_
