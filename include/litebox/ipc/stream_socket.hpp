// Stream sockets, Unix-domain (AF_UNIX) and TCP (AF_INET and AF_INET6):
// the open file descriptions that socket(2), socketpair(2) and accept(2)
// make.
//
// socket(2) makes an unconnected socket. bind(2) names it: a Unix-domain
// socket by a socket inode in the file system or in the abstract
// namespace, a TCP socket by an address and port in the sandbox's port
// table (src/core/ipc/inet_ports.hpp). From there it either listens
// (listen(2)) or connects (connect(2)), once; accept(2) and socketpair(2)
// make sockets that are connected from the start. The ends of a
// connection share a StreamConnection (src/core/ipc), which describes how
// data, shutdown(2) and close move between them. TCP traffic never leaves
// the sandbox: its loopback network is these same connection objects.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/fs/vfs.hpp"
#include "litebox/ipc/inet_address.hpp"
#include "litebox/ipc/socket.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::ipc {

class StreamListener;
class StreamConnection;
struct SocketInodeKey;

class StreamSocket final : public Socket {
 public:
  // An unconnected socket of `domain` made by the process `owner`, as
  // socket(2) makes it; `flags` contains the access mode and status flags.
  StreamSocket(uint32_t flags, SocketCredentials owner,
               SocketDomain domain = SocketDomain::unix_domain);

  // Side `side` (0 or 1) of `connection`, named `address`.
  StreamSocket(std::shared_ptr<StreamConnection> connection, size_t side, uint32_t flags,
               SocketCredentials owner, SocketAddress address,
               SocketDomain domain = SocketDomain::unix_domain);
  ~StreamSocket() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  uint32_t poll_events() override;
  event::Pollable* pollable() override;
  Result<size_t> bytes_available() override;

  // send(2): queues `data` at the peer. A blocking send returns once all
  // of it is queued, or with the count so far when a wait ends early.
  // Unless connected: `enotconn`, or `epipe` for a TCP socket.
  // `rights` travel with the first byte sent.
  Result<size_t> send(std::span<const std::byte> data, SocketTransfer options,
                      FileRights rights = {});

  // recv(2): returns queued bytes, waiting for at least one unless the end
  // is non-blocking (`eagain`). Returns 0 once the receive direction is
  // shut down and the queue is empty. Unless connected: `einval`, or
  // `enotconn` for a TCP socket.
  // A receive that reaches bytes sent with file rights stops after the
  // bytes of that send and appends the rights to `rights` (dropped when
  // it is null).
  Result<size_t> receive(std::span<std::byte> buffer, SocketTransfer options,
                         FileRights* rights = nullptr);

  // shutdown(2) with `directions` from SocketShutdown: `enotconn` for a
  // TCP socket that is neither connected nor listening.
  Result<void> shutdown(uint32_t directions) override;

  // bind(2) to `path` from `start`: creates a socket inode there with
  // permissions 0777 less the umask. `eaddrinuse` if the path exists,
  // `einval` if the socket already has a name, and the errors of the path
  // walk. The inode stays after the socket is closed, as on Linux.
  Result<void> bind_path(fs::Vfs& vfs, const fs::PathContext& context, const fs::Location& start,
                         std::string_view path);

  // bind(2) to the abstract name `name` (the bytes after the leading NUL):
  // `einval` if the socket already has a name, `eaddrinuse` if another
  // socket is bound to `name`. The name is released when the socket is closed.
  Result<void> bind_abstract(std::string name);

  // bind(2) with the family alone: an abstract name of 5 hexadecimal
  // digits. Does nothing if the socket already has a name.
  Result<void> bind_automatic();

  // bind(2) of a TCP socket to `address`, whose port 0 picks an ephemeral
  // port: `eaddrnotavail` unless it is a loopback or wildcard address,
  // `einval` for an IPv4 address on an IPV6_V6ONLY socket or a socket
  // that is bound already, `eaddrinuse` as InetPortTable::bind() describes.
  Result<void> bind_inet(InetAddress address);

  // connect(2) of a TCP socket to `destination`. The wildcard address
  // means loopback, as on Linux, and other addresses are `enetunreach`
  // because the sandbox has no network beyond loopback. An unbound socket
  // gets an ephemeral port. A non-blocking socket returns `einprogress`
  // although the connection is complete, as Linux's loopback does, and the
  // next connect(2) returns success. See connect_to_listener().
  Result<void> connect_inet(InetAddress destination, SocketCredentials credentials);

  // listen(2) with a backlog already clamped to net.core.somaxconn. A Unix
  // socket must have a name, and a TCP socket without one gets an
  // ephemeral port on the wildcard address. The socket must not be
  // connected (`einval`). `credentials`
  // are what SO_PEERCRED reports to clients. A second call sets the backlog.
  Result<void> listen(uint32_t backlog, SocketCredentials credentials);

  // connect(2) to the socket inode at `path`: `eacces` without write
  // permission on it, `econnrefused` if it is no socket or nothing listens
  // on it, and the errors of the path walk. See connect_to_listener().
  Result<void> connect_path(fs::Vfs& vfs, const fs::PathContext& context, const fs::Location& start,
                            std::string_view path, SocketCredentials credentials);

  // connect(2) to the abstract name `name`: `econnrefused` if nothing
  // listens on it. See connect_to_listener().
  Result<void> connect_abstract(const std::string& name, SocketCredentials credentials);

  // accept(2): takes a pending connection and returns its server end with
  // `flags` (the access mode and status flags). `einval` unless listening,
  // `eagain` when nothing is pending and the socket is non-blocking.
  Result<std::shared_ptr<StreamSocket>> accept(uint32_t flags, SocketCredentials owner);

  SocketAddress address() override;
  Result<SocketAddress> peer_address() override;

  bool is_connected() const { return connected_.load(std::memory_order_acquire) != nullptr; }
  bool is_listening() const override {
    return listening_.load(std::memory_order_acquire) != nullptr;
  }

  size_t send_buffer_size() override;
  size_t receive_buffer_size() override;
  void set_send_buffer_size(size_t size) override;
  void set_receive_buffer_size(size_t size) override;

  Result<void> set_ipv6_only(bool only) override;

  // SO_PEERCRED: the peer of a connected socket, the socket itself when it
  // listens, and no process otherwise.
  SocketCredentials peer_credentials() override;

  // SO_ERROR: ECONNRESET when the peer closed with unread data.
  std::optional<Errno> take_pending_error() override;

 private:
  // Connects to `listener` (nullptr: `econnrefused`). A blocking socket
  // waits while the backlog is full; a non-blocking one fails with
  // `eagain`. `eisconn` if the socket is connected already, `einval` if it
  // listens. The connection is complete once it is in the backlog.
  // `server_address` is the accepted end's name: the listener's own unless
  // given.
  Result<void> connect_to_listener(
      const std::shared_ptr<StreamListener>& listener, SocketCredentials credentials,
      const std::optional<SocketAddress>& server_address = std::nullopt);

  // Binds an unbound TCP socket to `address` (port 0: an ephemeral port)
  // in the port table.
  Result<void> bind_inet_locked(InetAddress address);

  // Gives `accepted`, which accept(2) of this TCP listener made, its own
  // entry for the shared port in the port table, and the options and
  // buffer sizes of the listener, as Linux copies them.
  void pass_listener_state(StreamSocket& accepted);
  // The send buffer size a connection of this socket starts with.
  size_t connected_send_buffer_size() const;

  // Binds this socket to the socket inode `key` of `path` in the name
  // table: `einval` if the socket already has a name.
  Result<void> hold_path_name(std::string_view path, const SocketInodeKey& key);

  // Records `address` as this socket's entry in the name table.
  void hold_name_locked(SocketAddress address, uint64_t device, uint64_t inode);

  const std::shared_ptr<event::Pollable> pollable_;

  // The state moves once, from unconnected to listening or to connected,
  // under lock_. Afterwards connected_ or listening_ publishes it to the
  // calls that do not take lock_ (read, write, poll). The objects they
  // point to live as long as this socket. Lock order: lock_, then the lock of
  // the name table, the listener or the connection, then a Pollable's lock.
  sync::Mutex lock_;
  SocketAddress address_;     // guarded by lock_
  bool holds_name_ = false;   // guarded by lock_: address_ is this socket's entry in the name table
  uint64_t name_device_ = 0;  // guarded by lock_: the socket inode of a path name
  uint64_t name_inode_ = 0;
  std::shared_ptr<StreamConnection> connection_;  // guarded by lock_
  size_t side_ = 0;                               // guarded by lock_
  std::shared_ptr<StreamListener> listener_;      // guarded by lock_
  std::atomic<StreamConnection*> connected_{nullptr};
  std::atomic<StreamListener*> listening_{nullptr};

  // What an unconnected or listening socket keeps until it is connected.
  std::atomic<uint32_t> shutdown_{0};
  std::atomic<size_t> send_buffer_size_{default_socket_buffer_size};
  std::atomic<size_t> receive_buffer_size_{default_socket_buffer_size};

  // TCP sockets only.
  // Whether the program set SO_SNDBUF, which keeps the send buffer at that
  // size when the socket connects (Linux's SOCK_SNDBUF_LOCK).
  std::atomic<bool> send_buffer_set_{false};
  bool holds_port_ = false;  // guarded by lock_: address_.inet is an entry in the port table
  std::atomic<bool> connect_reported_{true};  // false until connect(2) after EINPROGRESS
};

struct UnixSocketPair {
  std::shared_ptr<StreamSocket> first;
  std::shared_ptr<StreamSocket> second;
};

// socketpair(AF_UNIX, SOCK_STREAM): two connected ends. `flags` may contain
// fd::open_non_blocking, which both ends get; anything else is `einval`.
Result<UnixSocketPair> create_unix_stream_pair(uint32_t flags, SocketCredentials creator);

}  // namespace litebox::ipc
