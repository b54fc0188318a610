#include "stream_listener.hpp"

#include <utility>

#include "stream_connection.hpp"

namespace litebox::ipc {

StreamListener::StreamListener(std::shared_ptr<event::Pollable> pollable, SocketAddress address,
                               SocketCredentials credentials, uint32_t backlog)
    : pollable_(std::move(pollable)),
      address_(std::move(address)),
      credentials_(credentials),
      backlog_(backlog) {}

void StreamListener::set_backlog(uint32_t backlog) {
  {
    sync::LockGuard guard(lock_);
    backlog_ = backlog;
  }
  room_.wake_all();
}

Result<void> StreamListener::wait_for_room(bool non_blocking) {
  sync::LockGuard guard(lock_);
  auto ready = [&] { return is_refusing_locked() || !is_full_locked(); };
  if (!ready() && non_blocking) {
    return fail(Errno::eagain);
  }
  TRY_VOID(room_.wait(lock_, ready));
  if (is_refusing_locked()) {
    return fail(Errno::econnrefused);
  }
  return {};
}

Result<std::shared_ptr<StreamConnection>> StreamListener::enqueue(
    std::shared_ptr<event::Pollable> client_pollable, SocketCredentials client_credentials,
    SocketAddress client_address, SocketAddress server_address) {
  std::shared_ptr<StreamConnection> connection;
  {
    sync::LockGuard guard(lock_);
    if (is_refusing_locked()) {
      return fail(Errno::econnrefused);
    }
    if (is_full_locked()) {
      return std::shared_ptr<StreamConnection>();
    }
    connection = std::make_shared<StreamConnection>(
        std::array{std::move(client_pollable), std::make_shared<event::Pollable>()},
        std::array{client_credentials, credentials_},
        std::array{std::move(client_address), std::move(server_address)});
    pending_.push_back(connection);
  }
  connection_pending_.wake_all();
  pollable_->notify(event::pollin | event::pollrdnorm);
  return connection;
}

Result<std::shared_ptr<StreamConnection>> StreamListener::accept(bool non_blocking) {
  std::shared_ptr<StreamConnection> oldest;
  {
    sync::LockGuard guard(lock_);
    auto ready = [&] { return is_refusing_locked() || !pending_.empty(); };
    if (!ready() && non_blocking) {
      return fail(Errno::eagain);
    }
    TRY_VOID(connection_pending_.wait(lock_, ready));
    if (pending_.empty()) {
      return fail(Errno::einval);
    }
    oldest = std::move(pending_.front());
    pending_.pop_front();
  }
  room_.wake_all();
  pollable_->notify(event::pollin | event::pollrdnorm);
  return oldest;
}

void StreamListener::shutdown(uint32_t directions) {
  {
    sync::LockGuard guard(lock_);
    shutdown_ |= directions;
  }
  room_.wake_all();
  connection_pending_.wake_all();
  pollable_->notify(event::pollin | event::pollrdnorm | event::pollrdhup | event::pollhup);
}

void StreamListener::close() {
  std::deque<std::shared_ptr<StreamConnection>> abandoned;
  {
    sync::LockGuard guard(lock_);
    closed_ = true;
    abandoned.swap(pending_);
  }
  for (const auto& connection : abandoned) {
    connection->close(1, true);
  }
  room_.wake_all();
  connection_pending_.wake_all();
}

uint32_t StreamListener::poll_events() {
  sync::LockGuard guard(lock_);
  uint32_t events = 0;
  if (!pending_.empty()) {
    events |= event::pollin | event::pollrdnorm;
  }
  if ((shutdown_ & shutdown_receive) != 0) {
    events |= event::pollrdhup | event::pollin | event::pollrdnorm;
  }
  if (shutdown_ == shutdown_both) {
    events |= event::pollhup;
  }
  return events;
}

}  // namespace litebox::ipc
