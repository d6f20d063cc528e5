#include "tests/hostile/hostile_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace memkit {
namespace hostile {
namespace {

// Milliseconds until `deadline` for poll(), at least 0.
int PollMillis(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1000));
}

bool WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, PollMillis(deadline));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the caller's call report it
    if (absl::Now() >= deadline) return false;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Socket>> Socket::Connect(int port, absl::Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  std::unique_ptr<Socket> s(new Socket(fd));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      return absl::UnavailableError(absl::StrCat("connect: ", strerror(errno)));
    }
    if (!WaitFor(fd, POLLOUT, absl::Now() + timeout)) {
      return absl::DeadlineExceededError("connect timed out");
    }
    int error = 0;
    socklen_t len = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) return absl::UnavailableError(absl::StrCat("connect: ", strerror(error)));
  }
  return s;
}

Socket::~Socket() { close(fd_); }

absl::StatusOr<size_t> Socket::TryWrite(absl::string_view bytes) {
  const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n >= 0) return static_cast<size_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
}

absl::Status Socket::WriteAll(absl::string_view bytes, absl::Time deadline) {
  while (!bytes.empty()) {
    absl::StatusOr<size_t> n = TryWrite(bytes);
    if (!n.ok()) return n.status();
    bytes.remove_prefix(*n);
    if (!bytes.empty() && *n == 0 && !WaitFor(fd_, POLLOUT, deadline)) {
      return absl::DeadlineExceededError("the peer stopped reading");
    }
  }
  return absl::OkStatus();
}

ReadEnd Socket::ReadUntil(const std::function<bool(absl::string_view)>& done,
                          absl::Time deadline, std::string* out) {
  char buf[65536];
  while (!done(*out)) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return ReadEnd::kEof;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return ReadEnd::kEof;
    if (!WaitFor(fd_, POLLIN, deadline)) return ReadEnd::kDeadline;
  }
  return ReadEnd::kCondition;
}

ReadEnd Socket::ReadToEof(absl::Time deadline, std::string* out) {
  return ReadUntil([](absl::string_view) { return false; }, deadline, out);
}

void Socket::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

void Socket::ResetOnClose() {
  linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

absl::StatusOr<absl::Duration> RoundTrip(Socket& socket, absl::string_view request,
                                         absl::string_view terminator, absl::Duration timeout,
                                         std::string* reply) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + timeout;
  absl::Status written = socket.WriteAll(request, deadline);
  if (!written.ok()) return written;
  std::string local;
  std::string* out = reply != nullptr ? reply : &local;
  out->clear();
  const ReadEnd end = socket.ReadUntil(
      [&](absl::string_view got) { return absl::EndsWith(got, terminator); }, deadline, out);
  if (end == ReadEnd::kEof) return absl::UnavailableError("connection closed");
  if (end == ReadEnd::kDeadline) return absl::DeadlineExceededError("no reply in time");
  return absl::Now() - start;
}

std::string LatencySummary::ToString() const {
  return absl::StrCat(requests, " requests, ", failures, " failed, p50 ",
                      absl::FormatDuration(p50), ", p99 ", absl::FormatDuration(p99), ", max ",
                      absl::FormatDuration(max));
}

LatencySummary Summarize(std::vector<absl::Duration> times, int failures) {
  LatencySummary summary;
  summary.requests = static_cast<int>(times.size());
  summary.failures = failures;
  if (times.empty()) return summary;
  std::sort(times.begin(), times.end());
  summary.p50 = times[times.size() / 2];
  summary.p99 = times[std::min(times.size() - 1, times.size() * 99 / 100)];
  summary.max = times.back();
  return summary;
}

LatencySummary MeasureActiveClient(int port, int requests, absl::Duration timeout,
                                   std::vector<absl::Duration>* samples) {
  absl::StatusOr<std::unique_ptr<Socket>> socket = Socket::Connect(port, timeout);
  if (!socket.ok()) {
    LatencySummary summary;
    summary.requests = requests;
    summary.failures = requests;
    return summary;
  }
  const std::string value(100, 'v');
  std::vector<absl::Duration> times;
  int failures = 0;
  for (int i = 0; i < requests; ++i) {
    const std::string key = absl::StrCat("active:", i / 2);
    absl::StatusOr<absl::Duration> t =
        i % 2 == 0 ? RoundTrip(**socket, absl::StrCat("set ", key, " 0 0 100\r\n", value, "\r\n"),
                               "STORED\r\n", timeout)
                   : RoundTrip(**socket, absl::StrCat("get ", key, "\r\n"), "END\r\n", timeout);
    if (!t.ok()) {
      ++failures;
      times.push_back(timeout);
      if (absl::IsUnavailable(t.status())) {  // the server closed it: the rest fail too
        failures += requests - i - 1;
        break;
      }
      continue;
    }
    times.push_back(*t);
  }
  if (samples != nullptr) samples->insert(samples->end(), times.begin(), times.end());
  LatencySummary summary = Summarize(std::move(times), failures);
  summary.requests = requests;
  return summary;
}

absl::StatusOr<std::map<std::string, std::string>> Stats(Socket& socket) {
  std::string reply;
  absl::StatusOr<absl::Duration> t =
      RoundTrip(socket, "stats\r\n", "END\r\n", absl::Seconds(5), &reply);
  if (!t.ok()) return t.status();
  std::map<std::string, std::string> stats;
  for (absl::string_view line : absl::StrSplit(reply, "\r\n", absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    if (parts.size() == 3 && parts[0] == "STAT") stats[std::string(parts[1])] = std::string(parts[2]);
  }
  return stats;
}

int64_t RssKib(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      int64_t kib = -1;
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) return kib;
    }
  }
  return -1;
}

int RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 30));
}

bool SanitizedBuild() {
  return std::getenv("ASAN_OPTIONS") != nullptr || std::getenv("TSAN_OPTIONS") != nullptr;
}

std::string MemkitServerPath() {
  const char* path = std::getenv("MEMKIT_SERVER_BINARY");
  return path != nullptr ? path : "";
}

absl::StatusOr<Server> StartServer(const std::string& label, const std::string& path,
                                   std::vector<std::string> args) {
  args.push_back("-U");
  args.push_back("0");
  test_support::ServerCommand command = test_support::CommandFor(path, std::move(args));
  command.label = label;
  test_support::StartOptions options;
  options.stop_grace = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<test_support::ServerProcess>> process =
      test_support::ServerProcess::Start(command, options);
  if (!process.ok()) return process.status();
  Server server;
  server.process = std::move(*process);
  absl::StatusOr<std::unique_ptr<Socket>> socket = Socket::Connect(server.port());
  if (!socket.ok()) return socket.status();
  absl::StatusOr<std::map<std::string, std::string>> stats = Stats(**socket);
  if (!stats.ok()) return stats.status();
  if (!absl::SimpleAtoi((*stats)["pid"], &server.pid)) {
    return absl::InternalError(absl::StrCat(label, " reports no pid in stats"));
  }
  return server;
}

std::string MemkitProxyPath() {
  const char* path = std::getenv("MEMKIT_PROXY_BINARY");
  return path == nullptr ? "" : path;
}

absl::StatusOr<Server> StartProxyInFrontOfMemcached(std::vector<std::string> args) {
  test_support::ServerCommand command = test_support::CommandFor(
      test_support::kMemcachedPath, {"-t", "2", "-m", "64", "-c", "4096", "-U", "0"});
  command.label = "memcached (backend)";
  test_support::StartOptions options;
  options.stop_grace = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<test_support::ServerProcess>> backend =
      test_support::ServerProcess::Start(command, options);
  if (!backend.ok()) return backend.status();
  args.insert(args.begin(), {"-t", "2", absl::StrCat("--servers=", (*backend)->address())});
  absl::StatusOr<Server> proxy = StartServer("memkit-proxy", MemkitProxyPath(), std::move(args));
  if (!proxy.ok()) return proxy.status();
  proxy->backend = std::move(*backend);
  return proxy;
}

void Figure(const std::string& name, const std::string& value) {
  std::printf("FIGURE %s %s\n", name.c_str(), value.c_str());
  std::fflush(stdout);
}

}  // namespace hostile
}  // namespace memkit
