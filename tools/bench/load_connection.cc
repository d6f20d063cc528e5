#include "tools/bench/load_connection.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/protocol/binary_codes.h"

namespace memkit {
namespace bench {

using protocol::AsciiResponseKind;
using protocol::MetaCode;

LoadConnection::LoadConnection(const Workload* workload, RunStats* stats, net::UniqueFd fd,
                               uint64_t seed, uint64_t sequential_start)
    : workload_(workload),
      stats_(stats),
      fd_(std::move(fd)),
      rng_(seed),
      cursor_(sequential_start) {
  out_.reserve(64 * 1024);
  in_.reserve(64 * 1024);
}

void LoadConnection::Issue(int64_t start_ns) {
  const OpType type = workload_->NextOp(&rng_);
  uint32_t keys = 1;
  if (type == OpType::kMultiGet) keys = static_cast<uint32_t>(workload_->options().multiget_width);
  if (type == OpType::kSet) {
    EncodeSet();
  } else {
    EncodeGet(type, keys);
  }
  pending_.push_back(Pending{type, start_ns, keys});
  stats_->ops[static_cast<int>(type)].requests.fetch_add(1, std::memory_order_relaxed);
}

void LoadConnection::AppendBinaryHeader(uint8_t opcode, size_t key_len, size_t extras_len,
                                        size_t value_len) {
  const uint32_t body = static_cast<uint32_t>(key_len + extras_len + value_len);
  const char header[24] = {
      static_cast<char>(0x80), static_cast<char>(opcode),
      static_cast<char>(key_len >> 8), static_cast<char>(key_len & 0xff),
      static_cast<char>(extras_len), 0, 0, 0,
      static_cast<char>(body >> 24), static_cast<char>(body >> 16),
      static_cast<char>(body >> 8), static_cast<char>(body),
      0, 0, 0, 0,  // opaque
      0, 0, 0, 0, 0, 0, 0, 0};  // cas
  out_.append(header, sizeof(header));
}

void LoadConnection::EncodeGet(OpType type, uint32_t keys) {
  const WireProtocol protocol = workload_->options().protocol;
  const bool multi = type == OpType::kMultiGet;
  if (protocol == WireProtocol::kText) out_.append("get");
  for (uint32_t i = 0; i < keys; ++i) {
    key_.clear();
    workload_->AppendKey(workload_->NextKeyIndex(&rng_, &cursor_), &key_);
    switch (protocol) {
      case WireProtocol::kText:
        out_.push_back(' ');
        out_.append(key_);
        break;
      case WireProtocol::kMeta:
        absl::StrAppend(&out_, "mg ", key_, multi ? " v q\r\n" : " v\r\n");
        break;
      case WireProtocol::kBinary:
        AppendBinaryHeader(static_cast<uint8_t>(multi ? protocol::BinaryOpcode::kGetKQ
                                                      : protocol::BinaryOpcode::kGet),
                           key_.size(), 0, 0);
        out_.append(key_);
        break;
    }
  }
  if (protocol == WireProtocol::kText) out_.append("\r\n");
  if (multi && protocol == WireProtocol::kMeta) out_.append("mn\r\n");
  if (multi && protocol == WireProtocol::kBinary) {
    AppendBinaryHeader(static_cast<uint8_t>(protocol::BinaryOpcode::kNoop), 0, 0, 0);
  }
}

void LoadConnection::EncodeSet() {
  key_.clear();
  workload_->AppendKey(workload_->NextKeyIndex(&rng_, &cursor_), &key_);
  const absl::string_view value = workload_->Value(workload_->NextValueSize(&rng_));
  const int32_t exptime = workload_->options().exptime;
  switch (workload_->options().protocol) {
    case WireProtocol::kText:
      absl::StrAppend(&out_, "set ", key_, " 0 ", exptime, " ", value.size(), "\r\n");
      break;
    case WireProtocol::kMeta:
      absl::StrAppend(&out_, "ms ", key_, " ", value.size(), " T", exptime, "\r\n");
      break;
    case WireProtocol::kBinary: {
      AppendBinaryHeader(static_cast<uint8_t>(protocol::BinaryOpcode::kSet), key_.size(), 8,
                         value.size());
      const uint32_t e = static_cast<uint32_t>(exptime);
      const char extras[8] = {0, 0, 0, 0, static_cast<char>(e >> 24), static_cast<char>(e >> 16),
                              static_cast<char>(e >> 8), static_cast<char>(e)};
      out_.append(extras, sizeof(extras));
      out_.append(key_);
      out_.append(value.data(), value.size());
      return;
    }
  }
  out_.append(value.data(), value.size());
  out_.append("\r\n");
}

void LoadConnection::Flush() {
  while (ok() && out_sent_ < out_.size()) {
    const ssize_t n =
        ::send(fd_.get(), out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Fail(net::ErrnoStatus(errno, "send"));
      return;
    }
    out_sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
}

void LoadConnection::OnReadable(int64_t now_ns) {
  char chunk[64 * 1024];
  while (ok()) {
    const ssize_t n = ::read(fd_.get(), chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Fail(net::ErrnoStatus(errno, "read"));
      return;
    }
    if (n == 0) {
      Fail(absl::UnavailableError("the server closed the connection"));
      return;
    }
    in_.append(chunk, static_cast<size_t>(n));
    while (ok() && !pending_.empty() && ParseOne(now_ns)) {
    }
    if (static_cast<size_t>(n) < sizeof(chunk)) break;
  }
  if (in_consumed_ == in_.size()) {
    in_.clear();
    in_consumed_ = 0;
  } else if (in_consumed_ > in_.size() / 2) {
    in_.erase(0, in_consumed_);
    in_consumed_ = 0;
  }
}

bool LoadConnection::ParseOne(int64_t now_ns) {
  return workload_->options().protocol == WireProtocol::kBinary ? ParseBinary(now_ns)
                                                                : ParseAscii(now_ns);
}

bool LoadConnection::ParseAscii(int64_t now_ns) {
  const absl::string_view input = absl::string_view(in_).substr(in_consumed_);
  const protocol::ParseResult r = protocol::ParseAsciiResponse(input, ascii_options_, &ascii_);
  if (r.incomplete()) return false;
  if (!r.ok()) {
    Fail(ascii_.malformed_status());
    return false;
  }
  in_consumed_ += r.consumed;
  Pending& op = pending_.front();
  const bool meta = workload_->options().protocol == WireProtocol::kMeta;
  switch (ascii_.kind) {
    case AsciiResponseKind::kValue:
      ++op.hits;
      return true;
    case AsciiResponseKind::kEnd:
    case AsciiResponseKind::kStored:
    case AsciiResponseKind::kNotStored:
    case AsciiResponseKind::kExists:
    case AsciiResponseKind::kNotFound:
      Complete(now_ns);
      return true;
    case AsciiResponseKind::kMeta:
      if (ascii_.meta_code == MetaCode::kVA) ++op.hits;
      // A multi-get's quiet mg lines answer only hits; its mn ends it.
      if (op.type == OpType::kMultiGet && ascii_.meta_code != MetaCode::kMN) return true;
      Complete(now_ns);
      return true;
    case AsciiResponseKind::kError:
    case AsciiResponseKind::kClientError:
    case AsciiResponseKind::kServerError:
      op.error = true;
      // In a meta multi-get an error answers one key; mn still ends it.
      if (!(meta && op.type == OpType::kMultiGet)) Complete(now_ns);
      return true;
    default:
      Fail(absl::InternalError(absl::StrCat("unexpected reply '", ascii_.line, "'")));
      return false;
  }
}

bool LoadConnection::ParseBinary(int64_t now_ns) {
  const absl::string_view input = absl::string_view(in_).substr(in_consumed_);
  const protocol::ParseResult r = protocol::ParseBinaryResponse(input, binary_options_, &binary_);
  if (r.incomplete()) return false;
  if (!r.ok()) {
    Fail(absl::InternalError("malformed binary reply"));
    return false;
  }
  in_consumed_ += r.consumed;
  Pending& op = pending_.front();
  const auto status = static_cast<protocol::BinaryStatus>(binary_.status_code);
  const bool miss_or_not_stored = status == protocol::BinaryStatus::kKeyNotFound ||
                                  status == protocol::BinaryStatus::kKeyExists ||
                                  status == protocol::BinaryStatus::kNotStored;
  if (op.type == OpType::kMultiGet &&
      binary_.opcode != protocol::BinaryOpcode::kNoop) {
    if (binary_.ok()) {
      ++op.hits;
    } else if (!miss_or_not_stored) {
      op.error = true;
    }
    return true;
  }
  if (binary_.ok() && op.type == OpType::kGet) ++op.hits;
  if (!binary_.ok() && !miss_or_not_stored) op.error = true;
  Complete(now_ns);
  return true;
}

void LoadConnection::Complete(int64_t now_ns) {
  const Pending& op = pending_.front();
  OpStats& s = stats_->ops[static_cast<int>(op.type)];
  s.latency_ns.Record(now_ns - op.start_ns);
  if (op.type != OpType::kSet) {
    if (op.hits > 0) s.hits.fetch_add(op.hits, std::memory_order_relaxed);
    if (op.keys > op.hits) s.misses.fetch_add(op.keys - op.hits, std::memory_order_relaxed);
  }
  if (op.error) s.errors.fetch_add(1, std::memory_order_relaxed);
  pending_.pop_front();
}

void LoadConnection::Fail(absl::Status status) {
  if (!status_.ok()) return;
  status_ = std::move(status);
  stats_->connection_errors.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bench
}  // namespace memkit
