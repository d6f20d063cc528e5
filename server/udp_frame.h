// memcached's UDP framing (its protocol.txt, "UDP protocol"): every datagram
// starts with an 8-byte header of four big-endian 16-bit fields -- request
// id, sequence number, total datagrams in this message, reserved (0). A
// request must fit one datagram; memcached drops a datagram whose "total"
// is not 1. Each response (memcached's mc_resp: one per reply line, one per
// value of a get, one for a whole "stats") goes out as its own message,
// split into datagrams of at most kUdpMaxDatagram bytes, header included;
// an empty response (a "quit") is one bare header with total 0.
//
// Pure functions, no sockets (server/udp_listener.h sends and receives), so
// the parser is fuzzed (udp_frame_fuzz.cc).
//
// Thread-safety: pure functions.

#ifndef MEMKIT_SERVER_UDP_FRAME_H_
#define MEMKIT_SERVER_UDP_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace memkit {
namespace server {

inline constexpr size_t kUdpHeaderSize = 8;
// memcached's UDP_MAX_PAYLOAD_SIZE: a reply datagram, header included.
inline constexpr size_t kUdpMaxDatagram = 1400;
// memcached's UDP read buffer: the largest request datagram it reads.
inline constexpr size_t kUdpMaxRequest = 65536;

struct UdpRequest {
  uint16_t request_id = 0;
  absl::string_view payload;  // a view into the datagram
};

// The request in `datagram`, or nullopt when memcached ignores it: 8 bytes
// or fewer, or part of a multi-datagram request (total != 1).
std::optional<UdpRequest> ParseUdpRequest(absl::string_view datagram);

// Splits one connection's reply bytes into memcached's responses (see the
// file comment): text lines, VALUE/VA blocks with their data (a get's
// "END" joins the value before it), STAT/ITEM/PREFIX lists up to their
// "END", binary packets by their body length. An incomplete tail is one
// last response.
//
// With `request`, the text the replies answer, each get, gets, gat and gats
// is cut as memcached 1.6.18 cuts it, which depends on which keys hit: its
// first key's response is its own (empty, sent as a bare header, when that
// key misses and more follow); after that every hit ends a response, the
// misses between hits add nothing, and the END joins the last key's value,
// or stands alone when the last key missed.
std::vector<absl::string_view> SplitUdpResponses(absl::string_view replies,
                                                 absl::string_view request = "");

// The datagrams of one response to request `request_id`.
std::vector<std::string> FrameUdpResponse(uint16_t request_id, absl::string_view response);

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_UDP_FRAME_H_
