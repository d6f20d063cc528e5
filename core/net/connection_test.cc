#include "core/net/connection.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/net/connector.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "core/net/test_util.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

using testing::RunLoopUntil;

// ---- blocking client helpers (test thread) ---------------------------------------

UniqueFd Dial(const Address& a) {
  auto fd = ConnectWithTimeout(a, absl::Seconds(5));
  EXPECT_TRUE(fd.ok()) << fd.status();
  if (!fd.ok()) return UniqueFd();
  // A failing test must not hang: give every blocking read a deadline.
  struct timeval tv = {10, 0};
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return std::move(*fd);
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ReadExactly(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, &out[got], n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

// Reads until EOF; `err` gets errno if the stream ended with an error.
std::string ReadToEof(int fd, int* err = nullptr) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && err != nullptr) *err = errno;
    if (r <= 0) return out;
    out.append(buf, static_cast<size_t>(r));
  }
}

// ---- a server on its own loop thread ------------------------------------------------

class TestServer : public Connection::Handler {
 public:
  // Configure before Start(); used on the loop thread afterwards.
  std::function<void(Connection*)> on_data = [](Connection* c) {
    c->output().Append(c->input().data());  // echo
    c->input().Consume(c->input().size());
  };
  std::function<void(Connection*)> on_eof;          // null: the default
  std::function<void(Connection*)> on_accept;       // after Connection::Create
  Connection::Options options;
  int send_buffer = 0;  // SO_SNDBUF for accepted sockets (0: default)

  void Start() {
    auto t = EventLoopThread::Start();
    ASSERT_TRUE(t.ok());
    thread_ = std::move(*t);
    auto l = Listener::Create(Address::IPv4Loopback(0));
    ASSERT_TRUE(l.ok()) << l.status();
    listener_ = std::move(*l);
    address_ = listener_->address();
    OnLoop([this] {
      ASSERT_TRUE(listener_
                      ->Start(loop(),
                              [this](UniqueFd fd, const Address&) {
                                if (send_buffer > 0) {
                                  ASSERT_TRUE(SetSendBufferSize(fd.get(), send_buffer).ok());
                                }
                                auto c = Connection::Create(loop(), std::move(fd), this, options);
                                ASSERT_TRUE(c.ok()) << c.status();
                                Connection* raw = c->get();
                                conns_[raw] = std::move(*c);
                                if (on_accept) on_accept(raw);
                              })
                      .ok());
    });
  }

  ~TestServer() override {
    if (thread_ == nullptr) return;
    OnLoop([this] {
      listener_.reset();
      conns_.clear();
    });
    thread_->Stop();
  }

  // Runs `fn` on the loop thread and waits for it.
  void OnLoop(std::function<void()> fn) {
    std::promise<void> done;
    loop()->Post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Waits (with a deadline) until `n` connections have closed; their statuses.
  std::vector<absl::Status> WaitForCloses(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return closes_.size() >= n; });
    return closes_;
  }

  // The single live connection's counters, read on the loop thread.
  uint64_t WritesBlocked() {
    uint64_t n = 0;
    OnLoop([&] {
      for (auto& kv : conns_) n += kv.first->writes_blocked();
    });
    return n;
  }

  EventLoop* loop() { return thread_->loop(); }
  const Address& address() const { return address_; }

  void OnData(Connection* c) override { on_data(c); }
  void OnReadEof(Connection* c) override {
    if (on_eof) {
      on_eof(c);
    } else {
      Connection::Handler::OnReadEof(c);
    }
  }
  void OnClose(Connection* c, const absl::Status& status) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closes_.push_back(status);
    }
    cv_.notify_all();
    conns_.erase(c);  // destroys the Connection: allowed in OnClose
  }

 private:
  std::unique_ptr<EventLoopThread> thread_;
  std::unique_ptr<Listener> listener_;
  Address address_;
  std::map<Connection*, std::unique_ptr<Connection>> conns_;  // loop thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<absl::Status> closes_;
};

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + (i * 7 + i / 251) % 58);
  return s;
}

// ---- echo ---------------------------------------------------------------------------

TEST(ConnectionTest, EchoesLargePayloadThroughPartialWrites) {
  TestServer server;
  server.send_buffer = 4096;               // forces partial writes and EAGAIN
  server.options.output_high_water = 64 * 1024;  // and read pausing
  server.Start();
  UniqueFd client = Dial(server.address());
  const std::string payload = Pattern(1 << 20);
  // Write and read at once: the server stops reading while its replies back up.
  std::thread writer([&] { EXPECT_TRUE(WriteAll(client.get(), payload)); });
  std::string echoed = ReadExactly(client.get(), payload.size());
  writer.join();
  ASSERT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload);
  EXPECT_GT(server.WritesBlocked(), 0u) << "expected the 4 KB send buffer to fill";
}

TEST(ConnectionTest, EchoesManyPipelinedSmallWrites) {
  TestServer server;
  std::atomic<int> on_data_calls{0};
  server.on_data = [&](Connection* c) {
    ++on_data_calls;
    c->output().Append(c->input().data());
    c->input().Consume(c->input().size());
  };
  server.Start();
  UniqueFd client = Dial(server.address());
  std::string expect;
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) {
      std::string msg = absl::StrCat("get key:", i, "\r\n");
      if (!WriteAll(client.get(), msg)) return;
    }
  });
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&expect, "get key:", i, "\r\n");
  std::string echoed = ReadExactly(client.get(), expect.size());
  writer.join();
  EXPECT_TRUE(echoed == expect) << echoed.size() << " of " << expect.size() << " bytes";
  // Batching: many small writes are taken by far fewer reads.
  EXPECT_LT(on_data_calls.load(), 20000);
}

// ---- limits and closing ---------------------------------------------------------------

TEST(ConnectionTest, ReadBufferCapClosesWithResourceExhausted) {
  TestServer server;
  server.options.read_buffer.initial_capacity = 512;
  server.options.read_buffer.max_capacity = 4096;
  // A line protocol: consume only whole lines; say why before closing.
  server.on_data = [](Connection* c) {
    absl::string_view in = c->input().data();
    size_t nl;
    while ((nl = in.find('\n')) != absl::string_view::npos) {
      c->output().Append(in.substr(0, nl + 1));
      c->input().Consume(nl + 1);
      in = c->input().data();
    }
    if (c->input().full()) c->output().Append("SERVER_ERROR line too long\r\n");
  };
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "ok\n" + std::string(10000, 'x')));
  int err = 0;
  std::string reply = ReadToEof(client.get(), &err);
  EXPECT_EQ(reply, "ok\nSERVER_ERROR line too long\r\n");
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].code(), absl::StatusCode::kResourceExhausted) << closes[0];
  EXPECT_TRUE(absl::StrContains(closes[0].message(), "4096")) << closes[0];
}

TEST(ConnectionTest, PeerResetIsReportedAsUnavailable) {
  TestServer server;
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "hi"));
  EXPECT_EQ(ReadExactly(client.get(), 2), "hi");
  ResetAndClose(std::move(client));
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].code(), absl::StatusCode::kUnavailable) << closes[0];
  EXPECT_EQ(GetMcCode(closes[0]), McCode::kConnectionError);
  EXPECT_TRUE(absl::StrContains(closes[0].message(), "reset")) << closes[0];
}

TEST(ConnectionTest, PeerHalfCloseIsReportedAndRepliesStillFlow) {
  TestServer server;
  std::atomic<int> eofs{0};
  server.on_eof = [&](Connection* c) {
    ++eofs;
    EXPECT_TRUE(c->read_eof());
    c->output().Append("bye\n");  // the write side is still open
    c->CloseAfterFlush();
  };
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "abc"));
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  EXPECT_EQ(ReadToEof(client.get()), "abcbye\n");
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_TRUE(closes[0].ok()) << closes[0];
  EXPECT_EQ(eofs.load(), 1);
}

TEST(ConnectionTest, DefaultOnReadEofClosesCleanly) {
  TestServer server;
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "x"));
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  EXPECT_EQ(ReadToEof(client.get()), "x");
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_TRUE(closes[0].ok()) << closes[0];
}

TEST(ConnectionTest, ShutdownWriteHalfClosesButKeepsReading) {
  TestServer server;
  std::atomic<int> seen{0};
  server.on_data = [&](Connection* c) {
    seen += static_cast<int>(c->input().size());
    if (c->input().data() == "first") {
      c->output().Append("reply");
      c->ShutdownWrite();
    }
    c->input().Consume(c->input().size());
  };
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "first"));
  EXPECT_EQ(ReadToEof(client.get()), "reply");  // EOF after the reply
  ASSERT_TRUE(WriteAll(client.get(), "second"));  // the server still reads
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_TRUE(closes[0].ok()) << closes[0];
  EXPECT_EQ(seen.load(), 11);
}

TEST(ConnectionTest, AbortResetsThePeer) {
  TestServer server;
  server.on_data = [](Connection* c) { c->Abort(); };
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "x"));
  int err = 0;
  EXPECT_EQ(ReadToEof(client.get(), &err), "");
  EXPECT_EQ(err, ECONNRESET);
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].code(), absl::StatusCode::kCancelled);
}

TEST(ConnectionTest, CloseAfterFlushDeliversEverythingQueued) {
  TestServer server;
  server.send_buffer = 4096;
  const std::string big = Pattern(256 << 10);
  server.on_data = [&](Connection* c) {
    c->input().Consume(c->input().size());
    c->output().AppendRef(big);  // outlives the server
    c->CloseAfterFlush(absl::AbortedError("done"));
  };
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "go"));
  std::string got = ReadToEof(client.get());
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].code(), absl::StatusCode::kAborted);
}

struct Pin {
  std::atomic<int> released{0};
  static void Release(void* arg) { ++static_cast<Pin*>(arg)->released; }
};

TEST(ConnectionTest, CloseReleasesReferencedOutput) {
  TestServer server;
  server.send_buffer = 4096;
  Pin pin;
  const std::string big = Pattern(1 << 20);
  server.on_data = [&](Connection* c) {
    c->input().Consume(c->input().size());
    for (int i = 0; i < 8; ++i) c->output().AppendRef(big, &Pin::Release, &pin);
    c->Flush();  // the client never reads: most stays queued
    c->Close();
  };
  server.Start();
  UniqueFd client = Dial(server.address());
  ASSERT_TRUE(WriteAll(client.get(), "go"));
  auto closes = server.WaitForCloses(1);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(pin.released.load(), 8);
}

TEST(ConnectionTest, FlushDelayHoldsRepliesBack) {
  TestServer server;
  server.on_accept = [](Connection* c) { c->set_flush_delay(absl::Milliseconds(80)); };
  server.Start();
  UniqueFd client = Dial(server.address());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(WriteAll(client.get(), "ping"));
  EXPECT_EQ(ReadExactly(client.get(), 4), "ping");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(80));
}

TEST(ConnectionTest, UnixSocketEcho) {
  auto loop_or = EventLoop::Create();
  ASSERT_TRUE(loop_or.ok());
  EventLoop* loop = loop_or->get();
  char tmpl[] = "/tmp/memkit-conn-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = absl::StrCat(tmpl, "/s");
  auto addr = Address::Unix(path);
  ASSERT_TRUE(addr.ok());
  {
    auto listener = Listener::Create(*addr);
    ASSERT_TRUE(listener.ok()) << listener.status();
    struct Echo : Connection::Handler {
      void OnData(Connection* c) override {
        c->output().Append(c->input().data());
        c->input().Consume(c->input().size());
      }
      void OnClose(Connection*, const absl::Status&) override { closed = true; }
      bool closed = false;
    } echo;
    std::unique_ptr<Connection> server_side;
    ASSERT_TRUE((*listener)
                    ->Start(loop,
                            [&](UniqueFd fd, const Address&) {
                              server_side = *Connection::Create(loop, std::move(fd), &echo);
                            })
                    .ok());
    // The client side is a Connection too, from AsyncConnect, on the same loop.
    struct Collect : Connection::Handler {
      void OnData(Connection* c) override {
        got.append(c->input().data().data(), c->input().size());
        c->input().Consume(c->input().size());
      }
      void OnClose(Connection*, const absl::Status&) override {}
      std::string got;
    } collect;
    std::unique_ptr<Connection> client;
    auto pending = AsyncConnect::Start(loop, *addr, absl::Seconds(5),
                                       [&](absl::StatusOr<UniqueFd> fd) {
                                         ASSERT_TRUE(fd.ok()) << fd.status();
                                         client = *Connection::Create(loop, std::move(*fd),
                                                                      &collect);
                                         client->output().Append("over unix");
                                         client->Flush();
                                       });
    EXPECT_TRUE(pending->pending());  // never completes inside Start()
    ASSERT_TRUE(RunLoopUntil(loop, [&] { return collect.got == "over unix"; }));
    client.reset();
    ASSERT_TRUE(RunLoopUntil(loop, [&] { return echo.closed; }));
    server_side.reset();
  }
  ::rmdir(tmpl);
}

// ---- outbound connects --------------------------------------------------------------------

TEST(AsyncConnectTest, ConnectsRefusesAndTimesOut) {
  auto loop_or = EventLoop::Create();
  ASSERT_TRUE(loop_or.ok());
  EventLoop* loop = loop_or->get();

  auto listener = Listener::Create(Address::IPv4Loopback(0));
  ASSERT_TRUE(listener.ok());
  absl::StatusOr<UniqueFd> ok_result = absl::UnknownError("not yet");
  bool ok_done = false;
  auto a = AsyncConnect::Start(loop, (*listener)->address(), absl::Seconds(5),
                               [&](absl::StatusOr<UniqueFd> fd) {
                                 ok_result = std::move(fd);
                                 ok_done = true;
                               });
  ASSERT_TRUE(RunLoopUntil(loop, [&] { return ok_done; }));
  ASSERT_TRUE(ok_result.ok()) << ok_result.status();
  EXPECT_FALSE(a->pending());
  EXPECT_TRUE(PeerAddress(ok_result->get()).ok());

  auto refusing = testing::RefusingAddress::Create();
  ASSERT_TRUE(refusing.ok());
  absl::Status refused = absl::UnknownError("not yet");
  bool refused_done = false;
  auto b = AsyncConnect::Start(loop, (*refusing)->address(), absl::Seconds(5),
                               [&](absl::StatusOr<UniqueFd> fd) {
                                 refused = fd.status();
                                 refused_done = true;
                               });
  ASSERT_TRUE(RunLoopUntil(loop, [&] { return refused_done; }));
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_EQ(GetMcCode(refused), McCode::kConnectionError);

  auto hole = testing::Blackhole::Create();
  ASSERT_TRUE(hole.ok()) << hole.status();
  absl::Status timed_out = absl::UnknownError("not yet");
  bool timeout_done = false;
  const absl::Time start = absl::Now();
  auto c = AsyncConnect::Start(loop, (*hole)->address(), absl::Milliseconds(100),
                               [&](absl::StatusOr<UniqueFd> fd) {
                                 timed_out = fd.status();
                                 timeout_done = true;
                               });
  ASSERT_TRUE(RunLoopUntil(loop, [&] { return timeout_done; }));
  EXPECT_EQ(timed_out.code(), absl::StatusCode::kDeadlineExceeded) << timed_out;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  EXPECT_EQ(loop->watched_count(), 0u);
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST(AsyncConnectTest, DestroyingCancelsAndTheCallbackNeverRuns) {
  auto loop_or = EventLoop::Create();
  ASSERT_TRUE(loop_or.ok());
  EventLoop* loop = loop_or->get();
  auto hole = testing::Blackhole::Create();
  ASSERT_TRUE(hole.ok()) << hole.status();
  bool called = false;
  auto c = AsyncConnect::Start(loop, (*hole)->address(), absl::Milliseconds(20),
                               [&](absl::StatusOr<UniqueFd>) { called = true; });
  EXPECT_EQ(loop->watched_count(), 1u);
  c.reset();
  EXPECT_EQ(loop->watched_count(), 0u);
  EXPECT_EQ(loop->pending_timers(), 0u);
  bool later = false;
  loop->RunAfter(absl::Milliseconds(60), [&] { later = true; });
  ASSERT_TRUE(RunLoopUntil(loop, [&] { return later; }));
  EXPECT_FALSE(called);
}

TEST(AsyncConnectTest, CallbackMayDestroyTheConnector) {
  auto loop_or = EventLoop::Create();
  ASSERT_TRUE(loop_or.ok());
  EventLoop* loop = loop_or->get();
  auto refusing = testing::RefusingAddress::Create();
  ASSERT_TRUE(refusing.ok());
  std::unique_ptr<AsyncConnect> c;
  bool done = false;
  c = AsyncConnect::Start(loop, (*refusing)->address(), absl::Seconds(5),
                          [&](absl::StatusOr<UniqueFd>) {
                            c.reset();
                            done = true;
                          });
  ASSERT_TRUE(RunLoopUntil(loop, [&] { return done; }));
  EXPECT_EQ(c, nullptr);
}

}  // namespace
}  // namespace net
}  // namespace memkit
