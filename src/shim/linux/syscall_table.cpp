#include "shim/linux/syscall_table.hpp"

namespace litebox::shim::linux_abi {

namespace {

SyscallTable build_table() {
  SyscallTable table;
  register_file_syscalls(table);
  register_file_sync_syscalls(table);
  register_directory_syscalls(table);
  register_stat_syscalls(table);
  register_descriptor_syscalls(table);
  register_lock_syscalls(table);
  register_poll_syscalls(table);
  register_epoll_syscalls(table);
  register_memory_syscalls(table);
  register_memfd_syscalls(table);
  register_splice_syscalls(table);
  register_inotify_syscalls(table);
  register_process_syscalls(table);
  register_credential_syscalls(table);
  register_signal_syscalls(table);
  register_signalfd_syscalls(table);
  register_pidfd_syscalls(table);
  register_thread_syscalls(table);
  register_time_syscalls(table);
  register_timer_syscalls(table);
  register_socket_syscalls(table);
  register_socket_connection_syscalls(table);
  register_priority_syscalls(table);
  return table;
}

}  // namespace

const SyscallTable& syscall_table() {
  static const SyscallTable table = build_table();
  return table;
}

}  // namespace litebox::shim::linux_abi
