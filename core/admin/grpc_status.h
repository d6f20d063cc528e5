// absl::Status and grpc::Status share the canonical codes: the admin
// services of the server, the proxy and the client's pools answer with
// these conversions.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_ADMIN_GRPC_STATUS_H_
#define MEMKIT_CORE_ADMIN_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace memkit {
namespace admin {

// The same code and message as a gRPC status.
inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// UNIMPLEMENTED, saying why this program does not serve the call.
inline grpc::Status UnimplementedStatus(absl::string_view why) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::string(why));
}

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_GRPC_STATUS_H_
