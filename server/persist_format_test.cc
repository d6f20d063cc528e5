#include "server/persist_format.h"

#include <string>

#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace persist {
namespace {

TEST(PersistFormatTest, ItemRoundTrip) {
  ItemRecord in;
  in.client_flags = 0xFFFFFFFFu;
  in.exptime_unix = 1700000123;
  in.cas = 0x0102030405060708ull;
  in.last_access_unix = 1700000000;
  in.key_binary = true;
  const std::string value("a\0b\r\nc", 6);
  in.value = value;
  std::string bytes = "stale";
  EncodeItem(in, &bytes);
  ASSERT_EQ(bytes.size(), kItemHeaderSize + value.size());
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[1], static_cast<char>(kItemHeaderSize));
  absl::StatusOr<ItemRecord> out = DecodeItem(bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->client_flags, in.client_flags);
  EXPECT_EQ(out->exptime_unix, in.exptime_unix);
  EXPECT_EQ(out->cas, in.cas);
  EXPECT_EQ(out->last_access_unix, in.last_access_unix);
  EXPECT_TRUE(out->key_binary);
  EXPECT_EQ(out->value, value);
  in.key_binary = false;
  EncodeItem(in, &bytes);
  EXPECT_FALSE(DecodeItem(bytes)->key_binary);
}

TEST(PersistFormatTest, ItemLayoutIsLittleEndian) {
  ItemRecord in;
  in.client_flags = 0x11223344;
  in.exptime_unix = 0;
  std::string bytes;
  EncodeItem(in, &bytes);
  EXPECT_EQ(bytes.substr(2, 4), "\x44\x33\x22\x11");
  EXPECT_EQ(bytes.substr(6, 8), std::string(8, '\0'));  // never expires
}

TEST(PersistFormatTest, EmptyValueAndNeverExpires) {
  ItemRecord in;
  std::string bytes;
  EncodeItem(in, &bytes);
  absl::StatusOr<ItemRecord> out = DecodeItem(bytes);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->exptime_unix, 0);
  EXPECT_TRUE(out->value.empty());
}

TEST(PersistFormatTest, LongerHeaderOfALaterRevisionIsSkipped) {
  ItemRecord in;
  in.client_flags = 7;
  in.value = "data";
  std::string bytes;
  EncodeItem(in, &bytes);
  // A later writer appends 4 bytes of new fields after version 1's header.
  bytes.insert(kItemHeaderSize, "XXXX");
  bytes[1] = static_cast<char>(kItemHeaderSize + 4);
  absl::StatusOr<ItemRecord> out = DecodeItem(bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->client_flags, 7u);
  EXPECT_EQ(out->value, "data");
}

TEST(PersistFormatTest, BadItemRecordsAreDataLoss) {
  ItemRecord in;
  in.value = "v";
  std::string good;
  EncodeItem(in, &good);
  EXPECT_EQ(DecodeItem("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeItem("\x01").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeItem(good.substr(0, kItemHeaderSize - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  std::string bad_version = good;
  bad_version[0] = 2;
  EXPECT_EQ(DecodeItem(bad_version).status().code(), absl::StatusCode::kDataLoss);
  std::string short_header = good;
  short_header[1] = 5;
  EXPECT_EQ(DecodeItem(short_header).status().code(), absl::StatusCode::kDataLoss);
  std::string past_end = good;
  past_end[1] = static_cast<char>(200);
  EXPECT_EQ(DecodeItem(past_end).status().code(), absl::StatusCode::kDataLoss);
}

TEST(PersistFormatTest, HeaderRoundTrip) {
  SnapshotHeader in;
  in.complete = true;
  in.written_unix = 1700000000;
  in.item_count = 12345;
  in.item_bytes = 1u << 30;
  in.max_cas = 99;
  const std::string bytes = EncodeHeader(in);
  EXPECT_EQ(bytes.substr(0, 8), "MKSRVSNP");
  absl::StatusOr<SnapshotHeader> out = DecodeHeader(bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->complete);
  EXPECT_EQ(out->written_unix, in.written_unix);
  EXPECT_EQ(out->item_count, in.item_count);
  EXPECT_EQ(out->item_bytes, in.item_bytes);
  EXPECT_EQ(out->max_cas, in.max_cas);

  in.complete = false;
  out = DecodeHeader(EncodeHeader(in));
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->complete);
}

TEST(PersistFormatTest, ForeignOrDamagedHeaders) {
  const std::string good = EncodeHeader(SnapshotHeader());
  EXPECT_EQ(DecodeHeader("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHeader("MKSRVSN").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHeader("alice").status().code(), absl::StatusCode::kDataLoss);
  std::string magic = good;
  magic[0] = 'X';
  EXPECT_EQ(DecodeHeader(magic).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHeader(good.substr(0, good.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHeader(good + "x").status().code(), absl::StatusCode::kDataLoss);
  std::string version = good;
  version[8] = 2;
  absl::Status s = DecodeHeader(version).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("version 2"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace persist
}  // namespace server
}  // namespace memkit
