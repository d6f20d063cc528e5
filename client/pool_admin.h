// ClientPoolAdmin: the admin API's Pools and Stats services
// (core/admin/admin.proto, memkit.admin.v1) for the ClientPools a program
// embeds, so that `memkit admin --admin=HOST:PORT pools|eject|drain|stats ...`
// can list and steer them at run time:
//
//   ClientPoolAdmin pools({{"sessions", sessions_pool.get()},
//                          {"profiles", profiles_pool.get()}});
//   admin::AdminServerOptions options;        // core/admin/admin_server.h
//   options.services = pools.services();      // + health, reflection, token, TLS
//   auto server = admin::AdminServer::Create(options);
// (or pools.RegisterWith(&builder) on a grpc::ServerBuilder of your own;
// stats_provider() also feeds core/admin's /metrics exposition).
//
// Pools: ListPools, GetPool, AddServer, RemoveServer, SetServerWeight,
// EjectServer, RestoreServer, DrainServer map onto ClientPool's runtime
// control (pool.h); a request's pool "" names the only pool when there is
// exactly one. Stats: a COMPONENT scope, a POOL scope per pool (acquires,
// timeouts, rebuilt clients, topology changes, clients lent/idle) and a
// SERVER scope per member (round trips, failures, a request_latency
// histogram, weight, state, lent clients, placement share), collected through
// core/admin's StatsProvider, so WatchStats' deltas, rates and interval
// percentiles and /metrics come from core/admin.
//
// The pools must outlive the ClientPoolAdmin, and it must outlive the gRPC
// server it is registered with.
//
// Thread-safety: thread-safe (the pools are; the list of pools is fixed at
// construction).

#ifndef MEMKIT_CLIENT_POOL_ADMIN_H_
#define MEMKIT_CLIENT_POOL_ADMIN_H_

#include <memory>
#include <string>
#include <vector>

#include "client/pool.h"
#include "core/admin/stats_collector.h"
#include "core/admin/stats_service.h"
#include "grpcpp/grpcpp.h"

namespace memkit {
namespace client {

struct NamedPool {
  std::string name;
  ClientPool* pool = nullptr;  // not owned
};

struct ClientPoolAdminOptions {
  // StatsSnapshot.component and the COMPONENT scope's name.
  std::string component = "memkit-client";
};

class ClientPoolAdmin {
 public:
  explicit ClientPoolAdmin(std::vector<NamedPool> pools,
                           const ClientPoolAdminOptions& options = {});
  ~ClientPoolAdmin();
  ClientPoolAdmin(const ClientPoolAdmin&) = delete;
  ClientPoolAdmin& operator=(const ClientPoolAdmin&) = delete;

  // The services, for a gRPC server (or an AdminServer) to register.
  grpc::Service* pools_service();
  grpc::Service* stats_service();
  // Both, for AdminServerOptions::services.
  std::vector<grpc::Service*> services();
  // Registers both with `builder`.
  void RegisterWith(grpc::ServerBuilder* builder);
  // The numbers behind the Stats service (for a /metrics server).
  admin::StatsProvider* stats_provider();
  // Ends WatchStats streams at their next tick (call before shutting the
  // gRPC server down, so that they close with OK).
  void Stop();

 private:
  class PoolsImpl;
  class StatsImpl;
  std::unique_ptr<PoolsImpl> pools_;
  std::unique_ptr<StatsImpl> stats_;
  std::unique_ptr<admin::StatsService> stats_service_;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_POOL_ADMIN_H_
