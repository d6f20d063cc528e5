#include "core/net/test_util.h"

#include <errno.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/net/internal/mono_time.h"

namespace memkit {
namespace net {
namespace testing {

bool RunLoopUntil(EventLoop* loop, absl::FunctionRef<bool()> done, absl::Duration timeout) {
  const int64_t deadline =
      internal::DeadlineAfter(internal::MonotonicNanos(), internal::ToNanosSaturated(timeout));
  while (!done()) {
    if (internal::MonotonicNanos() >= deadline) return done();
    loop->RunOnce(absl::Milliseconds(20));
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Blackhole>> Blackhole::Create() {
  std::unique_ptr<Blackhole> b(new Blackhole());
  Listener::Options options;
  options.backlog = 0;
  auto listener = Listener::Create(Address::IPv4Loopback(0), options);
  if (!listener.ok()) return listener.status();
  b->listener_ = std::move(*listener);
  // Linux queues backlog + 1 connections and then drops SYNs. Fill until a
  // connect times out, which proves the next one will too.
  for (int i = 0; i < 16; ++i) {
    auto fd = ConnectWithTimeout(b->address(), absl::Milliseconds(200));
    if (fd.ok()) {
      b->fillers_.push_back(std::move(*fd));
      continue;
    }
    if (absl::IsDeadlineExceeded(fd.status())) return b;
    return fd.status();
  }
  return absl::InternalError("the listen queue never filled up");
}

absl::StatusOr<std::unique_ptr<RefusingAddress>> RefusingAddress::Create() {
  std::unique_ptr<RefusingAddress> r(new RefusingAddress());
  auto fd = NewStreamSocket(Address::IPv4Loopback(0), /*nonblocking=*/false);
  if (!fd.ok()) return fd.status();
  Address any_port = Address::IPv4Loopback(0);
  if (::bind(fd->get(), any_port.sockaddr(), any_port.sockaddr_len()) < 0) {
    return ErrnoStatus(errno, "bind");
  }
  auto local = LocalAddress(fd->get());
  if (!local.ok()) return local.status();
  r->fd_ = std::move(*fd);
  r->address_ = *local;
  return r;
}

bool HaveIPv6Loopback() {
  auto fd = NewStreamSocket(Address::IPv6Loopback(0), /*nonblocking=*/false);
  if (!fd.ok()) return false;
  Address a = Address::IPv6Loopback(0);
  return ::bind(fd->get(), a.sockaddr(), a.sockaddr_len()) == 0;
}

}  // namespace testing
}  // namespace net
}  // namespace memkit
