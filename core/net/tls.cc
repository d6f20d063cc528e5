#include "core/net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace net {
namespace {

SSL_CTX* Ctx(void* p) { return static_cast<SSL_CTX*>(p); }

// OpenSSL's oldest queued error, as memcached prints it
// (ERR_error_string(ERR_get_error())); the queue is then cleared.
std::string OpenSslErrors() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

constexpr int kVersions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};

// OpenSSL's own socket BIO writes with write(2): a peer that has gone away
// raises SIGPIPE, which kills a process (a test, a program embedding the
// server) that has not ignored it. This BIO is the same socket I/O with
// send(MSG_NOSIGNAL), as net::OutputQueue writes plain connections.
int FdOf(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

bool Retriable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

int SocketWrite(BIO* b, const char* data, int len) {
  const ssize_t n = ::send(FdOf(b), data, static_cast<size_t>(len), MSG_NOSIGNAL);
  BIO_clear_retry_flags(b);
  if (n < 0 && Retriable(errno)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int SocketRead(BIO* b, char* data, int len) {
  const ssize_t n = ::recv(FdOf(b), data, static_cast<size_t>(len), 0);
  BIO_clear_retry_flags(b);
  if (n < 0 && Retriable(errno)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long SocketCtrl(BIO* b, int cmd, long num, void* ptr) {  // NOLINT(runtime/int): OpenSSL's type
  (void)b, (void)num, (void)ptr;
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

const BIO_METHOD* NoSigpipeSocket() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "memkit socket");
    BIO_meth_set_write(m, SocketWrite);
    BIO_meth_set_read(m, SocketRead);
    BIO_meth_set_ctrl(m, SocketCtrl);
    return m;
  }();
  return method;
}

}  // namespace

class TlsTransport final : public Transport {
 public:
  TlsTransport(TlsContext* context, SSL* ssl) : context_(context), ssl_(ssl) {}
  ~TlsTransport() override { SSL_free(ssl_); }

  absl::StatusOr<ssize_t> Read(char* buf, size_t len) override {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf, static_cast<int>(len > INT_MAX ? INT_MAX : len));
    if (n > 0) {
      want_writable_ = false;
      NoteHandshake();
      return n;
    }
    return Fail(n, /*reading=*/true);
  }

  absl::StatusOr<size_t> Write(absl::string_view data) override {
    // A retried SSL_write must offer what the failed one did.
    if (retry_len_ > 0 && data.size() > retry_len_) data = data.substr(0, retry_len_);
    if (data.size() > INT_MAX) data = data.substr(0, INT_MAX);
    ERR_clear_error();
    const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (n > 0) {
      retry_len_ = 0;
      want_writable_ = false;
      NoteHandshake();
      return static_cast<size_t>(n);
    }
    absl::StatusOr<ssize_t> r = Fail(n, /*reading=*/false);
    if (!r.ok()) return r.status();
    if (*r == 0) return absl::UnavailableError("TLS peer closed the connection");
    retry_len_ = data.size();
    return size_t{0};
  }

  bool WantsWritable() const override { return want_writable_; }
  bool HasBufferedInput() const override { return SSL_pending(ssl_) > 0; }

  void Shutdown() override {
    if (shut_ || !SSL_is_init_finished(ssl_)) return;
    shut_ = true;
    ERR_clear_error();
    (void)SSL_shutdown(ssl_);  // sends close_notify if the socket takes it
    ERR_clear_error();
  }

 private:
  void NoteHandshake() {
    if (handshake_done_ || !SSL_is_init_finished(ssl_)) return;
    handshake_done_ = true;
    if (!SSL_session_reused(ssl_)) context_->new_sessions_.fetch_add(1, std::memory_order_relaxed);
  }

  // A non-positive SSL_read/SSL_write result: kWouldBlock, 0 (end of
  // stream), or an error.
  absl::StatusOr<ssize_t> Fail(int n, bool reading) {
    const int saved_errno = errno;
    const int error = SSL_get_error(ssl_, n);
    switch (error) {
      case SSL_ERROR_WANT_READ:
        want_writable_ = false;
        return kWouldBlock;
      case SSL_ERROR_WANT_WRITE:
        want_writable_ = true;
        return kWouldBlock;
      case SSL_ERROR_ZERO_RETURN:
        return 0;
      default:
        break;
    }
    if (!SSL_is_init_finished(ssl_)) {
      context_->handshake_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      if (saved_errno == 0) return 0;  // EOF without close_notify
      return absl::UnavailableError(absl::StrCat("TLS ", reading ? "read" : "write", ": ",
                                                 std::strerror(saved_errno)));
    }
    return absl::UnavailableError(absl::StrCat("TLS ", SSL_is_init_finished(ssl_) ? "" :
                                               "handshake ", "error: ", OpenSslErrors()));
  }

  TlsContext* const context_;
  SSL* const ssl_;
  size_t retry_len_ = 0;
  bool want_writable_ = false;
  bool handshake_done_ = false;
  bool shut_ = false;
};

namespace {

// A configured SSL_CTX, or the reason (memcached's wording) it could not be.
absl::StatusOr<SSL_CTX*> BuildCtx(const TlsOptions& o) {
  if (o.min_version < 0 || o.min_version > 3) {
    return absl::InvalidArgumentError("ssl_min_version must be 0 to 3");
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  auto fail = [&](absl::string_view what, const std::string& file) {
    const std::string reason = OpenSslErrors();
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", file.empty() ? "(null)" : file, " : ", reason));
  };
  SSL_CTX_set_min_proto_version(ctx, kVersions[o.min_version]);
  if (o.chain_cert.empty() || SSL_CTX_use_certificate_chain_file(ctx, o.chain_cert.c_str()) != 1) {
    return fail("Error loading the certificate chain", o.chain_cert);
  }
  const std::string& key = o.key.empty() ? o.chain_cert : o.key;
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("Error loading the key", key);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("Error validating the certificate", o.chain_cert);
  }
  if (!o.ca_cert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.ca_cert.c_str(), nullptr) != 1) {
      return fail("Error loading the CA certificate", o.ca_cert);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_cert.c_str());
    if (names == nullptr) return fail("Error loading the CA certificate", o.ca_cert);
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  int verify = SSL_VERIFY_NONE;
  switch (o.verify_mode) {
    case 0:
      break;
    case 1:
      verify = SSL_VERIFY_PEER;
      break;
    case 2:
      verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
    case 3:
      verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
      break;
    default:
      SSL_CTX_free(ctx);
      return absl::InvalidArgumentError("ssl_verify_mode must be 0 to 3");
  }
  SSL_CTX_set_verify(ctx, verify, nullptr);
  if (!o.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, o.ciphers.c_str()) != 1) {
    return fail("Error setting the ciphers", o.ciphers);
  }
  if (o.session_cache) {
    static const unsigned char kSessionContext[] = "memkit";
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  // The connection's queue may move between retries and may be written in
  // parts; a peer that closes without close_notify is an ordinary EOF.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  absl::StatusOr<SSL_CTX*> ctx = BuildCtx(options);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<TlsContext>(new TlsContext(options, *ctx));
}

absl::Status TlsContext::Reload() {
  absl::StatusOr<SSL_CTX*> ctx = BuildCtx(options_);
  if (!ctx.ok()) return ctx.status();
  SSL_CTX* old;
  {
    MutexLock lock(&mu_);
    old = Ctx(ctx_);
    ctx_ = *ctx;
  }
  SSL_CTX_free(old);  // open connections hold their own references
  return absl::OkStatus();
}



TlsContext::~TlsContext() {
  MutexLock lock(&mu_);
  SSL_CTX_free(Ctx(ctx_));
}

absl::StatusOr<std::unique_ptr<Transport>> TlsContext::NewServerTransport(int fd) {
  ERR_clear_error();
  SSL* ssl;
  {
    MutexLock lock(&mu_);
    ssl = SSL_new(Ctx(ctx_));
  }
  if (ssl == nullptr) return absl::ResourceExhaustedError(absl::StrCat("SSL_new: ", OpenSslErrors()));
  BIO* bio = BIO_new(NoSigpipeSocket());
  if (bio == nullptr) {
    SSL_free(ssl);
    return absl::ResourceExhaustedError(absl::StrCat("BIO_new: ", OpenSslErrors()));
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns it now
  SSL_set_accept_state(ssl);
  return std::unique_ptr<Transport>(new TlsTransport(this, ssl));
}

}  // namespace net
}  // namespace memkit
