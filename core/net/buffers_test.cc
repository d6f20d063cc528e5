#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/net/buffer_cache.h"
#include "core/net/output_queue.h"
#include "core/net/read_buffer.h"
#include "core/net/socket.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

struct SocketPair {
  UniqueFd a, b;
};

SocketPair MakeSocketPair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return SocketPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// ---- ReadBuffer -------------------------------------------------------------

ReadBuffer::Options SmallBuffer(size_t initial, size_t max) {
  ReadBuffer::Options o;
  o.initial_capacity = initial;
  o.max_capacity = max;
  o.min_read_size = 1;
  return o;
}

TEST(ReadBufferTest, AppendConsumeAndResetWhenEmpty) {
  ReadBuffer b(SmallBuffer(16, 1024));
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), 0u);  // allocated lazily
  ASSERT_TRUE(b.Append("get a\r\nget b\r\n").ok());
  EXPECT_EQ(b.data(), "get a\r\nget b\r\n");
  absl::string_view first = b.data().substr(0, 7);
  b.Consume(7);
  EXPECT_EQ(first, "get a\r\n");  // views survive Consume
  EXPECT_EQ(b.data(), "get b\r\n");
  b.Consume(7);
  EXPECT_TRUE(b.empty());
  // Fully consumed: the next append starts at the front (no compaction cost).
  auto span = b.PrepareAppend(1);
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(span->size(), b.capacity());
}

TEST(ReadBufferTest, CompactsInsteadOfGrowingWhenThereIsRoom) {
  ReadBuffer b(SmallBuffer(32, 32));
  ASSERT_TRUE(b.Append(std::string(30, 'x')).ok());
  b.Consume(28);
  ASSERT_TRUE(b.Append(std::string(20, 'y')).ok());  // fits only after compaction
  EXPECT_EQ(b.capacity(), 32u);
  EXPECT_EQ(b.data(), "xx" + std::string(20, 'y'));
}

TEST(ReadBufferTest, GrowsUpToTheCapAndNoFurther) {
  ReadBuffer b(SmallBuffer(8, 100));
  ASSERT_TRUE(b.Append(std::string(60, 'a')).ok());
  EXPECT_GE(b.capacity(), 60u);
  ASSERT_TRUE(b.Append(std::string(40, 'b')).ok());
  EXPECT_EQ(b.size(), 100u);
  EXPECT_LE(b.capacity(), 100u);
  EXPECT_TRUE(b.full());
  absl::Status s = b.Append("c");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(b.size(), 100u);  // nothing appended
  EXPECT_EQ(b.Reserve(1).code(), absl::StatusCode::kResourceExhausted);
  b.Consume(1);
  EXPECT_TRUE(b.Append("c").ok());
}

TEST(ReadBufferTest, ReserveGrowsInOneStep) {
  ReadBuffer b(SmallBuffer(16, 1 << 20));
  ASSERT_TRUE(b.Append("set k 0 0 500000\r\n").ok());
  ASSERT_TRUE(b.Reserve(500002).ok());
  EXPECT_GE(b.capacity(), b.size() + 500002);
  EXPECT_EQ(b.data(), "set k 0 0 500000\r\n");
  EXPECT_EQ(b.Reserve(2 << 20).code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadBufferTest, ReadFromReportsDataEofAndWouldBlock) {
  SocketPair p = MakeSocketPair();
  ReadBuffer b(SmallBuffer(64, 4096));
  auto n = b.ReadFrom(p.a.get());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, ReadBuffer::kWouldBlock);
  ASSERT_EQ(::write(p.b.get(), "hello", 5), 5);
  n = b.ReadFrom(p.a.get());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5);
  EXPECT_EQ(b.data(), "hello");
  ::shutdown(p.b.get(), SHUT_WR);
  n = b.ReadFrom(p.a.get());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST(ReadBufferTest, ReadFromNeverExceedsTheCap) {
  SocketPair p = MakeSocketPair();
  ReadBuffer b(SmallBuffer(16, 1000));
  std::string flood(5000, 'z');
  ASSERT_EQ(::write(p.b.get(), flood.data(), flood.size()), 5000);
  for (int i = 0; i < 100 && !b.full(); ++i) {
    auto n = b.ReadFrom(p.a.get());
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_GT(*n, 0);
  }
  EXPECT_EQ(b.size(), 1000u);
  auto n = b.ReadFrom(p.a.get());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(b.size(), 1000u);
}

TEST(ReadBufferTest, ReadFromBadFdIsAnError) {
  ReadBuffer b;
  auto n = b.ReadFrom(-1);
  EXPECT_FALSE(n.ok());
}

TEST(ReadBufferTest, ShrinkIfEmptyFreesOnlyLargeIdleBuffers) {
  ReadBuffer b(SmallBuffer(16, 1 << 20));
  ASSERT_TRUE(b.Append(std::string(100000, 'v')).ok());
  EXPECT_FALSE(b.ShrinkIfEmpty(1024));  // not empty
  b.Consume(100000);
  EXPECT_FALSE(b.ShrinkIfEmpty(1 << 20));  // small enough to keep
  EXPECT_TRUE(b.ShrinkIfEmpty(1024));
  EXPECT_EQ(b.capacity(), 0u);
  ASSERT_TRUE(b.Append("again").ok());
  EXPECT_EQ(b.data(), "again");
}

// ---- OutputQueue ------------------------------------------------------------

struct Pin {
  int released = 0;
  static void Release(void* arg) { ++static_cast<Pin*>(arg)->released; }
};

TEST(OutputQueueTest, ConsecutiveCopiesMergeIntoOnePiece) {
  OutputQueue q;
  q.Append("VALUE k 0 5");
  q.Append({"\r\n", "", "x"});
  q.AppendDecimal(0);
  q.AppendDecimal(18446744073709551615ull);
  EXPECT_EQ(q.piece_count(), 1u);
  EXPECT_EQ(q.ToString(), "VALUE k 0 5\r\nx018446744073709551615");
  EXPECT_EQ(q.size(), q.ToString().size());
}

TEST(OutputQueueTest, ReferencesAreNotCopiedAndReleasedAfterWriting) {
  OutputQueue q;
  Pin pin;
  std::string value(1000, 'v');
  q.Append("VALUE k 0 1000\r\n");
  q.AppendRef(value, &Pin::Release, &pin);
  q.Append("\r\nEND\r\n");
  EXPECT_EQ(q.piece_count(), 3u);
  value[0] = 'W';  // referenced, not copied: the change shows
  EXPECT_EQ(q.ToString().substr(16, 1), "W");
  EXPECT_EQ(pin.released, 0);

  q.Consume(16 + 999);  // all but the last value byte
  EXPECT_EQ(pin.released, 0);
  q.Consume(1);
  EXPECT_EQ(pin.released, 1);
  EXPECT_EQ(q.ToString(), "\r\nEND\r\n");
  q.Consume(q.size());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.piece_count(), 0u);
}

TEST(OutputQueueTest, SmallReferencesAreCopiedAndReleasedAtOnce) {
  OutputQueue q;
  Pin pin;
  std::string small = "tiny";
  q.Append("a");
  q.AppendRef(small, &Pin::Release, &pin);
  EXPECT_EQ(pin.released, 1);
  small[0] = 'X';
  EXPECT_EQ(q.ToString(), "atiny");
  EXPECT_EQ(q.piece_count(), 1u);
}

TEST(OutputQueueTest, ClearAndDestructionReleaseEveryReference) {
  Pin pin;
  std::string big(200, 'b');
  {
    OutputQueue q;
    q.AppendRef(big, &Pin::Release, &pin);
    q.AppendRef(big, &Pin::Release, &pin);
    q.Clear();
    EXPECT_EQ(pin.released, 2);
    EXPECT_TRUE(q.empty());
    q.AppendRef(big, &Pin::Release, &pin);
  }
  EXPECT_EQ(pin.released, 3);
}

TEST(OutputQueueTest, GatherAndPartialConsumeKeepOrder) {
  OutputQueue q;
  std::string ref(100, 'r');
  q.Append("head");
  q.AppendRef(ref);
  q.Append("tail");
  struct iovec iov[8];
  ASSERT_EQ(q.Gather(iov, 8), 3u);
  EXPECT_EQ(iov[0].iov_len, 4u);
  EXPECT_EQ(iov[1].iov_base, static_cast<void*>(ref.data()));
  q.Consume(2);
  ASSERT_EQ(q.Gather(iov, 1), 1u);
  EXPECT_EQ(std::string(static_cast<char*>(iov[0].iov_base), iov[0].iov_len), "ad");
  q.Consume(52);
  EXPECT_EQ(q.ToString(), std::string(50, 'r') + "tail");
  // Interleave more copies while some are pending; the scratch area compacts
  // or grows without disturbing what is queued.
  for (int i = 0; i < 1000; ++i) q.Append(absl::StrCat(i, ","));
  std::string expect = std::string(50, 'r') + "tail";
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&expect, i, ",");
  EXPECT_EQ(q.ToString(), expect);
}

TEST(OutputQueueTest, WriteToHandlesPartialWritesAndEagain) {
  SocketPair p = MakeSocketPair();
  ASSERT_TRUE(SetSendBufferSize(p.a.get(), 4096).ok());
  OutputQueue q;
  Pin pin;
  std::string value(300000, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
  std::string expect;
  for (int i = 0; i < 50; ++i) {
    std::string line = absl::StrCat("VALUE k", i, " 0 ", value.size(), "\r\n");
    q.Append(line);
    q.AppendRef(value, &Pin::Release, &pin);
    q.Append("\r\n");
    expect += line + value + "\r\n";
  }
  q.Append("END\r\n");
  expect += "END\r\n";

  std::string got;
  int partial = 0;
  int would_block = 0;
  for (int rounds = 0; rounds < 100000 && !q.empty(); ++rounds) {
    const size_t before = q.size();
    auto n = q.WriteTo(p.a.get());
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n < before) {
      ++partial;
      // The socket buffer is full now: a second write must see EAGAIN.
      auto again = q.WriteTo(p.a.get());
      ASSERT_TRUE(again.ok()) << again.status();
      if (*again == 0) ++would_block;
    }
    got += ReadAll(p.b.get());
  }
  got += ReadAll(p.b.get());
  EXPECT_TRUE(q.empty());
  EXPECT_GT(partial, 10) << "the small send buffer should force partial writes";
  EXPECT_GT(would_block, 0);
  EXPECT_EQ(pin.released, 50);
  ASSERT_EQ(got.size(), expect.size());
  EXPECT_TRUE(got == expect);
}

TEST(OutputQueueTest, WriteToMoreThanMaxIovPieces) {
  SocketPair p = MakeSocketPair();
  OutputQueue q;
  std::string big(100, 'q');
  std::string expect;
  for (size_t i = 0; i < OutputQueue::kMaxIov * 2 + 3; ++i) {
    q.Append("#");
    q.AppendRef(big);
    expect += "#" + big;
  }
  EXPECT_GT(q.piece_count(), OutputQueue::kMaxIov);
  auto n = q.WriteTo(p.a.get());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, expect.size());
  EXPECT_EQ(ReadAll(p.b.get()), expect);
}

TEST(OutputQueueTest, WriteToAPipeFallsBackToWritev) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  OutputQueue q;
  std::string big(500, 'p');
  q.Append("x");
  q.AppendRef(big);
  auto n = q.WriteTo(w.get());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 501u);
  EXPECT_EQ(ReadAll(r.get()), "x" + big);
}

TEST(OutputQueueTest, WriteToClosedPeerIsUnavailableNotSigpipe) {
  SocketPair p = MakeSocketPair();
  p.b.reset();
  OutputQueue q;
  q.Append("anyone there?");
  auto n = q.WriteTo(p.a.get());
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kUnavailable) << n.status();
  EXPECT_FALSE(q.empty());  // nothing was consumed
}

TEST(OutputQueueTest, PrepareAppendFormatsInPlace) {
  OutputQueue q;
  q.Append("a");
  char* p = q.PrepareAppend(10);
  p[0] = 'b';
  p[1] = 'c';
  q.CommitAppend(2);
  EXPECT_EQ(q.ToString(), "abc");
  EXPECT_EQ(q.piece_count(), 1u);
}

// ---- BufferCache: how empty buffers are handed back without costing mallocs

TEST(BufferCacheTest, BlocksAreRoundedToTheirClassAndReused) {
  BufferCache::TrimThread();
  EXPECT_EQ(BufferCache::BlockSize(1), BufferCache::kMinBlock);
  EXPECT_EQ(BufferCache::BlockSize(16 * 1024), 16 * 1024u);
  EXPECT_EQ(BufferCache::BlockSize(16 * 1024 + 1), 32 * 1024u);
  EXPECT_EQ(BufferCache::BlockSize(BufferCache::kMaxBlock + 1), BufferCache::kMaxBlock + 1);
  char* a = BufferCache::Take(10000);
  BufferCache::Give(a, BufferCache::BlockSize(10000));
  EXPECT_EQ(BufferCache::ThreadUsage().blocks, 1u);
  EXPECT_EQ(BufferCache::ThreadUsage().bytes, 16 * 1024u);
  // Same class: the same block comes back; another class: a new one.
  EXPECT_EQ(BufferCache::Take(16 * 1024), a);
  EXPECT_EQ(BufferCache::ThreadUsage().blocks, 0u);
  char* b = BufferCache::Take(4096);
  EXPECT_NE(b, a);
  BufferCache::Give(a, 16 * 1024);
  BufferCache::Give(b, 4096);
  // Blocks above the largest class are never cached.
  char* big = BufferCache::Take(BufferCache::kMaxBlock + 1);
  BufferCache::Give(big, BufferCache::kMaxBlock + 1);
  EXPECT_EQ(BufferCache::ThreadUsage().blocks, 2u);
  BufferCache::TrimThread();
  EXPECT_EQ(BufferCache::ThreadUsage().bytes, 0u);
}

TEST(BufferCacheTest, KeepsNoMoreThanItsBudget) {
  BufferCache::TrimThread();
  std::vector<char*> blocks;
  const size_t n = BufferCache::kMaxCachedBytesPerThread / BufferCache::kMaxBlock + 3;
  for (size_t i = 0; i < n; ++i) blocks.push_back(BufferCache::Take(BufferCache::kMaxBlock));
  for (char* b : blocks) BufferCache::Give(b, BufferCache::kMaxBlock);
  EXPECT_LE(BufferCache::ThreadUsage().bytes, BufferCache::kMaxCachedBytesPerThread);
  EXPECT_EQ(BufferCache::ThreadUsage().blocks, n - 3);
  BufferCache::TrimThread();
}

TEST(BufferCacheTest, EmptyBuffersHandTheirStorageBack) {
  BufferCache::TrimThread();
  ReadBuffer in(SmallBuffer(16 * 1024, 1 << 20));
  ASSERT_TRUE(in.Append("get k\r\n").ok());
  EXPECT_EQ(in.capacity(), 16 * 1024u);
  EXPECT_FALSE(in.ReleaseIfEmpty());  // not empty: kept
  in.Consume(in.size());
  EXPECT_TRUE(in.ReleaseIfEmpty());
  EXPECT_EQ(in.capacity(), 0u);
  EXPECT_EQ(BufferCache::ThreadUsage().bytes, 16 * 1024u);

  OutputQueue out;
  out.Append("VALUE k 0 1\r\nv\r\nEND\r\n");
  // The reply's scratch came from the cache (the read buffer's block is a
  // different class, so the cache still holds it).
  EXPECT_EQ(BufferCache::ThreadUsage().bytes, 16 * 1024u);
  out.Consume(out.size());  // written: the scratch goes back
  EXPECT_EQ(BufferCache::ThreadUsage().bytes, 16 * 1024u + BufferCache::kMinBlock);
  out.Append("again");
  EXPECT_EQ(out.ToString(), "again");
  EXPECT_EQ(BufferCache::ThreadUsage().bytes, 16 * 1024u);
  out.Clear();
  BufferCache::TrimThread();
}

}  // namespace
}  // namespace net
}  // namespace memkit
