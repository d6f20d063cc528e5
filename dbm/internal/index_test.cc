#include "dbm/internal/index.h"

#include <cstring>
#include <map>
#include <random>

#include "gtest/gtest.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

// Offsets stand in for records: key k lives at offset k * 8 + 64, and the
// "record" says which key it holds through `keys`.
class IndexModel {
 public:
  explicit IndexModel(uint64_t hash_mask) : mask_(hash_mask) {}

  uint64_t Hash(uint64_t key) const { return (key * 0x9e3779b97f4a7c15ULL) & mask_; }
  static uint64_t OffsetOf(uint64_t key) { return key * 8 + 64; }
  auto Eq(uint64_t key) const {
    return [key](uint64_t off) { return off == OffsetOf(key); };
  }

  uint64_t mask_;
};

TEST(IndexTest, MatchesAMapUnderRandomOperations) {
  // A narrow hash mask makes long clusters and many equal hashes, which is
  // where backward-shift deletion can go wrong.
  for (uint64_t mask : {~uint64_t{0}, uint64_t{0xff}, uint64_t{0x7}}) {
    IndexModel m(mask);
    Index index;
    std::map<uint64_t, bool> model;
    std::mt19937_64 rng(mask);
    for (int step = 0; step < 20000; ++step) {
      const uint64_t key = rng() % 500;
      const bool present = model.count(key) > 0;
      if (rng() % 3 == 0) {
        const uint64_t old = index.Erase(m.Hash(key), m.Eq(key));
        EXPECT_EQ(old, present ? IndexModel::OffsetOf(key) : 0) << step;
        model.erase(key);
      } else {
        const uint64_t old = index.Upsert(m.Hash(key), IndexModel::OffsetOf(key), m.Eq(key));
        EXPECT_EQ(old, present ? IndexModel::OffsetOf(key) : 0) << step;
        model[key] = true;
      }
      ASSERT_EQ(index.size(), model.size());
      if (step % 997 == 0) {
        for (uint64_t k = 0; k < 500; ++k) {
          EXPECT_EQ(index.Find(m.Hash(k), m.Eq(k)), model.count(k) ? IndexModel::OffsetOf(k) : 0)
              << "mask " << mask << " key " << k << " step " << step;
        }
      }
    }
  }
}

TEST(IndexTest, GrowsAndKeepsLoadBelowThreeQuarters) {
  IndexModel m(~uint64_t{0});
  Index index;
  EXPECT_EQ(index.capacity(), Index::kMinCapacity);
  for (uint64_t k = 0; k < 100000; ++k) index.Upsert(m.Hash(k), IndexModel::OffsetOf(k), m.Eq(k));
  EXPECT_EQ(index.size(), 100000u);
  EXPECT_LE(index.size(), Index::MaxLoad(index.capacity()));
  EXPECT_EQ(index.capacity() & (index.capacity() - 1), 0u);
  for (uint64_t k = 0; k < 100000; ++k) {
    ASSERT_EQ(index.Find(m.Hash(k), m.Eq(k)), IndexModel::OffsetOf(k));
  }
  EXPECT_EQ(index.Find(m.Hash(100001), m.Eq(100001)), 0u);
}

TEST(IndexTest, PresizedIndexDoesNotGrow) {
  Index index(1000);
  const size_t capacity = index.capacity();
  EXPECT_GE(Index::MaxLoad(capacity), 1000u);
  IndexModel m(~uint64_t{0});
  for (uint64_t k = 0; k < 1000; ++k) index.Upsert(m.Hash(k), IndexModel::OffsetOf(k), m.Eq(k));
  EXPECT_EQ(index.capacity(), capacity);
}

TEST(IndexTest, FindSlotAndEraseSlot) {
  IndexModel m(0x3);  // everything collides into four buckets
  Index index;
  for (uint64_t k = 0; k < 10; ++k) index.Upsert(m.Hash(k), IndexModel::OffsetOf(k), m.Eq(k));
  const size_t slot = index.FindSlot(m.Hash(4), m.Eq(4));
  ASSERT_NE(slot, Index::kNoSlot);
  EXPECT_EQ(index.slots()[slot].offset, IndexModel::OffsetOf(4));
  index.EraseSlot(slot);
  EXPECT_EQ(index.FindSlot(m.Hash(4), m.Eq(4)), Index::kNoSlot);
  for (uint64_t k = 0; k < 10; ++k) {
    if (k != 4) {
      EXPECT_EQ(index.Find(m.Hash(k), m.Eq(k)), IndexModel::OffsetOf(k)) << k;
    }
  }
}

TEST(IndexTest, AdoptsASlotArray) {
  IndexModel m(~uint64_t{0});
  Index original;
  for (uint64_t k = 0; k < 50; ++k) original.Upsert(m.Hash(k), IndexModel::OffsetOf(k), m.Eq(k));
  SlotArray copy = Index::AllocateSlots(original.capacity(), false);
  std::memcpy(copy.get(), original.slots(), original.capacity() * sizeof(Slot));
  Index adopted(std::move(copy), original.capacity(), original.size());
  for (uint64_t k = 0; k < 50; ++k) {
    EXPECT_EQ(adopted.Find(m.Hash(k), m.Eq(k)), IndexModel::OffsetOf(k));
  }
}

}  // namespace
}  // namespace internal
}  // namespace dbm
}  // namespace memkit
