// TlsContext and a net::Connection through its Transport: a real OpenSSL
// client (blocking, on the test thread) against a server connection on its
// own event loop. Certificates are made by `openssl req` in TEST_TMPDIR.

#include "core/net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/net/connection.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "core/net/socket.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

std::string Dir() { return std::getenv("TEST_TMPDIR"); }

// A self-signed certificate for 127.0.0.1, made once.
void MakeCertificate() {
  static bool made = [] {
    const std::string cmd =
        absl::StrCat("cd ", Dir(), " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem",
                     " -out cert.pem -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1");
    return std::system(cmd.c_str()) == 0;
  }();
  ASSERT_TRUE(made) << "openssl req failed (is openssl installed?)";
}

TlsOptions ServerOptions() {
  TlsOptions o;
  o.chain_cert = Dir() + "/cert.pem";
  o.key = Dir() + "/key.pem";
  return o;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Answers "<n>\n" with n pattern bytes; records how connections closed.
class Server : public Connection::Handler {
 public:
  explicit Server(TlsContext* tls) : tls_(tls) {
    auto t = EventLoopThread::Start();
    EXPECT_TRUE(t.ok());
    thread_ = std::move(*t);
    auto l = Listener::Create(Address::IPv4Loopback(0));
    EXPECT_TRUE(l.ok());
    listener_ = std::move(*l);
    OnLoop([this] {
      EXPECT_TRUE(listener_
                      ->Start(thread_->loop(),
                              [this](UniqueFd fd, const Address&) {
                                // A small send buffer: replies go out in
                                // many partial writes.
                                EXPECT_TRUE(SetSendBufferSize(fd.get(), 4096).ok());
                                auto transport = tls_->NewServerTransport(fd.get());
                                ASSERT_TRUE(transport.ok());
                                auto c = Connection::Create(thread_->loop(), std::move(fd), this,
                                                            Connection::Options(),
                                                            std::move(*transport));
                                ASSERT_TRUE(c.ok());
                                conns_[c->get()] = std::move(*c);
                              })
                      .ok());
    });
  }
  ~Server() override {
    OnLoop([this] {
      listener_.reset();
      conns_.clear();
    });
    thread_->Stop();
  }
  void OnLoop(std::function<void()> fn) {
    std::promise<void> done;
    thread_->loop()->Post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  void OnData(Connection* c) override {
    const absl::string_view in = c->input().data();
    const size_t nl = in.find('\n');
    if (nl == absl::string_view::npos) return;
    size_t n = 0;
    EXPECT_TRUE(absl::SimpleAtoi(in.substr(0, nl), &n));
    c->input().Consume(nl + 1);
    c->output().Append(Pattern(n));
  }
  void OnClose(Connection* c, const absl::Status& status) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closes_.push_back(status);
    }
    cv_.notify_all();
    conns_.erase(c);
  }
  std::vector<absl::Status> WaitForCloses(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return closes_.size() >= n; });
    return closes_;
  }
  const Address& address() const { return listener_->address(); }

 private:
  TlsContext* const tls_;
  std::unique_ptr<EventLoopThread> thread_;
  std::unique_ptr<Listener> listener_;
  std::map<Connection*, std::unique_ptr<Connection>> conns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<absl::Status> closes_;
};

UniqueFd Dial(const Address& a) {
  auto fd = ConnectWithTimeout(a, absl::Seconds(5));
  EXPECT_TRUE(fd.ok());
  if (!fd.ok()) return UniqueFd();
  struct timeval tv = {10, 0};
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return std::move(*fd);
}

// A blocking OpenSSL client that trusts the test certificate.
class Client {
 public:
  explicit Client(const Address& a) : fd_(Dial(a)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, (Dir() + "/cert.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_.get());
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool Handshake() { return SSL_connect(ssl_) == 1; }
  bool Write(absl::string_view s) {
    return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
  }
  std::string Read(size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      const int r = SSL_read(ssl_, buf, sizeof(buf));
      if (r <= 0) break;
      out.append(buf, static_cast<size_t>(r));
    }
    return out;
  }

 private:
  UniqueFd fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
};

TEST(TlsTest, LargeRepliesThroughPartialWrites) {
  MakeCertificate();
  auto tls = TlsContext::Create(ServerOptions());
  ASSERT_TRUE(tls.ok()) << tls.status();
  Server server(tls->get());
  Client client(server.address());
  ASSERT_TRUE(client.Handshake());
  for (size_t n : {size_t{5}, size_t{4} << 20, size_t{100}}) {
    ASSERT_TRUE(client.Write(absl::StrCat(n, "\n")));
    EXPECT_EQ(client.Read(n), Pattern(n)) << n;
  }
  EXPECT_EQ((*tls)->handshake_errors(), 0u);
}

TEST(TlsTest, APlainClientFailsTheHandshakeAndIsCounted) {
  MakeCertificate();
  auto tls = TlsContext::Create(ServerOptions());
  ASSERT_TRUE(tls.ok());
  Server server(tls->get());
  UniqueFd plain = Dial(server.address());
  const std::string line = "get some_key_long_enough_to_be_a_record\r\n";
  ASSERT_EQ(::send(plain.get(), line.data(), line.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(line.size()));
  const std::vector<absl::Status> closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_FALSE(closes[0].ok());
  EXPECT_EQ((*tls)->handshake_errors(), 1u);
}

TEST(TlsTest, APeerThatVanishesMidReplyIsNoSignal) {
  // The server's writes hit a reset socket: EPIPE, a closed connection --
  // never SIGPIPE, which would kill this test (it does not ignore it).
  MakeCertificate();
  auto tls = TlsContext::Create(ServerOptions());
  ASSERT_TRUE(tls.ok());
  Server server(tls->get());
  {
    Client client(server.address());
    ASSERT_TRUE(client.Handshake());
    ASSERT_TRUE(client.Write(absl::StrCat(8 << 20, "\n")));
    EXPECT_GE(client.Read(10).size(), 10u);  // the reply has started
  }  // closed with unread bytes: the kernel resets the connection
  const std::vector<absl::Status> closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_FALSE(closes[0].ok());
}

TEST(TlsTest, BadFilesAndReload) {
  MakeCertificate();
  TlsOptions missing = ServerOptions();
  missing.chain_cert = Dir() + "/nope.pem";
  auto bad = TlsContext::Create(missing);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().substr(0, 36), "Error loading the certificate chain:");
  auto tls = TlsContext::Create(ServerOptions());
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE((*tls)->Reload().ok());
  Server server(tls->get());
  Client client(server.address());
  ASSERT_TRUE(client.Handshake());
  ASSERT_TRUE(client.Write("3\n"));
  EXPECT_EQ(client.Read(3), Pattern(3));
}

}  // namespace
}  // namespace net
}  // namespace memkit
