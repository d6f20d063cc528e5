// Line framing for the text and meta protocols, as memcached 1.6.18 frames
// them in try_read_command_ascii(): a line ends at '\n', one '\r' before it is
// dropped (unless it is the line's only byte), and the command text ends at
// the first NUL (memcached's tokenizer runs strlen()).

#include "core/protocol/ascii_parser.h"

#include <cstring>
#include <string>
#include <utility>

#include "core/protocol/ascii_parser_internal.h"

namespace memkit {
namespace protocol {
namespace internal {

void Tokenize(const char* p, Line* line) {
  const char* end = line->end;
  const char* s = p;
  size_t count = line->count;
  for (; p < end; ++p) {
    if (*p != ' ') continue;
    if (s != p) {
      line->tokens[count++] = absl::string_view(s, static_cast<size_t>(p - s));
      if (count == kAsciiMaxTokens) {
        line->count = count;
        line->rest = p + 1;
        return;
      }
    }
    s = p + 1;
  }
  if (s != end) line->tokens[count++] = absl::string_view(s, static_cast<size_t>(end - s));
  line->count = count;
  line->rest = end;
}

ParseResult Refuse(size_t consumed, absl::string_view reply, bool silent, size_t swallow) {
  ProtocolError error;
  if (!silent) {
    error.reply.reserve(reply.size() + 2);
    error.reply.append(reply.data(), reply.size());
    error.reply.append("\r\n", 2);
  }
  error.swallow = swallow;
  return ParseResult::Error(consumed, std::move(error));
}

ParseResult Close(size_t consumed) {
  ProtocolError error;
  error.close = true;
  return ParseResult::Error(consumed, std::move(error));
}

ParseResult ReadDataBlock(absl::string_view input, size_t line_size, size_t length, bool silent,
                          AsciiRequest* out) {
  size_t need = line_size + length + 2;
  if (input.size() < need) return ParseResult::Incomplete(need - input.size());
  const char* tail = input.data() + need - 2;
  // Set even when refused: the command was accepted up to its data.
  out->value = absl::string_view(input.data() + line_size, length);
  if (tail[0] != '\r' || tail[1] != '\n') {
    return Refuse(need, "CLIENT_ERROR bad data chunk", silent);
  }
  return ParseResult::Ok(need);
}

}  // namespace internal

namespace {

using internal::Line;

// memcached lets only multigets run past its line limits: the buffer starts
// with "get " or "gets " after at most 100 spaces.
bool IsMultigetPrefix(absl::string_view input) {
  size_t i = 0;
  while (i < input.size() && input[i] == ' ') ++i;
  if (i > 100) return false;
  absl::string_view rest = input.substr(i);
  return rest.substr(0, 4) == "get " || rest.substr(0, 5) == "gets ";
}

}  // namespace

ParseResult ParseAsciiRequest(absl::string_view input, const AsciiParserOptions& options,
                              AsciiRequest* out) {
  out->clear();
  const char* data = input.data();
  const char* nl =
      input.empty() ? nullptr : static_cast<const char*>(std::memchr(data, '\n', input.size()));
  if (nl == nullptr) {
    if (input.size() > options.line_limit &&
        (!IsMultigetPrefix(input) || input.size() > options.max_multiget_line_length)) {
      return internal::Close(input.size());
    }
    return ParseResult::Incomplete(1);
  }

  Line line;
  line.input = input;
  line.options = &options;
  line.size = static_cast<size_t>(nl - data) + 1;
  if (line.size > options.max_line_length &&
      (!IsMultigetPrefix(input) || line.size > options.max_multiget_line_length)) {
    return internal::Close(input.size());
  }
  const char* end = nl;
  if (nl - data > 1 && nl[-1] == '\r') --end;
  const void* nul = std::memchr(data, '\0', static_cast<size_t>(end - data));
  if (nul != nullptr) end = static_cast<const char*>(nul);
  line.end = end;

  // The command word: the first token.
  const char* p = data;
  while (p < end && *p == ' ') ++p;
  const char* word_end = p;
  while (word_end < end && *word_end != ' ') ++word_end;
  size_t word_size = static_cast<size_t>(word_end - p);
  if (word_size < 2) return internal::Refuse(line.size, "ERROR");
  line.tokens[0] = absl::string_view(p, word_size);
  line.count = 1;
  line.rest = word_end;
  if (p[0] == 'm' && word_size == 2) return internal::ParseMetaCommand(&line, out);
  return internal::ParseTextCommand(&line, out);
}

}  // namespace protocol
}  // namespace memkit
