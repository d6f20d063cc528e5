#include "core/status/status.h"

#include <array>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace memkit {
namespace {

// The payload that carries the McCode; its value is McCodeName(code).
constexpr absl::string_view kPayloadUrl = "type.memkit.dev/memkit.McCode";

struct CodeInfo {
  McCode code;
  absl::string_view name;
  absl::StatusCode canonical;
};

constexpr std::array<CodeInfo, 18> kCodes = {{
    {McCode::kOk, "OK", absl::StatusCode::kOk},
    {McCode::kNotFound, "NOT_FOUND", absl::StatusCode::kNotFound},
    {McCode::kExists, "EXISTS", absl::StatusCode::kAborted},
    {McCode::kNotStored, "NOT_STORED", absl::StatusCode::kFailedPrecondition},
    {McCode::kClientError, "CLIENT_ERROR", absl::StatusCode::kInvalidArgument},
    {McCode::kNonNumeric, "NON_NUMERIC", absl::StatusCode::kInvalidArgument},
    {McCode::kOutOfMemory, "OUT_OF_MEMORY", absl::StatusCode::kResourceExhausted},
    {McCode::kTooLarge, "TOO_LARGE", absl::StatusCode::kOutOfRange},
    {McCode::kServerError, "SERVER_ERROR", absl::StatusCode::kInternal},
    {McCode::kUnknownCommand, "UNKNOWN_COMMAND", absl::StatusCode::kUnimplemented},
    {McCode::kNotSupported, "NOT_SUPPORTED", absl::StatusCode::kUnimplemented},
    {McCode::kAuthError, "AUTH_ERROR", absl::StatusCode::kUnauthenticated},
    {McCode::kAuthContinue, "AUTH_CONTINUE", absl::StatusCode::kUnauthenticated},
    {McCode::kBusy, "BUSY", absl::StatusCode::kUnavailable},
    {McCode::kConnectionError, "CONNECTION_ERROR", absl::StatusCode::kUnavailable},
    {McCode::kTimeout, "TIMEOUT", absl::StatusCode::kDeadlineExceeded},
    {McCode::kProtocolError, "PROTOCOL_ERROR", absl::StatusCode::kDataLoss},
    {McCode::kBadKey, "BAD_KEY", absl::StatusCode::kInvalidArgument},
}};

const CodeInfo& Info(McCode code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes[static_cast<size_t>(McCode::kServerError)];
}

// For statuses built outside memkit: the McCode a canonical code most likely means.
McCode FromCanonical(absl::StatusCode canonical) {
  switch (canonical) {
    case absl::StatusCode::kOk:
      return McCode::kOk;
    case absl::StatusCode::kNotFound:
      return McCode::kNotFound;
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return McCode::kExists;
    case absl::StatusCode::kFailedPrecondition:
      return McCode::kNotStored;
    case absl::StatusCode::kInvalidArgument:
      return McCode::kClientError;
    case absl::StatusCode::kResourceExhausted:
      return McCode::kOutOfMemory;
    case absl::StatusCode::kOutOfRange:
      return McCode::kTooLarge;
    case absl::StatusCode::kUnimplemented:
      return McCode::kUnknownCommand;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return McCode::kAuthError;
    case absl::StatusCode::kUnavailable:
      return McCode::kConnectionError;
    case absl::StatusCode::kDeadlineExceeded:
      return McCode::kTimeout;
    case absl::StatusCode::kDataLoss:
      return McCode::kProtocolError;
    default:
      return McCode::kServerError;
  }
}

// "SERVER_ERROR out of memory storing object" and friends.
absl::Status ServerErrorStatus(absl::string_view message) {
  if (absl::StartsWith(message, "out of memory")) {
    return McError(McCode::kOutOfMemory, message);
  }
  if (absl::StartsWith(message, "object too large")) {
    return McError(McCode::kTooLarge, message);
  }
  return McError(McCode::kServerError, message);
}

}  // namespace

absl::string_view McCodeName(McCode code) { return Info(code).name; }

absl::StatusCode CanonicalCode(McCode code) { return Info(code).canonical; }

absl::Status McError(McCode code, absl::string_view message) {
  if (code == McCode::kOk) return absl::OkStatus();
  absl::Status status(CanonicalCode(code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(McCodeName(code)));
  return status;
}

McCode GetMcCode(const absl::Status& status) {
  if (status.ok()) return McCode::kOk;
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (payload.has_value()) {
    std::string name(*payload);
    for (const CodeInfo& info : kCodes) {
      if (info.name == name) return info.code;
    }
  }
  return FromCanonical(status.code());
}

absl::Status StatusFromTextReply(absl::string_view line) {
  if (line == "STORED" || line == "DELETED" || line == "TOUCHED" || line == "OK" ||
      line == "END") {
    return absl::OkStatus();
  }
  if (line == "NOT_FOUND") return McError(McCode::kNotFound, "NOT_FOUND");
  if (line == "EXISTS") return McError(McCode::kExists, "EXISTS");
  if (line == "NOT_STORED") return McError(McCode::kNotStored, "NOT_STORED");
  if (line == "ERROR") return McError(McCode::kUnknownCommand, "ERROR");
  constexpr absl::string_view kClientError = "CLIENT_ERROR";
  constexpr absl::string_view kServerError = "SERVER_ERROR";
  if (absl::StartsWith(line, kClientError)) {
    absl::string_view message = absl::StripPrefix(line.substr(kClientError.size()), " ");
    if (absl::StartsWith(message, "cannot increment or decrement non-numeric value")) {
      return McError(McCode::kNonNumeric, message);
    }
    return McError(McCode::kClientError, message);
  }
  if (absl::StartsWith(line, kServerError)) {
    return ServerErrorStatus(absl::StripPrefix(line.substr(kServerError.size()), " "));
  }
  return McError(McCode::kProtocolError, absl::StrCat("unexpected reply: ", line));
}

absl::Status StatusFromBinaryStatus(uint16_t binary_status) {
  switch (binary_status) {
    case 0x0000:
      return absl::OkStatus();
    case 0x0001:
      return McError(McCode::kNotFound, "Not found");
    case 0x0002:
      return McError(McCode::kExists, "Data exists for key");
    case 0x0003:
      return McError(McCode::kTooLarge, "Too large");
    case 0x0004:
      return McError(McCode::kClientError, "Invalid arguments");
    case 0x0005:
      return McError(McCode::kNotStored, "Not stored");
    case 0x0006:
      return McError(McCode::kNonNumeric, "Non-numeric server-side value for incr or decr");
    case 0x0020:
      return McError(McCode::kAuthError, "Auth failure");
    case 0x0021:
      return McError(McCode::kAuthContinue, "Auth continue");
    case 0x0081:
      return McError(McCode::kUnknownCommand, "Unknown command");
    case 0x0082:
      return McError(McCode::kOutOfMemory, "Out of memory");
    case 0x0083:
      return McError(McCode::kNotSupported, "Not supported");
    case 0x0084:
      return McError(McCode::kServerError, "Internal error");
    case 0x0085:
      return McError(McCode::kBusy, "Busy");
    case 0x0086:
      return McError(McCode::kBusy, "Temporary failure");
    default:
      return McError(McCode::kProtocolError,
                     absl::StrCat("unknown binary status 0x", absl::Hex(binary_status)));
  }
}

absl::Status StatusFromMetaCode(absl::string_view code) {
  if (code == "HD" || code == "VA" || code == "MN" || code == "OK") return absl::OkStatus();
  if (code == "EN") return McError(McCode::kNotFound, "EN");
  if (code == "NF") return McError(McCode::kNotFound, "NF");
  if (code == "NS") return McError(McCode::kNotStored, "NS");
  if (code == "EX") return McError(McCode::kExists, "EX");
  if (code == "ME") return McError(McCode::kServerError, "ME");
  return McError(McCode::kProtocolError, absl::StrCat("unexpected meta return code: ", code));
}

absl::Status ConnectionError(absl::string_view message) {
  return McError(McCode::kConnectionError, message);
}

absl::Status TimeoutError(absl::string_view message) {
  return McError(McCode::kTimeout, message);
}

}  // namespace memkit
