#include "litebox/fs/inotify.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "litebox/fd/anonymous_inode.hpp"
#include "litebox/fd/open_flags.hpp"

namespace litebox::fs {

namespace {

// Linux's default /proc/sys/fs/inotify/max_queued_events.
constexpr size_t max_queued_events = 16384;

// The fixed part of struct inotify_event, which read(2) returns before
// each event's name.
struct LinuxInotifyEvent {
  int32_t descriptor;
  uint32_t mask;
  uint32_t cookie;
  uint32_t name_length;
};
constexpr size_t event_header_size = sizeof(LinuxInotifyEvent);
static_assert(event_header_size == 16);

// inotify_init1(2) takes only these flags.
constexpr uint32_t known_flags = in_non_blocking | in_close_on_exec;

}  // namespace

void WatchRegistry::deliver_locked(const InodeId& subject, std::string_view name, uint32_t mask,
                                   uint32_t cookie) {
  for (auto watch = watches_.begin(); watch != watches_.end();) {
    if (watch->subject != subject || (watch->mask & mask & in_all_events) == 0) {
      ++watch;
      continue;
    }

    watch->instance->queue(watch->descriptor, mask, cookie, name);
    if ((watch->mask & in_one_shot) == 0) {
      ++watch;
      continue;
    }
    watch->instance->queue(watch->descriptor, in_ignored, 0, {});
    watch = watches_.erase(watch);
    watch_count_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void WatchRegistry::notify(const InodeId* directory, std::string_view name, const InodeId& subject,
                           uint32_t mask, bool is_directory, uint32_t cookie) {
  if (is_directory) {
    mask |= in_is_directory;
  }

  sync::LockGuard guard(lock_);
  if (directory != nullptr) {
    deliver_locked(*directory, name, mask, cookie);
  }
  deliver_locked(subject, {}, mask, cookie);
}

void WatchRegistry::notify_about(Inode* directory, std::string_view name, Inode& subject,
                                 uint32_t mask) {
  if (!active()) {
    return;
  }
  auto status = subject.stat();
  if (!status) {
    return;
  }

  std::optional<InodeId> directory_id;
  if (directory != nullptr && !name.empty()) {
    if (auto directory_status = directory->stat()) {
      directory_id = inode_id_of(*directory_status);
    }
  }
  const bool is_directory = file_type_of(status->mode) == FileType::directory;
  notify(directory_id ? &*directory_id : nullptr, name, inode_id_of(*status), mask, is_directory);
}

void WatchRegistry::notify_directory(const InodeId& directory, std::string_view name, uint32_t mask,
                                     bool is_directory, uint32_t cookie) {
  if (is_directory) {
    mask |= in_is_directory;
  }

  sync::LockGuard guard(lock_);
  deliver_locked(directory, name, mask, cookie);
}

void WatchRegistry::notify_inode(const InodeId& subject, uint32_t mask, bool is_directory) {
  if (is_directory) {
    mask |= in_is_directory;
  }

  sync::LockGuard guard(lock_);
  deliver_locked(subject, {}, mask, 0);
}

void WatchRegistry::notify_deleted(const InodeId& subject) {
  sync::LockGuard guard(lock_);
  deliver_locked(subject, {}, in_delete_self, 0);

  // Every watch of a deleted inode ends, as Linux ends them when it frees
  // the inode.
  for (auto watch = watches_.begin(); watch != watches_.end();) {
    if (watch->subject != subject) {
      ++watch;
      continue;
    }
    watch->instance->queue(watch->descriptor, in_ignored, 0, {});
    watch = watches_.erase(watch);
    watch_count_.fetch_sub(1, std::memory_order_relaxed);
  }
}

uint32_t WatchRegistry::next_cookie() {
  // Linux never hands out cookie 0, which marks events without a pair.
  uint32_t cookie = cookie_.fetch_add(1, std::memory_order_relaxed) + 1;
  return cookie == 0 ? next_cookie() : cookie;
}

Result<int32_t> WatchRegistry::add_watch(InotifyInstance& instance, const InodeId& subject,
                                         uint32_t mask) {
  sync::LockGuard guard(lock_);
  auto existing = std::ranges::find_if(watches_, [&](const Watch& watch) {
    return watch.instance == &instance && watch.subject == subject;
  });
  if (existing != watches_.end()) {
    if (mask & in_mask_create) {
      return fail(Errno::eexist);
    }
    existing->mask = (mask & in_mask_add) ? existing->mask | mask : mask;
    return existing->descriptor;
  }

  const int32_t descriptor = instance.take_descriptor();
  watches_.push_back(Watch{subject, &instance, descriptor, mask});
  watch_count_.fetch_add(1, std::memory_order_relaxed);
  return descriptor;
}

Result<void> WatchRegistry::remove_watch(InotifyInstance& instance, int32_t descriptor) {
  sync::LockGuard guard(lock_);
  auto watch = std::ranges::find_if(watches_, [&](const Watch& candidate) {
    return candidate.instance == &instance && candidate.descriptor == descriptor;
  });
  if (watch == watches_.end()) {
    return fail(Errno::einval);
  }

  instance.queue(descriptor, in_ignored, 0, {});
  watches_.erase(watch);
  watch_count_.fetch_sub(1, std::memory_order_relaxed);
  return {};
}

void WatchRegistry::remove_instance(InotifyInstance& instance) {
  sync::LockGuard guard(lock_);
  const auto removed =
      std::erase_if(watches_, [&](const Watch& watch) { return watch.instance == &instance; });
  watch_count_.fetch_sub(static_cast<uint32_t>(removed), std::memory_order_relaxed);
}

Result<std::shared_ptr<InotifyInstance>> InotifyInstance::create(
    std::shared_ptr<WatchRegistry> registry, uint32_t flags) {
  if (flags & ~known_flags) {
    return fail(Errno::einval);
  }
  // Linux opens the description read-only.
  const uint32_t file_flags = fd::open_read_only | (flags & in_non_blocking);
  return std::make_shared<InotifyInstance>(std::move(registry), file_flags);
}

InotifyInstance::InotifyInstance(std::shared_ptr<WatchRegistry> registry, uint32_t file_flags)
    : fd::File(file_flags), registry_(std::move(registry)) {}

InotifyInstance::~InotifyInstance() { registry_->remove_instance(*this); }

size_t InotifyInstance::record_size(const Event& event) {
  if (event.name.empty()) {
    return event_header_size;
  }
  // The name is NUL-terminated and padded to a multiple of the header size.
  const size_t padded = (event.name.size() + 1 + event_header_size - 1) / event_header_size;
  return event_header_size + padded * event_header_size;
}

void InotifyInstance::queue(int32_t descriptor, uint32_t mask, uint32_t cookie,
                            std::string_view name) {
  {
    sync::LockGuard guard(lock_);
    Event event{descriptor, mask, cookie, std::string(name)};
    if (!events_.empty() && events_.back() == event) {
      return;
    }
    if (events_.size() >= max_queued_events) {
      event = Event{-1, in_q_overflow, 0, {}};
      if (events_.back() == event) {
        return;
      }
    }
    queued_bytes_ += record_size(event);
    events_.push_back(std::move(event));
  }
  events_queued_.wake_all();
  pollable_.notify(event::pollin | event::pollrdnorm);
}

Result<size_t> InotifyInstance::read(std::span<std::byte> buffer) {
  sync::LockGuard guard(lock_);
  if (events_.empty() && (flags() & fd::open_non_blocking)) {
    return fail(Errno::eagain);
  }
  TRY_VOID(events_queued_.wait(lock_, [&] { return !events_.empty(); }));

  size_t used = 0;
  while (!events_.empty()) {
    const Event& event = events_.front();
    const size_t size = record_size(event);
    if (used + size > buffer.size()) {
      break;
    }

    std::byte* record = buffer.data() + used;
    const auto name_length = static_cast<uint32_t>(size - event_header_size);
    const LinuxInotifyEvent header{event.descriptor, event.mask, event.cookie, name_length};
    std::memcpy(record, &header, sizeof(header));
    std::memset(record + event_header_size, 0, name_length);
    std::memcpy(record + event_header_size, event.name.data(), event.name.size());

    used += size;
    queued_bytes_ -= size;
    events_.pop_front();
  }
  if (used == 0) {
    return fail(Errno::einval);
  }
  return used;
}

Result<fs::Stat> InotifyInstance::stat() { return fd::anonymous_inode_stat(); }

uint32_t InotifyInstance::poll_events() {
  sync::LockGuard guard(lock_);
  return events_.empty() ? 0 : event::pollin | event::pollrdnorm;
}

Result<size_t> InotifyInstance::bytes_available() {
  sync::LockGuard guard(lock_);
  return queued_bytes_;
}

}  // namespace litebox::fs
