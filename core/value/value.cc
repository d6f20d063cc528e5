#include "core/value/value.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace memkit {
namespace value {

Value Value::Int(int64_t v) {
  Value value;
  value.kind_ = Kind::kInt;
  value.number_ = v;
  return value;
}

Value Value::Bool(bool v) {
  Value value;
  value.kind_ = Kind::kBool;
  value.number_ = v ? 1 : 0;
  return value;
}

Value Value::Custom(uint32_t flag, std::any object) {
  Value value;
  value.kind_ = Kind::kCustom;
  value.custom_flag_ = flag;
  value.custom_ = std::move(object);
  return value;
}

std::string Value::DebugString() const {
  constexpr size_t kShown = 64;
  switch (kind_) {
    case Kind::kBytes:
    case Kind::kText: {
      std::string shown = absl::CHexEscape(absl::string_view(data_).substr(0, kShown));
      if (data_.size() > kShown) absl::StrAppend(&shown, "... (", data_.size(), " bytes)");
      return absl::StrCat(KindName(kind_), " \"", shown, "\"");
    }
    case Kind::kInt:
      return absl::StrCat("int ", number_);
    case Kind::kBool:
      return number_ != 0 ? "bool true" : "bool false";
    case Kind::kCustom:
      return absl::StrFormat("custom flag 0x%x", custom_flag_);
  }
  return "?";
}

absl::string_view KindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kBytes:
      return "bytes";
    case Value::Kind::kText:
      return "text";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kCustom:
      return "custom";
  }
  return "unknown";
}

}  // namespace value
}  // namespace memkit
