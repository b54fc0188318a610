#include "litebox/ipc/unix_socket.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <utility>

#include "litebox/fs/file_system.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::ipc {

namespace {

// Set during static initialization, so before any guest fork, on the heap
// that forked guest processes share: socket inode numbers stay unique and
// st_dev the same across the sandbox, as for pipes.
auto& next_socket_identity_value = *new std::atomic<uint64_t>{1};
// The st_dev of sockets, one pseudo file system for all of them (sockfs).
const uint64_t socket_device_number = fs::allocate_device_number();

// The smallest buffer sizes Linux grants through SO_SNDBUF and SO_RCVBUF
// (SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF on x86-64).
constexpr size_t min_send_buffer_size = 4608;
constexpr size_t min_receive_buffer_size = 2304;

constexpr uint32_t readable_events =
    event::pollin | event::pollrdnorm | event::pollrdhup | event::pollhup | event::pollerr;
constexpr uint32_t writable_events = event::pollout | event::pollwrnorm | event::pollwrband;

}  // namespace

// The state both ends share. Side i is the end with index i; it receives
// into sides_[i].queue and sends into the other side's queue.
class UnixStreamConnection {
 public:
  explicit UnixStreamConnection(SocketCredentials creator)
      : creator_(creator),
        identities_{next_socket_identity_value.fetch_add(1, std::memory_order_relaxed),
                    next_socket_identity_value.fetch_add(1, std::memory_order_relaxed)} {}

  Result<size_t> send(size_t side, std::span<const std::byte> data, SocketTransfer options);
  Result<size_t> receive(size_t side, std::span<std::byte> buffer, SocketTransfer options);
  void shutdown(size_t side, uint32_t directions);
  void close(size_t side);
  uint32_t poll_events(size_t side);
  size_t queued_bytes(size_t side);
  std::optional<Errno> take_pending_error(size_t side);
  size_t send_buffer_size(size_t side);
  size_t receive_buffer_size(size_t side);
  void set_send_buffer_size(size_t side, size_t size);
  void set_receive_buffer_size(size_t side, size_t size);

  event::Pollable& pollable(size_t side) { return sides_[side].pollable; }
  uint64_t identity(size_t side) const { return identities_[side]; }
  SocketCredentials creator() const { return creator_; }

 private:
  static size_t peer_of(size_t side) { return 1 - side; }

  // One locked step of send(): queues what fits of `rest` at the peer, or
  // else waits once for room. Returns the bytes queued.
  Result<size_t> send_step_locked(size_t side, std::span<const std::byte> rest, bool non_blocking);

  // Wake the waiters and observers of `side` after a change to what it can
  // receive or send. Called without lock_ held.
  void announce_receivable(size_t side);
  void announce_sendable(size_t side);

  struct Side {
    std::deque<std::byte> queue;  // bytes sent by the peer, not yet received
    uint32_t shutdown = 0;        // SocketShutdown bits
    // ECONNRESET after the peer closed with unread data in its queue;
    // reported once, by a receive on an empty queue or SO_ERROR.
    std::optional<Errno> pending_error;
    size_t send_buffer_size = default_socket_buffer_size;
    size_t receive_buffer_size = default_socket_buffer_size;
    sync::WaitQueue receivable;  // receivers wait for data or a shutdown
    sync::WaitQueue sendable;    // senders wait for room or a shutdown
    event::Pollable pollable;
  };

  // Lock order: lock_, then a Pollable's lock. Observers are notified after
  // lock_ is released.
  sync::Mutex lock_;
  Side sides_[2];  // queues, shutdown bits and sizes guarded by lock_
  const SocketCredentials creator_;
  const uint64_t identities_[2];
};

void UnixStreamConnection::announce_receivable(size_t side) {
  sides_[side].receivable.wake_all();
  sides_[side].pollable.notify(readable_events);
}

void UnixStreamConnection::announce_sendable(size_t side) {
  sides_[side].sendable.wake_all();
  sides_[side].pollable.notify(writable_events);
}

Result<size_t> UnixStreamConnection::send_step_locked(size_t side, std::span<const std::byte> rest,
                                                      bool non_blocking) {
  Side& sender = sides_[side];
  Side& receiver = sides_[peer_of(side)];
  if ((sender.shutdown & shutdown_send) != 0) {
    return fail(Errno::epipe);
  }

  if (receiver.queue.size() < sender.send_buffer_size) {
    size_t room = sender.send_buffer_size - receiver.queue.size();
    size_t count = std::min(room, rest.size());
    auto first = rest.begin();
    receiver.queue.insert(receiver.queue.end(), first, first + static_cast<ptrdiff_t>(count));
    return count;
  }

  if (non_blocking) {
    return fail(Errno::eagain);
  }
  TRY_VOID(sender.sendable.wait(lock_, [&] {
    return (sender.shutdown & shutdown_send) != 0 ||
           receiver.queue.size() < sender.send_buffer_size;
  }));
  return size_t{0};
}

Result<size_t> UnixStreamConnection::send(size_t side, std::span<const std::byte> data,
                                          SocketTransfer options) {
  // Unlike a pipe write, a zero-length send on a shut-down socket fails.
  if (data.empty()) {
    sync::LockGuard guard(lock_);
    if ((sides_[side].shutdown & shutdown_send) != 0) {
      return fail(Errno::epipe);
    }
    return size_t{0};
  }

  size_t sent = 0;
  while (sent < data.size()) {
    Result<size_t> moved = fail(Errno::eio);
    {
      sync::LockGuard guard(lock_);
      moved = send_step_locked(side, data.subspan(sent), options.non_blocking);
    }

    if (!moved) {
      if (sent != 0) {
        return sent;
      }
      return fail(moved.error());
    }
    if (*moved != 0) {
      sent += *moved;
      announce_receivable(peer_of(side));
    }
  }
  return sent;
}

Result<size_t> UnixStreamConnection::receive(size_t side, std::span<std::byte> buffer,
                                             SocketTransfer options) {
  Side& receiver = sides_[side];
  size_t received = 0;
  {
    sync::LockGuard guard(lock_);
    while (true) {
      auto ready = [&] {
        return !receiver.queue.empty() || (receiver.shutdown & shutdown_receive) != 0 ||
               receiver.pending_error.has_value();
      };
      if (!ready()) {
        if (options.non_blocking) {
          if (received != 0) {
            break;
          }
          return fail(Errno::eagain);
        }
        if (auto waited = receiver.receivable.wait(lock_, ready); !waited) {
          if (received != 0) {
            break;
          }
          return fail(waited.error());
        }
      }

      if (receiver.queue.empty() && receiver.pending_error.has_value()) {
        if (received != 0) {
          break;
        }
        Errno error = *receiver.pending_error;
        receiver.pending_error.reset();
        return fail(error);
      }

      size_t count = std::min(receiver.queue.size(), buffer.size() - received);
      std::copy_n(receiver.queue.begin(), count, buffer.begin() + static_cast<ptrdiff_t>(received));
      if (!options.peek) {
        receiver.queue.erase(receiver.queue.begin(),
                             receiver.queue.begin() + static_cast<ptrdiff_t>(count));
      }
      received += count;
      // MSG_WAITALL goes on until the buffer is full, the direction is shut
      // down or an error is pending. The sender may be waiting for the room
      // just made, so it is woken before this end waits again.
      if (!options.wait_all || options.peek || received == buffer.size() || count == 0) {
        break;
      }
      sides_[peer_of(side)].sendable.wake_all();
    }
  }

  if (received != 0 && !options.peek) {
    announce_sendable(peer_of(side));
  }
  return received;
}

void UnixStreamConnection::shutdown(size_t side, uint32_t directions) {
  {
    sync::LockGuard guard(lock_);
    sides_[side].shutdown |= directions;
    // The peer can no longer send what this end does not receive, nor
    // receive what this end does not send.
    uint32_t peer_directions = 0;
    if ((directions & shutdown_receive) != 0) {
      peer_directions |= shutdown_send;
    }
    if ((directions & shutdown_send) != 0) {
      peer_directions |= shutdown_receive;
    }
    sides_[peer_of(side)].shutdown |= peer_directions;
  }
  for (size_t index : {side, peer_of(side)}) {
    announce_receivable(index);
    announce_sendable(index);
  }
}

void UnixStreamConnection::close(size_t side) {
  {
    sync::LockGuard guard(lock_);
    Side& closing = sides_[side];
    Side& peer = sides_[peer_of(side)];
    // As on Linux, the peer learns about data that was never read.
    if (!closing.queue.empty()) {
      peer.pending_error = Errno::econnreset;
    }
    closing.queue.clear();
    closing.shutdown = shutdown_both;
    peer.shutdown = shutdown_both;
  }
  announce_receivable(peer_of(side));
  announce_sendable(peer_of(side));
}

uint32_t UnixStreamConnection::poll_events(size_t side) {
  sync::LockGuard guard(lock_);
  const Side& self = sides_[side];
  const Side& peer = sides_[peer_of(side)];
  uint32_t events = 0;

  if (self.pending_error.has_value()) {
    events |= event::pollerr;
  }
  if (self.shutdown == shutdown_both) {
    events |= event::pollhup;
  }
  if ((self.shutdown & shutdown_receive) != 0) {
    events |= event::pollrdhup | event::pollin | event::pollrdnorm;
  }
  if (!self.queue.empty()) {
    events |= event::pollin | event::pollrdnorm;
  }
  // Linux (unix_writable) reports POLLOUT while at most a quarter of the
  // send buffer is queued at the peer.
  if (peer.queue.size() * 4 <= self.send_buffer_size) {
    events |= event::pollout | event::pollwrnorm | event::pollwrband;
  }
  return events;
}

size_t UnixStreamConnection::queued_bytes(size_t side) {
  sync::LockGuard guard(lock_);
  return sides_[side].queue.size();
}

std::optional<Errno> UnixStreamConnection::take_pending_error(size_t side) {
  std::optional<Errno> error;
  {
    sync::LockGuard guard(lock_);
    error = std::exchange(sides_[side].pending_error, std::nullopt);
  }
  if (error) {
    sides_[side].pollable.notify(event::pollerr);
  }
  return error;
}

size_t UnixStreamConnection::send_buffer_size(size_t side) {
  sync::LockGuard guard(lock_);
  return sides_[side].send_buffer_size;
}

size_t UnixStreamConnection::receive_buffer_size(size_t side) {
  sync::LockGuard guard(lock_);
  return sides_[side].receive_buffer_size;
}

void UnixStreamConnection::set_send_buffer_size(size_t side, size_t size) {
  {
    sync::LockGuard guard(lock_);
    sides_[side].send_buffer_size = std::max(size, min_send_buffer_size);
  }
  announce_sendable(side);
}

void UnixStreamConnection::set_receive_buffer_size(size_t side, size_t size) {
  sync::LockGuard guard(lock_);
  sides_[side].receive_buffer_size = std::max(size, min_receive_buffer_size);
}

UnixStreamSocket::UnixStreamSocket(std::shared_ptr<UnixStreamConnection> connection, size_t side,
                                   uint32_t flags)
    : File(flags), connection_(std::move(connection)), side_(side) {}

UnixStreamSocket::~UnixStreamSocket() { connection_->close(side_); }

Result<size_t> UnixStreamSocket::read(std::span<std::byte> buffer) {
  // read(2) of nothing returns at once, while recv(2) of nothing waits for
  // data as Linux does.
  if (buffer.empty()) {
    return size_t{0};
  }
  return receive(buffer, SocketTransfer{.non_blocking = is_non_blocking()});
}

Result<size_t> UnixStreamSocket::write(std::span<const std::byte> data) {
  return send(data, SocketTransfer{.non_blocking = is_non_blocking()});
}

Result<size_t> UnixStreamSocket::send(std::span<const std::byte> data, SocketTransfer options) {
  options.non_blocking = options.non_blocking || is_non_blocking();
  return connection_->send(side_, data, options);
}

Result<size_t> UnixStreamSocket::receive(std::span<std::byte> buffer, SocketTransfer options) {
  options.non_blocking = options.non_blocking || is_non_blocking();
  return connection_->receive(side_, buffer, options);
}

void UnixStreamSocket::shutdown(uint32_t directions) { connection_->shutdown(side_, directions); }

Result<fs::Stat> UnixStreamSocket::stat() {
  SocketCredentials creator = connection_->creator();
  fs::Stat status;
  status.device = socket_device_number;
  status.inode = connection_->identity(side_);
  status.mode = fs::mode_of(fs::FileType::socket, 0777);
  status.link_count = 1;
  status.uid = creator.uid;
  status.gid = creator.gid;
  status.block_size = 4096;
  return status;
}

uint32_t UnixStreamSocket::poll_events() { return connection_->poll_events(side_); }

event::Pollable* UnixStreamSocket::pollable() { return &connection_->pollable(side_); }

Result<size_t> UnixStreamSocket::bytes_available() { return connection_->queued_bytes(side_); }

size_t UnixStreamSocket::send_buffer_size() { return connection_->send_buffer_size(side_); }

size_t UnixStreamSocket::receive_buffer_size() { return connection_->receive_buffer_size(side_); }

void UnixStreamSocket::set_send_buffer_size(size_t size) {
  connection_->set_send_buffer_size(side_, size);
}

void UnixStreamSocket::set_receive_buffer_size(size_t size) {
  connection_->set_receive_buffer_size(side_, size);
}

SocketCredentials UnixStreamSocket::peer_credentials() const { return connection_->creator(); }

std::optional<Errno> UnixStreamSocket::take_pending_error() {
  return connection_->take_pending_error(side_);
}

Result<UnixSocketPair> create_unix_stream_pair(uint32_t flags, SocketCredentials creator) {
  if ((flags & ~uint32_t{fd::open_non_blocking}) != 0) {
    return fail(Errno::einval);
  }

  auto connection = std::make_shared<UnixStreamConnection>(creator);
  uint32_t file_flags = fd::open_read_write | flags;
  UnixSocketPair pair;
  pair.first = std::make_shared<UnixStreamSocket>(connection, 0, file_flags);
  pair.second = std::make_shared<UnixStreamSocket>(connection, 1, file_flags);
  return pair;
}

}  // namespace litebox::ipc
