// The argument layouts of the traced system calls: for each call, which
// registers `--trace` shows and how it decodes each of them.
#pragma once

#include <cstdint>
#include <vector>

#include "shim/linux/syscall_table.hpp"
#include "shim/linux/trace.hpp"

namespace litebox::shim::linux_abi {

// The kinds from output_buffer on are written by the call: they show the
// guest address until the call has succeeded, then what it wrote there.
enum class TraceLine::Kind : uint8_t {
  none,
  signed_integer,  // a C int: the kernel reads only the low 32 bits
  signed_offset,   // off_t / loff_t: all 64 bits
  unsigned_integer,
  hex,
  pointer,
  descriptor,
  directory_descriptor,  // AT_FDCWD shown by name
  path,
  input_buffer,  // bytes; the length is the next argument
  iovec,         // struct iovec array; the count is the next argument
  open_flags,
  descriptor_flags,  // pipe2 and dup3 flags, named as open flags
  mode,              // shown only after open flags with O_CREAT or O_TMPFILE
  permissions,
  access_mode,
  protection,
  map_flags,
  remap_flags,
  advice,
  signal,
  clock,
  whence,
  at_flags,
  access_at_flags,
  statx_flags,
  statx_mask,
  arch_prctl_code,
  string_array,
  environment,
  futex_operation,
  futex_bitset,
  clone_flags,
  resource,
  wait_options,
  random_flags,
  socket_family,
  socket_type,
  socket_protocol,  // decoded for the family in the first argument
  message_flags,
  shutdown_how,
  socket_flags,
  socket_level,
  socket_option,  // decoded for the level in the previous argument
  sockaddr,       // the length is the next argument
  message,        // struct msghdr
  sigprocmask_how,
  timer_flags,
  fcntl_command,
  close_on_exec_flag,
  prctl_option,
  dumpable,
  ioctl_request,
  terminal_flow_action,
  terminal_flush_queue,
  rlimit,
  sigaction,
  sigset,  // the size is the last argument of the call
  timespec,
  pollfds,  // the count is the next argument
  int_value,
  winsize,
  termios,
  flock,
  file_times,
  epoll_flags,
  epoll_operation,
  epoll_event,
  eventfd_flags,
  inotify_init_flags,
  inotify_mask,
  signal_stack,
  file_advice,
  allocate_mode,
  rusage_who,
  timer_which,
  itimerval,
  memfd_flags,
  file_seals,     // F_SEAL_*
  timerfd_flags,  // TFD_*
  itimerspec,
  descriptor_set,  // the count is the first argument
  pselect_mask,
  msync_flags,
  priority_which,
  group_list,  // the count is the previous argument
  cpu_set,     // the size in bytes is the previous argument
  personality,
  mlockall_flags,
  scheduler_policy,
  io_priority_which,
  io_priority,
  sched_attr,
  rw_flags,
  file_type_mode,  // mknod's mode: file type, special bits, permissions
  device,          // a dev_t shown as makedev(major, minor)
  xattr_flags,
  close_range_flags,
  timeval,
  siginfo,
  waitid_type,  // idtype_t: P_ALL, P_PID, ...
  splice_flags,
  pidfd_flags,         // pidfd_open's PIDFD_*
  pidfd_signal_flags,  // pidfd_send_signal's PIDFD_SIGNAL_*

  output_buffer,   // bytes; the length is the result
  iovec_output,    // struct iovec array; the count is the next argument
  message_output,  // struct msghdr that the call filled with the result's bytes
  random_bytes,    // getrandom's output, in hex; the length is the result
  name_output,     // a NUL-terminated string
  stat_output,
  statx_output,
  rlimit_output,
  sigaction_output,
  sigset_output,
  timespec_output,
  timeval_output,
  epoll_events_output,  // the count is the result
  signal_stack_output,
  rusage_output,
  tms_output,
  itimerval_output,
  itimerspec_output,
  timezone_output,
  group_list_output,  // the count is the result
  cpu_set_output,     // the size in bytes is the result
  sched_attr_output,  // the buffer size is the next argument
  siginfo_output,
  utsname_output,
  sysinfo_output,
  clone_arguments,  // read before the call, shown with what it wrote back
  sockaddr_output,  // the length is where the next argument points
  length_in_out,    // an int that the call reads and may rewrite: [in => out]
  string_output,    // a NUL-terminated path, such as getcwd's
  wait_status_output,
  int_output,
  hex_word_output,
  int_pair_output,
  winsize_output,
  termios_output,
  directory_entries_output,  // getdents64: the length is the result
};

namespace trace {

using Kind = TraceLine::Kind;
using Slot = TraceLine::Slot;

inline bool written_by_call(Kind kind) { return kind >= Kind::output_buffer; }

// The arguments strace shows for this call, in its order.
std::vector<Slot> argument_layout(const SyscallArguments& arguments);

// Whether strace shows the call's result in hex (mmap, brk, mremap).
bool has_hex_result(uint64_t number);

}  // namespace trace

}  // namespace litebox::shim::linux_abi
