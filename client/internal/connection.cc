#include "client/internal/connection.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {
namespace {

// A reply is read with as few recv() calls as the kernel allows: each read
// offers at least kMinRead bytes of room, in a buffer that starts at
// kInitialInput (allocated on the first read) and grows only for a reply that
// does not fit.
constexpr size_t kInitialInput = 64 * 1024;
constexpr size_t kMinRead = 16 * 1024;
// Requests are encoded into a buffer reserved at kInitialOutput on connect,
// so ordinary batches never reallocate it: a growth that depends on how many
// digits this connection's meta opaques have reached would make the steady
// state allocate once in a while.
constexpr size_t kInitialOutput = 16 * 1024;

std::string ServerName(const hash::ServerSpec& spec) {
  if (spec.unix_socket) return spec.host;
  if (spec.host.find(':') != std::string::npos) {
    return absl::StrCat("[", spec.host, "]:", spec.port);
  }
  return absl::StrCat(spec.host, ":", spec.port);
}

absl::Status SetTimeout(int fd, int option, absl::Duration d) {
  struct timeval tv = absl::ToTimeval(d);
  if (d == absl::InfiniteDuration()) tv = {0, 0};
  if (tv.tv_sec == 0 && tv.tv_usec == 0 && d > absl::ZeroDuration()) tv.tv_usec = 1;
  if (setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) != 0) {
    return net::ErrnoStatus(errno, "setsockopt timeout");
  }
  return absl::OkStatus();
}

}  // namespace

void InputBuffer::Consume(size_t n) {
  start_ += n;
  if (start_ == end_) start_ = end_ = 0;
}

char* InputBuffer::Reserve(size_t n) {
  if (capacity_ - end_ >= n) return buf_.get() + end_;
  const size_t live = end_ - start_;
  if (start_ > 0 && capacity_ - live >= n && live <= capacity_ / 2) {
    std::memmove(buf_.get(), buf_.get() + start_, live);
  } else {
    size_t cap = std::max(kInitialInput, capacity_);
    while (cap - live < n) cap *= 2;
    std::unique_ptr<char[]> grown(new char[cap]);
    if (live > 0) std::memcpy(grown.get(), buf_.get() + start_, live);
    buf_ = std::move(grown);
    capacity_ = cap;
  }
  start_ = 0;
  end_ = live;
  return buf_.get() + end_;
}

Connection::Connection(hash::ServerSpec spec, const SocketOptions& options)
    : spec_(std::move(spec)), options_(options), name_(ServerName(spec_)) {}

absl::Status Connection::Connect() {
  if (fd_.valid()) return absl::OkStatus();
  if (!resolved_) {
    absl::StatusOr<net::Address> address;
    if (spec_.unix_socket) {
      address = net::Address::Unix(spec_.host);
    } else {
      net::ResolveOptions ro;
      ro.default_port = spec_.port;
      address = net::ResolveOne(ServerName(spec_), ro);
    }
    if (!address.ok()) {
      return McError(McCode::kConnectionError,
                     absl::StrCat("server ", name_, ": ", address.status().message()));
    }
    address_ = *address;
    resolved_ = true;
  }
  net::ConnectOptions co;
  co.nodelay = options_.tcp_nodelay;
  auto fd = net::ConnectWithTimeout(address_, options_.connect_timeout, co);
  if (!fd.ok()) {
    McCode code = absl::IsDeadlineExceeded(fd.status()) ? McCode::kTimeout
                                                        : McCode::kConnectionError;
    return McError(code, absl::StrCat("server ", name_, ": ", fd.status().message()));
  }
  int raw = fd->get();
  absl::Status s = SetTimeout(raw, SO_RCVTIMEO, options_.io_timeout);
  if (s.ok()) s = SetTimeout(raw, SO_SNDTIMEO, options_.io_timeout);
  if (s.ok() && options_.tcp_keepalive) s = net::SetKeepAlive(raw);
  if (s.ok() && options_.send_buffer > 0) s = net::SetSendBufferSize(raw, options_.send_buffer);
  if (s.ok() && options_.receive_buffer > 0) {
    s = net::SetReceiveBufferSize(raw, options_.receive_buffer);
  }
  if (!s.ok()) {
    return McError(McCode::kConnectionError, absl::StrCat("server ", name_, ": ", s.message()));
  }
  fd_ = std::move(*fd);
  out_.clear();
  out_.reserve(kInitialOutput);
  out_sent_ = 0;
  in_.Clear();
  return absl::OkStatus();
}

void Connection::Close() {
  fd_.reset();
  out_.clear();
  out_sent_ = 0;
  in_.Clear();
}

absl::Status Connection::IoError(int err, absl::string_view what) const {
  if (err == EAGAIN || err == EWOULDBLOCK) return TimeoutError();
  if (err == 0) {
    return McError(McCode::kConnectionError,
                   absl::StrCat("server ", name_, ": connection closed by the server"));
  }
  return McError(McCode::kConnectionError,
                 absl::StrCat("server ", name_, ": ", what, ": ", strerror(err)));
}

absl::Status Connection::TimeoutError() const {
  return McError(McCode::kTimeout, absl::StrCat("server ", name_, ": no progress within ",
                                                absl::FormatDuration(options_.io_timeout)));
}

absl::Status Connection::SendAll() {
  while (out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_.get(), out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(errno, "send");
    }
    out_sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  return absl::OkStatus();
}

absl::Status Connection::Receive(int flags, bool* would_block, bool* filled) {
  *would_block = false;
  *filled = false;
  char* p = in_.Reserve(kMinRead);
  const size_t room = in_.room();
  for (;;) {
    ssize_t n = ::recv(fd_.get(), p, room, flags);
    if (n > 0) {
      in_.Commit(static_cast<size_t>(n));
      *filled = static_cast<size_t>(n) == room;
      return absl::OkStatus();
    }
    if (n == 0) return IoError(0, "recv");
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && (flags & MSG_DONTWAIT)) {
      *would_block = true;
      return absl::OkStatus();
    }
    return IoError(errno, "recv");
  }
}

absl::Status Connection::ReceiveSome() {
  bool would_block, filled;
  return Receive(0, &would_block, &filled);
}

IoResult Connection::TrySend(absl::Status* error) {
  bool progress = false;
  while (out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_.get(), out_.data() + out_sent_, out_.size() - out_sent_,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return progress ? IoResult::kProgress : IoResult::kWouldBlock;
      }
      *error = IoError(errno, "send");
      return IoResult::kFailed;
    }
    out_sent_ += static_cast<size_t>(n);
    progress = true;
  }
  out_.clear();
  out_sent_ = 0;
  return IoResult::kProgress;
}

IoResult Connection::TryReceive(absl::Status* error, bool* filled) {
  bool would_block;
  absl::Status s = Receive(MSG_DONTWAIT, &would_block, filled);
  if (!s.ok()) {
    *error = std::move(s);
    return IoResult::kFailed;
  }
  return would_block ? IoResult::kWouldBlock : IoResult::kProgress;
}

}  // namespace internal
}  // namespace client
}  // namespace memkit
