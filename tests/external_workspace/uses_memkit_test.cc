// A program in another workspace, using memkit's public targets as the README
// advertises them: core, @memkit//client against @memkit//server:fake_server
// (started in-process on port 0), and @memkit//dbm in a temporary directory.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"

#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "core/keys/keys.h"
#include "core/status/status.h"
#include "core/value/codec.h"
#include "dbm/db.h"
#include "server/fake_server.h"

namespace {

int failures = 0;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

// A FakeServer on an OS-chosen port, and a memkit Client setting and getting
// through it (and seeing a miss as NotFound).
void ClientAgainstFakeServer() {
  auto fake = memkit::server::FakeServer::Create();
  Check(fake.ok(), "fake server starts");
  if (!fake.ok()) return;
  Check((*fake)->port() > 0, "fake server on an OS-chosen port");
  memkit::client::ClientOptions options;
  options.servers = {(*fake)->address_string()};
  auto client = memkit::client::Client::Create(options);
  Check(client.ok(), "client created");
  if (!client.ok()) return;
  Check((*client)->Set("greeting", "hello").ok(), "client set");
  auto item = (*client)->Get("greeting");
  Check(item.ok() && item->value == "hello", "client get");
  Check((*client)->Get("absent").status().code() == absl::StatusCode::kNotFound,
        "client miss is NotFound");
}

// A dbm file in a fresh temporary directory: written, closed, reopened, read.
void DbmInTempDir() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/memkit-user-XXXXXX";
  std::vector<char> dir(pattern.begin(), pattern.end());
  dir.push_back('\0');
  if (mkdtemp(dir.data()) == nullptr) {
    Check(false, "temporary directory");
    return;
  }
  const std::string path = std::string(dir.data()) + "/data.dbm";
  {
    auto db = memkit::dbm::Db::Open(path, memkit::dbm::Options());
    Check(db.ok(), "dbm create");
    if (!db.ok()) return;
    Check((*db)->Put("k", "v").ok(), "dbm put");
  }
  memkit::dbm::Options reopen;
  reopen.mode = memkit::dbm::OpenMode::kReadOnly;
  auto db = memkit::dbm::Db::Open(path, reopen);
  Check(db.ok(), "dbm reopen");
  if (db.ok()) {
    auto value = (*db)->Get("k");
    Check(value.ok() && *value == "v", "dbm get after reopen");
    db->reset();
  }
  Check(memkit::dbm::Db::Destroy(path).ok(), "dbm destroy");
  Check(rmdir(dir.data()) == 0, "temporary directory empty after Destroy");
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

  ClientAgainstFakeServer();
  DbmInTempDir();

  if (failures == 0) std::printf("memkit imported and working\n");
  return failures == 0 ? 0 : 1;
}
