#include "core/net/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/net/test_util.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

using testing::RunLoopUntil;

// A private directory under /tmp (bazel's TEST_TMPDIR is often too long for
// a unix socket path), removed with its contents afterwards.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/memkit-net-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() {
    for (const std::string& f : files_) ::unlink(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string File(const std::string& name) {
    files_.push_back(absl::StrCat(path_, "/", name));
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
  }

  // Starts `l` collecting accepted fds into accepted_.
  void StartCollecting(Listener* l) {
    ASSERT_TRUE(l->Start(loop_.get(), [this](UniqueFd fd, const Address& peer) {
                   accepted_.push_back(std::move(fd));
                   peers_.push_back(peer);
                 }).ok());
  }

  // Connects (the kernel completes the handshake before accept), then runs
  // the loop until the listener has handed over the fd.
  void ConnectAndAccept(const Address& address) {
    const size_t before = accepted_.size();
    auto fd = ConnectWithTimeout(address, absl::Seconds(5));
    ASSERT_TRUE(fd.ok()) << fd.status();
    clients_.push_back(std::move(*fd));
    ASSERT_TRUE(RunLoopUntil(loop_.get(), [&] { return accepted_.size() > before; }));
  }

  std::unique_ptr<EventLoop> loop_;
  std::vector<UniqueFd> accepted_;
  std::vector<Address> peers_;
  std::vector<UniqueFd> clients_;
};

TEST_F(ListenerTest, TcpV4OnPortZeroReportsThePortAndAccepts) {
  auto l = Listener::Create(Address::IPv4Loopback(0));
  ASSERT_TRUE(l.ok()) << l.status();
  const Address& a = (*l)->address();
  EXPECT_NE(a.port(), 0);
  EXPECT_EQ(a.host(), "127.0.0.1");
  StartCollecting(l->get());
  ConnectAndAccept(a);
  ASSERT_EQ(accepted_.size(), 1u);
  int fd = accepted_[0].get();
  EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  int nodelay = 0;
  socklen_t len = sizeof(nodelay);
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_EQ(nodelay, 1);  // inherited from the listening socket
  auto client_local = LocalAddress(clients_[0].get());
  ASSERT_TRUE(client_local.ok());
  EXPECT_EQ(peers_[0], *client_local);
  EXPECT_EQ((*l)->accepted(), 1u);
}

TEST_F(ListenerTest, TcpV6OnPortZero) {
  if (!testing::HaveIPv6Loopback()) {
    GTEST_SKIP() << "this machine has no usable ::1 (IPv6 disabled on loopback)";
  }
  auto l = Listener::Create(Address::IPv6Loopback(0));
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_NE((*l)->address().port(), 0);
  EXPECT_EQ((*l)->address().family(), Address::Family::kIPv6);
  StartCollecting(l->get());
  ConnectAndAccept((*l)->address());
  EXPECT_EQ(peers_[0].family(), Address::Family::kIPv6);
  int v6only = 0;
  socklen_t len = sizeof(v6only);
  ASSERT_EQ(::getsockopt((*l)->fd(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len), 0);
  EXPECT_EQ(v6only, 1);  // Options::ipv6_only
}

TEST_F(ListenerTest, UnixSocketAcceptsAndCleansUp) {
  TempDir dir;
  const std::string path = dir.File("mc.sock");
  auto addr = Address::Unix(path);
  ASSERT_TRUE(addr.ok());
  Listener::Options options;
  options.unix_socket_mode = 0600;
  {
    auto l = Listener::Create(*addr, options);
    ASSERT_TRUE(l.ok()) << l.status();
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    StartCollecting(l->get());
    ConnectAndAccept(*addr);
    EXPECT_EQ((*l)->address(), *addr);

    // A second server on the same live path is refused, and the path kept.
    auto second = Listener::Create(*addr);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists) << second.status();
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the destructor unlinks its socket";
}

TEST_F(ListenerTest, UnixSocketReplacesAStaleSocketFile) {
  TempDir dir;
  const std::string path = dir.File("stale.sock");
  auto addr = Address::Unix(path);
  ASSERT_TRUE(addr.ok());
  {
    // Leave a socket file behind with nobody listening, like a crashed server.
    auto fd = NewStreamSocket(*addr, false);
    ASSERT_TRUE(fd.ok());
    ASSERT_EQ(::bind(fd->get(), addr->sockaddr(), addr->sockaddr_len()), 0);
  }
  ASSERT_EQ(::access(path.c_str(), F_OK), 0);
  auto l = Listener::Create(*addr);
  ASSERT_TRUE(l.ok()) << l.status();
  StartCollecting(l->get());
  ConnectAndAccept(*addr);
}

TEST_F(ListenerTest, UnixSocketNeverRemovesARegularFile) {
  TempDir dir;
  const std::string path = dir.File("precious.txt");
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto l = Listener::Create(*Address::Unix(path));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kAlreadyExists) << l.status();
  EXPECT_EQ(::access(path.c_str(), F_OK), 0);
}

TEST_F(ListenerTest, PortInUseIsAlreadyExists) {
  auto first = Listener::Create(Address::IPv4Loopback(0));
  ASSERT_TRUE(first.ok());
  auto second = Listener::Create((*first)->address());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists) << second.status();
  EXPECT_NE(second.status().message().find((*first)->address().ToString()),
            absl::string_view::npos);
}

TEST_F(ListenerTest, AcceptsABurstAcrossSeveralTurns) {
  Listener::Options options;
  options.max_accepts_per_wakeup = 4;
  auto l = Listener::Create(Address::IPv4Loopback(0), options);
  ASSERT_TRUE(l.ok());
  StartCollecting(l->get());
  for (int i = 0; i < 40; ++i) {
    auto fd = ConnectWithTimeout((*l)->address(), absl::Seconds(5));
    ASSERT_TRUE(fd.ok()) << fd.status();
    clients_.push_back(std::move(*fd));
  }
  // One turn takes at most 4; level triggering brings the listener back.
  loop_->RunOnce(absl::Seconds(5));
  EXPECT_LE(accepted_.size(), 4u);
  ASSERT_TRUE(RunLoopUntil(loop_.get(), [&] { return accepted_.size() == 40; }));
}

TEST_F(ListenerTest, PauseLeavesConnectionsInTheBacklogUntilResume) {
  auto l = Listener::Create(Address::IPv4Loopback(0));
  ASSERT_TRUE(l.ok());
  StartCollecting(l->get());
  (*l)->Pause();
  auto fd = ConnectWithTimeout((*l)->address(), absl::Seconds(5));
  ASSERT_TRUE(fd.ok());  // the kernel completes it from the backlog
  loop_->RunOnce(absl::Milliseconds(50));
  EXPECT_EQ(accepted_.size(), 0u);
  (*l)->Resume();
  ASSERT_TRUE(RunLoopUntil(loop_.get(), [&] { return accepted_.size() == 1; }));
}

TEST_F(ListenerTest, StopRefusesNewConnections) {
  auto l = Listener::Create(Address::IPv4Loopback(0));
  ASSERT_TRUE(l.ok());
  StartCollecting(l->get());
  Address a = (*l)->address();
  (*l)->Stop();
  EXPECT_EQ(loop_->watched_count(), 0u);
  auto fd = ConnectWithTimeout(a, absl::Seconds(5));
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable) << fd.status();
  EXPECT_FALSE((*l)->Start(loop_.get(), [](UniqueFd, const Address&) {}).ok());
}

}  // namespace
}  // namespace net
}  // namespace memkit
