// Private pieces of ParseAsciiRequest() shared by its text and meta halves
// (text_request_parser.cc, meta_request_parser.cc): one request line split
// into tokens the way memcached's tokenize_command() splits it.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_PARSER_INTERNAL_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_PARSER_INTERNAL_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace protocol {
namespace internal {

// One request line: its tokens (split on ' ' only, at most kAsciiMaxTokens,
// as memcached does), where tokenizing stopped, and the line's extent.
// memcached's "ntokens" is count + 1 (it counts a terminal token).
struct Line {
  absl::string_view input;  // everything the parser was given
  size_t size = 0;          // bytes of the line including its '\n'
  const char* end = nullptr;  // end of the command text ('\r', '\n' or NUL)
  const char* rest = nullptr;  // after the last token taken; `end` when done
  absl::string_view tokens[kAsciiMaxTokens];
  size_t count = 0;
  const AsciiParserOptions* options = nullptr;
};

// Appends tokens from [p, line->end) until the line or kAsciiMaxTokens ends.
void Tokenize(const char* p, Line* line);

// A kError result for a reply line given without "\r\n" (appended here);
// `silent` (noreply) sends nothing but still swallows `swallow` bytes.
ParseResult Refuse(size_t consumed, absl::string_view reply, bool silent = false,
                   size_t swallow = 0);
// The connection is closed without a reply.
ParseResult Close(size_t consumed);

// After a storage line of `line_size` bytes declaring `length` data bytes:
// waits for the block and checks its "\r\n" (memcached reads length + 2 bytes
// and answers "CLIENT_ERROR bad data chunk" unless `silent`).
ParseResult ReadDataBlock(absl::string_view input, size_t line_size, size_t length, bool silent,
                          AsciiRequest* out);

// The text half: every command whose word is not a two-letter "m?" word.
ParseResult ParseTextCommand(Line* line, AsciiRequest* out);
// The meta half: "mg", "ms", "md", "ma", "mn", "me" (tokens[0] is the word).
ParseResult ParseMetaCommand(Line* line, AsciiRequest* out);

}  // namespace internal
}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_PARSER_INTERNAL_H_
