// The hot paths do not allocate: once an AsciiRequest has seen a 100-key get,
// parsing gets, sets and meta commands into it allocates nothing; nor do the
// reply writers and the reply parser. This binary counts every operator new
// (//tests/support's counter).

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "gtest/gtest.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace protocol {
namespace {

using test_support::AllocCounter;

// Appends into a buffer reserved up front.
class FixedSink final : public AsciiSink {
 public:
  explicit FixedSink(std::string* out) : out_(out) {}
  void Append(absl::string_view bytes) override { out_->append(bytes.data(), bytes.size()); }

 private:
  std::string* out_;
};

TEST(AsciiAllocTest, ParsingAllocatesNothingOnceWarm) {
  std::string get100 = "get";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&get100, " key:", i);
  get100 += "\r\n";
  const std::string stream = get100 +
                             "set k 0 0 5\r\nhello\r\n"
                             "gets a b c\r\n"
                             "mg foo s v t c f k O123 q\r\n"
                             "ms Zm9v 5 b T30 F1 c k\r\nhello\r\n"
                             "ma n MD D5 N0 J1 v\r\n"
                             "md foo q\r\n"
                             "delete k noreply\r\n"
                             "incr n 5\r\n"
                             "bogus command\r\n"
                             "mg foo zz\r\n";
  AsciiParserOptions options;
  AsciiRequest req;
  auto parse_all = [&]() {
    absl::string_view rest = stream;
    size_t n = 0;
    while (!rest.empty()) {
      ParseResult r = ParseAsciiRequest(rest, options, &req);
      if (r.incomplete()) break;
      rest.remove_prefix(r.consumed + r.error.swallow);
      ++n;
    }
    return n;
  };
  ASSERT_EQ(parse_all(), 11u);  // warm-up: keys grows to 100
  const AllocCounter::Snapshot before = AllocCounter::Now();
  for (int i = 0; i < 100; ++i) parse_all();
  // Error replies longer than the small-string buffer ("CLIENT_ERROR invalid
  // flag\r\n") allocate; everything else must not.
  EXPECT_EQ(AllocCounter::Since(before).total, 100);
}

TEST(AsciiAllocTest, RepliesAllocateNothing) {
  std::string out;
  out.reserve(1 << 20);
  FixedSink sink(&out);
  AsciiRequest req;
  AsciiParserOptions options;
  ASSERT_TRUE(ParseAsciiRequest("mg foo s t c f l h O1 k v\r\n", options, &req).ok());
  AsciiResponseParserOptions response_options;
  AsciiResponse resp;
  const AllocCounter::Snapshot before = AllocCounter::Now();
  for (int i = 0; i < 100; ++i) {
    WriteValue(&sink, "some:key", 5, "value bytes", true, 12345);
    sink.Append(kTextEnd);
    WriteNumber(&sink, 42);
    WriteStat(&sink, "curr_items", uint64_t{10});
    MetaReplyLine line;
    line.StartValue(11);
    AddMetaReturnFlags(req, "stcflhOk", MetaItemInfo(), &line);
    WriteMetaValue(&sink, &line, "value bytes");
    WriteMetaStatus(&sink, MetaCode::kEN, req);
  }
  for (absl::string_view rest = out; !rest.empty();) {
    ParseResult r = ParseAsciiResponse(rest, response_options, &resp);
    ASSERT_TRUE(r.ok());
    rest.remove_prefix(r.consumed);
  }
  EXPECT_EQ(AllocCounter::Since(before).total, 0);
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
