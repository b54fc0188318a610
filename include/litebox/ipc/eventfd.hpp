// EventFd: the kernel object behind eventfd(2), a 64-bit counter that
// writes add to and reads take from.
//
// It follows Linux. Reads and writes move exactly 8 bytes in host byte
// order, and shorter buffers fail with EINVAL. A read blocks while the
// counter is 0 and then returns the whole counter and resets it, or in
// semaphore mode returns 1 and decrements it. A write blocks while the sum
// would exceed 0xfffffffffffffffe, and the value 0xffffffffffffffff is
// invalid. O_NONBLOCK turns every wait into EAGAIN.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::ipc {

// eventfd2(2) flags, the Linux values; EFD_CLOEXEC and EFD_NONBLOCK are
// O_CLOEXEC and O_NONBLOCK.
enum EventFdFlags : uint32_t {
  eventfd_semaphore = 1,
  eventfd_non_blocking = 04000,
  eventfd_close_on_exec = 02000000,
};

// The largest value the counter can hold.
inline constexpr uint64_t eventfd_max_count = 0xfffffffffffffffe;

class EventFd final : public fd::File {
 public:
  // `einval` for flags other than EventFdFlags. The description is
  // read-write, with O_NONBLOCK from eventfd_non_blocking.
  static Result<std::shared_ptr<EventFd>> create(uint64_t initial_count, uint32_t flags);

  EventFd(uint64_t initial_count, bool semaphore, uint32_t file_flags);

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  Result<fs::Stat> stat() override;
  std::string anonymous_name() override { return "anon_inode:[eventfd]"; }
  uint32_t poll_events() override;
  event::Pollable* pollable() override { return &pollable_; }

  // The counter now, for /proc/<pid>/fdinfo.
  uint64_t count();

 private:
  bool is_non_blocking() const;

  const bool semaphore_;
  sync::Mutex lock_;
  uint64_t count_;                 // guarded by lock_
  sync::WaitQueue count_changed_;  // readers and writers that wait
  event::Pollable pollable_;
};

}  // namespace litebox::ipc
