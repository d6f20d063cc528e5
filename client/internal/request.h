// The client's protocol-neutral request model. A public Client call becomes
// one Batch per server involved; each Batch names the operation (OpSpec) and
// the Slots (one per key) it carries. A ProtocolCodec (codec.h) writes a
// Batch's requests into a connection's output buffer and feeds the replies
// back into the Slots; the Cluster (cluster.h) drives the sockets.
//
// A Client keeps its Slots and Batches between calls (Reset() rather than
// rebuild), so a steady-state call allocates nothing here.
//
// Thread-compatible.

#ifndef MEMKIT_CLIENT_INTERNAL_REQUEST_H_
#define MEMKIT_CLIENT_INTERNAL_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace client {
namespace internal {

enum class Op : uint8_t {
  kGet,  // also gets: the cas is always collected when the protocol sends it
  kGat,  // get and touch (gat/gats)
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kDelete,
  kIncr,
  kDecr,
  kTouch,
  // Per-server commands without keys.
  kFlushAll,
  kVersion,
  kVerbosity,
  kStats,
  // Meta only: mg with lease flags (see LeaseArgs).
  kLeaseGet,
};

bool IsStorageOp(Op op);
bool IsKeyedOp(Op op);

// What every Slot of a batch shares.
struct OpSpec {
  Op op = Op::kGet;
  bool want_cas = false;   // gets/gats (text and meta ask for it explicitly)
  bool noreply = false;    // ask for no reply (quiet)
  // Every slot's key was checked by the client's KeyPolicy with verify_keys
  // (printable ASCII, no space, at most 250 bytes with the prefix), so the
  // text and meta codecs need not check it again before putting it on a line.
  bool keys_verified = false;
  int32_t exptime = 0;     // storage, gat, touch, incr/decr with initial
  uint64_t delta = 0;      // incr/decr
  bool has_initial = false;
  uint64_t initial = 0;    // incr/decr: the value a missing counter starts at
  // kFlushAll: delay (-1 = none); kVerbosity: level.
  int64_t number = -1;
  absl::string_view stats_args;  // kStats
  // kLeaseGet (meta): N<vivify_ttl> R<recache_ttl>; 0 = not sent.
  int32_t vivify_ttl = 0;
  int32_t recache_ttl = 0;
};

// One key's request and result.
struct Slot {
  // ---- in
  absl::string_view key;    // as it goes on the wire (prefixed)
  absl::string_view value;  // storage ops
  uint32_t flags = 0;       // storage ops
  uint64_t cas = 0;         // kCas: the cas to compare

  // ---- out
  bool answered = false;
  bool hit = false;         // get family: a value arrived (a miss leaves status OK)
  absl::Status status;      // OK, NotFound, Aborted, Unavailable, ...
  std::string* out_value = nullptr;  // where a hit's value goes (may be null)
  // Or, when set, a hit's value is appended here instead, at out_offset
  // (out_size bytes): a multi-get's values share one reusable buffer.
  std::string* out_arena = nullptr;
  size_t out_offset = 0;
  size_t out_size = 0;
  uint32_t out_flags = 0;
  uint64_t out_cas = 0;
  uint64_t number = 0;      // incr/decr result
  // kLeaseGet: meta W (won the right to recompute), X (stale), Z (a win
  // token was already handed out).
  bool won = false;
  bool stale = false;
  bool win_sent = false;
};

// The replies of one server to one Batch; filled in by the codec.
struct Batch {
  const OpSpec* spec = nullptr;
  Slot* slots = nullptr;                       // base of the caller's slot array
  std::vector<uint32_t> indexes;               // which slots go to this server
  size_t server = 0;

  // ---- codec state
  size_t cursor = 0;         // next index (in-order replies)
  size_t lines_pending = 0;  // text multiget: END lines still expected
  uint32_t opaque_base = 0;  // binary/meta: opaque of indexes[0]
  bool expects_reply = true; // false once encoded quiet with no terminator
  bool done = false;

  // ---- per-server results (kVersion, kStats, kFlushAll, kVerbosity)
  absl::Status status;
  std::string version;
  std::vector<std::pair<std::string, std::string>> stats;

  Slot& slot(size_t i) { return slots[indexes[i]]; }
  size_t size() const { return indexes.size(); }

  // Clears the codec state and the per-server results for another call,
  // keeping `indexes` and the buffers' capacity.
  void Reset() {
    cursor = 0;
    lines_pending = 0;
    opaque_base = 0;
    expects_reply = true;
    done = false;
    status = absl::OkStatus();
    version.clear();
    stats.clear();
  }
};

}  // namespace internal
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_REQUEST_H_
