// The TCP and UDP ports of the sandbox's loopback network: which socket
// has bound which address and port, and which listener connect(2) or which
// datagram socket sendto(2) reaches there. One table per protocol serves
// the whole sandbox: it lives in the kernel heap that
// forked guest processes share, so a client in one process finds a server
// in another.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "litebox/ipc/inet_address.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::ipc {

class StreamListener;
class DatagramQueue;

// Linux's default net.ipv4.ip_local_port_range, from which bind(2) with
// port 0 and connect(2) of an unbound socket pick a port.
inline constexpr uint16_t first_ephemeral_port = 32768;
inline constexpr uint16_t last_ephemeral_port = 60999;

// The part of a port that one socket has bound.
struct InetBinding {
  uint64_t owner = 0;  // a number unique to the socket
  InetAddress address;
  // An AF_INET6 socket on :: without IPV6_V6ONLY, which IPv4 clients
  // reach too.
  bool dual_stack = false;
  bool reuse_address = false;  // SO_REUSEADDR
  bool reuse_port = false;     // SO_REUSEPORT
};

class InetPortTable {
 public:
  // Binds `binding`, or a free ephemeral port when its port is 0, and
  // returns the port. `eaddrinuse` if a socket whose address overlaps
  // has bound the port, unless both set SO_REUSEADDR and that socket does not
  // listen, or both set SO_REUSEPORT, as Linux allows. Datagrams sent to
  // the binding go to `receiver`, if given.
  Result<uint16_t> bind(const InetBinding& binding, std::weak_ptr<DatagramQueue> receiver = {});

  // Records that the socket that accept(2) returned shares its listener's
  // port, which keeps the port in use while the connection lasts.
  void hold(const InetBinding& binding);

  // Makes `listener` the socket that connect(2) to the address of `owner`
  // reaches: `eaddrinuse` if another socket listens on an overlapping
  // address and port.
  Result<void> listen(uint64_t owner, uint16_t port, std::weak_ptr<StreamListener> listener);

  // The listener that a connection to `destination` reaches: one bound to
  // that address, else one bound to the wildcard of its family; nullptr
  // when none listens.
  // TODO: SO_REUSEPORT listeners on one port do not share the connections;
  // the first one bound gets them all.
  std::shared_ptr<StreamListener> find_listener(const InetAddress& destination);

  // The datagram socket that a datagram to `destination` reaches, chosen
  // as find_listener() chooses; nullptr when none has bound the port.
  std::shared_ptr<DatagramQueue> find_receiver(const InetAddress& destination);

  // Releases the binding of `owner` to `port`.
  void release(uint64_t owner, uint16_t port);

 private:
  struct Entry {
    InetBinding binding;
    std::weak_ptr<StreamListener> listener;  // expired unless the owner listens
    std::weak_ptr<DatagramQueue> receiver;   // expired unless the owner is a datagram socket
  };

  // The live object that `member` of an entry points to for a packet to
  // `destination`, preferring a binding to that address over the wildcard.
  template <typename Target>
  std::shared_ptr<Target> find_target_locked(const InetAddress& destination,
                                             std::weak_ptr<Target> Entry::*member);

  bool conflicts_locked(const InetBinding& binding) const;
  std::multimap<uint16_t, Entry>::iterator find_locked(uint64_t owner, uint16_t port);

  sync::Mutex lock_;
  std::multimap<uint16_t, Entry> entries_;  // guarded by lock_, keyed by port
};

// Whether a socket bound as `binding` receives connections to `destination`.
bool binding_accepts(const InetBinding& binding, const InetAddress& destination);

// The TCP and UDP tables of the sandbox, made during static
// initialization, before the guest's first fork. TCP and UDP ports are
// separate, as on Linux.
InetPortTable& inet_ports();
InetPortTable& udp_ports();

// The source address Linux picks for a packet to `destination` on
// loopback: 127.0.0.1 or ::1.
inline InetAddress loopback_source(const InetAddress& destination) {
  return destination.is_ipv4() ? InetAddress::ipv4_loopback() : InetAddress::ipv6_loopback();
}

}  // namespace litebox::ipc
