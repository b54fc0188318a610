#include "litebox/ipc/eventfd.hpp"

#include <cstring>

#include "litebox/fd/anonymous_inode.hpp"
#include "litebox/fd/open_flags.hpp"

namespace litebox::ipc {

namespace {

constexpr uint32_t known_flags = eventfd_semaphore | eventfd_non_blocking | eventfd_close_on_exec;
// Linux's eventfd_poll() reports only these two, without POLLRDNORM and
// POLLWRNORM.
constexpr uint32_t readable_events = event::pollin;
constexpr uint32_t writable_events = event::pollout;

}  // namespace

Result<std::shared_ptr<EventFd>> EventFd::create(uint64_t initial_count, uint32_t flags) {
  if (flags & ~known_flags) {
    return fail(Errno::einval);
  }

  uint32_t file_flags = fd::open_read_write | (flags & eventfd_non_blocking);
  return std::make_shared<EventFd>(initial_count, (flags & eventfd_semaphore) != 0, file_flags);
}

EventFd::EventFd(uint64_t initial_count, bool semaphore, uint32_t file_flags)
    : fd::File(file_flags), semaphore_(semaphore), count_(initial_count) {}

bool EventFd::is_non_blocking() const { return (flags() & fd::open_non_blocking) != 0; }

Result<size_t> EventFd::read(std::span<std::byte> buffer) {
  if (buffer.size() < sizeof(uint64_t)) {
    return fail(Errno::einval);
  }

  uint64_t value = 0;
  {
    sync::LockGuard guard(lock_);
    if (count_ == 0 && is_non_blocking()) {
      return fail(Errno::eagain);
    }
    TRY_VOID(count_changed_.wait(lock_, [&] { return count_ != 0; }));

    value = semaphore_ ? 1 : count_;
    count_ -= value;
  }
  count_changed_.wake_all();
  // Only room to write can appear, and Linux announces only that.
  pollable_.notify(writable_events);

  std::memcpy(buffer.data(), &value, sizeof(value));
  return sizeof(value);
}

Result<size_t> EventFd::write(std::span<const std::byte> data) {
  if (data.size() < sizeof(uint64_t)) {
    return fail(Errno::einval);
  }
  uint64_t value = 0;
  std::memcpy(&value, data.data(), sizeof(value));
  if (value == UINT64_MAX) {
    return fail(Errno::einval);
  }

  {
    sync::LockGuard guard(lock_);
    auto fits = [&] { return eventfd_max_count - count_ >= value; };
    if (!fits() && is_non_blocking()) {
      return fail(Errno::eagain);
    }
    TRY_VOID(count_changed_.wait(lock_, fits));

    count_ += value;
  }
  // A write of 0 changes nothing, but Linux wakes pollers for it too. Only
  // a count to read can appear, and Linux announces only that.
  count_changed_.wake_all();
  pollable_.notify(readable_events);
  return sizeof(value);
}

Result<fs::Stat> EventFd::stat() { return fd::anonymous_inode_stat(); }

uint32_t EventFd::poll_events() {
  sync::LockGuard guard(lock_);
  uint32_t events = 0;
  if (count_ > 0) {
    events |= readable_events;
  }
  if (count_ < eventfd_max_count) {
    events |= writable_events;
  }
  return events;
}

uint64_t EventFd::count() {
  sync::LockGuard guard(lock_);
  return count_;
}

}  // namespace litebox::ipc
