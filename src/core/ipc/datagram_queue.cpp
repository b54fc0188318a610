#include "datagram_queue.hpp"

#include <algorithm>
#include <utility>

namespace litebox::ipc {

namespace {

// net.unix.max_dgram_qlen: a Unix datagram socket counts as full once
// more datagrams than this wait in its queue, unless the sender is the
// socket it is connected to.
constexpr size_t max_unix_queue_length = 10;

constexpr uint32_t readable_events =
    event::pollin | event::pollrdnorm | event::pollrdhup | event::pollhup | event::pollerr;
constexpr uint32_t writable_events = event::pollout | event::pollwrnorm | event::pollwrband;

}  // namespace

DatagramQueue::DatagramQueue(std::shared_ptr<event::Pollable> pollable, uint64_t owner)
    : pollable_(std::move(pollable)), owner_(owner) {}

void DatagramQueue::announce_receivable() {
  receivable_.wake_all();
  pollable_->notify(readable_events);
}

void DatagramQueue::announce_sendable() {
  sendable_.wake_all();
  std::vector<std::weak_ptr<event::Pollable>> waiting;
  {
    sync::LockGuard guard(lock_);
    waiting.swap(waiting_senders_);
  }
  for (const auto& weak : waiting) {
    if (auto sender = weak.lock()) {
      sender->notify(writable_events);
    }
  }
}

void DatagramQueue::watch_locked(const std::shared_ptr<event::Pollable>& sender_pollable) {
  for (const auto& waiting : waiting_senders_) {
    if (waiting.lock() == sender_pollable) {
      return;
    }
  }
  waiting_senders_.push_back(sender_pollable);
}

bool DatagramQueue::is_full_locked(uint64_t sender, size_t sender_limit) const {
  if (queued_bytes_ >= sender_limit) {
    return true;
  }
  return peer_identity_ != sender && datagrams_.size() > max_unix_queue_length;
}

Result<void> DatagramQueue::deliver_unix(Datagram datagram, size_t sender_limit, bool non_blocking,
                                         const std::shared_ptr<event::Pollable>& sender_pollable) {
  {
    sync::LockGuard guard(lock_);
    auto ready = [&] {
      return closed_ || (shutdown_ & shutdown_receive) != 0 ||
             (peer_identity_ && *peer_identity_ != datagram.sender) ||
             !is_full_locked(datagram.sender, sender_limit);
    };
    if (!ready()) {
      if (non_blocking) {
        watch_locked(sender_pollable);
        return fail(Errno::eagain);
      }
      TRY_VOID(sendable_.wait(lock_, ready));
    }
    if (closed_) {
      return fail(Errno::econnrefused);
    }
    // A receiver that shut down reading takes no more datagrams.
    if ((shutdown_ & shutdown_receive) != 0) {
      return fail(Errno::epipe);
    }
    if (peer_identity_ && *peer_identity_ != datagram.sender) {
      return fail(Errno::eperm);
    }
    queued_bytes_ += datagram.data.size();
    datagrams_.push_back(std::move(datagram));
  }
  announce_receivable();
  return {};
}

void DatagramQueue::deliver_inet(Datagram datagram) {
  {
    sync::LockGuard guard(lock_);
    if (closed_ || (peer_address_ && *peer_address_ != datagram.source)) {
      return;
    }
    // NOTE: Linux charges each datagram its buffer overhead as well, so it
    // drops a little earlier than this count of payload bytes.
    if (!datagrams_.empty() && queued_bytes_ + datagram.data.size() > receive_buffer_size_) {
      return;
    }
    queued_bytes_ += datagram.data.size();
    datagrams_.push_back(std::move(datagram));
  }
  announce_receivable();
}

Result<DatagramReceipt> DatagramQueue::receive(std::span<std::byte> buffer,
                                               SocketTransfer options) {
  DatagramReceipt receipt;
  {
    sync::LockGuard guard(lock_);
    auto ready = [&] {
      return !datagrams_.empty() || pending_error_.has_value() ||
             (shutdown_ & shutdown_receive) != 0;
    };
    if (!ready()) {
      if (options.non_blocking) {
        return fail(Errno::eagain);
      }
      TRY_VOID(receivable_.wait(lock_, ready));
    }
    if (pending_error_) {
      Errno error = *pending_error_;
      pending_error_.reset();
      return fail(error);
    }
    if (datagrams_.empty()) {
      return receipt;
    }

    Datagram& oldest = datagrams_.front();
    receipt.length = oldest.data.size();
    receipt.copied = std::min(buffer.size(), receipt.length);
    std::copy_n(oldest.data.begin(), receipt.copied, buffer.begin());
    receipt.source = oldest.source;
    if (options.peek) {
      receipt.rights = oldest.rights;
      return receipt;
    }
    receipt.rights = std::move(oldest.rights);
    queued_bytes_ -= oldest.data.size();
    datagrams_.pop_front();
  }
  announce_sendable();
  return receipt;
}

bool DatagramQueue::is_full_for(uint64_t sender, size_t sender_limit,
                                const std::shared_ptr<event::Pollable>& sender_pollable) {
  sync::LockGuard guard(lock_);
  if (closed_ || !is_full_locked(sender, sender_limit)) {
    return false;
  }
  watch_locked(sender_pollable);
  return true;
}

bool DatagramQueue::accepts_from(uint64_t sender) {
  sync::LockGuard guard(lock_);
  return !peer_identity_ || *peer_identity_ == sender;
}

void DatagramQueue::set_peer(std::optional<uint64_t> identity,
                             std::optional<SocketAddress> address) {
  sync::LockGuard guard(lock_);
  peer_identity_ = identity;
  peer_address_ = std::move(address);
}

void DatagramQueue::shutdown(uint32_t directions) {
  {
    sync::LockGuard guard(lock_);
    shutdown_ |= directions;
  }
  sendable_.wake_all();
  announce_receivable();
  pollable_->notify(writable_events);
}

void DatagramQueue::set_pending_error(Errno error) {
  {
    sync::LockGuard guard(lock_);
    pending_error_ = error;
  }
  announce_receivable();
}

std::optional<Errno> DatagramQueue::take_pending_error() {
  sync::LockGuard guard(lock_);
  return std::exchange(pending_error_, std::nullopt);
}

uint32_t DatagramQueue::poll_events() {
  sync::LockGuard guard(lock_);
  uint32_t events = 0;
  if (pending_error_) {
    events |= event::pollerr;
  }
  if ((shutdown_ & shutdown_receive) != 0) {
    events |= event::pollrdhup | event::pollin | event::pollrdnorm;
  }
  if (shutdown_ == shutdown_both) {
    events |= event::pollhup;
  }
  if (!datagrams_.empty()) {
    events |= event::pollin | event::pollrdnorm;
  }
  return events;
}

size_t DatagramQueue::next_length() {
  sync::LockGuard guard(lock_);
  return datagrams_.empty() ? 0 : datagrams_.front().data.size();
}

size_t DatagramQueue::receive_buffer_size() {
  sync::LockGuard guard(lock_);
  return receive_buffer_size_;
}

void DatagramQueue::set_receive_buffer_size(size_t size) {
  sync::LockGuard guard(lock_);
  receive_buffer_size_ = std::max(size, min_receive_buffer_size);
}

void DatagramQueue::close() {
  // Closing the files that queued datagrams pass may lock this queue
  // again, so they are released after lock_.
  std::deque<Datagram> dropped;
  {
    sync::LockGuard guard(lock_);
    closed_ = true;
    dropped.swap(datagrams_);
    queued_bytes_ = 0;
  }
  announce_sendable();
}

}  // namespace litebox::ipc
