// Route netlink sockets: socket(AF_NETLINK, SOCK_RAW or SOCK_DGRAM,
// NETLINK_ROUTE). getifaddrs(3), if_nameindex(3) and the programs built on
// them (Node's os.networkInterfaces(), Python's socket.if_nameindex()) ask
// the kernel for its network interfaces and addresses this way. The
// sandbox's only network is its own loopback, so the socket replies from
// one interface, `lo`, with 127.0.0.1/8 and ::1/128, as the route netlink
// family of Linux would in a network namespace with only loopback.
//
// A request (sendto, sendmsg, write) is served at once: its replies queue
// on the socket as datagrams, which recvfrom, recvmsg and read take in
// order. Replies that would grow the queue beyond SO_RCVBUF are dropped,
// and the next receive fails with ENOBUFS, as on Linux.
//
// Requests served: RTM_GETLINK (a dump, or one link by index or
// name) and RTM_GETADDR (a dump, of one family or both). Others get an
// NLMSG_ERROR with EOPNOTSUPP. Multicast groups are accepted but never
// report anything, because nothing in the sandbox's network changes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/ipc/socket.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::shim::linux_abi {

// The address family number of netlink (AF_NETLINK) and the protocol this
// socket serves (NETLINK_ROUTE).
inline constexpr int32_t af_netlink = 16;
inline constexpr int32_t netlink_route = 0;

// struct sockaddr_nl.
struct NetlinkAddress {
  uint16_t family = af_netlink;
  uint16_t padding = 0;
  uint32_t port = 0;    // nl_pid
  uint32_t groups = 0;  // nl_groups
};
static_assert(sizeof(NetlinkAddress) == 12);

class NetlinkRouteSocket final : public ipc::Socket {
 public:
  NetlinkRouteSocket(uint32_t file_flags, ipc::SocketCredentials owner, ipc::SocketType type);

  // bind(2): `port` 0 lets the socket pick its port id, the process id as
  // for a process's first netlink socket on Linux.
  Result<void> bind(const NetlinkAddress& address);

  // getsockname(2): binds first, as Linux does for an unbound socket.
  NetlinkAddress name();

  // Serves the netlink messages in `data` and queues the replies.
  // Returns the length of `data`, as Linux does.
  Result<size_t> send(std::span<const std::byte> data);

  // Takes the oldest queued datagram, or only copies it with `peek`.
  // Waits for one unless `options.non_blocking`. Empty after a shutdown.
  Result<std::vector<std::byte>> receive(ipc::SocketTransfer options);

  // fd::File.
  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  uint32_t poll_events() override;
  event::Pollable* pollable() override { return &pollable_; }
  bool is_message_oriented() const override { return true; }
  Result<size_t> bytes_available() override;

  // ipc::Socket. A netlink socket has no name of the kinds SocketAddress
  // holds: getsockname(2) and getpeername(2) use name() instead.
  ipc::SocketAddress address() override { return {}; }
  Result<ipc::SocketAddress> peer_address() override { return ipc::SocketAddress{}; }
  Result<void> shutdown(uint32_t directions) override;
  size_t send_buffer_size() override;
  size_t receive_buffer_size() override;
  void set_send_buffer_size(size_t size) override;
  void set_receive_buffer_size(size_t size) override;
  ipc::SocketCredentials peer_credentials() override;
  std::optional<Errno> take_pending_error() override;
  Result<void> set_ipv6_only(bool) override { return fail(Errno::enoprotoopt); }

 private:
  // Binds to the default port id unless bound. `lock_` held.
  void bind_default_locked();

  sync::Mutex lock_;
  bool bound_ = false;                        // guarded by lock_
  NetlinkAddress name_;                       // guarded by lock_
  std::deque<std::vector<std::byte>> queue_;  // guarded by lock_
  size_t queued_bytes_ = 0;                   // guarded by lock_
  // ENOBUFS once replies were dropped because the queue was full, for the
  // next receive or SO_ERROR. Guarded by lock_.
  std::optional<Errno> pending_error_;
  uint32_t shutdown_ = 0;                                         // guarded by lock_
  size_t send_buffer_size_ = ipc::default_socket_buffer_size;     // guarded by lock_
  size_t receive_buffer_size_ = ipc::default_socket_buffer_size;  // guarded by lock_
  sync::WaitQueue queue_changed_;
  event::Pollable pollable_;
};

// `socket` as a route netlink socket, or nullptr. Only NetlinkRouteSocket
// has the netlink domain, so the domain decides without a dynamic_cast.
inline NetlinkRouteSocket* as_netlink(ipc::Socket& socket) {
  return socket.domain() == ipc::SocketDomain::netlink ? static_cast<NetlinkRouteSocket*>(&socket)
                                                       : nullptr;
}

// Decodes the sockaddr_nl of bind(2), connect(2) or sendto(2): `einval`
// when it is short or of another family.
Result<NetlinkAddress> decode_netlink_address(std::span<const std::byte> bytes);

// The sockaddr_nl bytes of `address`.
std::vector<std::byte> encode_netlink_address(const NetlinkAddress& address);

// Serves the network interface requests of ioctl(2) on a socket of any
// family (SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFMTU,
// SIOCGIFHWADDR, SIOCGIFCONF, and SIOCGIFADDR and SIOCGIFNETMASK on an
// AF_INET socket) from the same loopback interface. std::nullopt for other
// requests and for files that are not sockets.
std::optional<Result<uint64_t>> interface_ioctl(fd::File& file, uint32_t request,
                                                uint64_t argument);

}  // namespace litebox::shim::linux_abi
