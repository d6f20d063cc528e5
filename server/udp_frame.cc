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

std::vector<absl::string_view> Tokens(absl::string_view line) {
  return absl::StrSplit(absl::StripSuffix(absl::StripSuffix(line, "\n"), "\r"), ' ',
                        absl::SkipEmpty());
}

// The keys of each get, gets, gat and gats in the text `request`, in order.
// A get with a key memcached refuses (longer than 250 bytes) is left out:
// its reply is an error, not values and an END. Storage commands' data
// blocks are skipped; binary bytes end the scan.
std::vector<std::vector<absl::string_view>> GetCommands(absl::string_view request) {
  constexpr size_t kMaxKeyLength = 250;
  std::vector<std::vector<absl::string_view>> gets;
  size_t pos = 0;
  while (pos < request.size() && static_cast<unsigned char>(request[pos]) != 0x80) {
    const size_t nl = request.find('\n', pos);
    if (nl == absl::string_view::npos) break;
    std::vector<absl::string_view> tokens = Tokens(request.substr(pos, nl + 1 - pos));
    pos = nl + 1;
    if (tokens.empty()) continue;
    const absl::string_view command = tokens[0];
    size_t first_key = 0;
    if (command == "get" || command == "gets") first_key = 1;
    if (command == "gat" || command == "gats") first_key = 2;
    if (first_key != 0 && tokens.size() > first_key) {
      std::vector<absl::string_view> keys(tokens.begin() + first_key, tokens.end());
      if (std::all_of(keys.begin(), keys.end(),
                      [](absl::string_view k) { return k.size() <= kMaxKeyLength; })) {
        gets.push_back(std::move(keys));
      }
    }
    // A data block to skip: set/add/replace/append/prepend/cas announce its
    // length as token 4, ms as token 2.
    size_t data = 0;
    const bool storage = command == "set" || command == "add" || command == "replace" ||
                         command == "append" || command == "prepend" || command == "cas";
    if ((storage && tokens.size() > 4 && absl::SimpleAtoi(tokens[4], &data)) ||
        (command == "ms" && tokens.size() > 2 && absl::SimpleAtoi(tokens[2], &data))) {
      pos = std::min(request.size(), pos + std::min(data, request.size()) + 2);
    }
  }
  return gets;
}

// Cuts the reply to a get of `keys` starting at `pos` into memcached's
// responses (see SplitUdpResponses) and sets *end past its END. False, with
// nothing added, when the bytes there are not that reply.
bool SplitGetReply(absl::string_view s, size_t pos, const std::vector<absl::string_view>& keys,
                   std::vector<absl::string_view>* out, size_t* end) {
  // Each key's value block, [begin, end), or an empty range for a miss.
  std::vector<std::pair<size_t, size_t>> values(keys.size(), {0, 0});
  size_t at = pos;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!absl::StartsWith(s.substr(at), "VALUE ")) continue;
    const size_t eol = LineEnd(s, at);
    if (eol == absl::string_view::npos) return false;
    const absl::string_view line = s.substr(at, eol - at);
    const std::optional<size_t> data = DataLength(line, 3);
    if (!data.has_value() || *data > s.size() - eol || s.size() - eol - *data < 2) return false;
    if (Tokens(line)[1] != keys[i]) continue;  // this key missed
    values[i] = {at, eol + *data + 2};
    at = values[i].second;
  }
  if (s.substr(at, 5) != "END\r\n") return false;
  *end = at + 5;
  auto value = [&](size_t i) {
    return s.substr(values[i].first, values[i].second - values[i].first);
  };
  const size_t last = keys.size() - 1;
  if (last == 0) {
    out->push_back(s.substr(pos, *end - pos));
    return true;
  }
  out->push_back(value(0));  // empty on a miss: a bare header
  for (size_t i = 1; i < last; ++i) {
    if (values[i].second != 0) out->push_back(value(i));
  }
  // The END joins the last key's value, which it follows directly.
  const size_t tail = values[last].second != 0 ? values[last].first : at;
  out->push_back(s.substr(tail, *end - tail));
  return true;
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

std::vector<absl::string_view> SplitUdpResponses(absl::string_view replies,
                                                 absl::string_view request) {
  const std::vector<std::vector<absl::string_view>> gets = GetCommands(request);
  size_t next_get = 0;  // the first get whose reply is still to come
  std::vector<absl::string_view> out;
  size_t pos = 0;
  while (pos < replies.size()) {
    size_t end = replies.size();
    const absl::string_view rest = replies.substr(pos);
    if (next_get < gets.size() &&
        (absl::StartsWith(rest, "VALUE ") || absl::StartsWith(rest, "END\r\n")) &&
        SplitGetReply(replies, pos, gets[next_get], &out, &end)) {
      ++next_get;
      pos = end;
      continue;
    }
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
