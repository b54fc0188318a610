// Datagram sockets, Unix-domain (AF_UNIX SOCK_DGRAM) and UDP (AF_INET and
// AF_INET6 SOCK_DGRAM): the open file descriptions that socket(2) and
// socketpair(2) make.
//
// Each socket has a receive queue of whole datagrams, each with the name
// of its sender. bind(2) names a socket: a Unix-domain one in the same
// name table as stream sockets, a UDP one in the sandbox's UDP port table
// (src/core/ipc/inet_ports.hpp), which is separate from the TCP one, as on
// Linux. sendto(2) finds the receiver by that name at each call;
// connect(2) sets the default destination and, for UDP, the only sender
// whose datagrams are taken. UDP traffic never leaves the sandbox.
//
// A Unix-domain sender waits while the receiver's queue is full, as on
// Linux; a UDP datagram that finds the queue full is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "litebox/event/pollable.hpp"
#include "litebox/fs/vfs.hpp"
#include "litebox/ipc/inet_address.hpp"
#include "litebox/ipc/socket.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::ipc {

class DatagramQueue;
struct SocketInodeKey;

// The result of one receive from the queue.
struct DatagramReceipt {
  size_t copied = 0;     // bytes copied into the buffer
  size_t length = 0;     // the length of the whole datagram
  SocketAddress source;  // the sender's name when it was sent
  FileRights rights;     // the files passed with the datagram (SCM_RIGHTS)
};

class DatagramSocket final : public Socket {
 public:
  // An unbound, unconnected socket of `domain` made by the process
  // `owner`, as socket(2) makes it; `flags` contains the access mode and
  // status flags.
  DatagramSocket(uint32_t flags, SocketCredentials owner, SocketDomain domain);
  ~DatagramSocket() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  uint32_t poll_events() override;
  event::Pollable* pollable() override;
  // FIONREAD: the length of the next datagram, as Linux reports it.
  Result<size_t> bytes_available() override;
  bool is_message_oriented() const override { return true; }

  // send(2) to the connected peer: `enotconn` (Unix) or `edestaddrreq`
  // (UDP) without one. See send_to_queue() for the rest.
  // A Unix socket passes `rights` with the datagram.
  Result<size_t> send(std::span<const std::byte> data, SocketTransfer options,
                      FileRights rights = {});

  // sendto(2) to the Unix socket bound to the inode at `path`, to the
  // abstract name `name`, or to the UDP port `destination`.
  Result<size_t> send_to_path(fs::Vfs& vfs, const fs::PathContext& context,
                              const fs::Location& start, std::string_view path,
                              std::span<const std::byte> data, SocketTransfer options,
                              FileRights rights = {});
  Result<size_t> send_to_abstract(const std::string& name, std::span<const std::byte> data,
                                  SocketTransfer options, FileRights rights = {});
  Result<size_t> send_to_inet(InetAddress destination, std::span<const std::byte> data,
                              SocketTransfer options);

  // recv(2): takes the oldest datagram, waiting for one unless the call is
  // non-blocking (`eagain`). The part that does not fit `buffer` is lost
  // unless `options.peek`. Returns an empty receipt once the receive
  // direction is shut down and the queue is empty.
  Result<DatagramReceipt> receive(std::span<std::byte> buffer, SocketTransfer options);

  // bind(2), with the errors StreamSocket's functions of the same names
  // return.
  Result<void> bind_path(fs::Vfs& vfs, const fs::PathContext& context, const fs::Location& start,
                         std::string_view path);
  Result<void> bind_abstract(std::string name);
  Result<void> bind_automatic();
  Result<void> bind_inet(InetAddress address);

  // connect(2) to a Unix socket by path or abstract name: `econnrefused`
  // when nothing is bound there, `eprototype` when a socket of another type
  // is, `eperm` when that socket is connected to a third one. A second
  // connect(2) replaces the peer.
  Result<void> connect_path(fs::Vfs& vfs, const fs::PathContext& context, const fs::Location& start,
                            std::string_view path);
  Result<void> connect_abstract(const std::string& name);

  // connect(2) of a UDP socket: `enetunreach` beyond loopback. An unbound
  // socket gets an ephemeral port, and a socket on the wildcard address
  // the loopback address as its name.
  Result<void> connect_inet(InetAddress destination);

  // connect(2) with AF_UNSPEC: clears the peer.
  void disconnect();

  SocketAddress address() override;
  Result<SocketAddress> peer_address() override;
  Result<void> shutdown(uint32_t directions) override;

  size_t send_buffer_size() override;
  size_t receive_buffer_size() override;
  void set_send_buffer_size(size_t size) override;
  void set_receive_buffer_size(size_t size) override;
  Result<void> set_ipv6_only(bool only) override;

  // SO_PEERCRED: the creator of a socket pair, and no process otherwise.
  SocketCredentials peer_credentials() override;

  // SO_ERROR: ECONNREFUSED after a connected UDP socket sent to a port
  // that nothing has bound, as Linux reports the ICMP error.
  std::optional<Errno> take_pending_error() override;

  // Connects `first` and `second` to each other, as socketpair(2) does,
  // with `creator` as the process SO_PEERCRED reports.
  static void connect_pair(DatagramSocket& first, DatagramSocket& second,
                           SocketCredentials creator);

 private:
  // A resolved destination: the receiver's queue and its name.
  struct Target {
    std::shared_ptr<DatagramQueue> queue;
    SocketAddress address;
  };

  // Sends one datagram to the Unix socket `target`.
  Result<size_t> send_to_unix(const Target& target, std::span<const std::byte> data,
                              SocketTransfer options, FileRights rights);

  // The Unix target that `key` names: the errors of
  // UnixNameTable::find_receiver().
  static Result<Target> unix_target(const SocketInodeKey& inode, const SocketAddress& address);

  // Checks a UDP destination and returns it with the wildcard address
  // replaced by loopback: `enetunreach` beyond loopback.
  Result<InetAddress> route_inet(InetAddress destination) const;

  // Binds an unbound UDP socket to `address` (port 0: an ephemeral port).
  Result<void> bind_inet_locked(InetAddress address);
  Result<void> hold_unix_name(SocketAddress address, const SocketInodeKey& inode);
  Result<void> connect_unix(const Target& target);

  const std::shared_ptr<event::Pollable> pollable_;
  const std::shared_ptr<DatagramQueue> queue_;

  // Lock order: lock_, then a name or port table's lock, then a queue's
  // lock. A send takes what it needs under lock_ and releases it before it
  // locks the receiver's queue, which may be this socket's own.
  sync::Mutex lock_;
  SocketAddress address_;     // guarded by lock_
  bool holds_name_ = false;   // guarded by lock_: address_ is an entry in the name table
  uint64_t name_device_ = 0;  // guarded by lock_: the socket inode of a path name
  uint64_t name_inode_ = 0;
  bool holds_port_ = false;  // guarded by lock_: address_.inet is an entry in the port table
  InetAddress bound_inet_;   // guarded by lock_: the address bound, before connect(2)
  std::optional<SocketAddress> peer_address_;             // guarded by lock_
  std::weak_ptr<DatagramQueue> peer_;                     // guarded by lock_: a Unix socket's peer
  std::optional<SocketCredentials> pair_creator_;         // guarded by lock_
  uint32_t send_shutdown_ = 0;                            // guarded by lock_
  size_t send_buffer_size_ = default_socket_buffer_size;  // guarded by lock_
};

}  // namespace litebox::ipc
