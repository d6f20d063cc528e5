// Fuzzes the admin API's request handling: arbitrary bytes, sent as the
// request of each memkit.admin.v1 RPC, reach ServerAdmin's services over a
// FakeServer (test controls on), which parse them as their request message
// and act on what parses (huge repeated fields, absurd durations, negative
// delays, unknown enum values). Nothing may crash, and no unary call may hang
// past its deadline.
//
// One FakeServer and ServerAdmin live for the whole run (on 127.0.0.1 port
// 0); each input is one call.
//
// Input: 1 byte choosing the RPC (modulo the number of RPCs, in admin.proto's
// order), then the serialized request. Unary RPCs get the bytes as they are;
// the two streaming ones (WatchStats, Watch) get them if they parse, and are
// cancelled after their first message or 100 ms.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "core/admin/admin.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "server/admin_service.h"
#include "server/fake_server.h"

namespace {

namespace v1 = memkit::admin::v1;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Method {
  std::string path;  // "/memkit.admin.v1.Stats/GetStats"
  bool streaming;
};

// The fake server, its admin API and a channel to it, for the whole run.
struct Harness {
  std::unique_ptr<memkit::server::FakeServer> fake;
  std::unique_ptr<memkit::server::ServerAdmin> admin;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> generic;
  std::unique_ptr<v1::Stats::Stub> stats;
  std::unique_ptr<v1::Cache::Stub> cache;
  std::vector<Method> methods;

  Harness() {
    memkit::server::FakeServerOptions fake_options;
    fake_options.freeze_clock = true;
    auto fake_or = memkit::server::FakeServer::Create(fake_options);
    Check(fake_or.ok());
    fake = std::move(*fake_or);
    memkit::server::ServerAdminOptions options;
    options.admin.listen = "127.0.0.1:0";
    options.enable_test_controls = true;
    options.command_line = {"memkit-server", "-p", "0"};
    auto admin_or = memkit::server::ServerAdmin::Create(fake->server(), options);
    Check(admin_or.ok());
    admin = std::move(*admin_or);
    channel = grpc::CreateChannel(admin->admin_address(), grpc::InsecureChannelCredentials());
    generic = std::make_unique<grpc::GenericStub>(channel);
    stats = v1::Stats::NewStub(channel);
    cache = v1::Cache::NewStub(channel);
    const google::protobuf::FileDescriptor* file = v1::GetStatsRequest::descriptor()->file();
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const google::protobuf::MethodDescriptor* method = service->method(m);
        methods.push_back({"/" + service->full_name() + "/" + method->name(),
                           method->server_streaming()});
      }
    }
    Check(!methods.empty());
  }
};

Harness& GetHarness() {
  // Invalid UTF-8 in string fields is the fuzzer's daily bread; protobuf
  // would log a line for each one.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int,
                                       const std::string&) {});
    return true;
  }();
  (void)quiet;
  static Harness* harness = new Harness();  // never destroyed: gRPC threads outlive main's end
  return *harness;
}

std::chrono::system_clock::time_point In(std::chrono::milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

void CallUnary(Harness& h, const std::string& path, const std::string& request) {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  h.generic->UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response,
                       [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  // A service that never answers is a hang, whatever the input.
  Check(status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED);
}

template <typename Message>
void ReadFirst(grpc::ClientContext* context, grpc::ClientReader<Message>* reader) {
  Message message;
  if (reader->Read(&message)) context->TryCancel();
  (void)reader->Finish();
}

void CallStreaming(Harness& h, const std::string& path, const std::string& request) {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::milliseconds(100)));
  if (path == "/memkit.admin.v1.Stats/WatchStats") {
    v1::WatchStatsRequest parsed;
    if (!parsed.ParseFromString(request)) return;
    ReadFirst(&context, h.stats->WatchStats(&context, parsed).get());
  } else if (path == "/memkit.admin.v1.Cache/Watch") {
    v1::WatchRequest parsed;
    if (!parsed.ParseFromString(request)) return;
    ReadFirst(&context, h.cache->Watch(&context, parsed).get());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Harness& h = GetHarness();
  const Method& method = h.methods[data[0] % h.methods.size()];
  const std::string request(reinterpret_cast<const char*>(data + 1), size - 1);
  if (method.streaming) {
    CallStreaming(h, method.path, request);
  } else {
    CallUnary(h, method.path, request);
  }
  return 0;
}
