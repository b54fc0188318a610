// A listening stream socket (Unix-domain or TCP): the backlog of connections that
// connect(2) made and accept(2) has not taken yet.
//
// As on Linux, a connection is complete once it is queued: the client may
// send at once, and its bytes wait in the accepted end's queue. The backlog
// admits one connection more than listen(2)'s value, because Linux counts
// it full only when the queue is longer than the value.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "litebox/event/pollable.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::ipc {

class StreamConnection;

class StreamListener {
 public:
  // `pollable` is the listening socket's readiness notifier. `address` and
  // `credentials` are what the accepted ends and their clients report
  // through getsockname(2), getpeername(2) and SO_PEERCRED.
  StreamListener(std::shared_ptr<event::Pollable> pollable, SocketAddress address,
                 SocketCredentials credentials, uint32_t backlog);

  // listen(2) again on a listening socket: a larger backlog lets waiting
  // clients in.
  void set_backlog(uint32_t backlog);

  // Waits until the backlog has room: `eagain` for a non-blocking client,
  // `econnrefused` once the listener is closed, `eintr` when interrupted.
  Result<void> wait_for_room(bool non_blocking);

  // Queues a new connection for the client, whose end uses
  // `client_pollable`, `client_credentials` and `client_address`, while
  // the accepted end is named `server_address`. Returns nullptr when the
  // backlog filled up again since wait_for_room(); `econnrefused` once the
  // listener is closed.
  Result<std::shared_ptr<StreamConnection>> enqueue(
      std::shared_ptr<event::Pollable> client_pollable, SocketCredentials client_credentials,
      SocketAddress client_address, SocketAddress server_address);

  // Takes the oldest pending connection, waiting for one unless
  // `non_blocking` (`eagain`). `eintr` when interrupted.
  // The connection's side 0 is the client, side 1 the end to return.
  Result<std::shared_ptr<StreamConnection>> accept(bool non_blocking);

  // shutdown(2) with `directions` from SocketShutdown. Once the receive
  // direction is shut down, accept(2) takes what is pending and then fails
  // with `einval`, and new clients get `econnrefused`, as on Linux.
  void shutdown(uint32_t directions);

  // Closes the listener: new clients get `econnrefused`, and every pending
  // connection is closed, so its client reads ECONNRESET once.
  void close();

  uint32_t poll_events();

  const SocketAddress& address() const { return address_; }
  SocketCredentials credentials() const { return credentials_; }

 private:
  bool is_full_locked() const { return pending_.size() > backlog_; }
  bool is_refusing_locked() const { return closed_ || (shutdown_ & shutdown_receive) != 0; }

  const std::shared_ptr<event::Pollable> pollable_;
  const SocketAddress address_;
  const SocketCredentials credentials_;

  sync::Mutex lock_;
  std::deque<std::shared_ptr<StreamConnection>> pending_;  // guarded by lock_
  uint32_t backlog_;                                       // guarded by lock_
  bool closed_ = false;                                    // guarded by lock_
  uint32_t shutdown_ = 0;                                  // guarded by lock_: SocketShutdown bits
  sync::WaitQueue connection_pending_;                     // accept(2) waits for a connection
  sync::WaitQueue room_;                                   // connect(2) waits for backlog room
};

}  // namespace litebox::ipc
