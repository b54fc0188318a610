#include "stream_connection.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace litebox::ipc {

namespace {

constexpr uint32_t readable_events =
    event::pollin | event::pollrdnorm | event::pollrdhup | event::pollhup | event::pollerr;
constexpr uint32_t writable_events = event::pollout | event::pollwrnorm | event::pollwrband;

}  // namespace

StreamConnection::StreamConnection(std::array<std::shared_ptr<event::Pollable>, 2> pollables,
                                   std::array<SocketCredentials, 2> credentials,
                                   std::array<SocketAddress, 2> addresses)
    : addresses_(std::move(addresses)), credentials_(credentials) {
  sides_[0].pollable = std::move(pollables[0]);
  sides_[1].pollable = std::move(pollables[1]);
}

SocketAddress StreamConnection::address(size_t side) {
  sync::LockGuard guard(lock_);
  return addresses_[side];
}

void StreamConnection::set_address(size_t side, SocketAddress address) {
  sync::LockGuard guard(lock_);
  addresses_[side] = std::move(address);
}

void StreamConnection::announce_receivable(size_t side) {
  sides_[side].receivable.wake_all();
  sides_[side].pollable->notify(readable_events);
}

void StreamConnection::announce_sendable(size_t side) {
  sides_[side].sendable.wake_all();
  sides_[side].pollable->notify(writable_events);
}

Result<size_t> StreamConnection::send_step_locked(size_t side, std::span<const std::byte> rest,
                                                  bool non_blocking, FileRights& rights) {
  Side& sender = sides_[side];
  Side& receiver = sides_[peer_of(side)];
  if ((sender.shutdown & shutdown_send) != 0) {
    return fail(Errno::epipe);
  }

  if (receiver.queue.size() < sender.send_buffer_size) {
    size_t room = sender.send_buffer_size - receiver.queue.size();
    size_t count = std::min(room, rest.size());
    if (!rights.empty()) {
      uint64_t begin = receiver.consumed + receiver.queue.size();
      receiver.rights.push_back(
          RightsMark{.begin = begin, .end = begin + count, .files = std::move(rights)});
      rights = FileRights{};
    }
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

Result<size_t> StreamConnection::send(size_t side, std::span<const std::byte> data,
                                      SocketTransfer options, FileRights rights) {
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
      moved = send_step_locked(side, data.subspan(sent), options.non_blocking, rights);
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

Result<size_t> StreamConnection::receive(size_t side, std::span<std::byte> buffer,
                                         SocketTransfer options, FileRights* rights) {
  Side& receiver = sides_[side];
  size_t received = 0;
  // Rights that the caller does not take are released after lock_, because
  // closing a file may lock this connection again.
  FileRights dropped;
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
      // As on Linux, a receive that reaches the bytes of a send with file
      // rights takes the rights and ends with those bytes.
      bool reached_rights = false;
      if (!receiver.rights.empty() && receiver.rights.front().begin < receiver.consumed + count) {
        RightsMark& mark = receiver.rights.front();
        count = std::min<uint64_t>(count, mark.end - receiver.consumed);
        reached_rights = true;
        FileRights& target = rights != nullptr ? *rights : dropped;
        if (options.peek) {
          target.insert(target.end(), mark.files.begin(), mark.files.end());
        } else {
          std::move(mark.files.begin(), mark.files.end(), std::back_inserter(target));
          receiver.rights.pop_front();
        }
      }
      std::copy_n(receiver.queue.begin(), count, buffer.begin() + static_cast<ptrdiff_t>(received));
      if (!options.peek) {
        receiver.queue.erase(receiver.queue.begin(),
                             receiver.queue.begin() + static_cast<ptrdiff_t>(count));
        receiver.consumed += count;
      }
      received += count;
      // MSG_WAITALL goes on until the buffer is full, the direction is shut
      // down or an error is pending. The sender may be waiting for the room
      // just made, so it is woken before this end waits again.
      if (!options.wait_all || options.peek || received == buffer.size() || count == 0 ||
          reached_rights) {
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

void StreamConnection::shutdown(size_t side, uint32_t directions) {
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

void StreamConnection::close(size_t side, bool reset) {
  std::deque<RightsMark> dropped;
  {
    sync::LockGuard guard(lock_);
    Side& closing = sides_[side];
    Side& peer = sides_[peer_of(side)];
    // As on Linux, the peer learns about data that was never read.
    if (!closing.queue.empty() || reset) {
      peer.pending_error = Errno::econnreset;
    }
    closing.queue.clear();
    // Closing the files may lock this connection again, so it happens
    // after lock_ is released.
    dropped.swap(closing.rights);
    closing.shutdown = shutdown_both;
    peer.shutdown = shutdown_both;
  }
  announce_receivable(peer_of(side));
  announce_sendable(peer_of(side));
}

uint32_t StreamConnection::poll_events(size_t side) {
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

size_t StreamConnection::queued_bytes(size_t side) {
  sync::LockGuard guard(lock_);
  return sides_[side].queue.size();
}

std::optional<Errno> StreamConnection::take_pending_error(size_t side) {
  std::optional<Errno> error;
  {
    sync::LockGuard guard(lock_);
    error = std::exchange(sides_[side].pending_error, std::nullopt);
  }
  if (error) {
    sides_[side].pollable->notify(event::pollerr);
  }
  return error;
}

size_t StreamConnection::send_buffer_size(size_t side) {
  sync::LockGuard guard(lock_);
  return sides_[side].send_buffer_size;
}

size_t StreamConnection::receive_buffer_size(size_t side) {
  sync::LockGuard guard(lock_);
  return sides_[side].receive_buffer_size;
}

void StreamConnection::set_send_buffer_size(size_t side, size_t size) {
  {
    sync::LockGuard guard(lock_);
    sides_[side].send_buffer_size = std::max(size, min_send_buffer_size);
  }
  announce_sendable(side);
}

void StreamConnection::set_receive_buffer_size(size_t side, size_t size) {
  sync::LockGuard guard(lock_);
  sides_[side].receive_buffer_size = std::max(size, min_receive_buffer_size);
}

}  // namespace litebox::ipc
