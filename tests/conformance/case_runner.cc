#include "tests/conformance/case_runner.h"

#include <array>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/conformance/connection.h"
#include "tests/conformance/request.h"
#include "tests/conformance/transcript.h"

namespace memkit {
namespace conformance {
namespace {

constexpr absl::string_view kProbeKey = "__memkit_conformance_probe";

// One server's connection while a case runs.
struct Side {
  const char* label = "";
  int port = 0;
  ExpandContext context;
  std::unique_ptr<Connection> connection;
  std::string pending;       // Bytes built but not yet written.
  std::string reply;         // Everything received.
  bool binary = false;
  bool protocol_known = false;
  bool timed_out = false;
  bool saw_eof = false;
  ReadEnd last_end = ReadEnd::kCondition;
  std::string error;
};

std::string Sentinel(const Side& side) {
  return side.binary ? BinarySentinel() : std::string(kTextSentinel);
}

// Appends the bytes of `step` to the side's pending output.
absl::Status Build(const Step& step, Side* side) {
  absl::StatusOr<std::string> bytes;
  switch (step.kind) {
    case Step::Kind::kText:
      bytes = ExpandBytes(step.arg, side->context);
      if (bytes.ok()) bytes->append("\r\n");
      break;
    case Step::Kind::kRaw:
      bytes = ExpandBytes(step.arg, side->context);
      break;
    case Step::Kind::kBinary:
      bytes = EncodeBinaryRequest(step.arg, side->context);
      break;
    default:
      return absl::OkStatus();
  }
  if (!bytes.ok()) return bytes.status();
  if (!side->protocol_known && !bytes->empty()) {
    // memcached picks the protocol from a connection's first byte.
    side->binary = static_cast<unsigned char>((*bytes)[0]) == 0x80;
    side->protocol_known = true;
  }
  side->pending += *bytes;
  return absl::OkStatus();
}

void Flush(Side* side, bool with_sentinel, absl::Time deadline) {
  if (with_sentinel) side->pending += Sentinel(*side);
  if (!side->pending.empty()) {
    absl::Status written = side->connection->WriteAll(side->pending, deadline);
    if (!written.ok()) side->error = std::string(written.message());
    side->pending.clear();
  }
}

void RecordEnd(ReadEnd end, Side* side) {
  side->last_end = end;
  if (end == ReadEnd::kEof) side->saw_eof = true;
  if (end == ReadEnd::kDeadline) side->timed_out = true;
}

// Reads one sentinel-terminated segment.
void ReadSegment(Side* side, absl::Time deadline) {
  std::string segment;
  bool binary = side->binary;
  ReadEnd end = side->connection->ReadUntil(
      [binary](absl::string_view got) { return EndsWithSentinelReply(got, binary); }, deadline,
      &segment);
  side->reply += segment;
  RecordEnd(end, side);
}

}  // namespace

absl::Status CheckSentinels(int port) {
  for (bool binary : {false, true}) {
    absl::Time deadline = absl::Now() + absl::Seconds(3);
    absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Connect(port, deadline);
    if (!connection.ok()) return connection.status();
    std::string request = binary ? BinarySentinel() : std::string(kTextSentinel);
    std::string expected = binary ? BinarySentinelReply() : std::string(kTextSentinelReply);
    if (absl::Status ok = (*connection)->WriteAll(request, deadline); !ok.ok()) return ok;
    std::string reply;
    (*connection)->ReadUntil(
        [&expected](absl::string_view got) { return got.size() >= expected.size(); }, deadline,
        &reply);
    if (reply != expected) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the server does not answer the harness's ", binary ? "binary" : "text",
          " sentinel \"", EscapeBytes(request), "\" with \"", EscapeBytes(expected),
          "\" (it sent \"", EscapeBytes(reply), "\"); every case ends with that sentinel, "
          "so nothing can be compared until it does"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ProbeCasBase(int port) {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Connect(port, deadline);
  if (!connection.ok()) return connection.status();
  std::string request = absl::StrCat("flush_all\r\nset ", kProbeKey, " 0 0 1\r\nx\r\ngets ",
                                     kProbeKey, "\r\ndelete ", kProbeKey, "\r\n");
  if (absl::Status ok = (*connection)->WriteAll(request, deadline); !ok.ok()) return ok;
  std::string reply;
  (*connection)->ReadUntil(
      [](absl::string_view got) {
        return absl::EndsWith(got, "DELETED\r\n") || absl::EndsWith(got, "NOT_FOUND\r\n") ||
               absl::EndsWith(got, "ERROR\r\n");
      },
      deadline, &reply);
  std::string expected_prefix = absl::StrCat("OK\r\nSTORED\r\nVALUE ", kProbeKey, " 0 1 ");
  uint64_t cas = 0;
  if (absl::StartsWith(reply, expected_prefix)) {
    absl::string_view rest = absl::string_view(reply).substr(expected_prefix.size());
    absl::string_view number = rest.substr(0, rest.find('\r'));
    if (absl::SimpleAtoi(number, &cas) &&
        absl::EndsWith(reply, "\r\nx\r\nEND\r\nDELETED\r\n")) {
      return cas;
    }
  }
  return absl::DataLossError(absl::StrCat(
      "the per-case probe (flush_all, set, gets, delete) got an unexpected reply: \"",
      EscapeBytes(reply), "\""));
}

CaseResult CaseRunner::Run(const Case& c) {
  CaseResult result;
  std::array<Side, 2> sides;
  sides[0].label = "reference";
  sides[0].port = reference_port_;
  sides[1].label = "sut";
  sides[1].port = sut_port_;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const absl::Duration read_deadline = absl::Milliseconds(c.deadline_millis);

  std::string probe_notes;
  for (Side& side : sides) {
    absl::StatusOr<uint64_t> base = ProbeCasBase(side.port);
    if (!base.ok()) {
      // Run the case anyway with absolute CAS values: the diff says more.
      absl::StrAppend(&probe_notes, "\n  note: ", side.label, ": ", base.status().message(),
                      "; its CAS values are shown absolute");
    }
    side.context = ExpandContext{base.value_or(0), now};
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Connect(side.port, absl::Now() + absl::Seconds(5));
    if (!connection.ok()) {
      result.failure = absl::StrCat(side.label, ": ", connection.status().message());
      return result;
    }
    side.connection = *std::move(connection);
  }

  for (const Step& step : c.steps) {
    for (Side& side : sides) {
      if (absl::Status ok = Build(step, &side); !ok.ok()) {
        result.failure = absl::StrCat("line ", step.line, ": ", ok.message());
        return result;
      }
    }
    switch (step.kind) {
      case Step::Kind::kSync:
      case Step::Kind::kSleep:
        for (Side& side : sides) Flush(&side, /*with_sentinel=*/true, absl::Now() + read_deadline);
        for (Side& side : sides) ReadSegment(&side, absl::Now() + read_deadline);
        if (step.kind == Step::Kind::kSleep) absl::SleepFor(absl::Milliseconds(step.millis));
        break;
      case Step::Kind::kPause:
        for (Side& side : sides) Flush(&side, /*with_sentinel=*/false, absl::Now() + read_deadline);
        absl::SleepFor(absl::Milliseconds(step.millis));
        break;
      default:
        break;
    }
  }

  for (Side& side : sides) {
    Flush(&side, /*with_sentinel=*/c.end == EndMode::kSentinel, absl::Now() + read_deadline);
    if (c.end == EndMode::kEof) side.connection->ShutdownWrite();
  }
  for (Side& side : sides) {
    absl::Time deadline = absl::Now() + read_deadline;
    switch (c.end) {
      case EndMode::kSentinel:
        ReadSegment(&side, deadline);
        break;
      case EndMode::kEof:
        RecordEnd(side.connection->ReadUntil([](absl::string_view) { return false; }, deadline,
                                             &side.reply),
                  &side);
        break;
      case EndMode::kQuiet:
        RecordEnd(side.connection->ReadUntilQuiet(absl::Milliseconds(c.quiet_millis), deadline,
                                                  &side.reply),
                  &side);
        break;
    }
  }

  for (size_t i = 0; i < sides.size(); ++i) {
    const Side& side = sides[i];
    SideResult& out = i == 0 ? result.reference : result.sut;
    out.raw = side.reply;
    out.binary = side.binary;
    out.cas_base = side.context.cas_base;
    out.timed_out = side.timed_out;
    out.lines = side.binary ? RenderBinaryReply(side.reply, side.context.cas_base)
                            : RenderTextReply(side.reply, side.context.cas_base);
    ApplySubstitutions(c.substitutions, &out.lines);
    absl::string_view end = side.timed_out ? "deadline" : side.saw_eof ? "closed by server"
                                                                        : ReadEndName(side.last_end);
    out.lines.push_back(absl::StrCat("<end: ", end, ">"));
  }

  if (result.reference.timed_out) {
    result.failure = absl::StrCat(
        "the REFERENCE server did not finish this case within its deadline (", c.deadline_millis,
        " ms): the case is broken. If a step leaves the server waiting for data, the sentinel "
        "is swallowed; end the case with `@end eof` or `@end quiet MS`.\n  reference got:\n",
        DiffLines(result.reference.lines, result.reference.lines, "    "));
    return result;
  }
  if (result.reference.lines != result.sut.lines) {
    result.failure = absl::StrCat("replies differ (- reference, + server under test):\n",
                                  DiffLines(result.reference.lines, result.sut.lines),
                                  probe_notes);
  }
  return result;
}

}  // namespace conformance
}  // namespace memkit
