#include "server/fake_server.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace server {

FakeServerOptions::FakeServerOptions() {
  server.listen = {"127.0.0.1"};
  server.port = 0;
  server.num_threads = 1;
}

absl::StatusOr<std::unique_ptr<FakeServer>> FakeServer::Create(const FakeServerOptions& options) {
  std::unique_ptr<FakeServer> fake(new FakeServer());
  ServerOptions so = options.server;
  so.adjustable_clock = true;
  if (options.enable_debugtime) so.enable_debugtime = true;
  if (options.freeze_clock) {
    fake->frozen_clock_ = std::make_unique<net::ManualClock>(options.start_time);
    so.clock = fake->frozen_clock_.get();
  }
  if (options.unix_socket && so.unix_socket.empty()) {
    const char* base = getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/memkit-fake-XXXXXX");
    if (templ.size() > 80) templ = "/tmp/memkit-fake-XXXXXX";  // sun_path is short
    if (mkdtemp(templ.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp failed for ", templ));
    }
    fake->temp_dir_ = templ;
    so.unix_socket = absl::StrCat(templ, "/memcached.sock");
  }
  auto server = Server::Create(so);
  if (!server.ok()) return server.status();
  fake->server_ = std::move(*server);
  return fake;
}

FakeServer::~FakeServer() {
  if (server_ != nullptr) {
    server_->Shutdown(absl::Milliseconds(200));
    server_.reset();
  }
  if (!temp_dir_.empty()) {
    // The listener unlinked its socket; the directory is ours.
    std::remove(absl::StrCat(temp_dir_, "/memcached.sock").c_str());
    rmdir(temp_dir_.c_str());
  }
}

int FakeServer::port() const { return server_->port(); }

const net::Address& FakeServer::address() const { return server_->address(); }

std::string FakeServer::address_string() const {
  const net::Address& a = server_->address();
  return a.is_unix() ? a.host() : a.ToString();
}

std::string FakeServer::unix_socket_path() const {
  const net::Address& a = server_->address();
  return a.is_unix() ? a.host() : std::string();
}

void FakeServer::AdvanceClock(absl::Duration delta) { server_->clock()->Advance(delta); }

absl::Time FakeServer::Now() const { return server_->clock()->Now(); }

absl::Status FakeServer::StartOutage(Outage kind) {
  return server_->SetOutage(kind == Outage::kRefuse ? Server::Outage::kRefuse
                                                    : Server::Outage::kReset);
}

absl::Status FakeServer::EndOutage() { return server_->SetOutage(Server::Outage::kNone); }

void FakeServer::SetLatency(absl::Duration latency) { server_->faults()->SetLatency(latency); }

void FakeServer::FailNextCommands(int64_t count, absl::string_view message) {
  server_->faults()->FailNextCommands(count, message);
}

void FakeServer::DropNextReplies(int64_t count) { server_->faults()->DropNextReplies(count); }

void FakeServer::CloseAllConnections(bool reset) { server_->CloseAllConnections(reset); }

void FakeServer::Flush() { server_->cache()->FlushAll(); }

int64_t FakeServer::connection_count() const { return server_->connection_count(); }

}  // namespace server
}  // namespace memkit
