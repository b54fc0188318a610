#include "litebox/ipc/datagram_socket.hpp"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "datagram_queue.hpp"
#include "inet_ports.hpp"
#include "unix_names.hpp"

namespace litebox::ipc {

namespace {

// The largest UDP payload: 65535 less the IPv4 and UDP headers, or less
// the UDP header alone over IPv6.
constexpr size_t max_udp_ipv4_payload = 65507;
constexpr size_t max_udp_ipv6_payload = 65527;

// Linux takes a Unix datagram only if it is at least this much smaller
// than the sender's SO_SNDBUF.
constexpr size_t unix_datagram_overhead = 32;

}  // namespace

DatagramSocket::DatagramSocket(uint32_t flags, SocketCredentials owner, SocketDomain domain)
    : Socket(flags, owner, domain, SocketType::datagram),
      pollable_(std::make_shared<event::Pollable>()),
      queue_(std::make_shared<DatagramQueue>(pollable_, identity_)) {
  if (domain_ != SocketDomain::unix_domain) {
    address_.kind = SocketAddress::Kind::inet;
    address_.inet =
        domain_ == SocketDomain::inet ? InetAddress::ipv4_any() : InetAddress::ipv6_any();
    bound_inet_ = address_.inet;
  }
}

DatagramSocket::~DatagramSocket() {
  queue_->close();
  if (holds_port_) {
    udp_ports().release(identity_, address_.inet.port);
  }
  if (holds_name_) {
    unix_names().release(unix_name_key(address_, SocketInodeKey{name_device_, name_inode_}),
                         identity_);
  }
}

Result<size_t> DatagramSocket::read(std::span<std::byte> buffer) {
  // read(2) of nothing returns at once, while recv(2) of nothing takes a
  // datagram, as on Linux.
  if (buffer.empty()) {
    return size_t{0};
  }
  DatagramReceipt receipt = TRY(receive(buffer, SocketTransfer{.non_blocking = is_non_blocking()}));
  return receipt.copied;
}

Result<size_t> DatagramSocket::write(std::span<const std::byte> data) {
  return send(data, SocketTransfer{.non_blocking = is_non_blocking()});
}

uint32_t DatagramSocket::poll_events() {
  uint32_t events = queue_->poll_events();
  std::shared_ptr<DatagramQueue> peer;
  size_t limit = 0;
  {
    sync::LockGuard guard(lock_);
    peer = peer_.lock();
    limit = send_buffer_size_;
  }
  if (!peer || !peer->is_full_for(identity_, limit, pollable_)) {
    events |= event::pollout | event::pollwrnorm | event::pollwrband;
  }
  return events;
}

event::Pollable* DatagramSocket::pollable() { return pollable_.get(); }

Result<size_t> DatagramSocket::bytes_available() { return queue_->next_length(); }

Result<DatagramReceipt> DatagramSocket::receive(std::span<std::byte> buffer,
                                                SocketTransfer options) {
  options.non_blocking = options.non_blocking || is_non_blocking();
  return queue_->receive(buffer, options);
}

Result<size_t> DatagramSocket::send(std::span<const std::byte> data, SocketTransfer options,
                                    FileRights rights) {
  std::optional<SocketAddress> peer_address;
  std::shared_ptr<DatagramQueue> peer;
  {
    sync::LockGuard guard(lock_);
    peer_address = peer_address_;
    peer = peer_.lock();
  }
  if (!peer_address) {
    return fail(domain_ == SocketDomain::unix_domain ? Errno::enotconn : Errno::edestaddrreq);
  }
  if (domain_ != SocketDomain::unix_domain) {
    return send_to_inet(peer_address->inet, data, options);
  }

  if (!peer) {
    // The peer was closed: forget it, as Linux does on the first send
    // that finds it gone.
    disconnect();
    return fail(Errno::econnrefused);
  }
  auto sent = send_to_unix(Target{.queue = peer, .address = *peer_address}, data, options,
                           std::move(rights));
  if (!sent && sent.error() == Errno::econnrefused) {
    disconnect();
  }
  return sent;
}

Result<size_t> DatagramSocket::send_to_unix(const Target& target, std::span<const std::byte> data,
                                            SocketTransfer options, FileRights rights) {
  Datagram datagram;
  size_t limit = 0;
  {
    sync::LockGuard guard(lock_);
    if ((send_shutdown_ & shutdown_send) != 0) {
      return fail(Errno::epipe);
    }
    limit = send_buffer_size_;
    datagram.source = address_;
  }
  if (data.size() + unix_datagram_overhead > limit) {
    return fail(Errno::emsgsize);
  }
  datagram.data.assign(data.begin(), data.end());
  datagram.sender = identity_;
  datagram.rights = std::move(rights);

  bool non_blocking = options.non_blocking || is_non_blocking();
  TRY_VOID(target.queue->deliver_unix(std::move(datagram), limit, non_blocking, pollable_));
  return data.size();
}

Result<DatagramSocket::Target> DatagramSocket::unix_target(const SocketInodeKey& inode,
                                                           const SocketAddress& address) {
  auto queue = TRY(unix_names().find_receiver(unix_name_key(address, inode)));
  return Target{.queue = std::move(queue), .address = address};
}

Result<size_t> DatagramSocket::send_to_path(fs::Vfs& vfs, const fs::PathContext& context,
                                            const fs::Location& start, std::string_view path,
                                            std::span<const std::byte> data, SocketTransfer options,
                                            FileRights rights) {
  SocketInodeKey inode = TRY(find_socket_inode(vfs, context, start, path));
  SocketAddress address{.kind = SocketAddress::Kind::path, .name = std::string(path), .inet = {}};
  Target target = TRY(unix_target(inode, address));
  return send_to_unix(target, data, options, std::move(rights));
}

Result<size_t> DatagramSocket::send_to_abstract(const std::string& name,
                                                std::span<const std::byte> data,
                                                SocketTransfer options, FileRights rights) {
  SocketAddress address{.kind = SocketAddress::Kind::abstract, .name = name, .inet = {}};
  Target target = TRY(unix_target(SocketInodeKey{}, address));
  return send_to_unix(target, data, options, std::move(rights));
}

Result<InetAddress> DatagramSocket::route_inet(InetAddress destination) const {
  // A datagram to the wildcard address goes to loopback, as on Linux.
  if (destination.is_any()) {
    destination.ip = loopback_source(destination).ip;
  }
  if (!destination.is_loopback() || (destination.is_ipv4() && ipv6_only())) {
    return fail(Errno::enetunreach);
  }
  return destination;
}

Result<size_t> DatagramSocket::send_to_inet(InetAddress destination,
                                            std::span<const std::byte> data,
                                            SocketTransfer options) {
  (void)options;  // A UDP send never waits: a full receiver drops the datagram.
  destination = TRY(route_inet(destination));
  if (destination.port == 0) {
    return fail(Errno::einval);
  }
  size_t max_payload = destination.is_ipv4() ? max_udp_ipv4_payload : max_udp_ipv6_payload;
  if (data.size() > max_payload) {
    return fail(Errno::emsgsize);
  }

  Datagram datagram;
  bool connected = false;
  {
    sync::LockGuard guard(lock_);
    if ((send_shutdown_ & shutdown_send) != 0) {
      return fail(Errno::epipe);
    }
    if (!holds_port_) {
      TRY_VOID(bind_inet_locked(bound_inet_));
    }
    datagram.source = address_;
    if (datagram.source.inet.is_any()) {
      datagram.source.inet.ip = loopback_source(destination).ip;
    }
    connected = peer_address_.has_value();
  }
  if (auto error = queue_->take_pending_error()) {
    return fail(*error);
  }
  datagram.data.assign(data.begin(), data.end());
  datagram.sender = identity_;

  std::shared_ptr<DatagramQueue> receiver = udp_ports().find_receiver(destination);
  if (receiver) {
    receiver->deliver_inet(std::move(datagram));
  } else if (connected) {
    // Linux's loopback replies at once with ICMP port unreachable, which a
    // connected socket reports as ECONNREFUSED on its next call.
    queue_->set_pending_error(Errno::econnrefused);
  }
  return data.size();
}

Result<void> DatagramSocket::hold_unix_name(SocketAddress address, const SocketInodeKey& inode) {
  sync::LockGuard guard(lock_);
  if (address_.kind != SocketAddress::Kind::unnamed) {
    return fail(Errno::einval);
  }
  TRY_VOID(unix_names().bind(unix_name_key(address, inode), identity_, queue_));
  address_ = std::move(address);
  holds_name_ = true;
  name_device_ = inode.device;
  name_inode_ = inode.inode;
  return {};
}

Result<void> DatagramSocket::bind_path(fs::Vfs& vfs, const fs::PathContext& context,
                                       const fs::Location& start, std::string_view path) {
  return bind_socket_inode(vfs, context, start, path, [&](const SocketInodeKey& inode) {
    SocketAddress address{.kind = SocketAddress::Kind::path, .name = std::string(path), .inet = {}};
    return hold_unix_name(std::move(address), inode);
  });
}

Result<void> DatagramSocket::bind_abstract(std::string name) {
  SocketAddress address{.kind = SocketAddress::Kind::abstract, .name = std::move(name), .inet = {}};
  return hold_unix_name(std::move(address), SocketInodeKey{});
}

Result<void> DatagramSocket::bind_automatic() {
  sync::LockGuard guard(lock_);
  if (address_.kind != SocketAddress::Kind::unnamed) {
    return {};
  }
  std::string name = TRY(unix_names().bind_automatic(identity_, queue_));
  address_ =
      SocketAddress{.kind = SocketAddress::Kind::abstract, .name = std::move(name), .inet = {}};
  holds_name_ = true;
  return {};
}

Result<void> DatagramSocket::bind_inet(InetAddress address) {
  TRY_VOID(check_bind_address(address));
  sync::LockGuard guard(lock_);
  if (holds_port_) {
    return fail(Errno::einval);
  }
  return bind_inet_locked(address);
}

Result<void> DatagramSocket::bind_inet_locked(InetAddress address) {
  address.port = TRY(udp_ports().bind(inet_binding(address), queue_));
  address_.kind = SocketAddress::Kind::inet;
  address_.inet = address;
  bound_inet_ = address;
  holds_port_ = true;
  return {};
}

Result<void> DatagramSocket::connect_unix(const Target& target) {
  // Linux's unix_may_send(): a socket connected to a third one takes no
  // datagrams from this one.
  if (!target.queue->accepts_from(identity_)) {
    return fail(Errno::eperm);
  }
  sync::LockGuard guard(lock_);
  peer_ = target.queue;
  peer_address_ = target.address;
  queue_->set_peer(target.queue->owner(), std::nullopt);
  return {};
}

Result<void> DatagramSocket::connect_path(fs::Vfs& vfs, const fs::PathContext& context,
                                          const fs::Location& start, std::string_view path) {
  SocketInodeKey inode = TRY(find_socket_inode(vfs, context, start, path));
  SocketAddress address{.kind = SocketAddress::Kind::path, .name = std::string(path), .inet = {}};
  return connect_unix(TRY(unix_target(inode, address)));
}

Result<void> DatagramSocket::connect_abstract(const std::string& name) {
  SocketAddress address{.kind = SocketAddress::Kind::abstract, .name = name, .inet = {}};
  return connect_unix(TRY(unix_target(SocketInodeKey{}, address)));
}

Result<void> DatagramSocket::connect_inet(InetAddress destination) {
  destination = TRY(route_inet(destination));

  sync::LockGuard guard(lock_);
  if (!holds_port_) {
    TRY_VOID(bind_inet_locked(bound_inet_));
  }
  // As on Linux, a socket on the wildcard address takes the source
  // address of its route as its name.
  address_.inet.ip = bound_inet_.is_any() ? loopback_source(destination).ip : bound_inet_.ip;
  peer_address_ = SocketAddress{.kind = SocketAddress::Kind::inet, .name = {}, .inet = destination};
  queue_->set_peer(std::nullopt, peer_address_);
  return {};
}

void DatagramSocket::disconnect() {
  sync::LockGuard guard(lock_);
  peer_.reset();
  peer_address_.reset();
  pair_creator_.reset();
  if (holds_port_) {
    address_.inet.ip = bound_inet_.ip;
  }
  queue_->set_peer(std::nullopt, std::nullopt);
}

void DatagramSocket::connect_pair(DatagramSocket& first, DatagramSocket& second,
                                  SocketCredentials creator) {
  for (auto [self, other] : {std::pair{&first, &second}, std::pair{&second, &first}}) {
    sync::LockGuard guard(self->lock_);
    self->peer_ = other->queue_;
    self->peer_address_ = SocketAddress{};
    self->pair_creator_ = creator;
    self->queue_->set_peer(other->identity_, std::nullopt);
  }
}

SocketAddress DatagramSocket::address() {
  sync::LockGuard guard(lock_);
  return address_;
}

Result<SocketAddress> DatagramSocket::peer_address() {
  sync::LockGuard guard(lock_);
  if (!peer_address_) {
    return fail(Errno::enotconn);
  }
  return *peer_address_;
}

Result<void> DatagramSocket::shutdown(uint32_t directions) {
  {
    sync::LockGuard guard(lock_);
    // A UDP socket must be connected, as Linux requires.
    if (domain_ != SocketDomain::unix_domain && !peer_address_) {
      return fail(Errno::enotconn);
    }
    send_shutdown_ |= directions;
  }
  queue_->shutdown(directions);
  return {};
}

size_t DatagramSocket::send_buffer_size() {
  sync::LockGuard guard(lock_);
  return send_buffer_size_;
}

size_t DatagramSocket::receive_buffer_size() { return queue_->receive_buffer_size(); }

void DatagramSocket::set_send_buffer_size(size_t size) {
  sync::LockGuard guard(lock_);
  send_buffer_size_ = std::max(size, min_send_buffer_size);
}

void DatagramSocket::set_receive_buffer_size(size_t size) { queue_->set_receive_buffer_size(size); }

Result<void> DatagramSocket::set_ipv6_only(bool only) {
  sync::LockGuard guard(lock_);
  if (holds_port_) {
    return fail(Errno::einval);
  }
  ipv6_only_.store(only, std::memory_order_relaxed);
  return {};
}

SocketCredentials DatagramSocket::peer_credentials() {
  sync::LockGuard guard(lock_);
  if (pair_creator_) {
    return *pair_creator_;
  }
  constexpr uint32_t no_id = std::numeric_limits<uint32_t>::max();
  return SocketCredentials{.pid = 0, .uid = no_id, .gid = no_id};
}

std::optional<Errno> DatagramSocket::take_pending_error() { return queue_->take_pending_error(); }

}  // namespace litebox::ipc
