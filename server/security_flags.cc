#include "server/security_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace memkit {
namespace server {
namespace {

absl::Status Bad(absl::string_view message) { return absl::InvalidArgumentError(message); }

}  // namespace

absl::Status ApplySecurityFlag(char flag, const std::string& value, SecurityOptions* out) {
  switch (flag) {
    case 'Y':
      if (value.empty()) return Bad("invalid value for -Y (--auth-file): \"\"");
      out->auth_file = value;
      return absl::OkStatus();
    case 'S':
      out->sasl = true;
      return absl::OkStatus();
    case 'Z':
      out->tls = true;
      return absl::OkStatus();
    default:
      return Bad(absl::StrCat("unhandled option -", std::string(1, flag)));
  }
}

bool IsSecuritySuboption(const std::string& key) {
  return key.rfind("ssl_", 0) == 0;
}

absl::Status ApplySecuritySuboption(const std::string& key, const std::string& value,
                                    bool has_value, SecurityOptions* out) {
  auto need_value = [&]() -> absl::Status {
    if (!has_value || value.empty()) return Bad(absl::StrCat("missing value for -o ", key));
    return absl::OkStatus();
  };
  auto int_value = [&](int min, int max, int* dst) -> absl::Status {
    if (absl::Status s = need_value(); !s.ok()) return s;
    int v = 0;
    if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
      return Bad(absl::StrCat("invalid value for -o ", key, ": \"", value, "\""));
    }
    *dst = v;
    return absl::OkStatus();
  };
  if (key == "ssl_chain_cert") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    out->ssl_chain_cert = value;
  } else if (key == "ssl_key") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    out->ssl_key = value;
  } else if (key == "ssl_ca_cert") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    out->ssl_ca_cert = value;
  } else if (key == "ssl_ciphers") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    out->ssl_ciphers = value;
  } else if (key == "ssl_verify_mode") {
    return int_value(0, 3, &out->ssl_verify_mode);
  } else if (key == "ssl_keyformat") {
    return int_value(1, 1, &out->ssl_keyformat);
  } else if (key == "ssl_min_version") {
    return int_value(0, 3, &out->ssl_min_version);
  } else if (key == "ssl_wbuf_size") {
    return int_value(1, 1024 * 1024, &out->ssl_wbuf_size_kb);
  } else if (key == "ssl_session_cache") {
    out->ssl_session_cache = true;
  } else if (key == "ssl_kernel_tls") {
    out->ssl_kernel_tls = true;
  } else {
    return Bad(absl::StrCat("Illegal suboption \"", key, "\""));
  }
  return absl::OkStatus();
}

absl::Status FinishSecurityFlags(bool protocol_given, ServerOptions* o) {
  const SecurityOptions& s = o->security;
  if (!s.auth_file.empty()) {
    if (protocol_given && o->protocol != BindingProtocol::kAscii) {
      return Bad("You cannot allow the BINARY protocol while using ascii authentication tokens.");
    }
    o->protocol = BindingProtocol::kAscii;
  }
  if (s.sasl) {
    if ((protocol_given || !s.auth_file.empty()) && o->protocol != BindingProtocol::kBinary) {
      return Bad("You cannot allow the ASCII protocol while using SASL.");
    }
    o->protocol = BindingProtocol::kBinary;
  }
  return absl::OkStatus();
}

}  // namespace server
}  // namespace memkit
