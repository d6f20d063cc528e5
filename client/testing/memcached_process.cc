#include "client/testing/memcached_process.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace memkit {
namespace client {
namespace testing {
namespace {

// A port the kernel considers free right now.
absl::StatusOr<uint16_t> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("bind: ", strerror(errno)));
  }
  close(fd);
  return ntohs(a.sin_port);
}

bool CanConnect(const std::string& unix_path, uint16_t port) {
  int fd;
  int rc;
  if (!unix_path.empty()) {
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, unix_path.c_str(), sizeof(a.sun_path) - 1);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  close(fd);
  return rc == 0;
}

}  // namespace

bool MemcachedProcess::Available(const std::string& binary) {
  return access(binary.c_str(), X_OK) == 0;
}

absl::StatusOr<std::unique_ptr<MemcachedProcess>> MemcachedProcess::Start(
    const MemcachedOptions& options) {
  std::unique_ptr<MemcachedProcess> p(new MemcachedProcess(options));
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (options.unix_path.empty()) {
      auto port = FreePort();
      if (!port.ok()) return port.status();
      p->port_ = *port;
    }
    last = p->Spawn();
    if (last.ok()) last = p->WaitReady();
    if (last.ok()) return p;
    p->Stop();
  }
  return last;
}

MemcachedProcess::~MemcachedProcess() { Stop(); }

std::string MemcachedProcess::address() const {
  if (!options_.unix_path.empty()) return options_.unix_path;
  return absl::StrCat("127.0.0.1:", port_);
}

absl::Status MemcachedProcess::Spawn() {
  std::vector<std::string> argv = {options_.binary};
  if (geteuid() == 0) {
    argv.push_back("-u");
    argv.push_back("root");
  }
  if (!options_.unix_path.empty()) {
    unlink(options_.unix_path.c_str());
    argv.insert(argv.end(), {"-s", options_.unix_path});
  } else {
    argv.insert(argv.end(), {"-l", "127.0.0.1", "-p", absl::StrCat(port_), "-U", "0"});
  }
  argv.insert(argv.end(), {"-t", "1", "-m", "64"});
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(&a[0]);
  cargv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status MemcachedProcess::WaitReady() {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (absl::Now() < deadline) {
    int wstatus;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat(options_.binary, " exited during start-up (status ", wstatus, ")"));
    }
    if (CanConnect(options_.unix_path, port_)) return absl::OkStatus();
    poll(nullptr, 0, 5);  // connect() gives no readiness event to wait on
  }
  return absl::DeadlineExceededError(
      absl::StrCat(options_.binary, " did not accept connections in time"));
}

void MemcachedProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int wstatus;
  while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (!options_.unix_path.empty()) unlink(options_.unix_path.c_str());
}

absl::Status MemcachedProcess::Restart() {
  Stop();
  absl::Status s = Spawn();
  if (s.ok()) s = WaitReady();
  return s;
}

}  // namespace testing
}  // namespace client
}  // namespace memkit
