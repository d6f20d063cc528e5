// memkit::admin::MetricsHttpServer: a minimal HTTP/1.x server for Prometheus
// scrapes. `GET /metrics` answers 200 with the text `render` returns
// (FormatPrometheus of a fresh snapshot); `GET /` a short index; other paths
// 404, other methods 405. One connection at a time, each closed after its
// reply (scrapes are seconds apart); a client that sends no complete request
// within 2 seconds is dropped.
//
//   MetricsHttpServerOptions options;
//   options.listen = "127.0.0.1:0";
//   options.render = [&] { return admin::FormatPrometheus(...); };
//   auto metrics = MetricsHttpServer::Create(options);  // serving
//
// Thread-safety: Create(), Shutdown() and the destructor from one owning
// thread; `render` runs on the server's own thread.

#ifndef MEMKIT_CORE_ADMIN_METRICS_HTTP_SERVER_H_
#define MEMKIT_CORE_ADMIN_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace memkit {
namespace admin {

struct MetricsHttpServerOptions {
  // HOST:PORT (numeric host, "localhost", or "[V6]"); port 0: OS-chosen.
  std::string listen = "127.0.0.1:0";
  // The body of GET /metrics. Required.
  std::function<std::string()> render;
};

class MetricsHttpServer {
 public:
  // Binds (InvalidArgument for a bad address, Unavailable if it cannot bind)
  // and serves on a thread of its own.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Create(
      const MetricsHttpServerOptions& options);
  ~MetricsHttpServer();

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }
  // "HOST:PORT" with the real port.
  const std::string& address() const { return address_; }

  // Stops serving, joins the thread and closes the port. Idempotent.
  void Shutdown();

 private:
  MetricsHttpServer() = default;
  void Serve();
  void HandleConnection(int fd);

  // ---- constant after Create
  std::function<std::string()> render_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::string address_;
  // ---- owner thread only
  std::thread thread_;
};

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_METRICS_HTTP_SERVER_H_
