// Rendering a server's reply stream into comparable, readable lines.
//
// Both servers' replies to a case are rendered the same way and compared line
// by line; a mismatch prints a line diff. Rendering is lossless (different
// bytes give different lines) except for CAS values, which are shown relative
// to the CAS counter the server had when the case started: {cas+1} is the
// first value the case stored. That is exact when the server numbers CAS like
// memcached (one global counter, +1 per stored item) and keeps a mismatch in
// one case from shifting every later case.
//
//   text:   one line per reply line, escaped, without its "\r\n" (a bare
//           "\n" shows as \n, a missing end as \<unterminated>); the data
//           block after VALUE / VA is one line indented by two spaces
//   binary: one line per packet:
//           RES op=get status=0x0000 cas={cas+1} extras=00000000 key="" value="bar"
//
// Thread-safety: pure functions.

#ifndef MEMKIT_TESTS_CONFORMANCE_TRANSCRIPT_H_
#define MEMKIT_TESTS_CONFORMANCE_TRANSCRIPT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tests/conformance/case_file.h"

namespace memkit {
namespace conformance {

// `bytes` with \\ \r \n \t \xHH escapes; printable ASCII other than '\\'
// and '"' as is. Longer than `max_bytes`: the head, then a length and hash.
std::string EscapeBytes(absl::string_view bytes, size_t max_bytes = 256);

// The lines of a text-protocol (text and meta) reply stream.
std::vector<std::string> RenderTextReply(absl::string_view reply, uint64_t cas_base);

// The lines of a binary-protocol reply stream.
std::vector<std::string> RenderBinaryReply(absl::string_view reply, uint64_t cas_base);

// Applies each substitution to each line, in order.
void ApplySubstitutions(const std::vector<Substitution>& substitutions,
                        std::vector<std::string>* lines);

// A line diff of `a` (shown with '-') against `b` ('+'), common lines with
// ' ', each line indented by `indent`.
std::string DiffLines(const std::vector<std::string>& a, const std::vector<std::string>& b,
                      absl::string_view indent = "  ");

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_TRANSCRIPT_H_
