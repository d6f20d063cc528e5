// frontend::Connection in front of a fake asynchronous back end that
// finishes requests out of order (in a later loop turn, or from another
// thread): replies must still reach the client in request order, in text,
// meta (opaques, q, mn) and binary (quiet opcodes, noop); plus holding in
// conn_nread, back-pressure on unfinished requests, and a synchronous back
// end for comparison; and -Y's login gate in front of the back end.

#include "core/frontend/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/frontend/backend.h"
#include "core/frontend/request.h"
#include "core/net/address.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "core/net/socket.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_writer.h"
#include "gtest/gtest.h"

namespace memkit {
namespace frontend {
namespace {

using protocol::BinaryOpcode;
using protocol::BinaryStatus;

// How the fake finishes what it was asked.
enum class Finishing {
  kNow,          // synchronously, in the call
  kLaterTurn,    // a later loop turn, last request of a batch first
  kOtherThread,  // from another thread (through RunInLoop), last first
};

// What every connection's fake shares (loop thread only, except the atomics).
struct World {
  std::map<std::string, std::string> store;
  Finishing finishing = Finishing::kNow;
  std::atomic<size_t> max_unfinished{0};
  std::atomic<size_t> requests{0};
  std::set<Connection*> open;  // to destroy at teardown
};

// Computes each reply when the request arrives (so the store changes in
// request order) but writes it and finishes the exchange later, newest first.
class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(World* world) : world_(world), held_(std::make_shared<Held>()) {}
  // The connection destroys its back end once nothing is pending, possibly
  // before the finishing thread's last loop tasks ran: those hold `held_`,
  // not the back end, and find nothing left to finish.
  ~FakeBackend() override {
    for (std::thread& t : threads_) t.join();
  }

  void OnOpen(Connection* conn) override {
    conn_ = conn;
    world_->open.insert(conn);
  }
  void OnClose(const absl::Status&) override { world_->open.erase(conn_); }

  // Through the neutral layer (request.h): one handler for all protocols.
  void OnTextRequest(const protocol::AsciiRequest& r, Exchange* ex) override {
    Handle(Request::FromText(r), ex);
  }
  void OnBinaryRequest(const protocol::BinaryRequest& r, Exchange* ex) override {
    Handle(Request::FromBinary(r), ex);
  }

  void Handle(const Request& q, Exchange* ex) {
    net::OutputQueue scratch;
    ReplyWriter reply(q, &scratch);
    switch (q.command) {
      case Command::kSet:
        world_->store[std::string(q.key())] = std::string(q.value);
        reply.Stored();
        break;
      case Command::kGet:
        for (absl::string_view key : q.keys()) {
          auto it = world_->store.find(std::string(key));
          if (it == world_->store.end()) {
            reply.Miss(key);
          } else {
            reply.Value(key, 0, 0, it->second);
          }
        }
        reply.End();
        break;
      default:
        reply.UnknownCommand();
        break;
    }
    Later(ex, scratch.ToString());
  }

  void OnBatch() override {}

 private:
  void Later(Exchange* ex, std::string reply) {
    world_->requests.fetch_add(1);
    if (world_->finishing == Finishing::kNow) {
      ex->out()->Append(reply);
      ex->Finish();
      return;
    }
    held_->push_back({ex, std::move(reply)});
    world_->max_unfinished.store(std::max(world_->max_unfinished.load(), conn_->pending() + 1));
    if (held_->size() > 1) return;  // a flush is already scheduled
    std::shared_ptr<Held> held = held_;
    if (world_->finishing == Finishing::kLaterTurn) {
      conn_->loop()->Post([held] { FinishNewestFirst(held.get()); });
    } else {
      net::EventLoop* loop = conn_->loop();
      threads_.emplace_back([held, loop] {
        // From this thread: hop to the loop, one exchange per task, newest
        // first; Post'ed tasks run in order, each a separate loop turn.
        std::promise<size_t> count;
        loop->RunInLoop([held, &count] { count.set_value(held->size()); });
        const size_t n = count.get_future().get();
        for (size_t i = n; i > 0; --i) {
          loop->RunInLoop([held, i] { FinishOne(held.get(), i - 1); });
        }
        loop->RunInLoop([held] { CollectFinished(held.get()); });
      });
    }
  }

  // Exchanges answered but not finished yet, with their replies.
  using Held = std::vector<std::pair<Exchange*, std::string>>;

  static void FinishNewestFirst(Held* held) {
    Held batch;
    batch.swap(*held);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      it->first->out()->Append(it->second);
      it->first->Finish();
    }
  }

  static void FinishOne(Held* held, size_t i) {
    auto& entry = (*held)[i];
    entry.first->out()->Append(entry.second);
    entry.first->Finish();
    entry.first = nullptr;
  }

  static void CollectFinished(Held* held) {
    held->erase(std::remove_if(held->begin(), held->end(),
                               [](const auto& e) { return e.first == nullptr; }),
                held->end());
    if (!held->empty()) FinishNewestFirst(held);
  }

  World* const world_;
  Connection* conn_ = nullptr;
  // Shared with the loop tasks that finish them (see the destructor).
  std::shared_ptr<Held> held_;
  std::vector<std::thread> threads_;
};

// A loop thread with a 127.0.0.1 listener serving frontend::Connections.
class Harness {
 public:
  explicit Harness(ConnectionOptions options) : options_(options) {
    thread_ = std::move(*net::EventLoopThread::Start());
    auto listener = net::Listener::Create(*net::Address::Parse("127.0.0.1:0"));
    EXPECT_TRUE(listener.ok()) << listener.status();
    listener_ = std::move(*listener);
    OnLoop([this] {
      absl::Status s = listener_->Start(thread_->loop(), [this](net::UniqueFd fd,
                                                                const net::Address&) {
        auto c = Connection::Start(thread_->loop(), std::move(fd), options_,
                                   std::make_unique<FakeBackend>(&world_));
        EXPECT_TRUE(c.ok()) << c.status();
      });
      EXPECT_TRUE(s.ok()) << s;
    });
  }
  ~Harness() {
    OnLoop([this] {
      listener_->Stop();
      std::set<Connection*> open = world_.open;
      for (Connection* c : open) c->CloseNow(false);
    });
    // Let the closes run (OnClose comes on a later turn).
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      bool empty = false;
      OnLoop([&] { empty = world_.open.empty(); });
      if (empty) break;
    }
    thread_->Stop();
  }

  World* world() { return &world_; }
  const net::Address& address() const { return listener_->address(); }

  void OnLoop(std::function<void()> fn) {
    std::promise<void> done;
    thread_->loop()->RunInLoop([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  ConnectionOptions options_;
  World world_;
  std::unique_ptr<net::EventLoopThread> thread_;
  std::unique_ptr<net::Listener> listener_;
};

// A blocking test client.
class Client {
 public:
  explicit Client(const net::Address& address) {
    auto fd = net::ConnectWithTimeout(address, absl::Seconds(5));
    EXPECT_TRUE(fd.ok()) << fd.status();
    fd_ = std::move(*fd);
  }
  void Send(absl::string_view bytes) {
    ASSERT_EQ(::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // The server sees EOF after what was sent.
  void ShutdownWrite() { ::shutdown(fd_.get(), SHUT_WR); }
  // Reads until `n` bytes came, the peer closed, or `timeout` passed.
  std::string Read(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    std::string got;
    const absl::Time deadline = absl::Now() + timeout;
    while (got.size() < n) {
      const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (ms <= 0) break;
      struct pollfd p = {fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(ms)) <= 0) break;
      char buf[4096];
      const ssize_t r = ::recv(fd_.get(), buf, sizeof(buf), 0);
      if (r <= 0) break;
      got.append(buf, static_cast<size_t>(r));
    }
    return got;
  }

 private:
  net::UniqueFd fd_;
};

std::string BinGet(BinaryOpcode op, absl::string_view key, uint32_t opaque) {
  protocol::BinaryPacket p;
  EXPECT_TRUE(protocol::BuildBinaryGet(op, key, opaque, &p).ok());
  return p.ToString();
}
std::string BinSet(BinaryOpcode op, absl::string_view key, absl::string_view value,
                   uint32_t opaque) {
  protocol::BinaryPacket p;
  EXPECT_TRUE(protocol::BuildBinaryStore(op, key, value, 0, 0, 0, opaque, &p).ok());
  return p.ToString();
}
std::string BinNoop(uint32_t opaque) {
  protocol::BinaryPacket p;
  EXPECT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kNoop, opaque, &p).ok());
  return p.ToString();
}
uint8_t Op(BinaryOpcode op) { return static_cast<uint8_t>(op); }

class OrderingTest : public ::testing::TestWithParam<Finishing> {};

TEST_P(OrderingTest, TextRepliesInRequestOrder) {
  Harness h(ConnectionOptions{});
  h.world()->finishing = GetParam();
  Client c(h.address());
  c.Send(
      "set a 0 0 1\r\n1\r\nset b 0 0 2\r\n22\r\nget a\r\nset c 0 0 1 noreply\r\n3\r\n"
      "get a b c\r\nbogus\r\nget zz\r\n");
  const std::string want =
      "STORED\r\nSTORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n"
      "VALUE a 0 1\r\n1\r\nVALUE b 0 2\r\n22\r\nVALUE c 0 1\r\n3\r\nEND\r\n"
      "ERROR\r\nEND\r\n";
  EXPECT_EQ(c.Read(want.size()), want);
  if (GetParam() != Finishing::kNow) {
    EXPECT_GT(h.world()->max_unfinished.load(), 1u);
  }
}

TEST_P(OrderingTest, MetaOpaquesQuietAndMnInOrder) {
  Harness h(ConnectionOptions{});
  h.world()->finishing = GetParam();
  Client c(h.address());
  // mn is the front end's own reply: it must still wait for the pending ones.
  c.Send(
      "ms a 1 O1\r\nx\r\nmg a v O2 k\r\nmg nokey v q O3\r\nmn\r\nmg a s O4\r\n"
      "ms b 2 q\r\nyy\r\nmg nokey O5\r\nmg b v\r\nmn\r\n");
  const std::string want =
      "HD O1\r\nVA 1 O2 ka\r\nx\r\nMN\r\nHD s1 O4\r\nEN O5\r\nVA 2\r\nyy\r\nMN\r\n";
  EXPECT_EQ(c.Read(want.size()), want);
}

TEST_P(OrderingTest, BinaryQuietOpsAndNoopInOrder) {
  Harness h(ConnectionOptions{});
  h.world()->finishing = GetParam();
  Client c(h.address());
  c.Send(BinSet(BinaryOpcode::kSet, "a", "1", 1) + BinGet(BinaryOpcode::kGetQ, "zz", 2) +
         BinGet(BinaryOpcode::kGet, "a", 3) + BinSet(BinaryOpcode::kSetQ, "b", "22", 4) +
         BinNoop(5) + BinGet(BinaryOpcode::kGetKQ, "b", 6) + BinGet(BinaryOpcode::kGet, "zz", 7) +
         BinNoop(8));
  const std::string want =
      protocol::BinarySuccessResponse(Op(BinaryOpcode::kSet), 1).ToString() +
      protocol::BinaryGetHitResponse(Op(BinaryOpcode::kGet), 3, 0, 0, "a", "1").ToString() +
      protocol::BinarySuccessResponse(Op(BinaryOpcode::kNoop), 5).ToString() +
      protocol::BinaryGetHitResponse(Op(BinaryOpcode::kGetKQ), 6, 0, 0, "b", "22").ToString() +
      protocol::BinaryGetMissResponse(Op(BinaryOpcode::kGet), 7, "zz").ToString() +
      protocol::BinarySuccessResponse(Op(BinaryOpcode::kNoop), 8).ToString();
  EXPECT_EQ(c.Read(want.size()), want);
}

// Regression: a request first in line writes straight into the socket's
// queue; finished on a later turn, nothing was appended behind it, and its
// reply sat unflushed until the next request came.
TEST_P(OrderingTest, ALoneRequestFinishedLaterIsWritten) {
  Harness h(ConnectionOptions{});
  h.world()->finishing = GetParam();
  Client c(h.address());
  c.Send("get nothing\r\n");
  EXPECT_EQ(c.Read(5, absl::Seconds(5)), "END\r\n");
}

TEST_P(OrderingTest, QuitClosesAfterPendingReplies) {
  Harness h(ConnectionOptions{});
  h.world()->finishing = GetParam();
  Client c(h.address());
  c.Send("set a 0 0 1\r\n1\r\nget a\r\nquit\r\nget a\r\n");
  const std::string want = "STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n";
  // Everything before quit, then the close (Read stops at EOF).
  EXPECT_EQ(c.Read(want.size() + 100), want);
}

INSTANTIATE_TEST_SUITE_P(Finishing, OrderingTest,
                         ::testing::Values(Finishing::kNow, Finishing::kLaterTurn,
                                           Finishing::kOtherThread),
                         [](const ::testing::TestParamInfo<Finishing>& info) {
                           switch (info.param) {
                             case Finishing::kNow:
                               return std::string("Now");
                             case Finishing::kLaterTurn:
                               return std::string("LaterTurn");
                             case Finishing::kOtherThread:
                               return std::string("OtherThread");
                           }
                           return std::string("?");
                         });

TEST(BackPressureTest, UnfinishedRequestsAreBounded) {
  ConnectionOptions options;
  options.max_pending = 3;
  Harness h(options);
  h.world()->finishing = Finishing::kLaterTurn;
  Client c(h.address());
  std::string request = "set k 0 0 1\r\nv\r\n";
  std::string want = "STORED\r\n";
  for (int i = 0; i < 40; ++i) {
    request += "get k\r\n";
    want += "VALUE k 0 1\r\nv\r\nEND\r\n";
  }
  c.Send(request);
  EXPECT_EQ(c.Read(want.size()), want);
  EXPECT_EQ(h.world()->requests.load(), 41u);
  EXPECT_LE(h.world()->max_unfinished.load(), 3u);
  EXPECT_GE(h.world()->max_unfinished.load(), 2u);
}

// A half-close while parsing is paused at max_pending: what arrived before it
// is still answered, all of it, before the close (the requests behind the
// pause were dropped once: memkit-proxy lost a pipelined flood's tail).
TEST(BackPressureTest, HalfCloseAnswersRequestsStillUnparsed) {
  ConnectionOptions options;
  options.max_pending = 3;
  Harness h(options);
  h.world()->finishing = Finishing::kLaterTurn;
  Client c(h.address());
  std::string request = "set k 0 0 1\r\nv\r\n";
  std::string want = "STORED\r\n";
  for (int i = 0; i < 40; ++i) {
    request += "get k\r\n";
    want += "VALUE k 0 1\r\nv\r\nEND\r\n";
  }
  c.Send(request);
  c.ShutdownWrite();
  // Read stops at the close: nothing more than the 41 replies comes.
  EXPECT_EQ(c.Read(want.size() + 100), want);
  EXPECT_EQ(h.world()->requests.load(), 41u);
}

TEST(HoldingTest, RepliesWaitWhileAValueIsArriving) {
  // memcached's conn_nread: a STORED queued before a set whose value is
  // split across reads is written only once that value is in.
  Harness h(ConnectionOptions{});
  Client c(h.address());
  c.Send("set a 0 0 1\r\n1\r\nset b 0 0 5\r\nab");
  EXPECT_EQ(c.Read(1, absl::Milliseconds(200)), "");
  c.Send("cde\r\n");
  EXPECT_EQ(c.Read(16), "STORED\r\nSTORED\r\n");
}

TEST(HoldingTest, GetIsAWritePoint) {
  // After a get memcached writes at once, even with a value still arriving.
  Harness h(ConnectionOptions{});
  Client c(h.address());
  c.Send("set a 0 0 1\r\n1\r\nget a\r\nset b 0 0 5\r\nab");
  const std::string first = "STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n";
  EXPECT_EQ(c.Read(first.size()), first);
  c.Send("cde\r\n");
  EXPECT_EQ(c.Read(8), "STORED\r\n");
}

TEST(ErrorTest, TooLargeValueIsSwallowedAndHttpCloses) {
  ConnectionOptions options;
  options.ascii.max_value_size = 10;
  Harness h(options);
  Client c(h.address());
  // A value over the limit is refused before it is read: its 20 bytes and
  // CRLF are swallowed, not parsed as commands. "HTTP/" closes.
  c.Send("set a 0 0 20\r\nget bb c d e f g h i\r\nget a\r\n");
  const std::string want = "SERVER_ERROR object too large for cache\r\nEND\r\n";
  EXPECT_EQ(c.Read(want.size()), want);
  Client d(h.address());
  d.Send("GET / HTTP/1.1\r\n");
  EXPECT_EQ(d.Read(100, absl::Seconds(5)), "");  // closed without a reply
}

// Fault hooks armed by the test before it sends (read on the loop thread).
class FakeFaults final : public FaultHooks {
 public:
  std::atomic<int> drops{0};
  std::atomic<int> failures{0};
  std::string message = "out of memory";

  bool TakeDrop() override { return Take(&drops); }
  bool TakeFailure(std::string* m) override {
    if (!Take(&failures)) return false;
    *m = message;
    return true;
  }
  int64_t latency_ns() const override { return 0; }

 private:
  static bool Take(std::atomic<int>* n) {
    int v = n->load();
    while (v > 0) {
      if (n->compare_exchange_weak(v, v - 1)) return true;
    }
    return false;
  }
};

TEST(FaultTest, FailureAnsweredInTheClientsProtocolAndDropSkipsOneReply) {
  FakeFaults faults;
  ConnectionOptions options;
  options.faults = &faults;
  Harness h(options);
  h.world()->finishing = Finishing::kLaterTurn;
  Client c(h.address());
  // The failed request never reaches the back end; the dropped one runs
  // (its store happens) but its reply is thrown away, in order.
  faults.failures = 1;
  c.Send("set a 0 0 1\r\n1\r\n");
  EXPECT_EQ(c.Read(28), "SERVER_ERROR out of memory\r\n");
  faults.drops = 1;
  c.Send("set a 0 0 1\r\n2\r\nget a\r\n");
  const std::string want = "VALUE a 0 1\r\n2\r\nEND\r\n";
  EXPECT_EQ(c.Read(want.size()), want);
  EXPECT_EQ(h.world()->requests.load(), 2u);

  Client b(h.address());
  faults.failures = 1;
  b.Send(BinGet(BinaryOpcode::kGet, "a", 9));
  const std::string oom =
      protocol::BinaryErrorResponse(Op(BinaryOpcode::kGet), 9, BinaryStatus::kOutOfMemory,
                                    "out of memory")
          .ToString();
  EXPECT_EQ(b.Read(oom.size()), oom);
}

}  // namespace
}  // namespace frontend
}  // namespace memkit

namespace memkit {
namespace frontend {
namespace {

// memcached's -Y at the front end (ascii_auth.h): the back end sees no
// request before the login, and after it requests flow as usual (here to
// the asynchronous fake, finishing from another thread).
class FixedUsers final : public Authenticator {
 public:
  bool Check(absl::string_view user, absl::string_view password) override {
    ++checks;
    return user == "alice" && password == "secret";
  }
  std::atomic<int> checks{0};
};

TEST(AsciiAuthTest, NothingReachesTheBackEndBeforeTheLogin) {
  FixedUsers users;
  ConnectionOptions options;
  options.protocols = Protocols::kText;
  options.ascii_auth = &users;
  Harness h(options);
  h.world()->finishing = Finishing::kOtherThread;
  Client c(h.address());
  const std::string unauth = "CLIENT_ERROR unauthenticated\r\n";
  c.Send("get a\r\n");
  EXPECT_EQ(c.Read(unauth.size()), unauth);
  c.Send("set a 0 0 9\r\nalice bad\r\n");
  const std::string failure = "CLIENT_ERROR authentication failure\r\n";
  EXPECT_EQ(c.Read(failure.size()), failure);
  EXPECT_EQ(h.world()->requests.load(), 0u);
  // One read: the unauthenticated reply is replaced by the login's, and
  // the requests after the login go to the back end, in order.
  c.Send("quit\r\nset k 0 0 12\r\nalice secret\r\nset a 0 0 1\r\nx\r\nget a\r\n");
  const std::string rest = "STORED\r\nSTORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n";
  EXPECT_EQ(c.Read(rest.size()), rest);
  EXPECT_EQ(users.checks.load(), 2);
  EXPECT_EQ(h.world()->requests.load(), 2u);
}

}  // namespace
}  // namespace frontend
}  // namespace memkit
