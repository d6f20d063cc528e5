#include "proxy/backend_conn.h"

#include <poll.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_response_parser.h"

namespace memkit {
namespace proxy {
namespace {

using protocol::AsciiResponseKind;

bool IsErrorKind(AsciiResponseKind k) {
  return k == AsciiResponseKind::kError || k == AsciiResponseKind::kClientError ||
         k == AsciiResponseKind::kServerError;
}

// What a storage, delete, arithmetic, touch, meta, flush_all or verbosity
// request can be answered with.
bool IsSingleReplyKind(AsciiResponseKind k) {
  switch (k) {
    case AsciiResponseKind::kStored:
    case AsciiResponseKind::kNotStored:
    case AsciiResponseKind::kExists:
    case AsciiResponseKind::kNotFound:
    case AsciiResponseKind::kDeleted:
    case AsciiResponseKind::kTouched:
    case AsciiResponseKind::kOk:
    case AsciiResponseKind::kNumber:
    case AsciiResponseKind::kMeta:
    case AsciiResponseKind::kMetaDebug:
      return true;
    default:
      return IsErrorKind(k);
  }
}

bool IsMissElement(const protocol::AsciiResponse& r) {
  if (r.kind == AsciiResponseKind::kNotFound) return true;
  return r.kind == AsciiResponseKind::kMeta &&
         (r.meta_code == protocol::MetaCode::kEN || r.meta_code == protocol::MetaCode::kNF);
}

}  // namespace

void BackendConn::Sink::Append(absl::string_view bytes) {
  if (c_->state_ == State::kConnected) {
    c_->conn_->output().Append(bytes);
  } else {
    c_->unsent_.append(bytes.data(), bytes.size());
  }
}

BackendConn::BackendConn(net::EventLoop* loop, const net::Address& address,
                         const BackendOptions& options, Observer* observer)
    : loop_(loop), address_(address), options_(options), observer_(observer) {}

BackendConn::~BackendConn() {
  // Whoever destroys a worker's connections answers nothing more: the loop
  // has stopped. Callbacks still run so no Exchange stays unfinished.
  if (state_ == State::kConnected) observer_->OnConnectionCountChange(-1);
  std::deque<Op> ops;
  ops.swap(ops_);
  BackendReply reply;
  reply.status = absl::UnavailableError("proxy shutting down");
  for (Op& op : ops) op.done(reply);
}

void BackendConn::Send(ReplyShape shape, ReplyCallback done) {
  Op op;
  op.shape = shape;
  op.done = std::move(done);
  op.start_ns = loop_->cached_now_ns();
  ops_.push_back(std::move(op));
  switch (state_) {
    case State::kIdle:
      StartConnect();
      break;
    case State::kConnecting:
      break;
    case State::kConnected:
      observer_->OnPendingOutput(this);
      break;
  }
}

void BackendConn::Flush() {
  if (state_ == State::kConnected) conn_->Flush();
}

void BackendConn::StartConnect() {
  state_ = State::kConnecting;
  connect_ = net::AsyncConnect::Start(
      loop_, address_, options_.connect_timeout,
      [this](absl::StatusOr<net::UniqueFd> fd) { OnConnected(std::move(fd)); });
}

void BackendConn::OnConnected(absl::StatusOr<net::UniqueFd> fd) {
  // `connect_` called us; it may be destroyed, but not inside its callback
  // while we still use it: release it on the next turn.
  net::AsyncConnect* finished = connect_.release();
  loop_->RunAfter(absl::ZeroDuration(), [finished] { delete finished; });
  if (!fd.ok()) {
    Fail(absl::Status(fd.status().code(),
                      absl::StrCat("connect to ", address_.ToString(), ": ", fd.status().message())));
    return;
  }
  net::Connection::Options co;
  co.read_buffer.max_capacity = options_.max_reply_bytes;
  auto conn = net::Connection::Create(loop_, std::move(*fd), this, co);
  if (!conn.ok()) {
    Fail(absl::UnavailableError(absl::StrCat("backend ", address_.ToString(), ": ",
                                             conn.status().message())));
    return;
  }
  conn_ = std::move(*conn);
  state_ = State::kConnected;
  observer_->OnConnectionCountChange(1);
  if (!unsent_.empty()) {
    conn_->output().Append(unsent_);
    unsent_.clear();
    conn_->Flush();
  }
}

void BackendConn::Fail(const absl::Status& status) {
  const bool had_work = !ops_.empty() || state_ == State::kConnecting;
  if (state_ == State::kConnected) observer_->OnConnectionCountChange(-1);
  if (conn_ != nullptr) {
    net::Connection* c = conn_.get();
    closing_.push_back(std::move(conn_));
    c->Close(status);  // OnClose follows on a later turn and frees it
  }
  connect_.reset();
  state_ = State::kIdle;
  unsent_.clear();
  std::deque<Op> ops;
  ops.swap(ops_);
  if (had_work) observer_->OnBackendFailure(status);
  BackendReply reply;
  reply.status = status;
  for (Op& op : ops) op.done(reply);
}

void BackendConn::CheckTimeout(int64_t now_ns) {
  if (ops_.empty()) return;
  const int64_t age = now_ns - ops_.front().start_ns;
  const int64_t limit = absl::ToInt64Nanoseconds(options_.read_timeout);
  if (age > limit) {
    // The reply may be in the socket already, unread because this loop was
    // busy (a starved CPU): read it on the next turn rather than fail a
    // server that answered. Up to twice the timeout: a server dripping
    // bytes still fails then.
    if (age <= 2 * limit && state_ == State::kConnected && conn_ != nullptr) {
      pollfd p = {conn_->fd(), POLLIN, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0) return;
    }
    Fail(absl::DeadlineExceededError(absl::StrCat(
        "backend ", address_.ToString(), " did not answer within ",
        absl::FormatDuration(state_ == State::kConnecting ? options_.connect_timeout
                                                           : options_.read_timeout))));
  }
}

BackendConn::Parse BackendConn::ParseReply(Op& op, absl::string_view data, size_t* end,
                                           BackendReply* reply) {
  const bool binary = op.shape == ReplyShape::kBinary || op.shape == ReplyShape::kBinaryUntilNoop;
  if (binary) {
    protocol::BinaryResponse resp;
    while (true) {
      protocol::ParseResult r = protocol::ParseBinaryResponse(data.substr(op.parsed), {}, &resp);
      if (r.incomplete()) return Parse::kMore;
      if (!r.ok()) return Parse::kBad;
      const size_t at = op.parsed;
      op.parsed += r.consumed;
      if (op.shape == ReplyShape::kBinary) {
        reply->bytes = data.substr(0, op.parsed);
        reply->binary_status = resp.status_code;
        reply->miss = resp.status_code == 1;
        *end = op.parsed;
        return Parse::kDone;
      }
      if (resp.opcode == protocol::BinaryOpcode::kNoop) {
        reply->bytes = data.substr(0, at);
        *end = op.parsed;
        return Parse::kDone;
      }
      reply->binary_status = resp.status_code;
      reply->miss = resp.status_code == 1;
    }
  }
  protocol::AsciiResponse resp;
  protocol::AsciiResponseParserOptions po;
  po.max_value_size = options_.max_reply_bytes;
  while (true) {
    protocol::ParseResult r = protocol::ParseAsciiResponse(data.substr(op.parsed), po, &resp);
    if (r.incomplete()) return Parse::kMore;
    if (!r.ok()) return Parse::kBad;
    const size_t at = op.parsed;
    op.parsed += r.consumed;
    switch (op.shape) {
      case ReplyShape::kTextLine:
        // A line no command the proxy sends on this shape is answered with
        // (a server gone wrong, or not a memcached): fail the connection
        // rather than hand the client something memcached would not say.
        if (!IsSingleReplyKind(resp.kind)) return Parse::kBad;
        reply->bytes = data.substr(0, op.parsed);
        reply->text_error = IsErrorKind(resp.kind);
        reply->miss = IsMissElement(resp);
        *end = op.parsed;
        return Parse::kDone;
      case ReplyShape::kTextGet:
        if (resp.kind == AsciiResponseKind::kValue) {
          op.value_keys.emplace_back(resp.key.data() - data.data(), resp.key.size());
          op.value_bytes.emplace_back(at, r.consumed);
          continue;
        }
        if (resp.kind == AsciiResponseKind::kEnd || IsErrorKind(resp.kind)) {
          reply->bytes = data.substr(0, op.parsed);
          reply->text_error = IsErrorKind(resp.kind);
          values_scratch_.clear();
          for (size_t i = 0; i < op.value_keys.size(); ++i) {
            values_scratch_.push_back(
                {data.substr(op.value_keys[i].first, op.value_keys[i].second),
                 data.substr(op.value_bytes[i].first, op.value_bytes[i].second)});
          }
          reply->values = values_scratch_;
          *end = op.parsed;
          return Parse::kDone;
        }
        return Parse::kBad;
      case ReplyShape::kTextUntilMn:
        if (resp.kind == AsciiResponseKind::kMeta && resp.meta_code == protocol::MetaCode::kMN) {
          reply->bytes = data.substr(0, at);
          *end = op.parsed;
          return Parse::kDone;
        }
        reply->text_error = IsErrorKind(resp.kind);
        reply->miss = IsMissElement(resp);
        continue;
      default:
        return Parse::kBad;
    }
  }
}

void BackendConn::OnData(net::Connection* conn) {
  if (conn != conn_.get()) return;
  net::ReadBuffer& in = conn->input();
  while (!ops_.empty() && !in.empty()) {
    BackendReply reply;
    size_t end = 0;
    const Parse p = ParseReply(ops_.front(), in.data(), &end, &reply);
    if (p == Parse::kMore) return;
    if (p == Parse::kBad) {
      Fail(absl::UnavailableError(
          absl::StrCat("backend ", address_.ToString(), " sent an unparseable reply")));
      return;
    }
    Op op = std::move(ops_.front());
    ops_.pop_front();
    observer_->OnBackendSuccess();
    op.done(reply);
    in.Consume(end);
  }
  if (ops_.empty() && !in.empty()) {
    Fail(absl::UnavailableError(
        absl::StrCat("backend ", address_.ToString(), " sent bytes nobody asked for")));
  }
}

void BackendConn::OnClose(net::Connection* conn, const absl::Status& status) {
  if (conn == conn_.get()) {
    absl::Status why = status.ok() ? absl::UnavailableError(absl::StrCat(
                                         "backend ", address_.ToString(), " closed the connection"))
                                   : absl::Status(absl::StatusCode::kUnavailable,
                                                  absl::StrCat("backend ", address_.ToString(),
                                                               ": ", status.message()));
    Fail(why);
  }
  for (size_t i = 0; i < closing_.size(); ++i) {
    if (closing_[i].get() == conn) {
      closing_.erase(closing_.begin() + i);
      break;
    }
  }
}

}  // namespace proxy
}  // namespace memkit
