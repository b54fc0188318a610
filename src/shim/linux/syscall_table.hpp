// The system call table: number -> handler. Each family file in syscalls/
// registers its handlers through one register_*_syscalls function.
#pragma once

#include <array>
#include <cstdint>

#include "litebox/result.hpp"
#include "shim/linux/syscall_numbers.hpp"

namespace litebox::shim::linux_abi {

class Task;

// The six argument registers of a system call (rdi, rsi, rdx, r10, r8, r9).
struct SyscallArguments {
  uint64_t number = 0;
  std::array<uint64_t, 6> values{};

  uint64_t operator[](size_t index) const { return values[index]; }
  // The argument as a C `int`, the type of file descriptors and most flags.
  int32_t as_int(size_t index) const { return static_cast<int32_t>(values[index]); }
  uint32_t as_uint(size_t index) const { return static_cast<uint32_t>(values[index]); }
};

// A handler returns the value for rax, or the errno that becomes -errno.
using SyscallFunction = Result<uint64_t> (*)(Task& task, const SyscallArguments& arguments);

class SyscallTable {
 public:
  void add(uint32_t number, SyscallFunction function) { functions_[number] = function; }

  // The handler for `number`, or nullptr when none is registered.
  SyscallFunction find(uint64_t number) const {
    return number < functions_.size() ? functions_[number] : nullptr;
  }

 private:
  std::array<SyscallFunction, syscall_count> functions_{};
};

// The table with every family registered, built on first use.
const SyscallTable& syscall_table();

void register_file_syscalls(SyscallTable& table);
void register_file_sync_syscalls(SyscallTable& table);
void register_directory_syscalls(SyscallTable& table);
void register_stat_syscalls(SyscallTable& table);
void register_descriptor_syscalls(SyscallTable& table);
void register_lock_syscalls(SyscallTable& table);
void register_poll_syscalls(SyscallTable& table);
void register_epoll_syscalls(SyscallTable& table);
void register_memory_syscalls(SyscallTable& table);
void register_memfd_syscalls(SyscallTable& table);
void register_splice_syscalls(SyscallTable& table);
void register_pidfd_syscalls(SyscallTable& table);
void register_inotify_syscalls(SyscallTable& table);
void register_process_syscalls(SyscallTable& table);
void register_credential_syscalls(SyscallTable& table);
void register_signal_syscalls(SyscallTable& table);
void register_signalfd_syscalls(SyscallTable& table);
void register_thread_syscalls(SyscallTable& table);
void register_time_syscalls(SyscallTable& table);
void register_timer_syscalls(SyscallTable& table);
void register_socket_syscalls(SyscallTable& table);
void register_socket_connection_syscalls(SyscallTable& table);
void register_priority_syscalls(SyscallTable& table);

}  // namespace litebox::shim::linux_abi
