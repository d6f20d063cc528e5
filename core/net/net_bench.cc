// net_bench: echo round trips per second over loopback, served by
//   (a) core/net: an EventLoopGroup + Listener + Connection echo server, and
//   (b) a plain blocking server: one thread per connection, read() then write().
// The same blocking clients drive both, in the same run; the ratio is what to
// quote (the machine is shared and noisy).
//
//   bazel run -c opt //core/net:net_bench -- --seconds=2 --size=32 --clients=4 --depth=1
//
// --size: bytes per request (echoed back); --clients: client threads, one
// connection each; --depth: requests written back to back before reading
// their replies (pipelining); --threads: loop threads for (a).

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "core/net/connection.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "core/net/socket.h"

namespace memkit {
namespace net {
namespace {

struct Flags {
  double seconds = 2;
  int size = 32;
  int clients = 1;
  int depth = 1;
  int threads = 1;
};

// ---- (a) the core/net echo server ------------------------------------------------

class LoopEchoServer : public Connection::Handler {
 public:
  explicit LoopEchoServer(int threads) {
    group_ = std::move(*EventLoopGroup::Start(threads));
    acceptor_ = std::move(*EventLoopThread::Start());
    listener_ = std::move(*Listener::Create(Address::IPv4Loopback(0)));
    RunAndWait(acceptor_->loop(), [this] {
      (void)listener_->Start(acceptor_->loop(), [this](UniqueFd fd, const Address&) {
        EventLoop* worker = group_->Next();
        worker->Post([this, worker, fd = std::move(fd)]() mutable {
          auto c = Connection::Create(worker, std::move(fd), this);
          if (!c.ok()) return;
          std::lock_guard<std::mutex> lock(mu_);
          Connection* raw = c->get();
          conns_[raw] = std::move(*c);
        });
      });
    });
  }
  ~LoopEchoServer() override {
    RunAndWait(acceptor_->loop(), [this] { listener_.reset(); });
    for (size_t i = 0; i < group_->size(); ++i) {
      EventLoop* loop = group_->loop(i);
      RunAndWait(loop, [this, loop] {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = conns_.begin(); it != conns_.end();) {
          if (it->first->loop() == loop) {
            it = conns_.erase(it);
          } else {
            ++it;
          }
        }
      });
    }
    group_->Stop();
    acceptor_->Stop();
  }

  Address address() const { return listener_->address(); }

  void OnData(Connection* c) override {
    c->output().Append(c->input().data());
    c->input().Consume(c->input().size());
  }
  void OnClose(Connection* c, const absl::Status&) override {
    std::lock_guard<std::mutex> lock(mu_);
    conns_.erase(c);
  }

 private:
  static void RunAndWait(EventLoop* loop, std::function<void()> fn) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    loop->Post([&] {
      fn();
      std::lock_guard<std::mutex> lock(m);
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return done; });
  }

  std::unique_ptr<EventLoopGroup> group_;
  std::unique_ptr<EventLoopThread> acceptor_;
  std::unique_ptr<Listener> listener_;
  std::mutex mu_;  // conns_ is shared by the worker loops
  std::map<Connection*, std::unique_ptr<Connection>> conns_;
};

// ---- (b) the blocking echo server -------------------------------------------------

class BlockingEchoServer {
 public:
  BlockingEchoServer() {
    listen_fd_ = std::move(*NewStreamSocket(Address::IPv4Loopback(0), false));
    Address any = Address::IPv4Loopback(0);
    int one = 1;
    ::setsockopt(listen_fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(listen_fd_.get(), any.sockaddr(), any.sockaddr_len()) != 0 ||
        ::listen(listen_fd_.get(), 128) != 0) {
      std::perror("bind/listen");
      std::exit(1);
    }
    address_ = *LocalAddress(listen_fd_.get());
    acceptor_ = std::thread([this] {
      for (;;) {
        int fd = ::accept(listen_fd_.get(), nullptr, nullptr);
        if (fd < 0) return;  // shutdown() below
        (void)SetNoDelay(fd, true);
        std::lock_guard<std::mutex> lock(mu_);
        fds_.push_back(fd);
        workers_.emplace_back([fd] {
          char buf[65536];
          for (;;) {
            ssize_t n = ::read(fd, buf, sizeof(buf));
            if (n <= 0) return;
            for (ssize_t off = 0; off < n;) {
              ssize_t w = ::send(fd, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
              if (w <= 0) return;
              off += w;
            }
          }
        });
      }
    });
  }
  ~BlockingEchoServer() {
    ::shutdown(listen_fd_.get(), SHUT_RDWR);
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : workers_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  Address address() const { return address_; }

 private:
  UniqueFd listen_fd_;
  Address address_;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
};

// ---- the clients --------------------------------------------------------------------

// Round trips per second by `flags.clients` blocking clients.
double Drive(const Address& address, const Flags& flags) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> clients;
  const std::string request(static_cast<size_t>(flags.size) * flags.depth, 'r');
  for (int c = 0; c < flags.clients; ++c) {
    clients.emplace_back([&] {
      auto fd = ConnectWithTimeout(address, absl::Seconds(5));
      if (!fd.ok()) {
        std::fprintf(stderr, "connect: %s\n", fd.status().ToString().c_str());
        return;
      }
      std::string reply(request.size(), '\0');
      uint64_t done = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
          break;
        }
        size_t got = 0;
        while (got < reply.size()) {
          ssize_t n = ::read(fd->get(), &reply[got], reply.size() - got);
          if (n <= 0) return;
          got += static_cast<size_t>(n);
        }
        done += static_cast<uint64_t>(flags.depth);
      }
      total += done;
    });
  }
  const absl::Time start = absl::Now();
  while (absl::Now() - start < absl::Seconds(flags.seconds)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the bench's clock, not a readiness wait
  }
  stop = true;
  for (auto& t : clients) t.join();
  return static_cast<double>(total.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

bool ParseFlag(const char* arg, const char* name, double* out) {
  std::string prefix = std::string("--") + name + "=";
  if (!absl::StartsWith(arg, prefix)) return false;
  if (!absl::SimpleAtod(arg + prefix.size(), out)) {
    std::fprintf(stderr, "bad value in %s\n", arg);
    std::exit(2);
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    double v;
    if (ParseFlag(argv[i], "seconds", &v)) {
      flags.seconds = v;
    } else if (ParseFlag(argv[i], "size", &v)) {
      flags.size = static_cast<int>(v);
    } else if (ParseFlag(argv[i], "clients", &v)) {
      flags.clients = static_cast<int>(v);
    } else if (ParseFlag(argv[i], "depth", &v)) {
      flags.depth = static_cast<int>(v);
    } else if (ParseFlag(argv[i], "threads", &v)) {
      flags.threads = static_cast<int>(v);
    } else {
      std::fprintf(stderr,
                   "usage: net_bench [--seconds=2] [--size=32] [--clients=1] [--depth=1] "
                   "[--threads=1]\n");
      return 2;
    }
  }
  if (flags.size < 1 || flags.clients < 1 || flags.depth < 1 || flags.threads < 1) {
    std::fprintf(stderr, "size, clients, depth and threads must be >= 1\n");
    return 2;
  }
  std::printf("echo over 127.0.0.1: %d-byte requests, %d client(s), depth %d, %.1f s each\n",
              flags.size, flags.clients, flags.depth, flags.seconds);
  double loop_rps, blocking_rps;
  {
    LoopEchoServer server(flags.threads);
    loop_rps = Drive(server.address(), flags);
  }
  {
    BlockingEchoServer server;
    blocking_rps = Drive(server.address(), flags);
  }
  std::printf("%-36s %12.0f round trips/s\n",
              (std::string("core/net EventLoop (") + std::to_string(flags.threads) + " thread)")
                  .c_str(),
              loop_rps);
  std::printf("%-36s %12.0f round trips/s\n", "blocking thread-per-connection", blocking_rps);
  std::printf("ratio loop/blocking: %.2f\n", loop_rps / blocking_rps);
  return 0;
}

}  // namespace
}  // namespace net
}  // namespace memkit

int main(int argc, char** argv) { return memkit::net::Main(argc, argv); }
