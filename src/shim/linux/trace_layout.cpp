#include "shim/linux/trace_layout.hpp"

#include <array>
#include <initializer_list>

namespace litebox::shim::linux_abi::trace {

namespace {

struct Signature {
  uint32_t number;
  std::array<Kind, 6> arguments;
  bool hex_result;
};

using K = Kind;

constexpr Signature make(uint32_t number, std::initializer_list<Kind> kinds,
                         bool hex_result = false) {
  Signature signature{number, {}, hex_result};
  size_t index = 0;
  for (Kind kind : kinds) {
    signature.arguments[index++] = kind;
  }
  return signature;
}

// Calls whose arguments have one layout. The calls whose layout depends on
// an argument (fcntl, ioctl, prctl, futex, clone, arch_prctl) are laid out
// by argument_layout().
constexpr std::array signatures = {
    make(nr::read, {K::descriptor, K::output_buffer, K::unsigned_integer}),
    make(nr::write, {K::descriptor, K::input_buffer, K::unsigned_integer}),
    make(nr::open, {K::path, K::open_flags, K::mode}),
    make(nr::close, {K::descriptor}),
    make(nr::stat, {K::path, K::stat_output}),
    make(nr::fstat, {K::descriptor, K::stat_output}),
    make(nr::lstat, {K::path, K::stat_output}),
    make(nr::poll, {K::pollfds, K::unsigned_integer, K::signed_integer}),
    make(nr::lseek, {K::descriptor, K::signed_offset, K::whence}),
    make(nr::mmap,
         {K::pointer, K::unsigned_integer, K::protection, K::map_flags, K::descriptor, K::hex},
         true),
    make(nr::mprotect, {K::pointer, K::unsigned_integer, K::protection}),
    make(nr::munmap, {K::pointer, K::unsigned_integer}),
    make(nr::brk, {K::pointer}, true),
    make(nr::rt_sigaction, {K::signal, K::sigaction, K::sigaction_output, K::unsigned_integer}),
    make(nr::rt_sigprocmask,
         {K::sigprocmask_how, K::sigset, K::sigset_output, K::unsigned_integer}),
    make(nr::pread64, {K::descriptor, K::output_buffer, K::unsigned_integer, K::signed_offset}),
    make(nr::pwrite64, {K::descriptor, K::input_buffer, K::unsigned_integer, K::signed_offset}),
    make(nr::readv, {K::descriptor, K::iovec_output, K::unsigned_integer}),
    make(nr::writev, {K::descriptor, K::iovec, K::unsigned_integer}),
    make(nr::preadv, {K::descriptor, K::iovec_output, K::unsigned_integer, K::signed_offset}),
    make(nr::pwritev, {K::descriptor, K::iovec, K::unsigned_integer, K::signed_offset}),
    make(nr::access, {K::path, K::access_mode}),
    make(nr::pipe, {K::int_pair_output}),
    make(nr::mremap,
         {K::pointer, K::unsigned_integer, K::unsigned_integer, K::remap_flags, K::pointer}, true),
    make(nr::madvise, {K::pointer, K::unsigned_integer, K::advice}),
    make(nr::dup, {K::descriptor}),
    make(nr::dup2, {K::descriptor, K::descriptor}),
    make(nr::nanosleep, {K::timespec, K::pointer}),
    make(nr::getpid, {}),
    make(nr::msync, {K::pointer, K::unsigned_integer, K::msync_flags}),
    make(nr::getitimer, {K::timer_which, K::itimerval_output}),
    make(nr::alarm, {K::unsigned_integer}),
    make(nr::setitimer, {K::timer_which, K::itimerval, K::itimerval_output}),
    make(nr::sendfile, {K::descriptor, K::descriptor, K::pointer, K::unsigned_integer}),
    make(nr::getrusage, {K::rusage_who, K::rusage_output}),
    make(nr::times, {K::tms_output}),
    make(nr::getpriority, {K::priority_which, K::signed_integer}),
    make(nr::setpriority, {K::priority_which, K::signed_integer, K::signed_integer}),
    make(nr::epoll_create, {K::signed_integer}),
    make(nr::fadvise64, {K::descriptor, K::signed_offset, K::signed_offset, K::file_advice}),
    make(nr::epoll_wait,
         {K::descriptor, K::epoll_events_output, K::signed_integer, K::signed_integer}),
    make(nr::epoll_ctl, {K::descriptor, K::epoll_operation, K::descriptor, K::epoll_event}),
    make(nr::pselect6, {K::signed_integer, K::descriptor_set, K::descriptor_set, K::descriptor_set,
                        K::timespec, K::pselect_mask}),
    make(nr::select,
         {K::signed_integer, K::descriptor_set, K::descriptor_set, K::descriptor_set, K::timeval}),
    make(nr::epoll_pwait, {K::descriptor, K::epoll_events_output, K::signed_integer,
                           K::signed_integer, K::sigset, K::unsigned_integer}),
    make(nr::fallocate, {K::descriptor, K::allocate_mode, K::signed_offset, K::signed_offset}),
    make(nr::utimensat, {K::directory_descriptor, K::path, K::file_times, K::at_flags}),
    make(nr::utime, {K::path, K::pointer}),
    make(nr::utimes, {K::path, K::pointer}),
    make(nr::futimesat, {K::directory_descriptor, K::path, K::pointer}),
    make(nr::eventfd2, {K::unsigned_integer, K::eventfd_flags}),
    make(nr::epoll_create1, {K::epoll_flags}),
    make(nr::memfd_create, {K::path, K::memfd_flags}),
    make(nr::timerfd_create, {K::clock, K::timerfd_flags}),
    make(nr::timerfd_settime,
         {K::descriptor, K::timerfd_flags, K::itimerspec, K::itimerspec_output}),
    make(nr::timerfd_gettime, {K::descriptor, K::itimerspec_output}),
    make(nr::copy_file_range, {K::descriptor, K::pointer, K::descriptor, K::pointer,
                               K::unsigned_integer, K::unsigned_integer}),
    make(nr::splice, {K::descriptor, K::pointer, K::descriptor, K::pointer, K::unsigned_integer,
                      K::splice_flags}),
    make(nr::tee, {K::descriptor, K::descriptor, K::unsigned_integer, K::splice_flags}),
    // The iovecs are read or written depending on the pipe end, so only
    // their address is shown.
    make(nr::vmsplice, {K::descriptor, K::pointer, K::unsigned_integer, K::splice_flags}),
    make(nr::pidfd_open, {K::signed_integer, K::pidfd_flags}),
    make(nr::pidfd_send_signal, {K::descriptor, K::signal, K::siginfo, K::pidfd_signal_flags}),
    make(nr::pidfd_getfd, {K::descriptor, K::signed_integer, K::hex}),
    // The other calls without arguments, which strace prints as name().
    make(nr::fork, {}),
    make(nr::vfork, {}),
    make(nr::pause, {}),
    make(nr::sched_yield, {}),
    make(nr::sched_setparam, {K::signed_integer, K::int_value}),
    make(nr::sched_getparam, {K::signed_integer, K::int_output}),
    make(nr::sched_setscheduler, {K::signed_integer, K::scheduler_policy, K::int_value}),
    make(nr::sched_getscheduler, {K::signed_integer}),
    make(nr::sched_get_priority_max, {K::scheduler_policy}),
    make(nr::sched_get_priority_min, {K::scheduler_policy}),
    make(nr::sched_rr_get_interval, {K::signed_integer, K::timespec_output}),
    make(nr::sched_setattr, {K::signed_integer, K::sched_attr, K::unsigned_integer}),
    make(nr::sched_getattr,
         {K::signed_integer, K::sched_attr_output, K::unsigned_integer, K::unsigned_integer}),
    make(nr::setsid, {}),
    make(nr::sync, {}),
    make(nr::syncfs, {K::descriptor}),
    make(nr::sync_file_range, {K::descriptor, K::signed_offset, K::signed_offset, K::hex}),
    make(nr::readahead, {K::descriptor, K::signed_offset, K::unsigned_integer}),
    make(nr::munlockall, {}),
    make(nr::mlockall, {K::mlockall_flags}),
    make(nr::mlock, {K::pointer, K::unsigned_integer}),
    make(nr::munlock, {K::pointer, K::unsigned_integer}),
    make(nr::personality, {K::personality}, true),
    make(nr::get_robust_list, {K::signed_integer, K::pointer, K::pointer}),
    make(nr::ioprio_get, {K::io_priority_which, K::signed_integer}),
    make(nr::ioprio_set, {K::io_priority_which, K::signed_integer, K::io_priority}),
    make(nr::vhangup, {}),
    make(nr::inotify_init, {}),
    make(nr::inotify_init1, {K::inotify_init_flags}),
    make(nr::inotify_add_watch, {K::descriptor, K::path, K::inotify_mask}),
    make(nr::inotify_rm_watch, {K::descriptor, K::signed_integer}),
    make(nr::rt_sigreturn, {}),
    make(nr::restart_syscall, {}),
    make(nr::execve, {K::path, K::string_array, K::environment}),
    make(nr::execveat,
         {K::directory_descriptor, K::path, K::string_array, K::environment, K::at_flags}),
    make(nr::exit, {K::signed_integer}),
    make(nr::wait4, {K::signed_integer, K::wait_status_output, K::wait_options, K::pointer}),
    make(nr::kill, {K::signed_integer, K::signal}),
    make(nr::uname, {K::utsname_output}),
    make(nr::flock, {K::descriptor, K::hex}),
    make(nr::fsync, {K::descriptor}),
    make(nr::fdatasync, {K::descriptor}),
    make(nr::truncate, {K::path, K::signed_offset}),
    make(nr::ftruncate, {K::descriptor, K::signed_offset}),
    make(nr::getcwd, {K::string_output, K::unsigned_integer}),
    make(nr::chdir, {K::path}),
    make(nr::fchdir, {K::descriptor}),
    make(nr::rename, {K::path, K::path}),
    make(nr::mkdir, {K::path, K::permissions}),
    make(nr::rmdir, {K::path}),
    make(nr::link, {K::path, K::path}),
    make(nr::unlink, {K::path}),
    make(nr::symlink, {K::path, K::path}),
    make(nr::readlink, {K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::chmod, {K::path, K::permissions}),
    make(nr::fchmod, {K::descriptor, K::permissions}),
    make(nr::chown, {K::path, K::signed_integer, K::signed_integer}),
    make(nr::fchown, {K::descriptor, K::signed_integer, K::signed_integer}),
    make(nr::lchown, {K::path, K::signed_integer, K::signed_integer}),
    make(nr::umask, {K::permissions}),
    make(nr::setxattr, {K::path, K::path, K::input_buffer, K::unsigned_integer, K::xattr_flags}),
    make(nr::lsetxattr, {K::path, K::path, K::input_buffer, K::unsigned_integer, K::xattr_flags}),
    make(nr::fsetxattr,
         {K::descriptor, K::path, K::input_buffer, K::unsigned_integer, K::xattr_flags}),
    make(nr::listxattr, {K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::llistxattr, {K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::flistxattr, {K::descriptor, K::output_buffer, K::unsigned_integer}),
    make(nr::close_range, {K::unsigned_integer, K::unsigned_integer, K::close_range_flags}),
    // strace 6.1 shows epoll_pwait2's timeout as a pointer.
    make(nr::epoll_pwait2, {K::descriptor, K::epoll_events_output, K::signed_integer, K::pointer,
                            K::sigset, K::unsigned_integer}),
    make(nr::timer_create, {K::clock, K::pointer, K::int_output}),
    make(nr::rt_sigqueueinfo, {K::signed_integer, K::signal, K::siginfo}),
    make(nr::rt_tgsigqueueinfo, {K::signed_integer, K::signed_integer, K::signal, K::siginfo}),
    make(nr::rt_sigtimedwait, {K::sigset, K::siginfo_output, K::timespec, K::unsigned_integer}),
    make(nr::waitid,
         {K::waitid_type, K::signed_integer, K::siginfo_output, K::wait_options, K::rusage_output}),
    make(nr::creat, {K::path, K::permissions}),
    make(nr::eventfd, {K::unsigned_integer}),
    make(nr::setuid, {K::signed_integer}),
    make(nr::setgid, {K::signed_integer}),
    make(nr::setfsuid, {K::signed_integer}),
    make(nr::setfsgid, {K::signed_integer}),
    make(nr::setreuid, {K::signed_integer, K::signed_integer}),
    make(nr::setregid, {K::signed_integer, K::signed_integer}),
    make(nr::setresuid, {K::signed_integer, K::signed_integer, K::signed_integer}),
    make(nr::setresgid, {K::signed_integer, K::signed_integer, K::signed_integer}),
    make(nr::timer_delete, {K::signed_integer}),
    make(nr::timer_getoverrun, {K::signed_integer}),
    make(nr::timer_gettime, {K::signed_integer, K::itimerspec_output}),
    make(nr::timer_settime,
         {K::signed_integer, K::timer_flags, K::itimerspec, K::itimerspec_output}),
    make(nr::gettimeofday, {K::timeval_output, K::timezone_output}),
    make(nr::getgroups, {K::signed_integer, K::group_list_output}),
    make(nr::setgroups, {K::signed_integer, K::group_list}),
    make(nr::getresuid, {K::int_output, K::int_output, K::int_output}),
    make(nr::getresgid, {K::int_output, K::int_output, K::int_output}),
    make(nr::getrlimit, {K::resource, K::rlimit_output}),
    make(nr::setrlimit, {K::resource, K::rlimit}),
    make(nr::sysinfo, {K::sysinfo_output}),
    make(nr::getuid, {}),
    make(nr::getgid, {}),
    make(nr::geteuid, {}),
    make(nr::getegid, {}),
    make(nr::getppid, {}),
    make(nr::getpgrp, {}),
    make(nr::setpgid, {K::signed_integer, K::signed_integer}),
    make(nr::getpgid, {K::signed_integer}),
    make(nr::getsid, {K::signed_integer}),
    make(nr::rt_sigpending, {K::sigset_output, K::unsigned_integer}),
    make(nr::rt_sigsuspend, {K::sigset, K::unsigned_integer}),
    make(nr::sigaltstack, {K::signal_stack, K::signal_stack_output}),
    make(nr::statfs, {K::path, K::pointer}),
    make(nr::fstatfs, {K::descriptor, K::pointer}),
    make(nr::arch_prctl, {K::arch_prctl_code, K::pointer}),
    make(nr::gettid, {}),
    make(nr::getxattr, {K::path, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::lgetxattr, {K::path, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::fgetxattr, {K::descriptor, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::tkill, {K::signed_integer, K::signal}),
    make(nr::time, {K::pointer}),
    make(nr::sched_getaffinity, {K::signed_integer, K::unsigned_integer, K::cpu_set_output}),
    make(nr::sched_setaffinity, {K::signed_integer, K::unsigned_integer, K::cpu_set}),
    make(nr::getdents64, {K::descriptor, K::directory_entries_output, K::unsigned_integer}),
    make(nr::set_tid_address, {K::pointer}),
    make(nr::clock_gettime, {K::clock, K::timespec_output}),
    make(nr::clock_getres, {K::clock, K::timespec_output}),
    make(nr::clock_nanosleep, {K::clock, K::timer_flags, K::timespec, K::pointer}),
    make(nr::exit_group, {K::signed_integer}),
    make(nr::tgkill, {K::signed_integer, K::signed_integer, K::signal}),
    make(nr::openat, {K::directory_descriptor, K::path, K::open_flags, K::mode}),
    make(nr::mkdirat, {K::directory_descriptor, K::path, K::permissions}),
    make(nr::fchownat,
         {K::directory_descriptor, K::path, K::signed_integer, K::signed_integer, K::at_flags}),
    make(nr::newfstatat, {K::directory_descriptor, K::path, K::stat_output, K::at_flags}),
    make(nr::unlinkat, {K::directory_descriptor, K::path, K::at_flags}),
    make(nr::renameat, {K::directory_descriptor, K::path, K::directory_descriptor, K::path}),
    make(nr::linkat,
         {K::directory_descriptor, K::path, K::directory_descriptor, K::path, K::at_flags}),
    make(nr::symlinkat, {K::path, K::directory_descriptor, K::path}),
    make(nr::readlinkat, {K::directory_descriptor, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::fchmodat, {K::directory_descriptor, K::path, K::permissions}),
    make(nr::faccessat, {K::directory_descriptor, K::path, K::access_mode}),
    make(nr::faccessat2, {K::directory_descriptor, K::path, K::access_mode, K::access_at_flags}),
    make(nr::ppoll, {K::pollfds, K::unsigned_integer, K::timespec, K::sigset, K::unsigned_integer}),
    make(nr::set_robust_list, {K::pointer, K::unsigned_integer}),
    make(nr::dup3, {K::descriptor, K::descriptor, K::descriptor_flags}),
    make(nr::pipe2, {K::int_pair_output, K::descriptor_flags}),
    make(nr::prlimit64, {K::signed_integer, K::resource, K::rlimit, K::rlimit_output}),
    make(nr::renameat2,
         {K::directory_descriptor, K::path, K::directory_descriptor, K::path, K::hex}),
    make(nr::getrandom, {K::random_bytes, K::unsigned_integer, K::random_flags}),
    make(nr::statx,
         {K::directory_descriptor, K::path, K::statx_flags, K::statx_mask, K::statx_output}),
    make(nr::clone3, {K::clone_arguments, K::unsigned_integer}),
    make(nr::rseq, {K::pointer, K::hex, K::signed_integer, K::hex}),
    make(nr::getcpu, {K::pointer, K::pointer, K::pointer}),
    make(nr::socket, {K::socket_family, K::socket_type, K::socket_protocol}),
    make(nr::socketpair,
         {K::socket_family, K::socket_type, K::socket_protocol, K::int_pair_output}),
    make(nr::connect, {K::descriptor, K::sockaddr, K::unsigned_integer}),
    make(nr::bind, {K::descriptor, K::sockaddr, K::unsigned_integer}),
    make(nr::accept, {K::descriptor, K::sockaddr_output, K::length_in_out}),
    make(nr::accept4, {K::descriptor, K::sockaddr_output, K::length_in_out, K::socket_flags}),
    make(nr::shutdown, {K::descriptor, K::shutdown_how}),
    make(nr::listen, {K::descriptor, K::signed_integer}),
    make(nr::sendto, {K::descriptor, K::input_buffer, K::unsigned_integer, K::message_flags,
                      K::sockaddr, K::unsigned_integer}),
    make(nr::recvfrom, {K::descriptor, K::output_buffer, K::unsigned_integer, K::message_flags,
                        K::sockaddr_output, K::length_in_out}),
    make(nr::sendmsg, {K::descriptor, K::message, K::message_flags}),
    make(nr::recvmsg, {K::descriptor, K::message_output, K::message_flags}),
    make(nr::getsockopt,
         {K::descriptor, K::socket_level, K::socket_option, K::int_output, K::length_in_out}),
    make(nr::setsockopt,
         {K::descriptor, K::socket_level, K::socket_option, K::int_value, K::unsigned_integer}),
    make(nr::getsockname, {K::descriptor, K::sockaddr_output, K::length_in_out}),
    make(nr::getpeername, {K::descriptor, K::sockaddr_output, K::length_in_out}),
};

const Signature* find_signature(uint64_t number) {
  static const std::array<const Signature*, syscall_count> by_number = [] {
    std::array<const Signature*, syscall_count> table{};
    for (const Signature& signature : signatures) {
      table[signature.number] = &signature;
    }
    return table;
  }();
  return number < by_number.size() ? by_number[number] : nullptr;
}

// Whether open(2) flags make the kernel read the mode argument.
bool open_reads_mode(uint64_t flags) {
  constexpr uint64_t create = 0100;
  constexpr uint64_t temporary_file = 020200000;
  return (flags & create) != 0 || (flags & temporary_file) == temporary_file;
}

std::vector<Slot> fcntl_layout(uint64_t command) {
  std::vector<Slot> slots = {{Kind::descriptor, 0, {}}, {Kind::fcntl_command, 1, {}}};
  switch (command) {
    case 1:     // F_GETFD
    case 3:     // F_GETFL
    case 9:     // F_GETOWN
    case 11:    // F_GETSIG
    case 1025:  // F_GETLEASE
    case 1032:  // F_GETPIPE_SZ
    case 1034:  // F_GET_SEALS
      break;
    case 2:  // F_SETFD
      slots.push_back({Kind::close_on_exec_flag, 2, {}});
      break;
    case 4:  // F_SETFL
      slots.push_back({Kind::open_flags, 2, {}});
      break;
    case 5:   // F_GETLK
    case 6:   // F_SETLK
    case 7:   // F_SETLKW
    case 36:  // F_OFD_GETLK
    case 37:  // F_OFD_SETLK
    case 38:  // F_OFD_SETLKW
      slots.push_back({Kind::flock, 2, {}});
      break;
    case 0:     // F_DUPFD
    case 1030:  // F_DUPFD_CLOEXEC
    case 8:     // F_SETOWN
    case 10:    // F_SETSIG
    case 1024:  // F_SETLEASE
    case 1026:  // F_NOTIFY
    case 1031:  // F_SETPIPE_SZ
      slots.push_back({Kind::signed_integer, 2, {}});
      break;
    case 1033:  // F_ADD_SEALS
      slots.push_back({Kind::file_seals, 2, {}});
      break;
    default:
      slots.push_back({Kind::hex, 2, {}});
  }
  return slots;
}

std::vector<Slot> ioctl_layout(uint64_t request) {
  std::vector<Slot> slots = {{Kind::descriptor, 0, {}}, {Kind::ioctl_request, 1, {}}};
  switch (request) {
    case 0x5450:  // FIONCLEX
    case 0x5451:  // FIOCLEX
    case 0x5422:  // TIOCNOTTY
      break;
    case 0x541b:      // FIONREAD
    case 0x5411:      // TIOCOUTQ
    case 0x540f:      // TIOCGPGRP
    case 0x5429:      // TIOCGSID
    case 0x80045430:  // TIOCGPTN
      slots.push_back({Kind::int_output, 2, {}});
      break;
    case 0x5410:      // TIOCSPGRP
    case 0x5421:      // FIONBIO
    case 0x5452:      // FIOASYNC
    case 0x40045431:  // TIOCSPTLCK
      slots.push_back({Kind::int_value, 2, {}});
      break;
    case 0x5413:  // TIOCGWINSZ
      slots.push_back({Kind::winsize_output, 2, {}});
      break;
    case 0x5414:  // TIOCSWINSZ
      slots.push_back({Kind::winsize, 2, {}});
      break;
    case 0x5401:  // TCGETS
      slots.push_back({Kind::termios_output, 2, {}});
      break;
    case 0x5402:  // TCSETS
    case 0x5403:  // TCSETSW
    case 0x5404:  // TCSETSF
      slots.push_back({Kind::termios, 2, {}});
      break;
    case 0x540a:  // TCXONC
      slots.push_back({Kind::terminal_flow_action, 2, {}});
      break;
    case 0x540b:  // TCFLSH
      slots.push_back({Kind::terminal_flush_queue, 2, {}});
      break;
    case 0x5409:  // TCSBRK
    case 0x540e:  // TIOCSCTTY
    case 0x5441:  // TIOCGPTPEER
      slots.push_back({Kind::signed_integer, 2, {}});
      break;
    case 0x80045432:  // TIOCGDEV
      slots.push_back({Kind::int_output, 2, {}});
      break;
    default:
      slots.push_back({Kind::hex, 2, {}});
  }
  return slots;
}

std::vector<Slot> prctl_layout(uint64_t option) {
  std::vector<Slot> slots = {{Kind::prctl_option, 0, {}}};
  switch (option) {
    case 3:   // PR_GET_DUMPABLE
    case 7:   // PR_GET_KEEPCAPS
    case 21:  // PR_GET_SECCOMP
    case 30:  // PR_GET_TIMERSLACK
    case 42:  // PR_GET_THP_DISABLE
      break;
    case 1:  // PR_SET_PDEATHSIG
      slots.push_back({Kind::signal, 1, {}});
      break;
    case 2:   // PR_GET_PDEATHSIG
    case 37:  // PR_GET_CHILD_SUBREAPER
      slots.push_back({Kind::int_output, 1, {}});
      break;
    case 4:  // PR_SET_DUMPABLE
      slots.push_back({Kind::dumpable, 1, {}});
      break;
    case 15:  // PR_SET_NAME
      slots.push_back({Kind::path, 1, {}});
      break;
    case 16:  // PR_GET_NAME
      slots.push_back({Kind::name_output, 1, {}});
      break;
    case 8:   // PR_SET_KEEPCAPS
    case 23:  // PR_CAPBSET_READ
    case 24:  // PR_CAPBSET_DROP
    case 29:  // PR_SET_TIMERSLACK
    case 36:  // PR_SET_CHILD_SUBREAPER
      slots.push_back({Kind::unsigned_integer, 1, {}});
      break;
    case 38:  // PR_SET_NO_NEW_PRIVS
    case 39:  // PR_GET_NO_NEW_PRIVS
    case 41:  // PR_SET_THP_DISABLE
      for (uint8_t index = 1; index < 5; ++index) {
        slots.push_back({Kind::unsigned_integer, index, {}});
      }
      break;
    default:
      for (uint8_t index = 1; index < 5; ++index) {
        slots.push_back({Kind::hex, index, {}});
      }
  }
  return slots;
}

// futex(2) takes uaddr, op, val, timeout (or val2), uaddr2, val3; strace
// shows the ones the operation uses.
std::vector<Slot> futex_layout(uint64_t operation) {
  std::vector<Slot> slots = {
      {Kind::pointer, 0, {}}, {Kind::futex_operation, 1, {}}, {Kind::signed_integer, 2, {}}};
  constexpr uint64_t command_mask = 127;
  switch (operation & command_mask) {
    case 0:  // FUTEX_WAIT
    case 6:  // FUTEX_LOCK_PI
      slots.push_back({Kind::timespec, 3, {}});
      break;
    case 3:  // FUTEX_REQUEUE
      slots.push_back({Kind::unsigned_integer, 3, {}});
      slots.push_back({Kind::pointer, 4, {}});
      break;
    case 4:  // FUTEX_CMP_REQUEUE
    case 5:  // FUTEX_WAKE_OP
      slots.push_back({Kind::unsigned_integer, 3, {}});
      slots.push_back({Kind::pointer, 4, {}});
      slots.push_back({Kind::hex, 5, {}});
      break;
    case 9:  // FUTEX_WAIT_BITSET
      slots.push_back({Kind::timespec, 3, {}});
      slots.push_back({Kind::futex_bitset, 5, {}});
      break;
    case 10:  // FUTEX_WAKE_BITSET
      slots.push_back({Kind::futex_bitset, 5, {}});
      break;
    default:
      break;
  }
  return slots;
}

// clone(2) on x86-64 takes flags, stack, parent_tid, child_tid, tls; strace
// names the arguments and shows only those the flags make the kernel use.
std::vector<Slot> clone_layout(uint64_t flags) {
  constexpr uint64_t set_tls = 0x80000;
  constexpr uint64_t parent_set_tid = 0x100000;
  constexpr uint64_t child_tid_flags = 0x200000 | 0x1000000;
  std::vector<Slot> slots = {{Kind::pointer, 1, "child_stack="}, {Kind::clone_flags, 0, "flags="}};
  if ((flags & parent_set_tid) != 0) {
    slots.push_back({Kind::int_output, 2, "parent_tid="});
  }
  if ((flags & set_tls) != 0) {
    slots.push_back({Kind::pointer, 4, "tls="});
  }
  if ((flags & child_tid_flags) != 0) {
    slots.push_back({Kind::pointer, 3, "child_tidptr="});
  }
  return slots;
}

// mknod(path, mode, dev) and mknodat(dirfd, path, mode, dev): strace shows
// the device only for a character or block device.
std::vector<Slot> mknod_layout(const SyscallArguments& arguments) {
  std::vector<Slot> slots;
  uint8_t index = 0;
  if (arguments.number == nr::mknodat) {
    slots.push_back({Kind::directory_descriptor, index++, {}});
  }
  slots.push_back({Kind::path, index++, {}});
  const uint64_t mode = arguments[index];
  slots.push_back({Kind::file_type_mode, index++, {}});
  constexpr uint64_t type_mask = 0170000;
  constexpr uint64_t character_device = 0020000;
  constexpr uint64_t block_device = 0060000;
  if ((mode & type_mask) == character_device || (mode & type_mask) == block_device) {
    slots.push_back({Kind::device, index, {}});
  }
  return slots;
}

}  // namespace

std::vector<Slot> argument_layout(const SyscallArguments& arguments) {
  switch (arguments.number) {
    case nr::fcntl:
      return fcntl_layout(arguments[1]);
    case nr::ioctl:
      return ioctl_layout(arguments[1]);
    case nr::prctl:
      return prctl_layout(arguments[0]);
    case nr::clone:
      return clone_layout(arguments[0]);
    case nr::futex:
      return futex_layout(arguments[1]);
    case nr::mknod:
    case nr::mknodat:
      return mknod_layout(arguments);
    case nr::preadv2:
    case nr::pwritev2:
      // The offset comes in two registers on 32-bit systems only, so x86-64
      // leaves the fifth unused and strace skips it.
      return {{Kind::descriptor, 0, {}},
              {arguments.number == nr::preadv2 ? Kind::iovec_output : Kind::iovec, 1, {}},
              {Kind::unsigned_integer, 2, {}},
              {Kind::signed_offset, 3, {}},
              {Kind::rw_flags, 5, {}}};
    case nr::arch_prctl: {
      constexpr uint64_t get_fs = 0x1003;
      constexpr uint64_t get_gs = 0x1004;
      const bool reads_base = arguments[0] == get_fs || arguments[0] == get_gs;
      return {{Kind::arch_prctl_code, 0, {}},
              {reads_base ? Kind::hex_word_output : Kind::pointer, 1, {}}};
    }
    default:
      break;
  }
  std::vector<Slot> slots;
  const Signature* signature = find_signature(arguments.number);
  if (signature == nullptr) {
    // Unknown layout: show the first three registers, as strace does for
    // system calls it cannot decode.
    for (uint8_t index = 0; index < 3; ++index) {
      slots.push_back({Kind::pointer, index, {}});
    }
    return slots;
  }
  for (size_t index = 0; index < signature->arguments.size(); ++index) {
    const Kind kind = signature->arguments[index];
    if (kind == Kind::none) {
      break;
    }
    // As strace does, open and openat show the mode only when the kernel
    // reads it.
    if (kind == Kind::mode && index > 0 && signature->arguments[index - 1] == Kind::open_flags &&
        !open_reads_mode(arguments[index - 1])) {
      break;
    }
    // mremap shows the new address only with MREMAP_FIXED.
    constexpr uint64_t remap_fixed = 2;
    if (arguments.number == nr::mremap && index == 4 && (arguments[3] & remap_fixed) == 0) {
      break;
    }
    slots.push_back({kind, static_cast<uint8_t>(index), {}});
  }
  return slots;
}

bool has_hex_result(uint64_t number) {
  const Signature* signature = find_signature(number);
  return signature != nullptr && signature->hex_result;
}

}  // namespace litebox::shim::linux_abi::trace
