#include "core/net/connector.h"

#include <errno.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status/status.h"

namespace memkit {
namespace net {

AsyncConnect::AsyncConnect(EventLoop* loop, const Address& address, Callback done,
                           ConnectOptions options)
    : loop_(loop), address_(address), options_(options), done_(std::move(done)) {}

std::unique_ptr<AsyncConnect> AsyncConnect::Start(EventLoop* loop, const Address& address,
                                                  absl::Duration timeout, Callback done,
                                                  const ConnectOptions& options) {
  std::unique_ptr<AsyncConnect> c(new AsyncConnect(loop, address, std::move(done), options));
  AsyncConnect* self = c.get();
  // Results known already are still delivered on a later turn, so `done`
  // never runs inside Start() (where the caller may not be ready for it).
  auto defer = [self](absl::StatusOr<UniqueFd> result) {
    self->early_result_ = std::move(result);
    self->timer_ = self->loop_->RunAfter(absl::ZeroDuration(), [self] {
      self->timer_ = 0;
      self->Finish(std::move(self->early_result_));
    });
  };

  auto fd = NewStreamSocket(address, /*nonblocking=*/true);
  if (!fd.ok()) {
    defer(fd.status());
    return c;
  }
  c->fd_ = std::move(*fd);
  int rc;
  do {
    rc = ::connect(c->fd_.get(), address.sockaddr(), address.sockaddr_len());
  } while (rc < 0 && errno == EINTR);
  const std::string what = absl::StrCat("connect to ", address.ToString());
  if (rc == 0) {
    // Unix sockets (and sometimes loopback) connect at once.
    if (options.nodelay && address.is_ip()) (void)SetNoDelay(c->fd_.get(), true);
    defer(std::move(c->fd_));
    return c;
  }
  if (errno != EINPROGRESS) {
    defer(ErrnoStatus(errno, what));
    c->fd_.reset();
    return c;
  }
  absl::Status s = loop->Watch(c->fd_.get(), EventLoop::kWritable, c.get());
  if (!s.ok()) {
    defer(s);
    c->fd_.reset();
    return c;
  }
  c->watching_ = true;
  if (timeout != absl::InfiniteDuration()) {
    c->timer_ = loop->RunAfter(timeout, [self, what] {
      self->timer_ = 0;
      self->Finish(TimeoutError(absl::StrCat(what, ": timed out")));
    });
  }
  return c;
}

AsyncConnect::~AsyncConnect() {
  if (watching_) loop_->Unwatch(this);
  if (timer_ != 0) loop_->CancelTimer(timer_);
}

void AsyncConnect::OnIoReady(uint32_t events) {
  (void)events;  // SO_ERROR says how the connect ended, whatever the bits.
  absl::Status s = SocketError(fd_.get(), absl::StrCat("connect to ", address_.ToString()));
  if (!s.ok()) {
    Finish(s);
    return;
  }
  if (options_.nodelay && address_.is_ip()) (void)SetNoDelay(fd_.get(), true);
  Finish(std::move(fd_));
}

void AsyncConnect::Finish(absl::StatusOr<UniqueFd> result) {
  if (!done_) return;
  if (watching_) {
    loop_->Unwatch(this);
    watching_ = false;
  }
  if (timer_ != 0) {
    loop_->CancelTimer(timer_);
    timer_ = 0;
  }
  fd_.reset();  // a failed socket; a connected one was moved into `result`
  Callback done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));  // may destroy *this: nothing after this line
}

}  // namespace net
}  // namespace memkit
