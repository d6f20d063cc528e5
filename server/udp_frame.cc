#include "server/udp_frame.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace memkit {
namespace server {
namespace {

constexpr size_t kUdpMaxPayload = kUdpMaxDatagram - kUdpHeaderSize;
constexpr unsigned char kBinaryResponseMagic = 0x81;
constexpr size_t kBinaryHeaderSize = 24;

uint16_t Be16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<unsigned char>(b[at]) << 8) |
                               static_cast<unsigned char>(b[at + 1]));
}

void PutBe16(uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

// The end of the line starting at `pos` (after its "\r\n"), or npos.
size_t LineEnd(absl::string_view s, size_t pos) {
  const size_t crlf = s.find("\r\n", pos);
  return crlf == absl::string_view::npos ? crlf : crlf + 2;
}

// The data length a "VALUE key flags bytes [cas]" or "VA bytes ..." line
// announces (its token `index`); nullopt when it is not a number.
std::optional<size_t> DataLength(absl::string_view line, size_t index) {
  std::vector<absl::string_view> tokens =
      absl::StrSplit(absl::StripSuffix(line, "\r\n"), ' ', absl::SkipEmpty());
  size_t n = 0;
  if (tokens.size() <= index || !absl::SimpleAtoi(tokens[index], &n)) return std::nullopt;
  return n;
}

// Where the text response starting at `pos` ends (see SplitUdpResponses).
size_t TextResponseEnd(absl::string_view s, size_t pos) {
  const size_t eol = LineEnd(s, pos);
  if (eol == absl::string_view::npos) return s.size();
  const absl::string_view line = s.substr(pos, eol - pos);
  std::optional<size_t> data;
  bool get_value = false;
  if (absl::StartsWith(line, "VALUE ")) {
    data = DataLength(line, 3);
    get_value = true;
  } else if (absl::StartsWith(line, "VA ")) {
    data = DataLength(line, 1);
  }
  if (data.has_value()) {
    // The data block and its "\r\n"; clamp what is cut short.
    if (*data > s.size() - eol || s.size() - eol - *data < 2) return s.size();
    size_t end = eol + *data + 2;
    // The get's "END" rides with the value before it.
    if (get_value && s.substr(end, 5) == "END\r\n") end += 5;
    return end;
  }
  if (absl::StartsWith(line, "STAT ") || absl::StartsWith(line, "ITEM ") ||
      absl::StartsWith(line, "PREFIX ")) {
    // A list: up to and including its "END" line.
    size_t at = eol;
    while (at < s.size()) {
      const size_t next = LineEnd(s, at);
      if (next == absl::string_view::npos) return s.size();
      if (s.substr(at, next - at) == "END\r\n") return next;
      at = next;
    }
    return s.size();
  }
  return eol;
}

}  // namespace

std::optional<UdpRequest> ParseUdpRequest(absl::string_view datagram) {
  if (datagram.size() <= kUdpHeaderSize) return std::nullopt;
  // memcached looks at the request id and the total only.
  if (Be16(datagram, 4) != 1) return std::nullopt;
  UdpRequest r;
  r.request_id = Be16(datagram, 0);
  r.payload = datagram.substr(kUdpHeaderSize);
  return r;
}

std::vector<absl::string_view> SplitUdpResponses(absl::string_view replies) {
  std::vector<absl::string_view> out;
  size_t pos = 0;
  while (pos < replies.size()) {
    size_t end = replies.size();
    if (static_cast<unsigned char>(replies[pos]) == kBinaryResponseMagic) {
      if (replies.size() - pos >= kBinaryHeaderSize) {
        const uint64_t body = (uint64_t{Be16(replies, pos + 8)} << 16) | Be16(replies, pos + 10);
        if (body <= replies.size() - pos - kBinaryHeaderSize) end = pos + kBinaryHeaderSize + body;
      }
    } else {
      end = TextResponseEnd(replies, pos);
    }
    out.push_back(replies.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::vector<std::string> FrameUdpResponse(uint16_t request_id, absl::string_view response) {
  const size_t total = (response.size() + kUdpMaxPayload - 1) / kUdpMaxPayload;
  std::vector<std::string> out;
  if (total == 0) {
    std::string d;
    PutBe16(request_id, &d);
    PutBe16(0, &d);
    PutBe16(0, &d);
    PutBe16(0, &d);
    out.push_back(std::move(d));
    return out;
  }
  out.reserve(total);
  for (size_t i = 0; i < total; ++i) {
    std::string d;
    d.reserve(kUdpMaxDatagram);
    PutBe16(request_id, &d);
    PutBe16(static_cast<uint16_t>(i), &d);
    PutBe16(static_cast<uint16_t>(std::min<size_t>(total, UINT16_MAX)), &d);
    PutBe16(0, &d);
    const absl::string_view piece = response.substr(i * kUdpMaxPayload, kUdpMaxPayload);
    d.append(piece.data(), piece.size());
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace server
}  // namespace memkit
