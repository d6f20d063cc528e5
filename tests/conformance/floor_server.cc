// floor_server: the least work any memcached-compatible server could do
// under server_bench's text workloads, to show how far a server's own code
// can move the throughput ratio on this machine. It stores nothing: every
// `get` key is answered with one canned value of the configured size, every
// storage command with STORED, anything else with ERROR. Per request it makes
// the same system calls memcached makes (one read, one send, a share of an
// epoll_wait), so what it measures is the kernel, the load generator and the
// scheduler - the floor under every real server.
//
//   server_bench --sut=$(rootpath :floor_server) --extra_runs=0
//
// Not a server: a measuring stick. Accepts memcached's -p and -t; -l is
// ignored (it always binds 127.0.0.1), as are all other flags.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kReadSize = 16 * 1024;

struct Conn {
  int fd;
  std::string in;
  std::string out;
};

// Answers every complete request in `c->in` into `c->out`; false to close.
bool Serve(Conn* c, const std::string& value) {
  size_t pos = 0;
  while (true) {
    size_t eol = c->in.find("\r\n", pos);
    if (eol == std::string::npos) break;
    const char* line = c->in.data() + pos;
    size_t len = eol - pos;
    if (len >= 4 && (std::memcmp(line, "get ", 4) == 0 || std::memcmp(line, "gets", 4) == 0)) {
      size_t k = line[3] == 's' ? 5 : 4;
      while (k < len) {
        size_t end = k;
        while (end < len && line[end] != ' ') ++end;
        if (end > k) {
          c->out.append("VALUE ");
          c->out.append(line + k, end - k);
          c->out.append(" 0 ");
          c->out.append(std::to_string(value.size()));
          c->out.append("\r\n");
          c->out.append(value);
          c->out.append("\r\n");
        }
        k = end + 1;
      }
      c->out.append("END\r\n");
      pos = eol + 2;
      continue;
    }
    if (len >= 4 && (std::memcmp(line, "set ", 4) == 0 || std::memcmp(line, "add ", 4) == 0)) {
      // <cmd> <key> <flags> <exptime> <bytes>: the data block follows.
      const char* last = static_cast<const char*>(memrchr(line, ' ', len));
      long bytes = last == nullptr ? -1 : std::strtol(last + 1, nullptr, 10);
      if (bytes < 0 || bytes > (1 << 20)) return false;
      size_t block_end = eol + 2 + static_cast<size_t>(bytes) + 2;
      if (c->in.size() < block_end) break;  // the data is not all here yet
      c->out.append("STORED\r\n");
      pos = block_end;
      continue;
    }
    c->out.append("ERROR\r\n");
    pos = eol + 2;
  }
  c->in.erase(0, pos);
  return c->in.size() <= (2 << 20);
}

void Worker(int listen_fd, const std::string& value) {
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the listener
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  std::vector<epoll_event> events(256);
  char buf[kReadSize];
  while (true) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        Conn* c = new Conn{fd, {}, {}};
        epoll_event cev{};
        cev.events = EPOLLIN;
        cev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        continue;
      }
      Conn* c = static_cast<Conn*>(events[i].data.ptr);
      ssize_t r = read(c->fd, buf, sizeof(buf));
      bool keep = r > 0 || (r < 0 && errno == EAGAIN);
      if (r > 0) {
        c->in.append(buf, static_cast<size_t>(r));
        keep = Serve(c, value);
        // Replies are small and the peer reads them: a blocking-free send
        // that does not finish is treated as a broken peer.
        if (keep && !c->out.empty()) {
          keep = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL) ==
                 static_cast<ssize_t>(c->out.size());
          c->out.clear();
        }
      }
      if (!keep) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
        close(c->fd);
        delete c;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 11211;
  int threads = 4;
  size_t value_size = 100;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "-p") == 0) port = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "-t") == 0) threads = std::atoi(argv[++i]);
  }
  if (const char* v = std::getenv("FLOOR_VALUE_SIZE")) value_size = std::strtoul(v, nullptr, 10);
  if (port <= 0 || port > 65535 || threads <= 0 || threads > 64) {
    std::fprintf(stderr, "floor_server: bad -p or -t\n");
    return 64;
  }
  const std::string value(value_size, 'x');
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 1024) != 0) {
    std::perror("floor_server: bind/listen");
    return 71;
  }
  // Every worker waits on the one listener: whichever wakes accepts, and
  // serves that connection for its life (memcached hands connections out
  // round-robin instead; with many connections the spread is alike).
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back(Worker, fd, std::cref(value));
  for (std::thread& w : workers) w.join();
  return 0;
}
