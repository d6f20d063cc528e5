// Fuzzes memkit-server's UDP framing (udp_frame.h) with arbitrary datagrams:
// ParseUdpRequest never reads outside the datagram and gives a payload that
// is its tail; SplitUdpResponses, fed the same bytes as a reply stream, cuts
// them into non-empty pieces that rebuild it exactly (and, told the first
// half is the request the second half answers, into pieces that rebuild the
// second half, empty ones being a get's bare headers); FrameUdpResponse's
// datagrams are at most memcached's 1400 bytes and carry the piece back.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "server/udp_frame.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  using memkit::server::kUdpHeaderSize;
  using memkit::server::kUdpMaxDatagram;
  if (auto request = memkit::server::ParseUdpRequest(bytes)) {
    Check(size > kUdpHeaderSize);
    Check(request->payload == bytes.substr(kUdpHeaderSize));
  }
  std::string rebuilt;
  for (absl::string_view response : memkit::server::SplitUdpResponses(bytes)) {
    Check(!response.empty());
    rebuilt.append(response.data(), response.size());
    std::string payload;
    for (const std::string& datagram : memkit::server::FrameUdpResponse(7, response)) {
      Check(datagram.size() >= kUdpHeaderSize && datagram.size() <= kUdpMaxDatagram);
      payload += datagram.substr(kUdpHeaderSize);
    }
    Check(payload == response);
  }
  Check(rebuilt == bytes);
  const absl::string_view request = bytes.substr(0, size / 2);
  const absl::string_view replies = bytes.substr(size / 2);
  rebuilt.clear();
  for (absl::string_view response : memkit::server::SplitUdpResponses(replies, request)) {
    rebuilt.append(response.data(), response.size());
  }
  Check(rebuilt == replies);
  return 0;
}
