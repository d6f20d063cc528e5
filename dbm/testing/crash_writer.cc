// The writer child of dbm's crash test: applies MakeCrashOp(seed, 1, 2, ...)
// to a database forever, until the test kills it with SIGKILL, and
// acknowledges operations by printing "A <seq>\n" once they have returned
// OK, `group` at a time in one write() (with a group of more than one, most
// kills land inside the store rather than in write()). Prints "R\n" once
// open, and "E <seq> <status>\n" (exit 2) if an operation fails.
//
//   crash_writer <db path> <seed> <key space> <none|interval> <group>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "dbm/db.h"
#include "dbm/testing/crash_ops.h"

namespace {

void Say(const std::string& line) {
  // One write() per line: when it returns, the test can read the line even
  // if this process is killed the next instant.
  const char* p = line.data();
  size_t n = line.size();
  while (n > 0) {
    const ssize_t w = write(STDOUT_FILENO, p, n);
    if (w <= 0) _exit(3);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using memkit::dbm::testing::CrashOp;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <db> <seed> <key space> <none|interval> <group>\n",
                 argv[0]);
    return 1;
  }
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  const int key_space = std::atoi(argv[3]);
  const int group = std::max(1, std::atoi(argv[5]));
  memkit::dbm::Options options;
  // Small thresholds: compactions happen often, so kills land inside them.
  options.compact_min_garbage_bytes = 1 << 20;
  options.compact_garbage_ratio = 0.4;
  options.min_growth_bytes = 1 << 20;
  options.hint_every_bytes = 256 << 10;  // background hints, killed too
  if (std::string(argv[4]) == "interval") {
    options.sync = memkit::dbm::SyncPolicy::kInterval;
    options.sync_interval = absl::Milliseconds(2);
  }
  absl::StatusOr<std::unique_ptr<memkit::dbm::Db>> db = memkit::dbm::Db::Open(argv[1], options);
  if (!db.ok()) {
    Say(absl::StrCat("E 0 ", db.status().ToString(), "\n"));
    return 2;
  }
  Say("R\n");
  std::string acks;
  int pending = 0;
  for (uint64_t seq = 1;; ++seq) {
    const CrashOp op = memkit::dbm::testing::MakeCrashOp(seed, seq, key_space);
    absl::Status s;
    switch (op.kind) {
      case CrashOp::Kind::kPut:
        s = (*db)->Put(op.writes[0].first, *op.writes[0].second);
        break;
      case CrashOp::Kind::kDelete:
        s = (*db)->Delete(op.writes[0].first);
        if (absl::IsNotFound(s)) s = absl::OkStatus();
        break;
      case CrashOp::Kind::kBatch: {
        memkit::dbm::WriteBatch batch;
        for (const auto& [key, value] : op.writes) {
          if (value.has_value()) {
            batch.Put(key, *value);
          } else {
            batch.Delete(key);
          }
        }
        s = (*db)->Write(memkit::dbm::WriteOptions(), batch);
        break;
      }
      case CrashOp::Kind::kCompact:
        s = (*db)->Compact();
        break;
    }
    if (!s.ok()) {
      Say(absl::StrCat("E ", seq, " ", s.ToString(), "\n"));
      return 2;
    }
    absl::StrAppend(&acks, "A ", seq, "\n");
    if (++pending == group) {
      Say(acks);
      acks.clear();
      pending = 0;
    }
  }
}
