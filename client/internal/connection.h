// One client connection to one memcached server: the socket, one contiguous
// output buffer (a whole batch goes out with one send), and an input buffer
// the codecs parse in place.
//
// The socket stays in blocking mode with SO_RCVTIMEO / SO_SNDTIMEO set to the
// I/O timeout, so a lone request costs exactly one send() and one recv();
// batches over several servers use MSG_DONTWAIT and poll() (cluster.cc),
// reading each ready server with one large recv() (again at once only when
// that filled the buffer).
//
// Thread-compatible: owned by one Client.

#ifndef MEMKIT_CLIENT_INTERNAL_CONNECTION_H_
#define MEMKIT_CLIENT_INTERNAL_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/hash/server_spec.h"
#include "core/net/address.h"
#include "core/net/socket.h"

namespace memkit {
namespace client {
namespace internal {

// A growable byte buffer with a consumed front: bytes are appended at the
// back by recv() and consumed from the front by the codecs.
class InputBuffer {
 public:
  absl::string_view data() const { return absl::string_view(buf_.get() + start_, end_ - start_); }
  size_t size() const { return end_ - start_; }
  void Consume(size_t n);
  // Room for at least `n` more bytes at the back; returns where to write.
  char* Reserve(size_t n);
  size_t room() const { return capacity_ - end_; }
  void Commit(size_t n) { end_ += n; }
  void Clear() { start_ = end_ = 0; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
};

struct SocketOptions {
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration io_timeout = absl::Seconds(1);
  bool tcp_nodelay = true;
  bool tcp_keepalive = false;
  int send_buffer = 0;
  int receive_buffer = 0;
};

// Outcome of one I/O attempt.
enum class IoResult { kProgress, kWouldBlock, kFailed };

class Connection {
 public:
  Connection(hash::ServerSpec spec, const SocketOptions& options);

  // "host:port" or the unix path: how statuses name this server.
  const std::string& name() const { return name_; }
  const hash::ServerSpec& spec() const { return spec_; }
  bool connected() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

  // Connects if not connected. Errors name the server.
  absl::Status Connect();
  // Drops the socket and anything buffered.
  void Close();

  // Pending output and its sent part.
  std::string& out() { return out_; }
  bool has_output() const { return out_sent_ < out_.size(); }
  InputBuffer& in() { return in_; }
  uint32_t* next_opaque() { return &next_opaque_; }

  // Sends all pending output, blocking (up to the I/O timeout per call).
  absl::Status SendAll();
  // Receives at least one byte, blocking up to the I/O timeout.
  absl::Status ReceiveSome();

  // Non-blocking forms for the poll loop; on kFailed, *error is set.
  // TryReceive sets *filled when the read used all the room it was offered,
  // i.e. more bytes are likely waiting.
  IoResult TrySend(absl::Status* error);
  IoResult TryReceive(absl::Status* error, bool* filled);

  // Errors that name the server.
  absl::Status IoError(int err, absl::string_view what) const;
  absl::Status TimeoutError() const;

 private:
  absl::Status Receive(int flags, bool* would_block, bool* filled);

  const hash::ServerSpec spec_;
  const SocketOptions options_;
  const std::string name_;
  net::Address address_;  // resolved on first connect
  bool resolved_ = false;
  net::UniqueFd fd_;
  std::string out_;
  size_t out_sent_ = 0;
  InputBuffer in_;
  uint32_t next_opaque_ = 1;
};

}  // namespace internal
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_CONNECTION_H_
