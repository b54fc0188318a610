// The state that the two ends of a connected stream socket (Unix-domain, or
// TCP on the sandbox's loopback) share: a socket pair from socketpair(2),
// or a client and the end that accept(2) returns for it.
//
// It follows Linux's Unix-domain sockets (net/unix). Each end has a receive queue that the other
// end fills. shutdown(2) of one direction also shuts the matching
// direction of the peer, and closing an end shuts both directions of the
// other. A read on a shut-down direction returns 0 once the queue is
// empty, and a send fails with EPIPE (the shim raises SIGPIPE unless
// MSG_NOSIGNAL is set). A sender may have up to its send buffer size
// (SO_SNDBUF, 212992 bytes by default) queued at its peer before it waits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>

#include "litebox/event/pollable.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::ipc {

// Side i is the end with index i; it receives into sides_[i].queue and
// sends into the other side's queue. A connection made by connect(2) has the
// client as side 0 and the accepted end as side 1.
class StreamConnection {
 public:
  // `pollables` are the readiness notifiers of the two ends, which own
  // them too. `credentials` are the process of each end, which SO_PEERCRED
  // reports to the other end, and `addresses` the name of each end.
  StreamConnection(std::array<std::shared_ptr<event::Pollable>, 2> pollables,
                   std::array<SocketCredentials, 2> credentials,
                   std::array<SocketAddress, 2> addresses);

  static size_t peer_of(size_t side) { return 1 - side; }

  // StreamSocket::send() and receive() describe `rights`.
  Result<size_t> send(size_t side, std::span<const std::byte> data, SocketTransfer options,
                      FileRights rights = {});
  Result<size_t> receive(size_t side, std::span<std::byte> buffer, SocketTransfer options,
                         FileRights* rights = nullptr);
  void shutdown(size_t side, uint32_t directions);

  // Closes `side`: the peer sees both directions shut down, and ECONNRESET
  // once if `side` had unread data or `reset` is set. A listener closes the
  // connections it never accepted with `reset`, as Linux does.
  void close(size_t side, bool reset = false);

  uint32_t poll_events(size_t side);
  size_t queued_bytes(size_t side);
  std::optional<Errno> take_pending_error(size_t side);
  size_t send_buffer_size(size_t side);
  size_t receive_buffer_size(size_t side);
  void set_send_buffer_size(size_t side, size_t size);
  void set_receive_buffer_size(size_t side, size_t size);

  const std::shared_ptr<event::Pollable>& pollable(size_t side) { return sides_[side].pollable; }
  SocketCredentials credentials(size_t side) const { return credentials_[side]; }

  // The name of `side`, which its peer reports through getpeername(2),
  // recvfrom(2) and recvmsg(2). An end that binds after it was connected
  // sets it, so the peer sees the new name, as on Linux.
  SocketAddress address(size_t side);
  void set_address(size_t side, SocketAddress address);

 private:
  // One locked step of send(): queues what fits of `rest` at the peer, or
  // else waits once for room. Returns the bytes queued. Non-empty `rights`
  // move to the peer with the first bytes queued.
  Result<size_t> send_step_locked(size_t side, std::span<const std::byte> rest, bool non_blocking,
                                  FileRights& rights);

  // The bytes of one send that carried file rights, by their positions in
  // the stream of bytes a side receives.
  struct RightsMark {
    uint64_t begin = 0;
    uint64_t end = 0;
    FileRights files;
  };

  // Wake the waiters and observers of `side` after a change to what it can
  // receive or send. Called without lock_ held.
  void announce_receivable(size_t side);
  void announce_sendable(size_t side);

  struct Side {
    std::deque<std::byte> queue;    // bytes sent by the peer, not yet received
    uint64_t consumed = 0;          // bytes received so far: the position of queue.front()
    std::deque<RightsMark> rights;  // in stream order
    uint32_t shutdown = 0;          // SocketShutdown bits
    // ECONNRESET after the peer closed with unread data in its queue;
    // reported once, by a receive on an empty queue or SO_ERROR.
    std::optional<Errno> pending_error;
    size_t send_buffer_size = default_socket_buffer_size;
    size_t receive_buffer_size = default_socket_buffer_size;
    sync::WaitQueue receivable;  // receivers wait for data or a shutdown
    sync::WaitQueue sendable;    // senders wait for room or a shutdown
    std::shared_ptr<event::Pollable> pollable;
  };

  // Lock order: lock_, then a Pollable's lock. Observers are notified after
  // lock_ is released.
  sync::Mutex lock_;
  Side sides_[2];                           // queues, shutdown bits and sizes guarded by lock_
  std::array<SocketAddress, 2> addresses_;  // guarded by lock_
  const std::array<SocketCredentials, 2> credentials_;
};

}  // namespace litebox::ipc
