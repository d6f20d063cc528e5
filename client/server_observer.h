// ServerObserver: a hook told the outcome and latency of each round trip a
// Client makes to a server, for per-server statistics (ClientPool uses it for
// its admin API's requests, failures and latency histograms).
//
// Thread-safety: called on the thread running the Client's call, so an
// observer shared by Clients on several threads must be thread-safe.

#ifndef MEMKIT_CLIENT_SERVER_OBSERVER_H_
#define MEMKIT_CLIENT_SERVER_OBSERVER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace memkit {
namespace client {

class ServerObserver {
 public:
  virtual ~ServerObserver() = default;
  // One round trip to server `server` (its index among the Client's servers,
  // in ClientOptions::servers order) ended: OK, or why it failed (also
  // when the server was resting after failures and was not even tried). `latency` runs from the
  // start of the call's I/O; 0 when the failure happened before any (e.g. a flush of buffered
  // requests).
  virtual void OnRoundTrip(size_t server, const absl::Status& status, absl::Duration latency) = 0;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_SERVER_OBSERVER_H_
