// A program in another workspace, using memkit's public core targets.
#include <cstdio>
#include <memory>

#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "core/keys/keys.h"
#include "core/status/status.h"
#include "core/value/codec.h"

namespace {

int failures = 0;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  absl::Status status = memkit::StatusFromTextReply("NOT_STORED");
  Check(status.code() == absl::StatusCode::kFailedPrecondition &&
            memkit::GetMcCode(status) == memkit::McCode::kNotStored,
        "status mapping");

  Check(memkit::keys::ValidateKey("user:1").ok(), "valid key");
  Check(memkit::keys::ValidateKey("has space").code() == absl::StatusCode::kInvalidArgument,
        "bad key");

  // The libmemcached vector from shared/PEERS.md: user:1234 -> 10.0.0.3:11212.
  auto servers = memkit::hash::ParseServerList("10.0.0.1,10.0.0.2,10.0.0.3:11212");
  memkit::hash::PlacementOptions options;
  options.distribution = memkit::hash::Distribution::kKetamaWeighted;
  auto placement = memkit::hash::Placement::Create(*servers, options);
  Check(placement.ok() && (*placement)->ServerFor("user:1234") == 2, "ketama placement");

  auto codec = memkit::value::Codec::Create(memkit::value::CodecOptions());
  auto encoded = (*codec)->Encode(memkit::value::Value::Int(42));
  auto decoded = (*codec)->Decode(encoded->flags, encoded->data);
  Check(decoded.ok() && decoded->int_value() == 42, "value round trip");

  if (failures == 0) std::printf("memkit imported and working\n");
  return failures == 0 ? 0 : 1;
}
