#include "client/client_options.h"

namespace memkit {
namespace client {

const char* ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kBinary: return "binary";
    case Protocol::kMeta: return "meta";
    default: return "text";
  }
}

}  // namespace client
}  // namespace memkit
