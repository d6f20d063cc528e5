#include "server/handlers/listener_set.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// The address a client on this machine uses to reach `bound`.
net::Address ClientAddress(const net::Address& bound) {
  if (bound.family() == net::Address::Family::kIPv4 && bound.host() == "0.0.0.0") {
    return net::Address::IPv4Loopback(bound.port());
  }
  if (bound.family() == net::Address::Family::kIPv6 && bound.host() == "::") {
    return net::Address::IPv6Loopback(bound.port());
  }
  return bound;
}

std::string StatsName(const net::Address& a) {
  if (a.is_unix()) return absl::StrCat("unix:", a.host());
  return absl::StrCat("tcp:", a.ToString());
}

// memcached's -l prefix for a listener that stays plain under -Z.
constexpr absl::string_view kNoTlsPrefix = "notls:";

// The addresses `options` asks for; `*wildcard` when it names none.
// `notls` gets, per address, whether -l marked it "notls:".
absl::Status ResolveListenAddresses(const ServerOptions& options,
                                    std::vector<net::Address>* addresses, bool* wildcard,
                                    std::vector<bool>* notls) {
  *wildcard = false;
  if (!options.unix_socket.empty()) {
    auto a = net::Address::Unix(options.unix_socket);
    if (!a.ok()) return a.status();
    addresses->push_back(*a);
  } else if (options.listen.empty()) {
    *wildcard = true;
    addresses->push_back(net::Address::IPv4Any(static_cast<uint16_t>(options.port)));
  } else {
    for (absl::string_view text : options.listen) {
      const bool plain = absl::ConsumePrefix(&text, kNoTlsPrefix);
      net::ResolveOptions ro;
      ro.default_port = options.port;
      auto resolved = net::Resolve(text, ro);
      if (!resolved.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot resolve listen address \"", text, "\": ",
                         resolved.status().message()));
      }
      for (const net::Address& a : *resolved) {
        addresses->push_back(a);
        notls->resize(addresses->size(), false);
        notls->back() = plain;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ListenerSet::Bind(const ServerOptions& options) {
  std::vector<net::Address> wanted;
  bool wildcard = false;
  std::vector<bool> notls;
  absl::Status resolved = ResolveListenAddresses(options, &wanted, &wildcard, &notls);
  notls.resize(wanted.size(), false);
  if (!resolved.ok()) return resolved;

  listener_options_.backlog = options.backlog;
  listener_options_.unix_socket_mode = options.unix_mask;
  std::vector<std::unique_ptr<net::Listener>> bound;
  std::vector<bool> bound_notls;
  for (size_t i = 0; i < wanted.size(); ++i) {
    net::Address a = wanted[i];
    bound_notls.push_back(notls[i]);
    // Several listeners on port 0 share the port the first one got -- unless
    // one of them is on this very address (e.g. "-l 127.0.0.1,notls:127.0.0.1:0"):
    // then, as memcached, it gets a port of its own.
    bool same_address = false;
    for (const auto& b : bound) {
      same_address |= b->address().WithPort(0).ToString() == a.ToString();
    }
    if (a.is_ip() && a.port() == 0 && tcp_port_ != 0 && !same_address) {
      a = a.WithPort(static_cast<uint16_t>(tcp_port_));
    }
    auto listener = net::Listener::Create(a, listener_options_);
    if (!listener.ok()) {
      return absl::Status(listener.status().code(),
                          absl::StrCat("failed to listen on ", a.ToString(), ": ",
                                       listener.status().message()));
    }
    if (a.is_ip() && tcp_port_ == 0) tcp_port_ = (*listener)->address().port();
    bound.push_back(std::move(*listener));
  }
  if (wildcard) {
    // memcached's INADDR_ANY also takes IPv6 when the machine has it.
    auto v6 = net::Address::Parse(absl::StrCat("[::]:", tcp_port_));
    if (v6.ok()) {
      auto listener = net::Listener::Create(*v6, listener_options_);
      if (listener.ok()) {
        bound.push_back(std::move(*listener));
        bound_notls.push_back(false);
      }
    }
  }
  for (size_t i = 0; i < bound.size(); ++i) {
    std::unique_ptr<net::Listener>& listener = bound[i];
    auto slot = std::make_unique<ListenerSlot>();
    slot->notls = bound_notls[i];
    slot->address = listener->address();
    slot->stats_name = StatsName(slot->address);
    slot->listener = std::move(listener);
    addresses_.push_back(slot->address);
    slots_.push_back(std::move(slot));
  }
  client_address_ = ClientAddress(addresses_.front());
  return BindUdp(options, wanted, wildcard);
}

absl::Status ListenerSet::BindUdp(const ServerOptions& options,
                                  const std::vector<net::Address>& wanted, bool wildcard) {
  if (options.udp_port == 0 || !options.unix_socket.empty()) return absl::OkStatus();
  // -U -1: any free port (memcached's), which every interface then shares.
  uint16_t port = options.udp_port < 0 ? 0 : static_cast<uint16_t>(options.udp_port);
  std::vector<net::Address> udp;
  for (const net::Address& a : wanted) {
    if (a.is_ip()) udp.push_back(a.WithPort(port));
  }
  if (wildcard) {
    auto v6 = net::Address::Parse(absl::StrCat("[::]:", port));
    if (v6.ok()) udp.push_back(*v6);
  }
  for (size_t i = 0; i < udp.size(); ++i) {
    if (port != 0) udp[i] = udp[i].WithPort(port);
    auto listener = UdpListener::Bind(udp[i]);
    if (!listener.ok()) {
      // The wildcard's IPv6 half is optional, as for TCP.
      if (wildcard && i + 1 == udp.size()) break;
      return listener.status();
    }
    port = (*listener)->address().port();
    auto slot = std::make_unique<UdpSlot>();
    slot->slot.address = (*listener)->address();
    slot->slot.stats_name = absl::StrCat("udp:", slot->slot.address.ToString());
    slot->listener = std::move(*listener);
    udp_.push_back(std::move(slot));
  }
  return absl::OkStatus();
}

std::vector<net::Address> ListenerSet::udp_addresses() const {
  std::vector<net::Address> out;
  for (const auto& u : udp_) out.push_back(u->slot.address);
  return out;
}

absl::Status ListenerSet::Open(net::EventLoop* loop, const AcceptFn& on_accept) {
  absl::Status result;
  for (const auto& slot : slots_) {
    if (slot->listener == nullptr) {
      auto listener = net::Listener::Create(slot->address, listener_options_);
      if (!listener.ok()) {
        result.Update(listener.status());
        continue;
      }
      slot->listener = std::move(*listener);
      slot->started = false;
    }
    if (slot->started) continue;
    const ListenerSlot* raw = slot.get();
    absl::Status started =
        slot->listener->Start(loop, [on_accept, raw](net::UniqueFd fd, const net::Address& peer) {
          on_accept(std::move(fd), peer, raw);
        });
    if (!started.ok()) {
      result.Update(started);
      slot->listener.reset();
      continue;
    }
    slot->started = true;
    slot->fd.store(slot->listener->fd(), std::memory_order_relaxed);
  }
  for (const auto& u : udp_) {
    const ListenerSlot* raw = &u->slot;
    result.Update(u->listener->Start([loop, on_accept, raw](net::UniqueFd fd,
                                                             const net::Address& peer) {
      loop->Post([on_accept, raw, peer, fd = std::move(fd)]() mutable {
        on_accept(std::move(fd), peer, raw);
      });
    }));
  }
  accepting_.store(true, std::memory_order_relaxed);
  return result;
}

void ListenerSet::Close() {
  for (const auto& slot : slots_) {
    slot->fd.store(-1, std::memory_order_relaxed);
    if (slot->listener != nullptr) {
      slot->listener->Stop();
      slot->listener.reset();
    }
    slot->started = false;
  }
  for (const auto& u : udp_) u->listener->Stop();
  accepting_.store(false, std::memory_order_relaxed);
}

void ListenerSet::ForEachOpen(
    absl::FunctionRef<void(int fd, const std::string& stats_name)> fn) const {
  for (const auto& slot : slots_) {
    const int fd = slot->fd.load(std::memory_order_relaxed);
    if (fd >= 0) fn(fd, slot->stats_name);
  }
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
