// ProxySession: memkit-proxy's frontend::Backend, one per client
// connection. It routes each decoded request (core/frontend decodes the
// text, meta and binary protocols and keeps replies in request order) to the
// pool's servers and finishes the request's Exchange when the replies come:
//
//  - keyed text, meta and binary requests go, as the client sent them, to
//    the server the placement picks for their key; noreply (text), q (meta)
//    and quiet binary opcodes are followed by "mn" / a noop so that the
//    server's own quiet rules decide what the client sees;
//  - get/gets/gat/gats with keys on several servers are split per server
//    and the hits merged back in the client's key order;
//  - version, stats and binary stat are the proxy's own; flush_all (text
//    and binary) and verbosity go to every server up, answered once all have;
//  - what cannot be routed gets "SERVER_ERROR not supported by memkit-proxy"
//    (binary: Unknown command); a failed or timed-out server gets
//    "SERVER_ERROR backend unavailable: ..." / "SERVER_ERROR backend timeout"
//    (binary: status 0x86 Temporary failure with that text).
//
// docs/proxy.md lists every command's route.
//
// Thread-safety: the client connection's loop thread only.

#ifndef MEMKIT_PROXY_SESSION_H_
#define MEMKIT_PROXY_SESSION_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "core/frontend/backend.h"
#include "core/frontend/connection.h"
#include "proxy/config.h"
#include "proxy/pool.h"

namespace memkit {
namespace proxy {

// What every session shares: options and proxy-wide counters.
struct ProxyContext {
  const ProxyOptions* options = nullptr;
  Pool* pool = nullptr;
  absl::Time started = absl::Now();
  std::atomic<int64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> cmd_get{0};
  std::atomic<uint64_t> cmd_other{0};

  // The proxy's "stats" (general, then pool and servers) and "stats proxy"
  // (pool and servers only) as STAT lines, without the END.
  std::string StatLines(bool general) const;
};

class ProxySession final : public frontend::Backend {
 public:
  ProxySession(ProxyContext* context, WorkerPool* worker, uint64_t id);
  ~ProxySession() override;

  void OnTextRequest(const protocol::AsciiRequest& request, frontend::Exchange* ex) override;
  void OnBinaryRequest(const protocol::BinaryRequest& request, frontend::Exchange* ex) override;
  // A set refused as too large: memcached also unlinks the key's old value,
  // so the proxy deletes it on the key's server.
  bool OnTextError(absl::string_view line, const protocol::AsciiRequest& request,
                   const protocol::ProtocolError& error, net::OutputQueue* out) override;
  void OnBinaryError(const protocol::BinaryRequest& request,
                     const protocol::ProtocolError& error) override;

 private:
  void Get(const protocol::AsciiRequest& request, frontend::Exchange* ex);
  void ForwardText(absl::string_view key, bool quiet, bool finish_now, bool retrieval,
                   frontend::Exchange* ex);
  void ForwardBinary(const protocol::BinaryRequest& request, frontend::Exchange* ex);
  void BroadcastText(const protocol::AsciiRequest& request, frontend::Exchange* ex);
  void BroadcastBinaryFlush(const protocol::BinaryRequest& request, frontend::Exchange* ex);
  void TextStats(const protocol::AsciiRequest& request, frontend::Exchange* ex);
  void BinaryStats(const protocol::BinaryRequest& request, frontend::Exchange* ex);
  // Deletes `key` on its server, answering nobody.
  void UnlinkQuietly(absl::string_view key, bool binary);

  ProxyContext* const context_;
  WorkerPool* const worker_;
  const uint64_t id_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_SESSION_H_
