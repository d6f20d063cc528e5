// Fuzzes the reply-line classifiers: any bytes a server sends must map to a
// status (never crash), and the carried McCode must agree with the code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "core/status/status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view line(reinterpret_cast<const char*>(data), size);
  for (const absl::Status& status : {memkit::StatusFromTextReply(line),
                                     memkit::StatusFromMetaCode(line),
                                     memkit::StatusFromBinaryStatus(size > 1 ? data[0] << 8 | data[1] : 0)}) {
    if (status.code() != memkit::CanonicalCode(memkit::GetMcCode(status))) std::abort();
  }
  return 0;
}
