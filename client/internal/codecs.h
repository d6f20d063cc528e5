// The per-protocol codecs behind ProtocolCodec (codec.h). Private to client/.
//
// Thread-safety: stateless; safe from any thread.

#ifndef MEMKIT_CLIENT_INTERNAL_CODECS_H_
#define MEMKIT_CLIENT_INTERNAL_CODECS_H_

#include "client/internal/codec.h"

namespace memkit {
namespace client {
namespace internal {

// get/gets/gat/gats with up to 100 keys per line; other requests one line
// each, answered in order. incr/decr with an initial value is done by the
// client (incr, then add on a miss).
class TextCodec final : public ProtocolCodec {
 public:
  void Encode(Batch* batch, uint32_t* next_opaque, std::string* out) const override;
  DecodeProgress Decode(Batch* batch, absl::string_view in, CodecScratch* scratch,
                        size_t* consumed, absl::Status* error) const override;
};

// mg/ms/md/ma with an opaque (O) on every request; multi-key batches are
// quiet (q) and end with mn. flush_all, version, verbosity and stats go as
// text commands on the same connection.
class MetaCodec final : public ProtocolCodec {
 public:
  void Encode(Batch* batch, uint32_t* next_opaque, std::string* out) const override;
  DecodeProgress Decode(Batch* batch, absl::string_view in, CodecScratch* scratch,
                        size_t* consumed, absl::Status* error) const override;
};

// One packet per request with an opaque; multi-key batches use the quiet
// opcodes and end with a noop.
class BinaryCodec final : public ProtocolCodec {
 public:
  void Encode(Batch* batch, uint32_t* next_opaque, std::string* out) const override;
  DecodeProgress Decode(Batch* batch, absl::string_view in, CodecScratch* scratch,
                        size_t* consumed, absl::Status* error) const override;
};

}  // namespace internal
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_CODECS_H_
