#include "server/persist_format.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace memkit {
namespace server {
namespace persist {
namespace {

// Snapshot header: magic, version, length, flags, written, count, bytes, max cas.
constexpr size_t kHeaderSize = 8 + 4 + 4 + 4 + 8 + 8 + 8 + 8;
constexpr uint32_t kHeaderComplete = 1;

// Little-endian byte by byte, whatever the host's order.
void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put32(std::string* out, uint32_t v) { PutLE(out, v, 4); }
void Put64(std::string* out, uint64_t v) { PutLE(out, v, 8); }

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint32_t Get32(const char* p) { return static_cast<uint32_t>(GetLE(p, 4)); }
uint64_t Get64(const char* p) { return GetLE(p, 8); }

}  // namespace

void EncodeItem(const ItemRecord& record, std::string* out) {
  out->clear();
  out->reserve(kItemHeaderSize + record.value.size());
  out->push_back(static_cast<char>(kItemVersion));
  out->push_back(static_cast<char>(kItemHeaderSize));
  Put32(out, record.client_flags);
  Put64(out, static_cast<uint64_t>(record.exptime_unix));
  Put64(out, record.cas);
  Put64(out, static_cast<uint64_t>(record.last_access_unix));
  out->push_back(static_cast<char>(record.key_binary ? kItemKeyBinary : 0));
  out->append(record.value.data(), record.value.size());
}

absl::StatusOr<ItemRecord> DecodeItem(absl::string_view bytes) {
  if (bytes.size() < 2) {
    return absl::DataLossError(absl::StrCat("item record of ", bytes.size(), " bytes"));
  }
  const uint8_t version = static_cast<uint8_t>(bytes[0]);
  const size_t header_size = static_cast<uint8_t>(bytes[1]);
  if (version != kItemVersion) {
    return absl::DataLossError(absl::StrCat("unknown item record version ", version));
  }
  if (header_size < kItemHeaderSize || header_size > bytes.size()) {
    return absl::DataLossError(absl::StrCat("item record header of ", header_size,
                                            " bytes in a record of ", bytes.size()));
  }
  const char* p = bytes.data() + 2;
  ItemRecord r;
  r.client_flags = Get32(p);
  r.exptime_unix = static_cast<int64_t>(Get64(p + 4));
  r.cas = Get64(p + 12);
  r.last_access_unix = static_cast<int64_t>(Get64(p + 20));
  r.key_binary = (static_cast<uint8_t>(p[28]) & kItemKeyBinary) != 0;
  r.value = bytes.substr(header_size);
  return r;
}

std::string EncodeHeader(const SnapshotHeader& header) {
  std::string out;
  out.reserve(kHeaderSize);
  out.append(kHeaderMagic.data(), kHeaderMagic.size());
  Put32(&out, kHeaderVersion);
  Put32(&out, static_cast<uint32_t>(kHeaderSize));
  Put32(&out, header.complete ? kHeaderComplete : 0);
  Put64(&out, static_cast<uint64_t>(header.written_unix));
  Put64(&out, header.item_count);
  Put64(&out, header.item_bytes);
  Put64(&out, header.max_cas);
  return out;
}

absl::StatusOr<SnapshotHeader> DecodeHeader(absl::string_view bytes) {
  if (bytes.size() < kHeaderMagic.size() + 8 ||
      bytes.substr(0, kHeaderMagic.size()) != kHeaderMagic) {
    return absl::DataLossError("no memkit-server snapshot header");
  }
  const char* p = bytes.data() + kHeaderMagic.size();
  const uint32_t version = Get32(p);
  const uint32_t length = Get32(p + 4);
  if (version != kHeaderVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsupported snapshot version ", version, " (this build reads ",
                     kHeaderVersion, ")"));
  }
  if (length < kHeaderSize || length != bytes.size()) {
    return absl::DataLossError(absl::StrCat("snapshot header of ", bytes.size(),
                                            " bytes says it has ", length));
  }
  p += 8;
  SnapshotHeader h;
  h.complete = (Get32(p) & kHeaderComplete) != 0;
  h.written_unix = static_cast<int64_t>(Get64(p + 4));
  h.item_count = Get64(p + 12);
  h.item_bytes = Get64(p + 20);
  h.max_cas = Get64(p + 28);
  return h;
}

}  // namespace persist
}  // namespace server
}  // namespace memkit
