#include "litebox/ipc/stream_socket.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <utility>

#include "inet_ports.hpp"
#include "stream_connection.hpp"
#include "stream_listener.hpp"
#include "unix_names.hpp"

namespace litebox::ipc {

namespace {

// The poll(2) events of a socket that is neither connected nor listening:
// writable and hung up, as Linux reports a stream socket in TCP_CLOSE.
uint32_t unconnected_poll_events(uint32_t shutdown) {
  uint32_t events = event::pollout | event::pollwrnorm | event::pollwrband | event::pollhup;
  if ((shutdown & shutdown_receive) != 0) {
    events |= event::pollrdhup | event::pollin | event::pollrdnorm;
  }
  return events;
}

}  // namespace

StreamSocket::StreamSocket(uint32_t flags, SocketCredentials owner, SocketDomain domain)
    : Socket(flags, owner, domain, SocketType::stream),
      pollable_(std::make_shared<event::Pollable>()) {
  if (domain_ != SocketDomain::unix_domain) {
    address_.kind = SocketAddress::Kind::inet;
    address_.inet =
        domain_ == SocketDomain::inet ? InetAddress::ipv4_any() : InetAddress::ipv6_any();
    send_buffer_size_.store(default_tcp_send_buffer_size, std::memory_order_relaxed);
    receive_buffer_size_.store(default_tcp_receive_buffer_size, std::memory_order_relaxed);
  }
}

StreamSocket::StreamSocket(std::shared_ptr<StreamConnection> connection, size_t side,
                           uint32_t flags, SocketCredentials owner, SocketAddress address,
                           SocketDomain domain)
    : Socket(flags, owner, domain, SocketType::stream),
      pollable_(connection->pollable(side)),
      address_(std::move(address)),
      connection_(std::move(connection)),
      side_(side) {
  connected_.store(connection_.get(), std::memory_order_release);
}

StreamSocket::~StreamSocket() {
  if (holds_port_) {
    inet_ports().release(identity_, address_.inet.port);
  }
  if (holds_name_) {
    unix_names().release(unix_name_key(address_, SocketInodeKey{name_device_, name_inode_}),
                         identity_);
  }
  if (listener_) {
    listener_->close();
  }
  if (connection_) {
    connection_->close(side_);
  }
}

Result<size_t> StreamSocket::read(std::span<std::byte> buffer) {
  // read(2) of nothing returns at once, while recv(2) of nothing waits for
  // data as Linux does.
  if (buffer.empty()) {
    return size_t{0};
  }
  return receive(buffer, SocketTransfer{.non_blocking = is_non_blocking()});
}

Result<size_t> StreamSocket::write(std::span<const std::byte> data) {
  return send(data, SocketTransfer{.non_blocking = is_non_blocking()});
}

Result<size_t> StreamSocket::send(std::span<const std::byte> data, SocketTransfer options,
                                  FileRights rights) {
  StreamConnection* connection = connected_.load(std::memory_order_acquire);
  if (connection == nullptr) {
    return fail(domain_ == SocketDomain::unix_domain ? Errno::enotconn : Errno::epipe);
  }
  options.non_blocking = options.non_blocking || is_non_blocking();
  return connection->send(side_, data, options, std::move(rights));
}

Result<size_t> StreamSocket::receive(std::span<std::byte> buffer, SocketTransfer options,
                                     FileRights* rights) {
  StreamConnection* connection = connected_.load(std::memory_order_acquire);
  if (connection == nullptr) {
    return fail(domain_ == SocketDomain::unix_domain ? Errno::einval : Errno::enotconn);
  }
  options.non_blocking = options.non_blocking || is_non_blocking();
  return connection->receive(side_, buffer, options, rights);
}

Result<void> StreamSocket::shutdown(uint32_t directions) {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    connection->shutdown(side_, directions);
    return {};
  }
  // The lock orders this with listen(), which hands the bits to a new
  // listener.
  sync::LockGuard guard(lock_);
  if (!listener_ && domain_ != SocketDomain::unix_domain) {
    return fail(Errno::enotconn);
  }
  shutdown_.fetch_or(directions, std::memory_order_seq_cst);
  if (listener_) {
    listener_->shutdown(directions);
    return {};
  }
  pollable_->notify(event::pollin | event::pollrdnorm | event::pollrdhup);
  return {};
}

uint32_t StreamSocket::poll_events() {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    return connection->poll_events(side_);
  }
  if (StreamListener* listener = listening_.load(std::memory_order_acquire)) {
    return listener->poll_events();
  }
  return unconnected_poll_events(shutdown_.load(std::memory_order_seq_cst));
}

event::Pollable* StreamSocket::pollable() { return pollable_.get(); }

Result<size_t> StreamSocket::bytes_available() {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    return connection->queued_bytes(side_);
  }
  if (is_listening()) {
    return fail(Errno::einval);
  }
  return size_t{0};
}

void StreamSocket::hold_name_locked(SocketAddress address, uint64_t device, uint64_t inode) {
  address_ = std::move(address);
  if (connection_) {
    connection_->set_address(side_, address_);
  }
  holds_name_ = true;
  name_device_ = device;
  name_inode_ = inode;
}

Result<void> StreamSocket::bind_path(fs::Vfs& vfs, const fs::PathContext& context,
                                     const fs::Location& start, std::string_view path) {
  return bind_socket_inode(vfs, context, start, path,
                           [&](const SocketInodeKey& key) { return hold_path_name(path, key); });
}

Result<void> StreamSocket::hold_path_name(std::string_view path, const SocketInodeKey& key) {
  sync::LockGuard guard(lock_);
  if (address_.kind != SocketAddress::Kind::unnamed) {
    return fail(Errno::einval);
  }
  TRY_VOID(unix_names().bind(UnixNameKey{key}, identity_));
  hold_name_locked(SocketAddress{SocketAddress::Kind::path, std::string(path)}, key.device,
                   key.inode);
  return {};
}

Result<void> StreamSocket::bind_abstract(std::string name) {
  sync::LockGuard guard(lock_);
  if (address_.kind != SocketAddress::Kind::unnamed) {
    return fail(Errno::einval);
  }
  TRY_VOID(unix_names().bind(UnixNameKey{name}, identity_));
  hold_name_locked(SocketAddress{SocketAddress::Kind::abstract, std::move(name)}, 0, 0);
  return {};
}

Result<void> StreamSocket::bind_automatic() {
  sync::LockGuard guard(lock_);
  if (address_.kind != SocketAddress::Kind::unnamed) {
    return {};
  }
  std::string name = TRY(unix_names().bind_automatic(identity_));
  hold_name_locked(SocketAddress{SocketAddress::Kind::abstract, std::move(name)}, 0, 0);
  return {};
}

Result<void> StreamSocket::listen(uint32_t backlog, SocketCredentials credentials) {
  {
    sync::LockGuard guard(lock_);
    if (connection_) {
      return fail(Errno::einval);
    }
    if (listener_) {
      listener_->set_backlog(backlog);
      return {};
    }
    if (domain_ != SocketDomain::unix_domain && !holds_port_) {
      TRY_VOID(bind_inet_locked(address_.inet));
    }
    if (address_.kind == SocketAddress::Kind::unnamed) {
      return fail(Errno::einval);
    }

    auto listener = std::make_shared<StreamListener>(pollable_, address_, credentials, backlog);
    if (address_.kind == SocketAddress::Kind::inet) {
      TRY_VOID(inet_ports().listen(identity_, address_.inet.port, listener));
    }
    listener_ = std::move(listener);
    if (uint32_t directions = shutdown_.load(std::memory_order_seq_cst); directions != 0) {
      listener_->shutdown(directions);
    }
    // A TCP listener is in the port table already.
    if (address_.kind != SocketAddress::Kind::inet) {
      unix_names().set_listener(unix_name_key(address_, SocketInodeKey{name_device_, name_inode_}),
                                identity_, listener_);
    }
    listening_.store(listener_.get(), std::memory_order_release);
  }
  // A listener is no longer writable or hung up, as an unconnected socket is.
  pollable_->notify(event::pollout | event::pollhup);
  return {};
}

Result<void> StreamSocket::connect_path(fs::Vfs& vfs, const fs::PathContext& context,
                                        const fs::Location& start, std::string_view path,
                                        SocketCredentials credentials) {
  SocketInodeKey key = TRY(find_socket_inode(vfs, context, start, path));
  return connect_to_listener(unix_names().find_listener(UnixNameKey{key}), credentials);
}

Result<void> StreamSocket::connect_abstract(const std::string& name,
                                            SocketCredentials credentials) {
  return connect_to_listener(unix_names().find_listener(UnixNameKey{name}), credentials);
}

Result<void> StreamSocket::connect_to_listener(const std::shared_ptr<StreamListener>& listener,
                                               SocketCredentials credentials,
                                               const std::optional<SocketAddress>& server_address) {
  if (!listener) {
    return fail(Errno::econnrefused);
  }

  // As on Linux, a full backlog is waited for before this socket's own
  // state is checked. Another client may take the room first; then the
  // wait starts again.
  std::shared_ptr<StreamConnection> connection;
  while (!connection) {
    TRY_VOID(listener->wait_for_room(is_non_blocking()));

    SocketAddress own_address;
    {
      sync::LockGuard guard(lock_);
      if (connection_) {
        return fail(Errno::eisconn);
      }
      if (listener_) {
        return fail(Errno::einval);
      }
      own_address = address_;
    }
    connection = TRY(listener->enqueue(pollable_, credentials, std::move(own_address),
                                       server_address.value_or(listener->address())));
  }
  connection->set_send_buffer_size(0, connected_send_buffer_size());
  connection->set_receive_buffer_size(0, receive_buffer_size_.load(std::memory_order_relaxed));

  {
    sync::LockGuard guard(lock_);
    // Another thread connected this socket or made it listen meanwhile.
    if (connection_ || listener_) {
      connection->close(0);
      return fail(connection_ ? Errno::eisconn : Errno::einval);
    }
    connection_ = connection;
    side_ = 0;
    connected_.store(connection.get(), std::memory_order_release);
  }
  pollable_->notify(event::pollin | event::pollout | event::pollhup);
  return {};
}

Result<std::shared_ptr<StreamSocket>> StreamSocket::accept(uint32_t flags,
                                                           SocketCredentials owner) {
  StreamListener* listener = listening_.load(std::memory_order_acquire);
  if (listener == nullptr) {
    return fail(Errno::einval);
  }

  auto connection = TRY(listener->accept(is_non_blocking()));
  SocketAddress address = connection->address(1);
  auto accepted = std::make_shared<StreamSocket>(std::move(connection), 1, flags, owner,
                                                 std::move(address), domain_);
  if (domain_ != SocketDomain::unix_domain) {
    pass_listener_state(*accepted);
  }
  return accepted;
}

SocketAddress StreamSocket::address() {
  sync::LockGuard guard(lock_);
  return address_;
}

Result<SocketAddress> StreamSocket::peer_address() {
  StreamConnection* connection = connected_.load(std::memory_order_acquire);
  if (connection == nullptr) {
    return fail(Errno::enotconn);
  }
  return connection->address(StreamConnection::peer_of(side_));
}

size_t StreamSocket::send_buffer_size() {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    return connection->send_buffer_size(side_);
  }
  return send_buffer_size_.load(std::memory_order_relaxed);
}

size_t StreamSocket::receive_buffer_size() {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    return connection->receive_buffer_size(side_);
  }
  return receive_buffer_size_.load(std::memory_order_relaxed);
}

size_t StreamSocket::connected_send_buffer_size() const {
  if (domain_ != SocketDomain::unix_domain && !send_buffer_set_.load(std::memory_order_relaxed)) {
    return loopback_tcp_send_buffer_size;
  }
  return send_buffer_size_.load(std::memory_order_relaxed);
}

void StreamSocket::set_send_buffer_size(size_t size) {
  send_buffer_set_.store(true, std::memory_order_relaxed);
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    connection->set_send_buffer_size(side_, size);
    return;
  }
  send_buffer_size_.store(std::max(size, min_send_buffer_size), std::memory_order_relaxed);
}

void StreamSocket::set_receive_buffer_size(size_t size) {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    connection->set_receive_buffer_size(side_, size);
    return;
  }
  receive_buffer_size_.store(std::max(size, min_receive_buffer_size), std::memory_order_relaxed);
}

SocketCredentials StreamSocket::peer_credentials() {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    return connection->credentials(StreamConnection::peer_of(side_));
  }
  if (StreamListener* listener = listening_.load(std::memory_order_acquire)) {
    return listener->credentials();
  }
  constexpr uint32_t no_id = std::numeric_limits<uint32_t>::max();
  return SocketCredentials{.pid = 0, .uid = no_id, .gid = no_id};
}

std::optional<Errno> StreamSocket::take_pending_error() {
  if (StreamConnection* connection = connected_.load(std::memory_order_acquire)) {
    return connection->take_pending_error(side_);
  }
  return std::nullopt;
}

Result<UnixSocketPair> create_unix_stream_pair(uint32_t flags, SocketCredentials creator) {
  if ((flags & ~uint32_t{fd::open_non_blocking}) != 0) {
    return fail(Errno::einval);
  }

  auto connection = std::make_shared<StreamConnection>(
      std::array{std::make_shared<event::Pollable>(), std::make_shared<event::Pollable>()},
      std::array{creator, creator}, std::array{SocketAddress{}, SocketAddress{}});
  uint32_t file_flags = fd::open_read_write | flags;
  UnixSocketPair pair;
  pair.first = std::make_shared<StreamSocket>(connection, 0, file_flags, creator, SocketAddress{});
  pair.second = std::make_shared<StreamSocket>(connection, 1, file_flags, creator, SocketAddress{});
  return pair;
}

}  // namespace litebox::ipc
