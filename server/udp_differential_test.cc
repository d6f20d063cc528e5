// memcached's UDP protocol (-U), side by side: the same request datagrams go
// to real memcached 1.6.18 and to memkit-server, each started with
// "-p -1 -U -1" (OS-chosen ports, read back from MEMCACHED_PORT_FILENAME's
// "UDP INET:" line), and the reply datagrams (8-byte headers included) must
// be identical: framing, splitting at 1400 bytes, one message per response,
// text, meta and binary, the datagrams memcached drops.
//
// A UDP client written here: after each request it sends a "version"
// datagram with another request id and collects replies until that one's
// answer arrives (both servers serve one UDP socket's datagrams in order:
// memcached with -t 1), so no reply is waited for by sleeping.
//
// argv[1]: the memkit-server binary.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace server {
namespace {

const char* g_memkit_server = nullptr;

std::string Header(uint16_t id, uint16_t seq, uint16_t total) {
  std::string h;
  for (uint16_t v : {id, seq, total, uint16_t{0}}) {
    h.push_back(static_cast<char>(v >> 8));
    h.push_back(static_cast<char>(v & 0xff));
  }
  return h;
}

// One server on 127.0.0.1 with TCP and UDP on OS-chosen ports.
class UdpServer {
 public:
  static std::unique_ptr<UdpServer> Start(const std::string& label,
                                          std::vector<std::string> argv) {
    auto server = std::unique_ptr<UdpServer>(new UdpServer);
    const std::string port_file =
        absl::StrCat(test_support::TempRoot(), "/", label, "-", getpid(), ".ports");
    unlink(port_file.c_str());
    test_support::SpawnOptions spawn;
    argv.insert(argv.end(), {"-l", "127.0.0.1", "-p", "-1", "-U", "-1", "-t", "1"});
    if (getuid() == 0 && label == "memcached") argv.insert(argv.end(), {"-u", "root"});
    spawn.argv = argv;
    spawn.env.emplace_back("MEMCACHED_PORT_FILENAME", port_file);
    spawn.output_path = absl::StrCat(test_support::TempRoot(), "/", label, ".log");
    auto child = test_support::Subprocess::Spawn(spawn);
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return nullptr;
    server->child_ = std::move(*child);
    const bool ready = test_support::Eventually([&] {
      for (absl::string_view line :
           absl::StrSplit(test_support::ReadFileOrEmpty(port_file), '\n')) {
        int port = 0;
        if (absl::ConsumePrefix(&line, "UDP INET: ") && absl::SimpleAtoi(line, &port)) {
          server->udp_port_ = port;
          return true;
        }
      }
      return false;
    });
    unlink(port_file.c_str());
    EXPECT_TRUE(ready) << label << " wrote no \"UDP INET:\" line to its port file";
    if (!ready) return nullptr;
    server->fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return server;
  }
  ~UdpServer() {
    if (fd_ >= 0) close(fd_);
    if (child_ != nullptr) child_->Stop(absl::Seconds(5));
  }

  void Send(const std::string& datagram) {
    struct sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(udp_port_));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(sendto(fd_, datagram.data(), datagram.size(), 0,
                     reinterpret_cast<struct sockaddr*>(&to), sizeof(to)),
              static_cast<ssize_t>(datagram.size()));
  }

  // Sends `datagram`, then a "version" request with id 0xfffe, and returns
  // every datagram received before that one's reply.
  std::vector<std::string> RoundTrip(const std::string& datagram) {
    Send(datagram);
    Send(Header(0xfffe, 0, 1) + "version\r\n");
    std::vector<std::string> replies;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    char buffer[65536];
    while (absl::Now() < deadline) {
      struct pollfd p = {fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) continue;
      std::string d(buffer, static_cast<size_t>(n));
      if (d.substr(0, 2) == "\xff\xfe") return replies;
      replies.push_back(std::move(d));
    }
    ADD_FAILURE() << "no reply to the sentinel request";
    return replies;
  }

  int udp_port() const { return udp_port_; }

 private:
  UdpServer() = default;
  std::unique_ptr<test_support::Subprocess> child_;
  int udp_port_ = 0;
  int fd_ = -1;
};

std::string Printable(const std::vector<std::string>& datagrams) {
  std::string out;
  for (const std::string& d : datagrams) {
    absl::StrAppend(&out, "[", d.size(), " bytes: ");
    for (char c : d.substr(0, 80)) {
      if (c >= 32 && c < 127) {
        out.push_back(c);
      } else {
        absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
      }
    }
    out += "]\n";
  }
  return out;
}

TEST(UdpDifferentialTest, RepliesAreMemcachedsDatagramForDatagram) {
  if (access("/usr/bin/memcached", X_OK) != 0) GTEST_SKIP() << "/usr/bin/memcached not installed";
  auto memcached = UdpServer::Start("memcached", {"/usr/bin/memcached"});
  auto memkit = UdpServer::Start("memkit", {g_memkit_server});
  ASSERT_NE(memcached, nullptr);
  ASSERT_NE(memkit, nullptr);

  const std::string big(3000, 'x');
  std::string binary_version(24, '\0');
  binary_version[0] = static_cast<char>(0x80);
  binary_version[1] = 0x0b;
  const std::vector<std::string> requests = {
      Header(1, 0, 1) + "set big 0 0 3000\r\n" + big + "\r\n",
      Header(2, 0, 1) + "get big\r\n",                       // 3 datagrams
      Header(3, 0, 1) + "set b 5 0 1\r\nb\r\nget b\r\nget big b\r\n",
      Header(4, 0, 1) + "get nothing\r\n",
      Header(5, 0, 1) + "gets b\r\n",
      Header(6, 0, 1) + "mg b v f\r\nmg nothing v\r\nmn\r\n",
      Header(7, 0, 1) + "incr nothing 1\r\ndelete nothing\r\ntouch b 10\r\n",
      Header(8, 0, 1) + "set n 0 0 1\r\n5\r\nincr n 10\r\ndecr n 3\r\n",
      Header(9, 0, 1) + "bogus\r\n",
      Header(10, 0, 1) + "get " + std::string(300, 'k') + "\r\n",
      Header(11, 0, 1) + "set q 0 0 1 noreply\r\nq\r\nget q\r\n",
      Header(12, 0, 2) + "get b\r\n",   // part of a multi-datagram request: dropped
      Header(13, 0, 1),                 // header only: dropped
      Header(14, 0, 1) + binary_version,
      Header(15, 0, 1) + "quit\r\n",
      Header(16, 7, 1) + "version\r\n",  // the sequence number is not checked
      Header(17, 0, 1) + "flush_all\r\nget b\r\n",
      // How memcached cuts a multi-key get depends on which keys hit (see
      // SplitUdpResponses). Each ends its datagram: memcached drops what
      // follows a multi-response get when the next datagram is already
      // waiting, as the sentinel is.
      Header(18, 0, 1) + "set c 0 0 1\r\nc\r\nset d 0 0 1\r\nd\r\n",
      Header(19, 0, 1) + "get a b c d\r\n",
      Header(20, 0, 1) + "get c a b\r\n",
      Header(21, 0, 1) + "get a c b\r\n",
      Header(22, 0, 1) + "get nothing c\r\n",
      Header(23, 0, 1) + "get a c a d b\r\n",
      Header(24, 0, 1) + "gets c c\r\n",
      Header(25, 0, 1) + "gat 0 a c\r\n",
      Header(26, 0, 1) + "gats 0 c a\r\n",
      Header(27, 0, 1) + "get x y z\r\n",
      Header(28, 0, 1) + "version\r\nget c x\r\n",
  };
  for (const std::string& request : requests) {
    const std::vector<std::string> want = memcached->RoundTrip(request);
    const std::vector<std::string> got = memkit->RoundTrip(request);
    EXPECT_EQ(got, want) << "request " << Printable({request}) << "memcached:\n"
                         << Printable(want) << "memkit-server:\n"
                         << Printable(got);
  }
}

}  // namespace
}  // namespace server
}  // namespace memkit

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MEMKIT_SERVER\n", argv[0]);
    return 2;
  }
  memkit::server::g_memkit_server = argv[1];
  return RUN_ALL_TESTS();
}
