// The open file description that pidfd_open(2) returns: a reference to one
// process of the sandbox that poll(2) reports readable once the process has
// exited, and that pidfd_send_signal(2), pidfd_getfd(2) and waitid(2) with
// P_PIDFD name their target by.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/anonymous_inode.hpp"
#include "litebox/fd/file.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

class PidFile final : public fd::File {
 public:
  // `flags` may contain O_NONBLOCK; the description is open for reading and
  // writing, as on Linux.
  PidFile(Kernel& kernel, int32_t pid, uint32_t flags)
      : File(fd::open_read_write | flags), kernel_(kernel), pid_(pid) {}

  int32_t pid() const { return pid_; }

  Result<fs::Stat> stat() override { return fd::anonymous_inode_stat(); }
  std::string anonymous_name() override { return "anon_inode:[pidfd]"; }
  event::Pollable* pollable() override { return &kernel_.process_exits(); }

  // POLLIN and POLLRDNORM once the process has exited, and POLLHUP as well
  // once it has been reaped, as Linux 6.18 reports them.
  // NOTE: a process that the host killed counts as exited only once its
  // parent has collected it (Kernel::process_state), and that wakes no
  // waiter of the pidfd.
  uint32_t poll_events() override;

  // The Pid and NSpid lines of /proc/<pid>/fdinfo/<n>: the pid, or -1 once
  // the process has been reaped.
  std::string fdinfo_lines();

 private:
  // The kernel lives as long as the sandbox, in the heap that every process
  // maps at the same address.
  Kernel& kernel_;
  // Guest pids are never reused, so the pid names this process for as long
  // as the description exists.
  int32_t pid_;
};

// The pidfd open on `descriptor`; `ebadf` when the descriptor is not open
// or is no pidfd.
Result<std::shared_ptr<PidFile>> pidfd_of(Task& task, int32_t descriptor);

}  // namespace litebox::shim::linux_abi
