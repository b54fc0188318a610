// Readiness notification, level-triggered: a file reports its current
// readiness through fd::File::poll_events(), and its Pollable notifies
// registered observers when that readiness may have changed. Observers then
// ask poll_events() again; a notification carries no state of its own.
// poll(2) waits through one observer per call; epoll can keep one observer
// per watched file that moves the file onto its ready list.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "litebox/sync/mutex.hpp"

namespace litebox::event {

// poll(2) event bits, the Linux values.
enum PollEvents : uint32_t {
  pollin = 0x1,
  pollpri = 0x2,
  pollout = 0x4,
  pollerr = 0x8,
  pollhup = 0x10,
  pollnval = 0x20,
  pollrdnorm = 0x40,
  pollrdband = 0x80,
  pollwrnorm = 0x100,
  pollwrband = 0x200,
  pollrdhup = 0x2000,
};

// Events that poll(2) reports whether or not the caller requested them.
inline constexpr uint32_t poll_always_reported = pollerr | pollhup | pollnval;

// Something that wants to hear about readiness changes. Implementations
// must be allocated on the kernel heap (never on a stack), because a
// notification may come from another process that shares the file.
class Observer {
 public:
  virtual ~Observer() = default;

  // Called when the readiness of a watched file may have changed; `events`
  // contains the bits that may differ. Runs in the notifying thread with the
  // Pollable's lock held, so it must not block, must not add or remove
  // observers, and must not take a lock that a notifier holds while calling
  // Pollable::notify().
  virtual void notify(uint32_t events) = 0;

  // Whether the observer is an exclusive waiter (an epoll entry with
  // EPOLLEXCLUSIVE). A notification runs every other observer, but the
  // exclusive ones only in order until notify_exclusive() of one returns
  // true, because Linux wakes one exclusive waiter per event.
  virtual bool is_exclusive() { return false; }

  // Runs as notify() does for an exclusive observer, and returns whether it
  // woke a waiter.
  virtual bool notify_exclusive(uint32_t events) {
    notify(events);
    return true;
  }

  // Whether the observer has no use for further notifications, so that the
  // next notify() of a Pollable unregisters it and calls detach(). An epoll
  // entry whose file was released is such an observer: its registration
  // may sit in a Pollable that outlives the file, such as a pipe's.
  virtual bool is_orphaned() { return false; }

  // Called with the Pollable's lock held when the Pollable unregisters the
  // observer by itself: because is_orphaned() returned true, or because the
  // Pollable is destroyed. The Pollable never touches the observer after
  // this call, so the observer may free itself in it.
  virtual void detach() {}
};

// The notification side of a file's readiness, embedded in files whose
// poll_events() changes over time (pipes, sockets, eventfds).
class Pollable {
 public:
  Pollable() = default;
  // Detaches the observers that are still registered.
  ~Pollable();
  Pollable(const Pollable&) = delete;
  Pollable& operator=(const Pollable&) = delete;

  // Registers `observer`; it stays registered until remove_observer(), or
  // until the Pollable detaches it.
  // Notifications from before the call are not replayed, so the caller
  // checks poll_events() after registering.
  void add_observer(Observer& observer);

  // Unregisters `observer` and returns whether it was registered, which it
  // is not after the Pollable detached it. Once this returns, no notify()
  // of this Pollable runs the observer any more, so the caller may destroy
  // it.
  bool remove_observer(Observer& observer);

  // Notifies every observer that the bits in `events` may have changed, and
  // detaches the orphaned ones afterwards. Files
  // call it after each state change, preferably without holding their own
  // locks. The change and poll_events() must be ordered by one lock (or by
  // seq_cst atomics), because notify() skips its work when it finds no
  // observer registered.
  void notify(uint32_t events);

 private:
  sync::Mutex lock_;
  std::vector<Observer*> observers_;  // guarded by lock_
  // observers_.size(), readable without lock_ so that notify() costs one
  // load when nobody watches.
  std::atomic<uint32_t> observer_count_{0};
};

}  // namespace litebox::event
