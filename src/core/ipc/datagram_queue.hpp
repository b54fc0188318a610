// The receive queue of a datagram socket, which senders reach through the
// name and port tables. It outlives its socket while a sender keeps a reference,
// and close() then makes such senders fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/ipc/datagram_socket.hpp"
#include "litebox/ipc/socket_address.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::ipc {

struct Datagram {
  std::vector<std::byte> data;
  SocketAddress source;  // the sender's name
  uint64_t sender = 0;   // the identity of the sending socket
  FileRights rights;     // the files passed with it (SCM_RIGHTS)
};

class DatagramQueue {
 public:
  // `pollable` is the owning socket's readiness notifier, `owner` its
  // identity.
  DatagramQueue(std::shared_ptr<event::Pollable> pollable, uint64_t owner);

  uint64_t owner() const { return owner_; }

  // Queues a datagram from a Unix socket, which waits while the queue is
  // full for it unless `non_blocking` (`eagain`). `sender_limit` is the
  // sender's SO_SNDBUF. `econnrefused` once the queue is closed, `eperm`
  // when the owner is connected to another socket than the sender.
  // `sender_pollable` hears when a full queue gets room.
  Result<void> deliver_unix(Datagram datagram, size_t sender_limit, bool non_blocking,
                            const std::shared_ptr<event::Pollable>& sender_pollable);

  // Queues a UDP datagram, or drops it when the queue is closed or full or
  // the owner is connected to another address, as a UDP network may.
  void deliver_inet(Datagram datagram);

  // Takes or, with `options.peek`, copies the oldest datagram.
  Result<DatagramReceipt> receive(std::span<std::byte> buffer, SocketTransfer options);

  // Whether a Unix socket `sender` whose SO_SNDBUF is `sender_limit` would
  // wait to send now. Registers `sender_pollable` to hear when that changes.
  bool is_full_for(uint64_t sender, size_t sender_limit,
                   const std::shared_ptr<event::Pollable>& sender_pollable);

  // Whether the owner takes datagrams from the Unix socket `sender`: it
  // is unconnected or connected to `sender`.
  bool accepts_from(uint64_t sender);

  // The peer that the owner is connected to: the identity of a Unix
  // socket or the name of a UDP one. Unset means unconnected.
  void set_peer(std::optional<uint64_t> identity, std::optional<SocketAddress> address);

  void shutdown(uint32_t directions);
  void set_pending_error(Errno error);
  std::optional<Errno> take_pending_error();
  uint32_t poll_events();
  size_t next_length();
  size_t receive_buffer_size();
  void set_receive_buffer_size(size_t size);

  // Closes the queue when its socket is closed: queued datagrams are
  // dropped, and waiting senders get `econnrefused`.
  void close();

 private:
  bool is_full_locked(uint64_t sender, size_t sender_limit) const;
  // Adds `sender_pollable` to waiting_senders_ unless it is there already.
  void watch_locked(const std::shared_ptr<event::Pollable>& sender_pollable);
  void announce_receivable();
  void announce_sendable();

  const std::shared_ptr<event::Pollable> pollable_;
  const uint64_t owner_;

  // Lock order: lock_, then a Pollable's lock. Observers are notified after
  // lock_ is released.
  sync::Mutex lock_;
  std::deque<Datagram> datagrams_;                           // guarded by lock_
  size_t queued_bytes_ = 0;                                  // guarded by lock_
  size_t receive_buffer_size_ = default_socket_buffer_size;  // guarded by lock_
  uint32_t shutdown_ = 0;                                    // guarded by lock_
  bool closed_ = false;                                      // guarded by lock_
  std::optional<Errno> pending_error_;                       // guarded by lock_
  std::optional<uint64_t> peer_identity_;                    // guarded by lock_
  std::optional<SocketAddress> peer_address_;                // guarded by lock_
  // Senders whose poll(2) found the queue full. Guarded by lock_.
  std::vector<std::weak_ptr<event::Pollable>> waiting_senders_;
  sync::WaitQueue receivable_;  // receivers wait for a datagram or a shutdown
  sync::WaitQueue sendable_;    // Unix senders wait for room
};

}  // namespace litebox::ipc
