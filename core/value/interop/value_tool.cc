// value_tool: memkit's value codec on stdin/stdout, for the cross-language
// test (value_interop_test.py drives it; Python does the memcached I/O).
//
// One request per line, one reply line each:
//   decode <flags> <hex data>
//     -> ok <kind> <payload>      kind: bytes|text (hex), int (decimal), bool (true|false)
//   encode <pylibmc|pymemcache> <min_compress_len> <kind> <payload>
//     -> ok <flags> <hex data>
//   anything failing -> error <absl code> <message>

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/value/codec.h"
#include "core/value/value.h"

namespace {

using memkit::value::Codec;
using memkit::value::CodecOptions;
using memkit::value::Compat;
using memkit::value::EncodedValue;
using memkit::value::Value;

std::string Error(const absl::Status& status) {
  return absl::StrCat("error ", absl::StatusCodeToString(status.code()), " ", status.message());
}

std::string Decode(const std::vector<std::string>& args) {
  uint32_t flags = 0;
  if (args.size() != 3 || !absl::SimpleAtoi(args[1], &flags)) return "error usage: decode";
  Codec codec;
  absl::StatusOr<Value> value = codec.Decode(flags, absl::HexStringToBytes(args[2]));
  if (!value.ok()) return Error(value.status());
  switch (value->kind()) {
    case Value::Kind::kBytes:
    case Value::Kind::kText:
      return absl::StrCat("ok ", memkit::value::KindName(value->kind()), " ",
                          absl::BytesToHexString(value->data()));
    case Value::Kind::kInt:
      return absl::StrCat("ok int ", value->int_value());
    case Value::Kind::kBool:
      return absl::StrCat("ok bool ", value->bool_value() ? "true" : "false");
    case Value::Kind::kCustom:
      break;
  }
  return "error unexpected custom value";
}

std::string Encode(const std::vector<std::string>& args) {
  CodecOptions options;
  if (args.size() != 5 || !absl::SimpleAtoi(args[2], &options.min_compress_len)) {
    return "error usage: encode";
  }
  options.compat = args[1] == "pymemcache" ? Compat::kPymemcache : Compat::kPylibmc;
  absl::StatusOr<std::unique_ptr<Codec>> codec = Codec::Create(options);
  if (!codec.ok()) return Error(codec.status());
  const std::string& kind = args[3];
  const std::string& payload = args[4];
  Value value;
  if (kind == "bytes") {
    value = Value::Bytes(absl::HexStringToBytes(payload));
  } else if (kind == "text") {
    value = Value::Text(absl::HexStringToBytes(payload));
  } else if (kind == "int") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(payload, &n)) return "error bad int";
    value = Value::Int(n);
  } else if (kind == "bool") {
    value = Value::Bool(payload == "true");
  } else {
    return "error unknown kind";
  }
  absl::StatusOr<EncodedValue> encoded = (*codec)->Encode(value);
  if (!encoded.ok()) return Error(encoded.status());
  return absl::StrCat("ok ", encoded->flags, " ", absl::BytesToHexString(encoded->data));
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> args = absl::StrSplit(line, ' ');
    std::string reply;
    if (args.empty() || args[0].empty()) {
      reply = "error empty request";
    } else if (args[0] == "decode") {
      reply = Decode(args);
    } else if (args[0] == "encode") {
      reply = Encode(args);
    } else {
      reply = "error unknown request";
    }
    std::cout << reply << std::endl;
  }
  return 0;
}
