#include "core/net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/net/test_util.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

int GetInt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof(v);
  EXPECT_EQ(::getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

// A plain blocking listening socket on 127.0.0.1 (no event loop needed).
struct RawListener {
  UniqueFd fd;
  Address address;
};

RawListener Listen() {
  RawListener l;
  auto fd = NewStreamSocket(Address::IPv4Loopback(0), /*nonblocking=*/false);
  EXPECT_TRUE(fd.ok());
  l.fd = std::move(*fd);
  Address a = Address::IPv4Loopback(0);
  EXPECT_EQ(::bind(l.fd.get(), a.sockaddr(), a.sockaddr_len()), 0);
  EXPECT_EQ(::listen(l.fd.get(), 16), 0);
  l.address = *LocalAddress(l.fd.get());
  return l;
}

TEST(UniqueFdTest, ClosesOnResetAndDestructionAndMoves) {
  int raw = ::dup(0);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
    EXPECT_GE(::fcntl(raw, F_GETFD), 0);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed by b's destructor
  EXPECT_EQ(errno, EBADF);

  int raw2 = ::dup(0);
  UniqueFd c(raw2);
  EXPECT_EQ(c.release(), raw2);
  EXPECT_FALSE(c.valid());
  EXPECT_GE(::fcntl(raw2, F_GETFD), 0);  // release did not close
  ::close(raw2);
}

TEST(ErrnoStatusTest, MapsErrnoToCodes) {
  EXPECT_EQ(ErrnoStatus(ECONNREFUSED, "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetMcCode(ErrnoStatus(ECONNRESET, "x")), McCode::kConnectionError);
  EXPECT_EQ(ErrnoStatus(ETIMEDOUT, "x").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ErrnoStatus(EMFILE, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(EADDRINUSE, "x").code(), absl::StatusCode::kAlreadyExists);
  absl::Status s = ErrnoStatus(EPIPE, "write");
  EXPECT_NE(s.message().find("write: "), absl::string_view::npos) << s;
}

TEST(SocketOptionsTest, SetAndReadBack) {
  RawListener l = Listen();
  auto fd = ConnectWithTimeout(l.address, absl::Seconds(5));
  ASSERT_TRUE(fd.ok()) << fd.status();
  int s = fd->get();

  EXPECT_EQ(GetInt(s, IPPROTO_TCP, TCP_NODELAY), 1);  // ConnectOptions default
  ASSERT_TRUE(SetNoDelay(s, false).ok());
  EXPECT_EQ(GetInt(s, IPPROTO_TCP, TCP_NODELAY), 0);
  ASSERT_TRUE(SetNoDelayIfTcp(s).ok());
  EXPECT_EQ(GetInt(s, IPPROTO_TCP, TCP_NODELAY), 1);

  KeepAliveOptions ka;
  ka.idle = absl::Seconds(30);
  ka.interval = absl::Milliseconds(1500);  // rounds up to 2 s
  ka.count = 4;
  ASSERT_TRUE(SetKeepAlive(s, ka).ok());
  EXPECT_EQ(GetInt(s, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(GetInt(s, IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(GetInt(s, IPPROTO_TCP, TCP_KEEPINTVL), 2);
  EXPECT_EQ(GetInt(s, IPPROTO_TCP, TCP_KEEPCNT), 4);
  ka.enable = false;
  ASSERT_TRUE(SetKeepAlive(s, ka).ok());
  EXPECT_EQ(GetInt(s, SOL_SOCKET, SO_KEEPALIVE), 0);

  ASSERT_TRUE(SetSendBufferSize(s, 8192).ok());
  ASSERT_TRUE(SetReceiveBufferSize(s, 8192).ok());
  auto snd = GetSendBufferSize(s);
  auto rcv = GetReceiveBufferSize(s);
  ASSERT_TRUE(snd.ok() && rcv.ok());
  EXPECT_EQ(*snd, 16384);  // the kernel doubles what it is given
  EXPECT_EQ(*rcv, 16384);

  EXPECT_TRUE(::fcntl(s, F_GETFD) & FD_CLOEXEC);  // every socket made here
  ASSERT_TRUE(SetCloseOnExec(s, false).ok());
  EXPECT_FALSE(::fcntl(s, F_GETFD) & FD_CLOEXEC);
  EXPECT_FALSE(::fcntl(s, F_GETFL) & O_NONBLOCK);  // blocking by default
  ASSERT_TRUE(SetNonBlocking(s).ok());
  EXPECT_TRUE(::fcntl(s, F_GETFL) & O_NONBLOCK);

  auto local = LocalAddress(s);
  auto peer = PeerAddress(s);
  ASSERT_TRUE(local.ok() && peer.ok());
  EXPECT_EQ(*peer, l.address);
  EXPECT_EQ(local->host(), "127.0.0.1");
}

TEST(SocketOptionsTest, NoDelayIfTcpIgnoresUnixSockets) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  EXPECT_TRUE(SetNoDelayIfTcp(a.get()).ok());
  EXPECT_FALSE(SetNoDelay(a.get()).ok());
}

TEST(SocketOptionsTest, ErrorsOnBadFd) {
  EXPECT_FALSE(SetNoDelay(-1).ok());
  EXPECT_FALSE(SetNonBlocking(-1).ok());
  EXPECT_FALSE(LocalAddress(-1).ok());
}

TEST(ConnectWithTimeoutTest, ConnectsAndTalks) {
  RawListener l = Listen();
  auto fd = ConnectWithTimeout(l.address, absl::Seconds(5));
  ASSERT_TRUE(fd.ok()) << fd.status();
  UniqueFd server(::accept(l.fd.get(), nullptr, nullptr));
  ASSERT_TRUE(server.valid());
  ASSERT_EQ(::write(fd->get(), "ping", 4), 4);
  char buf[4];
  ASSERT_EQ(::read(server.get(), buf, 4), 4);  // blocking on both sides
  EXPECT_EQ(std::string(buf, 4), "ping");
}

TEST(ConnectWithTimeoutTest, ResolvesHostPortText) {
  RawListener l = Listen();
  ConnectOptions options;
  options.nonblocking = true;
  auto fd = ConnectWithTimeout(absl::StrCat("localhost:", l.address.port()), absl::Seconds(5),
                               options);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK);
  auto bad = ConnectWithTimeout("localhost:notaport", absl::Seconds(1));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConnectWithTimeoutTest, RefusedIsUnavailable) {
  auto refusing = testing::RefusingAddress::Create();
  ASSERT_TRUE(refusing.ok()) << refusing.status();
  auto fd = ConnectWithTimeout((*refusing)->address(), absl::Seconds(5));
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable) << fd.status();
  EXPECT_EQ(GetMcCode(fd.status()), McCode::kConnectionError);
  EXPECT_NE(fd.status().message().find((*refusing)->address().ToString()),
            absl::string_view::npos)
      << fd.status();
}

TEST(ConnectWithTimeoutTest, BlackholeTimesOut) {
  auto hole = testing::Blackhole::Create();
  ASSERT_TRUE(hole.ok()) << hole.status();
  const absl::Time start = absl::Now();
  auto fd = ConnectWithTimeout((*hole)->address(), absl::Milliseconds(150));
  const absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kDeadlineExceeded) << fd.status();
  EXPECT_EQ(GetMcCode(fd.status()), McCode::kTimeout);
  EXPECT_GE(took, absl::Milliseconds(150));
  EXPECT_LT(took, absl::Seconds(5));
}

TEST(ConnectWithTimeoutTest, UnixSocketMissingPathIsUnavailable) {
  auto a = Address::Unix("/nonexistent-dir-for-memkit/s.sock");
  ASSERT_TRUE(a.ok());
  auto fd = ConnectWithTimeout(*a, absl::Seconds(1));
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable) << fd.status();
}

TEST(ResetAndCloseTest, PeerSeesConnectionReset) {
  RawListener l = Listen();
  auto fd = ConnectWithTimeout(l.address, absl::Seconds(5));
  ASSERT_TRUE(fd.ok());
  UniqueFd server(::accept(l.fd.get(), nullptr, nullptr));
  ASSERT_TRUE(server.valid());
  ResetAndClose(std::move(server));
  char buf[1];
  ssize_t n = ::read(fd->get(), buf, 1);  // blocking: returns once the RST lands
  EXPECT_EQ(n, -1);
  EXPECT_EQ(errno, ECONNRESET);
}

}  // namespace
}  // namespace net
}  // namespace memkit
