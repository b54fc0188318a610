#include "litebox/event/poll.hpp"

#include <atomic>
#include <memory>

#include "litebox/event/pollable.hpp"

namespace litebox::event {

namespace {

// The observer behind one poll() call: every notification bumps a futex word
// that the polling thread sleeps on. It lives on the kernel heap because
// another process that shares a watched file may notify it.
class PollWaiter final : public Observer {
 public:
  void notify(uint32_t) override {
    changes_.fetch_add(1, std::memory_order_seq_cst);
    sync::futex_wake(changes_, 1);
  }

  uint32_t sample() const { return changes_.load(std::memory_order_seq_cst); }

  Result<void> sleep(uint32_t seen, sync::Deadline deadline) {
    return sync::futex_wait_until(changes_, seen, deadline);
  }

 private:
  std::atomic<uint32_t> changes_{0};
};

// Registers one waiter with every pollable file of a poll() call and
// unregisters it again on every way out.
class Registration {
 public:
  Registration(std::span<PollEntry> entries, PollWaiter& waiter)
      : entries_(entries), waiter_(waiter) {
    for (PollEntry& entry : entries_) {
      if (Pollable* pollable = pollable_of(entry)) {
        pollable->add_observer(waiter_);
      }
    }
  }

  ~Registration() {
    for (PollEntry& entry : entries_) {
      if (Pollable* pollable = pollable_of(entry)) {
        pollable->remove_observer(waiter_);
      }
    }
  }

  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  static Pollable* pollable_of(PollEntry& entry) {
    return entry.file ? entry.file->pollable() : nullptr;
  }

  std::span<PollEntry> entries_;
  PollWaiter& waiter_;
};

size_t collect_ready(std::span<PollEntry> entries) {
  size_t ready = 0;
  for (PollEntry& entry : entries) {
    if (!entry.file) {
      entry.returned = pollnval;
    } else {
      entry.returned = entry.file->poll_events() & (entry.requested | poll_always_reported);
    }
    if (entry.returned != 0) {
      ++ready;
    }
  }
  return ready;
}

}  // namespace

Result<size_t> poll(std::span<PollEntry> entries, sync::Deadline deadline) {
  size_t ready = collect_ready(entries);
  if (ready != 0 || deadline.has_passed()) {
    return ready;
  }

  // Register first and check readiness after, so a change between the check
  // and the sleep bumps the waiter's word and the sleep returns at once.
  auto waiter = std::make_unique<PollWaiter>();
  Registration registration(entries, *waiter);

  while (true) {
    uint32_t seen = waiter->sample();
    ready = collect_ready(entries);
    if (ready != 0) {
      return ready;
    }

    Result<void> woken = waiter->sleep(seen, deadline);
    if (!woken && woken.error() == Errno::etimedout) {
      // Like Linux's do_poll(), scan once more after the timeout.
      return collect_ready(entries);
    }
    if (!woken) {
      return fail(woken.error());
    }
  }
}

}  // namespace litebox::event
