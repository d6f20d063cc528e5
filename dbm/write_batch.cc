#include "dbm/write_batch.h"

#include "absl/strings/str_cat.h"
#include "dbm/internal/format.h"

namespace memkit {
namespace dbm {

using internal::RecordType;

void WriteBatch::Put(absl::string_view key, absl::string_view value) {
  Add(static_cast<uint8_t>(RecordType::kPut), key, value);
}

void WriteBatch::Delete(absl::string_view key) {
  Add(static_cast<uint8_t>(RecordType::kDelete), key, absl::string_view());
}

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
  status_ = absl::OkStatus();
}

void WriteBatch::Add(uint8_t type, absl::string_view key, absl::string_view value) {
  if (!status_.ok()) return;
  if (key.size() > internal::kMaxKeySize || value.size() > internal::kMaxValueSize) {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "batch operation ", count_, ": key of ", key.size(), " or value of ", value.size(),
        " bytes exceeds the limits (", internal::kMaxKeySize, ", ", internal::kMaxValueSize, ")"));
    return;
  }
  const size_t size = internal::RecordSize(key.size(), value.size());
  if (count_ == internal::kMaxBatchCount || rep_.size() + size > UINT32_MAX) {
    status_ = absl::InvalidArgumentError("write batch exceeds 16 M operations or 4 GiB");
    return;
  }
  const size_t at = rep_.size();
  rep_.resize(at + size);
  internal::EncodeRecord(static_cast<RecordType>(type), key, value, &rep_[at]);
  ++count_;
}

}  // namespace dbm
}  // namespace memkit
