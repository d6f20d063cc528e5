// ClientOptions: everything a memkit::client::Client is built from: the
// servers, the wire protocol, placement (libmemcached's distribution, hash,
// sort-hosts, namespace prefix, replicas), failure handling and socket
// behaviors. Field names follow libmemcached's MEMCACHED_BEHAVIOR_* names
// where the meaning is the same; docs/client.md has the full table with each
// libmemcached / pylibmc / pymemcache equivalent.
//
// Thread-safety: a plain value type.

#ifndef MEMKIT_CLIENT_CLIENT_OPTIONS_H_
#define MEMKIT_CLIENT_CLIENT_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/net/clock.h"
#include "core/value/codec.h"

namespace memkit {
namespace client {

// The wire protocol a Client speaks to every server.
enum class Protocol {
  kText,    // get/set/... lines: what every memcached speaks.
  kBinary,  // memcached's binary protocol (libmemcached's BINARY_PROTOCOL).
  kMeta,    // mg/ms/md/ma (memcached >= 1.6): opaque pipelining, leases.
};

// "text", "binary", "meta".
const char* ProtocolName(Protocol protocol);

struct ClientOptions {
  // ---- servers and protocol
  // Servers, each "host:port[:weight]", "[ipv6]:port[:weight]", "/unix/path"
  // or "unix:/path" (core/hash/server_spec.h). At least one.
  std::vector<std::string> servers;
  Protocol protocol = Protocol::kText;

  // ---- placement (core/hash)
  // MEMCACHED_BEHAVIOR_DISTRIBUTION. libmemcached's default is modula.
  hash::Distribution distribution = hash::Distribution::kModula;
  // MEMCACHED_BEHAVIOR_HASH; unset = libmemcached's choice (MD5 for weighted
  // ketama, one-at-a-time otherwise).
  absl::optional<hash::HashAlgorithm> hash;
  // MEMCACHED_BEHAVIOR_SORT_HOSTS.
  bool sort_hosts = false;
  // libmemcached turns a consistent distribution into its weighted form as
  // soon as a server has weight > 1 (pylibmc relies on it). See placement.h.
  bool auto_weighted = true;
  // Namespace prepended to every key on the wire (MEMCACHED_CALLBACK_PREFIX_KEY,
  // pylibmc/pymemcache key_prefix).
  std::string prefix;
  // MEMCACHED_BEHAVIOR_HASH_WITH_PREFIX_KEY: place keys by prefix + key
  // instead of by the key alone (libmemcached's default: the key alone).
  bool hash_with_prefix = false;
  // MEMCACHED_BEHAVIOR_NUMBER_OF_REPLICAS: writes and deletes also go to the
  // next `replicas` servers in list order; reads fall back to them.
  int replicas = 0;
  // MEMCACHED_BEHAVIOR_RANDOMIZE_REPLICA_READ: reads start at a random copy.
  bool randomize_replica_read = false;

  // ---- keys
  // MEMCACHED_BEHAVIOR_VERIFY_KEY (libmemcached: off; memkit: on). Text and
  // meta keys must be printable ASCII without spaces; off checks only the
  // length (binary keys are never checked byte by byte).
  bool verify_keys = true;

  // ---- timeouts and failure handling
  // MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT.
  absl::Duration connect_timeout = absl::Seconds(1);
  // MEMCACHED_BEHAVIOR_POLL_TIMEOUT (and RCV/SND_TIMEOUT): the longest a
  // request waits for a server to accept bytes or to answer.
  absl::Duration io_timeout = absl::Seconds(1);
  // MEMCACHED_BEHAVIOR_RETRY_TIMEOUT: after a failure, a server is not tried
  // again for this long; requests for it fail at once with Unavailable.
  absl::Duration retry_timeout = absl::Seconds(2);
  // MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT: consecutive failures after
  // which a server is declared dead for `dead_timeout`. 0 = never.
  int server_failure_limit = 2;
  // MEMCACHED_BEHAVIOR_DEAD_TIMEOUT: how long a dead server stays dead
  // (ejected, with auto_eject_hosts) before it is tried again.
  absl::Duration dead_timeout = absl::Seconds(10);
  // MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS (pylibmc "remove_failed"): a dead
  // server leaves the placement, its keys go to the live servers, and it
  // returns when dead_timeout has passed and it answers again.
  bool auto_eject_hosts = false;
  // The clock the retry timeout, the dead timeout and auto-eject's restore
  // read (not socket timeouts, which are real time). Null: the monotonic
  // system clock. Tests pass a net::ManualClock and Advance() it instead of
  // sleeping. Not owned; must outlive every Client built with it.
  const net::Clock* clock = nullptr;

  // ---- socket and request behaviors
  // MEMCACHED_BEHAVIOR_TCP_NODELAY.
  bool tcp_nodelay = true;
  // MEMCACHED_BEHAVIOR_TCP_KEEPALIVE.
  bool tcp_keepalive = false;
  // MEMCACHED_BEHAVIOR_SOCKET_SEND_SIZE / _RECV_SIZE; 0 = system default.
  int socket_send_size = 0;
  int socket_recv_size = 0;
  // MEMCACHED_BEHAVIOR_NOREPLY: storage, delete, incr/decr, touch, flush and
  // verbosity ask for no reply (results are OK unless the request could not
  // be sent). Per-call options override it.
  bool noreply = false;
  // MEMCACHED_BEHAVIOR_BUFFER_REQUESTS: storage and delete requests are
  // queued (with noreply) and sent with the next request that needs an
  // answer, or by Flush().
  bool buffer_requests = false;
  // MEMCACHED_BEHAVIOR_NO_BLOCK: libmemcached's asynchronous I/O switch.
  // memkit's sockets are always driven with poll() and deadlines, so this
  // only exists for configuration compatibility; it changes nothing.
  bool no_block = false;

  // ---- typed values (core/value), for SetValue/GetValue
  value::CodecOptions value_codec;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_CLIENT_OPTIONS_H_
