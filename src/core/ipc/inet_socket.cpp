// The TCP side of StreamSocket: bind(2), connect(2) and the port
// table entries of AF_INET and AF_INET6 sockets on the sandbox's loopback
// network. Their connections are StreamConnection objects like those
// of Unix-domain sockets.
#include <utility>

#include "inet_ports.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "stream_connection.hpp"
#include "stream_listener.hpp"

namespace litebox::ipc {

Result<void> StreamSocket::bind_inet(InetAddress address) {
  TRY_VOID(check_bind_address(address));
  sync::LockGuard guard(lock_);
  if (holds_port_ || connection_ || listener_) {
    return fail(Errno::einval);
  }
  return bind_inet_locked(address);
}

Result<void> StreamSocket::bind_inet_locked(InetAddress address) {
  address.port = TRY(inet_ports().bind(inet_binding(address)));
  address_.kind = SocketAddress::Kind::inet;
  address_.inet = address;
  holds_port_ = true;
  return {};
}

Result<void> StreamSocket::connect_inet(InetAddress destination, SocketCredentials credentials) {
  {
    sync::LockGuard guard(lock_);
    if (listener_) {
      return fail(Errno::eisconn);
    }
    if (connection_) {
      // The first connect(2) after EINPROGRESS reports the completed
      // connection, and later ones `eisconn`, as on Linux.
      if (!connect_reported_.exchange(true)) {
        return {};
      }
      return fail(Errno::eisconn);
    }
  }

  // A connection to the wildcard address goes to loopback, as on Linux.
  if (destination.is_any()) {
    destination.ip = loopback_source(destination).ip;
  }
  if (destination.is_ipv4() && ipv6_only()) {
    return fail(Errno::enetunreach);
  }
  if (!destination.is_loopback()) {
    return fail(Errno::enetunreach);
  }

  {
    sync::LockGuard guard(lock_);
    InetAddress source = loopback_source(destination);
    if (!holds_port_) {
      TRY_VOID(bind_inet_locked(source));
    } else if (address_.inet.is_any()) {
      address_.inet.ip = source.ip;
    }
  }

  SocketAddress server_address{.kind = SocketAddress::Kind::inet, .name = {}, .inet = destination};
  TRY_VOID(
      connect_to_listener(inet_ports().find_listener(destination), credentials, server_address));
  if (is_non_blocking()) {
    connect_reported_.store(false);
    return fail(Errno::einprogress);
  }
  return {};
}

Result<void> StreamSocket::set_ipv6_only(bool only) {
  sync::LockGuard guard(lock_);
  if (holds_port_) {
    return fail(Errno::einval);
  }
  ipv6_only_.store(only, std::memory_order_relaxed);
  return {};
}

void StreamSocket::pass_listener_state(StreamSocket& accepted) {
  InetBinding binding{
      .owner = accepted.identity_,
      .address = accepted.address().inet,
      .dual_stack = false,
      .reuse_address = reuse_address(),
      .reuse_port = stored_option(StoredOption::reuse_port) != 0,
  };
  inet_ports().hold(binding);
  {
    sync::LockGuard guard(accepted.lock_);
    accepted.holds_port_ = true;
  }

  copy_options_to(accepted);
  // The accepted socket inherits the listener's buffer sizes, and grows
  // its send buffer as a connecting client does unless the listener's
  // SO_SNDBUF was set.
  accepted.set_receive_buffer_size(receive_buffer_size_.load(std::memory_order_relaxed));
  accepted.send_buffer_set_.store(send_buffer_set_.load(std::memory_order_relaxed),
                                  std::memory_order_relaxed);
  sync::LockGuard guard(accepted.lock_);
  accepted.connection_->set_send_buffer_size(accepted.side_, connected_send_buffer_size());
}

}  // namespace litebox::ipc
