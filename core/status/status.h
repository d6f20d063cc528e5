// memkit's one mapping between memcached outcomes and absl::Status.
//
// Every memkit package reports errors as absl::Status. The canonical code says
// what kind of failure it is (so callers can branch on NotFound or Aborted
// without knowing the protocol); the memcached-level outcome that produced it
// (a text reply, a binary status, a meta return code, an I/O failure) stays
// readable through GetMcCode(), the way pylibmc keeps `retcode`.
//
//   memcached outcome                         McCode             absl code
//   ---------------------------------------   ----------------   ------------------
//   miss: END (no value), NOT_FOUND, EN, NF,   kNotFound          NotFound
//     binary 0x0001
//   EXISTS, EX, binary 0x0002 (CAS conflict)   kExists            Aborted
//   NOT_STORED, NS, binary 0x0005              kNotStored         FailedPrecondition
//   CLIENT_ERROR ..., binary 0x0004            kClientError       InvalidArgument
//   incr/decr on a non-number, binary 0x0006   kNonNumeric        InvalidArgument
//   SERVER_ERROR out of memory ..., 0x0082     kOutOfMemory       ResourceExhausted
//   SERVER_ERROR object too large ..., 0x0003  kTooLarge          OutOfRange
//   SERVER_ERROR (anything else), 0x0084       kServerError       Internal
//   ERROR (unknown command), 0x0081            kUnknownCommand    Unimplemented
//   binary 0x0083 (not supported)              kNotSupported      Unimplemented
//   binary 0x0020 (auth error)                 kAuthError         Unauthenticated
//   binary 0x0021 (auth continue)              kAuthContinue      Unauthenticated
//   binary 0x0085 busy, 0x0086 temp. failure   kBusy              Unavailable
//   connect / read / write failure             kConnectionError   Unavailable
//   timeout                                    kTimeout           DeadlineExceeded
//   unparseable reply from a server            kProtocolError     DataLoss
//   a key memkit refuses to send               kBadKey            InvalidArgument
//
// Success replies (STORED, DELETED, TOUCHED, OK, HD, VA, ...) are absl::OkStatus.

#ifndef MEMKIT_CORE_STATUS_STATUS_H_
#define MEMKIT_CORE_STATUS_STATUS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace memkit {

// The memcached-level outcome behind a status. Stable names: see McCodeName().
enum class McCode {
  kOk = 0,
  kNotFound,
  kExists,
  kNotStored,
  kClientError,
  kNonNumeric,
  kOutOfMemory,
  kTooLarge,
  kServerError,
  kUnknownCommand,
  kNotSupported,
  kAuthError,
  kAuthContinue,
  kBusy,
  kConnectionError,
  kTimeout,
  kProtocolError,
  kBadKey,
};

// memcached's reply to a malformed command line, in the three forms memkit
// sends it: the wire line with "\r\n" (handlers), the line without it
// (parsers, whose replies get "\r\n" appended), and the message alone (a
// McError(kClientError, ...) from the engine). One literal, so they agree.
inline constexpr char kBadCommandLineFormatLine[] = "CLIENT_ERROR bad command line format\r\n";
inline constexpr absl::string_view kClientErrorBadFormat(kBadCommandLineFormatLine,
                                                         sizeof(kBadCommandLineFormatLine) - 3);
inline constexpr absl::string_view kBadFormatMessage =
    kClientErrorBadFormat.substr(sizeof("CLIENT_ERROR ") - 1);

// "NOT_FOUND", "EXISTS", ... for kNotFound, kExists, ...; "OK" for kOk.
absl::string_view McCodeName(McCode code);

// The absl code the table above assigns to `code`.
absl::StatusCode CanonicalCode(McCode code);

// A status with the canonical code of `code` and `message`, carrying `code`
// so GetMcCode() can return it. McError(McCode::kOk, ...) is OkStatus().
absl::Status McError(McCode code, absl::string_view message);

// The memcached-level code carried by `status`. For a status memkit did not
// build with McError(), the McCode closest to its canonical code; kOk for OK.
McCode GetMcCode(const absl::Status& status);

// The status of one text-protocol reply line, without its "\r\n": STORED,
// NOT_STORED, EXISTS, NOT_FOUND, DELETED, TOUCHED, OK, ERROR, CLIENT_ERROR msg,
// SERVER_ERROR msg. A line that is none of these is kProtocolError.
absl::Status StatusFromTextReply(absl::string_view line);

// The status of a binary-protocol response status field.
absl::Status StatusFromBinaryStatus(uint16_t binary_status);

// The status of a meta-protocol return code: HD, VA, EN, NS, EX, NF, MN, ME.
absl::Status StatusFromMetaCode(absl::string_view code);

// Convenience constructors for the I/O outcomes.
absl::Status ConnectionError(absl::string_view message);  // Unavailable
absl::Status TimeoutError(absl::string_view message);     // DeadlineExceeded

}  // namespace memkit

#endif  // MEMKIT_CORE_STATUS_STATUS_H_
