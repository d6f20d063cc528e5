// Test helpers without gtest (so fuzz targets can use them too): parsed
// requests and replies written back through memkit's writers.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_REWRITE_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_REWRITE_H_

#include <string>

#include "absl/status/status.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"

namespace memkit {
namespace protocol {
namespace testing {

// Writes `request` back with the client request writers (text_request_writer.h,
// meta_request_writer.h): a parsed canonical request comes out byte for byte
// as it went in. Fails where a writer refuses (e.g. a key with a control
// character, which memcached takes but memkit's writers never send).
absl::Status RewriteRequest(const AsciiRequest& request, AsciiSink* sink);

// Writes `reply`, the answer to `request`, back with the server reply writers
// (text_reply_writer.h, meta_reply_writer.h), taking the item facts from the
// reply and the flag order from memcached's rules (AddMetaReturnFlags), so a
// reply memcached sent comes out byte for byte as it came in.
absl::Status RewriteReply(const AsciiResponse& reply, const AsciiRequest& request,
                          AsciiSink* sink);

// As RewriteReply, without a request: meta flags in the order parsed.
absl::Status RewriteReplyAsParsed(const AsciiResponse& reply, AsciiSink* sink);

// Every field of a parsed reply, for comparisons.
std::string DescribeResponse(const AsciiResponse& reply);

}  // namespace testing
}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_REWRITE_H_
