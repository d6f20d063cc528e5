#include "dbm/testing/crash_ops.h"


#include "absl/strings/str_cat.h"

namespace memkit {
namespace dbm {
namespace testing {
namespace {

// splitmix64: cheap to seed per operation, unlike std::mt19937_64, so the
// writer spends its time in the store (where the kills should land).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

std::string Key(Rng& rng, int key_space) {
  return absl::StrCat("key", rng() % static_cast<uint64_t>(key_space));
}

std::string Value(Rng& rng, uint64_t seed, uint64_t seq, const std::string& key) {
  // Mostly small, sometimes several pages, so that kills land inside records
  // of every size and records straddle page boundaries.
  const uint64_t roll = rng() % 100;
  const size_t length = roll < 2 ? 3000 + rng() % 20000 : rng() % 300;
  std::string value = absl::StrCat(key, "@", seed, ".", seq, ":");
  const char fill = static_cast<char>('a' + seq % 26);
  value.append(length, fill);
  return value;
}

}  // namespace

CrashOp MakeCrashOp(uint64_t seed, uint64_t seq, int key_space) {
  Rng rng(seed * 0x9e3779b97f4a7c15ULL ^ (seq * 0xd6e8feb86659fd93ULL));
  CrashOp op;
  // One writer in three compacts often (kills then land in compactions and
  // their fsyncs); the others rarely (kills land in puts and deletes).
  const uint64_t roll = rng() % 10000;
  const uint64_t compact_per_10000 = seed % 3 == 0 ? 30 : 1;
  if (roll < compact_per_10000) {
    op.kind = CrashOp::Kind::kCompact;
  } else if (roll < 1500) {
    op.kind = CrashOp::Kind::kDelete;
    op.writes.emplace_back(Key(rng, key_space), std::nullopt);
  } else if (roll < 2500) {
    op.kind = CrashOp::Kind::kBatch;
    const int n = 2 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) {
      std::string key = Key(rng, key_space);
      if (rng() % 4 == 0) {
        op.writes.emplace_back(std::move(key), std::nullopt);
      } else {
        std::string value = Value(rng, seed, seq, key);
        op.writes.emplace_back(std::move(key), std::move(value));
      }
    }
  } else {
    op.kind = CrashOp::Kind::kPut;
    std::string key = Key(rng, key_space);
    std::string value = Value(rng, seed, seq, key);
    op.writes.emplace_back(std::move(key), std::move(value));
  }
  return op;
}

void ApplyCrashOp(const CrashOp& op, std::map<std::string, std::string>* model) {
  for (const auto& [key, value] : op.writes) {
    if (value.has_value()) {
      (*model)[key] = *value;
    } else {
      model->erase(key);
    }
  }
}

}  // namespace testing
}  // namespace dbm
}  // namespace memkit
