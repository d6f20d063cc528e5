// Proves //bazel:proto.bzl: the generated messages serialize, and the generated
// service and stub talk over a real in-process gRPC channel.

#include <memory>
#include <string>

#include "bazel/testdata/echo.grpc.pb.h"
#include "bazel/testdata/echo.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace memkit {
namespace {

class EchoService final : public testing::Echo::Service {
  grpc::Status Say(grpc::ServerContext*, const testing::EchoRequest* request,
                   testing::EchoReply* reply) override {
    if (request->repeat() > 10) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "repeat too large");
    }
    std::string text;
    for (uint32_t i = 0; i < request->repeat(); ++i) text += request->text();
    reply->set_text(text);
    return grpc::Status::OK;
  }
};

TEST(ProtoRuleTest, MessagesRoundTripThroughWireFormat) {
  testing::EchoRequest request;
  request.set_text("abc");
  request.set_repeat(7);
  std::string wire;
  ASSERT_TRUE(request.SerializeToString(&wire));
  testing::EchoRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.text(), "abc");
  EXPECT_EQ(parsed.repeat(), 7u);
}

TEST(ProtoRuleTest, ServiceAndStubTalkInProcess) {
  EchoService service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = testing::Echo::NewStub(server->InProcessChannel(grpc::ChannelArguments()));

  testing::EchoRequest request;
  request.set_text("ab");
  request.set_repeat(3);
  testing::EchoReply reply;
  grpc::ClientContext ok_context;
  grpc::Status status = stub->Say(&ok_context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.text(), "ababab");

  request.set_repeat(11);
  grpc::ClientContext error_context;
  status = stub->Say(&error_context, request, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "repeat too large");
  server->Shutdown();
}

}  // namespace
}  // namespace memkit
