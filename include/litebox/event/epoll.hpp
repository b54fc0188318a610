// Epoll: the kernel object behind epoll_create(2), an interest list of
// (open file description, descriptor number) pairs and the readiness that
// epoll_wait(2) reports for them.
//
// It follows Linux. Entries are level-triggered unless EPOLLET asks for
// edge-triggered reports, and EPOLLONESHOT disables an entry after one
// report until epoll_ctl(EPOLL_CTL_MOD) arms it again. An interest list
// refers to its files weakly: closing the last descriptor of a file (with
// no dup, fork or SCM_RIGHTS reference left) releases it at once and
// removes its entries, as on Linux.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/deadline.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::event {

// Epoll flags beyond the poll(2) bits, the Linux values. Plain constants,
// so that they combine with PollEvents without enum conversions.
inline constexpr uint32_t epoll_exclusive = 1u << 28;
inline constexpr uint32_t epoll_wakeup = 1u << 29;
inline constexpr uint32_t epoll_one_shot = 1u << 30;
inline constexpr uint32_t epoll_edge_triggered = 1u << 31;

// Flags that select how an entry reports instead of what it waits for.
inline constexpr uint32_t epoll_mode_flags =
    epoll_exclusive | epoll_wakeup | epoll_one_shot | epoll_edge_triggered;

// The maximum nesting depth of epoll instances, Linux's
// EPOLL_MAX_NESTS.
inline constexpr int epoll_max_nesting = 4;

// One report of epoll_wait(2): the ready events and the caller's data.
struct EpollEvent {
  uint32_t events = 0;
  uint64_t data = 0;
};

class Epoll final : public fd::File {
 public:
  Epoll();
  ~Epoll() override;

  // EPOLL_CTL_ADD: watches `file` under `descriptor` for `events` (poll
  // bits plus the epoll flags); EPOLLERR and EPOLLHUP are always watched.
  // `eexist` if the pair is already watched, `einval` for this instance
  // itself or a flag combination Linux rejects, `eperm` for regular files
  // and directories, `eloop` when nesting would form a cycle or exceed
  // epoll_max_nesting.
  Result<void> add(int descriptor, const std::shared_ptr<fd::File>& file, uint32_t events,
                   uint64_t data);

  // The checks of add() hold for modify() and remove() too.
  // EPOLL_CTL_MOD: replaces the events and data of a watched pair and arms
  // a disabled one-shot entry again. `enoent` if the pair is not watched,
  // `einval` for EPOLLEXCLUSIVE in `events` or in the entry.
  Result<void> modify(int descriptor, fd::File& file, uint32_t events, uint64_t data);

  // EPOLL_CTL_DEL. `enoent` if the pair is not watched.
  Result<void> remove(int descriptor, fd::File& file);

  // Whether epoll can watch `file`. Regular files and directories never
  // block, and Linux rejects them with EPERM because their file operations
  // have no poll method.
  static bool supports_polling(fd::File& file);

  // epoll_wait(2): fills `ready` with at most `ready.size()` reports and
  // returns their number. Blocks until at least one entry is ready,
  // `deadline` passes (then returns 0) or the thread is interrupted
  // (`eintr`).
  Result<size_t> wait(std::span<EpollEvent> ready, sync::Deadline deadline);

  Result<fs::Stat> stat() override;
  std::string anonymous_name() override { return "anon_inode:[eventpoll]"; }
  // POLLIN when a wait would report something now.
  uint32_t poll_events() override;
  Pollable* pollable() override { return &pollable_; }

 private:
  class EntryObserver;
  struct Entry;
  using Key = std::pair<const fd::File*, int>;

  // Removes the entries whose file was released.
  void drop_closed_entries_locked();
  void release_entry(Entry& entry);
  // The events `entry`, whose file is `file`, would report now; consumes
  // its pending edge when `consume` is set.
  uint32_t ready_events_locked(Entry& entry, fd::File& file, bool consume);
  // Fills `ready` and adds the files it looked at to `files`, so that the
  // caller releases them after unlocking.
  size_t collect_locked(std::span<EpollEvent> ready, std::vector<std::shared_ptr<fd::File>>& files);
  // Whether this instance can be reached from `file` through nested epoll
  // instances, or the nesting under `file` is deeper than `depth_left`.
  bool reaches_or_too_deep(const fd::File& file, int depth_left);
  void announce_change();

  sync::Mutex lock_;
  std::map<Key, std::unique_ptr<Entry>> entries_;  // guarded by lock_
  size_t scan_start_ = 0;  // guarded by lock_; rotates reports between waits
  // Bumped by every notification from a watched file; waiters sleep on it.
  std::atomic<uint32_t> changes_{0};
  // Threads in wait().
  std::atomic<uint32_t> waiters_{0};
  Pollable pollable_;
};

}  // namespace litebox::event
