#include "litebox/event/epoll.hpp"

#include <algorithm>
#include <vector>

#include "litebox/fd/anonymous_inode.hpp"
#include "litebox/fd/open_flags.hpp"

namespace litebox::event {

namespace {

// The events EPOLLEXCLUSIVE may be combined with, as Linux's EPOLLEXCLUSIVE_OK_BITS.
constexpr uint32_t exclusive_allowed_events =
    pollin | pollout | pollerr | pollhup | epoll_wakeup | epoll_edge_triggered | epoll_exclusive;

}  // namespace

bool Epoll::supports_polling(fd::File& file) {
  Result<fs::Stat> status = file.stat();
  if (!status) {
    return true;
  }
  fs::FileType type = fs::file_type_of(status->mode);
  return type != fs::FileType::regular && type != fs::FileType::directory;
}

// Registered with the Pollable of one watched file. A notification touches
// only atomics, its own lock and the instance's own Pollable, so it never
// takes the epoll lock and may run under any lock a notifier holds.
//
// Two owners share it, the entry and the registration, and the last one to
// let go frees it. Either may go first. A released file's registration can
// stay in a Pollable that outlives the file (a pipe's, which the other end
// keeps) until that Pollable's next notification. The Pollable of a
// released file can also be destroyed before the entry is dropped.
class Epoll::EntryObserver final : public Observer {
 public:
  EntryObserver(Epoll& epoll, uint32_t events, bool registered)
      : exclusive_((events & epoll_exclusive) != 0),
        epoll_(&epoll),
        events_(events),
        owners_(registered ? 2 : 1) {}

  void notify(uint32_t events) override { (void)notify_exclusive(events); }

  bool is_exclusive() override { return exclusive_; }

  // Returns whether the notification woke a thread in epoll_wait() for an
  // event the entry watches, as Linux's ep_poll_callback() decides for an
  // exclusive entry: a change of EPOLLIN alone or EPOLLOUT alone, or one
  // of neither.
  bool notify_exclusive(uint32_t events) override {
    uint32_t watched = events_.load(std::memory_order_seq_cst);
    // A disabled one-shot entry, or a change of bits the entry does not watch, is
    // not an edge.
    if ((watched & ~epoll_mode_flags) == 0) {
      return false;
    }
    if (events != 0 && (events & watched) == 0) {
      return false;
    }
    pending_.store(true, std::memory_order_seq_cst);

    sync::LockGuard guard(link_lock_);
    Epoll* epoll = epoll_.load(std::memory_order_seq_cst);
    if (epoll == nullptr) {
      return false;
    }
    // Counted before the wake-up, which may let the waiter return at once.
    const bool had_waiter = epoll->waiters_.load(std::memory_order_seq_cst) != 0;
    epoll->announce_change();
    if (!had_waiter) {
      return false;
    }
    uint32_t direction = events & (pollin | pollout);
    return direction == 0 || (direction != (pollin | pollout) && (direction & watched) != 0);
  }

  bool is_orphaned() override { return epoll_.load(std::memory_order_seq_cst) == nullptr; }

  void detach() override { release_owner(); }

  // Ends the entry's ownership. No notification reaches the instance once
  // this returns, so the instance may be destroyed.
  void orphan() {
    {
      sync::LockGuard guard(link_lock_);
      epoll_.store(nullptr, std::memory_order_seq_cst);
    }
    release_owner();
  }

  // The watched events plus the epoll flags; the mode bits alone once a
  // one-shot entry has fired.
  std::atomic<uint32_t>& events() { return events_; }
  // Set by a notification, cleared by the wait that looks at the entry.
  std::atomic<bool>& pending() { return pending_; }

 private:
  void release_owner() {
    if (owners_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete this;
    }
  }

  const bool exclusive_;
  // Held while a notification reaches the instance, so that orphan() waits
  // for one in progress.
  sync::Mutex link_lock_;
  std::atomic<Epoll*> epoll_;
  std::atomic<uint32_t> events_;
  std::atomic<bool> pending_{true};
  std::atomic<uint32_t> owners_;
};

struct Epoll::Entry {
  int descriptor = -1;
  // Weak, because an interest list does not keep a file open: once the last
  // descriptor and every other reference are gone, the file is released (a
  // pipe's peer reads end of file or gets EPIPE) and the entry is dropped.
  std::weak_ptr<fd::File> file;
  // The file's Pollable, or null; it lives at least as long as the file.
  Pollable* pollable = nullptr;
  uint64_t data = 0;
  // Whether the last look found the entry ready; a level-triggered entry
  // stays a candidate while it is, without a new notification.
  bool was_ready = false;
  // On the kernel heap, because notifications may come from another
  // process that shares the file. Owned as EntryObserver describes.
  EntryObserver* observer = nullptr;
};

Epoll::Epoll() : fd::File(fd::open_read_write) {}

Epoll::~Epoll() {
  for (auto& [key, entry] : entries_) {
    release_entry(*entry);
  }
}

void Epoll::announce_change() {
  changes_.fetch_add(1, std::memory_order_seq_cst);
  sync::futex_wake(changes_, UINT32_MAX);
  pollable_.notify(pollin | pollrdnorm);
}

void Epoll::release_entry(Entry& entry) {
  // A live file keeps its Pollable alive, so the registration can go now.
  // A released file's Pollable detaches the observer by itself, when it is
  // destroyed or at its next notification.
  std::shared_ptr<fd::File> file = entry.file.lock();
  if (file && entry.pollable != nullptr && entry.pollable->remove_observer(*entry.observer)) {
    // Both owners let go at once, and no notification runs the observer.
    delete entry.observer;
  } else {
    entry.observer->orphan();
  }
  entry.observer = nullptr;
}

void Epoll::drop_closed_entries_locked() {
  for (auto iterator = entries_.begin(); iterator != entries_.end();) {
    if (!iterator->second->file.expired()) {
      ++iterator;
      continue;
    }
    release_entry(*iterator->second);
    iterator = entries_.erase(iterator);
  }
}

bool Epoll::reaches_or_too_deep(const fd::File& file, int depth_left) {
  if (&file == this) {
    return true;
  }
  auto* nested = dynamic_cast<const Epoll*>(&file);
  if (nested == nullptr) {
    return false;
  }
  if (depth_left <= 0) {
    return true;
  }

  std::vector<std::shared_ptr<fd::File>> children;
  {
    auto& nested_epoll = const_cast<Epoll&>(*nested);
    sync::LockGuard guard(nested_epoll.lock_);
    // Every child, so that none is released under the lock.
    for (auto& [key, entry] : nested_epoll.entries_) {
      if (std::shared_ptr<fd::File> child = entry->file.lock()) {
        children.push_back(std::move(child));
      }
    }
  }
  return std::any_of(children.begin(), children.end(), [&](const auto& child) {
    return reaches_or_too_deep(*child, depth_left - 1);
  });
}

Result<void> Epoll::add(int descriptor, const std::shared_ptr<fd::File>& file, uint32_t events,
                        uint64_t data) {
  if (!supports_polling(*file)) {
    return fail(Errno::eperm);
  }
  if (file.get() == this) {
    return fail(Errno::einval);
  }
  bool is_epoll = dynamic_cast<Epoll*>(file.get()) != nullptr;
  if (events & epoll_exclusive) {
    if ((events & ~exclusive_allowed_events) != 0 || is_epoll) {
      return fail(Errno::einval);
    }
  }
  // TODO: Linux serializes nesting checks with one global lock, and also
  // counts the instances above this one towards the nesting limit.
  if (is_epoll && reaches_or_too_deep(*file, epoll_max_nesting)) {
    return fail(Errno::eloop);
  }

  // EPOLLWAKEUP needs CAP_BLOCK_SUSPEND, and Linux drops it silently without.
  events = (events & ~uint32_t{epoll_wakeup}) | pollerr | pollhup;

  sync::LockGuard guard(lock_);
  drop_closed_entries_locked();
  Key key{file.get(), descriptor};
  if (entries_.contains(key)) {
    return fail(Errno::eexist);
  }

  auto entry = std::make_unique<Entry>();
  entry->descriptor = descriptor;
  entry->data = data;
  entry->file = file;
  entry->pollable = file->pollable();
  entry->observer = new EntryObserver(*this, events, entry->pollable != nullptr);
  if (entry->pollable != nullptr) {
    entry->pollable->add_observer(*entry->observer);
  }
  entries_.emplace(key, std::move(entry));

  // The entry starts pending, so a file that is ready already is reported.
  announce_change();
  return {};
}

Result<void> Epoll::modify(int descriptor, fd::File& file, uint32_t events, uint64_t data) {
  if (!supports_polling(file)) {
    return fail(Errno::eperm);
  }
  if (&file == this || (events & epoll_exclusive)) {
    return fail(Errno::einval);
  }
  events = (events & ~uint32_t{epoll_wakeup}) | pollerr | pollhup;

  sync::LockGuard guard(lock_);
  drop_closed_entries_locked();
  auto found = entries_.find(Key{&file, descriptor});
  if (found == entries_.end()) {
    return fail(Errno::enoent);
  }

  Entry& entry = *found->second;
  if (entry.observer->is_exclusive()) {
    return fail(Errno::einval);
  }
  entry.data = data;
  entry.observer->events().store(events, std::memory_order_seq_cst);
  entry.observer->pending().store(true, std::memory_order_seq_cst);
  announce_change();
  return {};
}

Result<void> Epoll::remove(int descriptor, fd::File& file) {
  if (!supports_polling(file)) {
    return fail(Errno::eperm);
  }
  if (&file == this) {
    return fail(Errno::einval);
  }

  sync::LockGuard guard(lock_);
  drop_closed_entries_locked();
  auto found = entries_.find(Key{&file, descriptor});
  if (found == entries_.end()) {
    return fail(Errno::enoent);
  }

  release_entry(*found->second);
  entries_.erase(found);
  return {};
}

uint32_t Epoll::ready_events_locked(Entry& entry, fd::File& file, bool consume) {
  uint32_t watched = entry.observer->events().load(std::memory_order_seq_cst);
  if ((watched & ~epoll_mode_flags) == 0) {
    return 0;
  }

  std::atomic<bool>& pending = entry.observer->pending();
  bool edge = consume ? pending.exchange(false, std::memory_order_seq_cst)
                      : pending.load(std::memory_order_seq_cst);
  bool level_triggered = (watched & epoll_edge_triggered) == 0;
  if (!edge && !(level_triggered && entry.was_ready)) {
    return 0;
  }

  uint32_t events = file.poll_events() & (watched & ~epoll_mode_flags);
  if (consume) {
    entry.was_ready = events != 0;
  }
  return events;
}

size_t Epoll::collect_locked(std::span<EpollEvent> ready,
                             std::vector<std::shared_ptr<fd::File>>& files) {
  drop_closed_entries_locked();
  if (entries_.empty()) {
    return 0;
  }

  // Start where the last full wait stopped, so that a small `ready` buffer
  // does not starve entries at the end of the list.
  std::vector<Entry*> order;
  order.reserve(entries_.size());
  for (auto& [key, entry] : entries_) {
    order.push_back(entry.get());
  }
  size_t start = scan_start_ % order.size();
  std::rotate(order.begin(), order.begin() + static_cast<ptrdiff_t>(start), order.end());

  size_t count = 0;
  size_t looked_at = 0;
  for (Entry* entry : order) {
    if (count == ready.size()) {
      break;
    }
    ++looked_at;
    std::shared_ptr<fd::File> file = entry->file.lock();
    if (!file) {
      continue;
    }
    uint32_t events = ready_events_locked(*entry, *file, true);
    files.push_back(std::move(file));
    if (events == 0) {
      continue;
    }

    ready[count++] = EpollEvent{.events = events, .data = entry->data};
    uint32_t watched = entry->observer->events().load(std::memory_order_seq_cst);
    if (watched & epoll_one_shot) {
      entry->observer->events().store(watched & epoll_mode_flags, std::memory_order_seq_cst);
    }
  }
  scan_start_ = start + looked_at;
  return count;
}

Result<size_t> Epoll::wait(std::span<EpollEvent> ready, sync::Deadline deadline) {
  if (ready.empty()) {
    return fail(Errno::einval);
  }

  // Counts this thread as a waiter for the whole call, so that an exclusive
  // notification that comes between a look at the entries and the sleep
  // still counts as a wake-up.
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  struct WaiterCount {
    std::atomic<uint32_t>& waiters;
    ~WaiterCount() { waiters.fetch_sub(1, std::memory_order_seq_cst); }
  } counted{waiters_};

  while (true) {
    uint32_t seen = changes_.load(std::memory_order_seq_cst);
    size_t count = 0;
    {
      // Destroyed after the lock is released, because a file closed while
      // this wait looked at it is released here.
      std::vector<std::shared_ptr<fd::File>> files;
      sync::LockGuard guard(lock_);
      count = collect_locked(ready, files);
    }
    if (count != 0 || deadline.has_passed()) {
      return count;
    }

    Result<void> woken = sync::futex_wait_until(changes_, seen, deadline);
    if (!woken && woken.error() != Errno::etimedout) {
      return fail(woken.error());
    }
  }
}

Result<fs::Stat> Epoll::stat() { return fd::anonymous_inode_stat(); }

uint32_t Epoll::poll_events() {
  // Destroyed after the lock is released, as in wait().
  std::vector<std::shared_ptr<fd::File>> files;
  sync::LockGuard guard(lock_);
  for (auto& [key, entry] : entries_) {
    std::shared_ptr<fd::File> file = entry->file.lock();
    if (!file) {
      continue;
    }
    uint32_t events = ready_events_locked(*entry, *file, false);
    files.push_back(std::move(file));
    if (events != 0) {
      return pollin | pollrdnorm;
    }
  }
  return 0;
}

}  // namespace litebox::event
