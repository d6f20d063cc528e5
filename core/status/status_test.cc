#include "core/status/status.h"

#include "gtest/gtest.h"

namespace memkit {
namespace {

TEST(StatusTest, McErrorCarriesBothCodes) {
  absl::Status status = McError(McCode::kExists, "cas mismatch");
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(status.message(), "cas mismatch");
  EXPECT_EQ(GetMcCode(status), McCode::kExists);
  EXPECT_TRUE(McError(McCode::kOk, "ignored").ok());
}

TEST(StatusTest, EveryCodeHasANameAndRoundTrips) {
  for (int i = 1; i <= static_cast<int>(McCode::kBadKey); ++i) {
    McCode code = static_cast<McCode>(i);
    EXPECT_FALSE(McCodeName(code).empty());
    absl::Status status = McError(code, "x");
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(GetMcCode(status), code) << McCodeName(code);
    EXPECT_EQ(status.code(), CanonicalCode(code));
  }
}

TEST(StatusTest, ForeignStatusesMapByCanonicalCode) {
  EXPECT_EQ(GetMcCode(absl::NotFoundError("x")), McCode::kNotFound);
  EXPECT_EQ(GetMcCode(absl::DeadlineExceededError("x")), McCode::kTimeout);
  EXPECT_EQ(GetMcCode(absl::UnavailableError("x")), McCode::kConnectionError);
  EXPECT_EQ(GetMcCode(absl::OkStatus()), McCode::kOk);
}

TEST(StatusTest, TextReplies) {
  EXPECT_TRUE(StatusFromTextReply("STORED").ok());
  EXPECT_TRUE(StatusFromTextReply("DELETED").ok());
  EXPECT_TRUE(StatusFromTextReply("TOUCHED").ok());
  EXPECT_EQ(StatusFromTextReply("NOT_STORED").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusFromTextReply("EXISTS").code(), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusFromTextReply("NOT_FOUND").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromTextReply("ERROR").code(), absl::StatusCode::kUnimplemented);

  absl::Status client = StatusFromTextReply("CLIENT_ERROR bad data chunk");
  EXPECT_EQ(client.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.message(), "bad data chunk");
  EXPECT_EQ(GetMcCode(client), McCode::kClientError);

  absl::Status non_numeric =
      StatusFromTextReply("CLIENT_ERROR cannot increment or decrement non-numeric value");
  EXPECT_EQ(GetMcCode(non_numeric), McCode::kNonNumeric);

  absl::Status oom = StatusFromTextReply("SERVER_ERROR out of memory storing object");
  EXPECT_EQ(oom.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(oom.message(), "out of memory storing object");
  EXPECT_EQ(StatusFromTextReply("SERVER_ERROR object too large for cache").code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(StatusFromTextReply("SERVER_ERROR busy").code(), absl::StatusCode::kInternal);

  absl::Status junk = StatusFromTextReply("HELLO");
  EXPECT_EQ(junk.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetMcCode(junk), McCode::kProtocolError);
}

TEST(StatusTest, BinaryStatuses) {
  EXPECT_TRUE(StatusFromBinaryStatus(0).ok());
  EXPECT_EQ(StatusFromBinaryStatus(0x01).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromBinaryStatus(0x02).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusFromBinaryStatus(0x03).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(StatusFromBinaryStatus(0x04).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromBinaryStatus(0x05).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetMcCode(StatusFromBinaryStatus(0x06)), McCode::kNonNumeric);
  EXPECT_EQ(StatusFromBinaryStatus(0x20).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(GetMcCode(StatusFromBinaryStatus(0x21)), McCode::kAuthContinue);
  EXPECT_EQ(GetMcCode(StatusFromBinaryStatus(0x08)), McCode::kProtocolError);
  EXPECT_EQ(StatusFromBinaryStatus(0x81).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(StatusFromBinaryStatus(0x82).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetMcCode(StatusFromBinaryStatus(0x83)), McCode::kNotSupported);
  EXPECT_EQ(StatusFromBinaryStatus(0x84).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusFromBinaryStatus(0x85).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromBinaryStatus(0x86).code(), absl::StatusCode::kUnavailable);
  absl::Status unknown = StatusFromBinaryStatus(0x77);
  EXPECT_EQ(GetMcCode(unknown), McCode::kProtocolError);
  EXPECT_EQ(unknown.message(), "unknown binary status 0x77");
}

TEST(StatusTest, MetaCodes) {
  for (absl::string_view ok : {"HD", "VA", "MN"}) EXPECT_TRUE(StatusFromMetaCode(ok).ok()) << ok;
  EXPECT_EQ(StatusFromMetaCode("EN").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromMetaCode("NF").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromMetaCode("NS").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusFromMetaCode("EX").code(), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusFromMetaCode("ME").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusFromMetaCode("ZZ").code(), absl::StatusCode::kDataLoss);
}

TEST(StatusTest, IoOutcomes) {
  EXPECT_EQ(ConnectionError("127.0.0.1:1: connection refused").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetMcCode(TimeoutError("read")), McCode::kTimeout);
  EXPECT_EQ(TimeoutError("read").code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(StatusTest, BadCommandLineFormatFormsAgree) {
  EXPECT_EQ(absl::string_view(kBadCommandLineFormatLine), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(kClientErrorBadFormat, "CLIENT_ERROR bad command line format");
  EXPECT_EQ(kBadFormatMessage, "bad command line format");
  const absl::Status s = StatusFromTextReply(kClientErrorBadFormat);
  EXPECT_EQ(GetMcCode(s), McCode::kClientError);
  EXPECT_EQ(s.message(), kBadFormatMessage);
}

}  // namespace
}  // namespace memkit
