#include "shim/linux/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/task.hpp"
#include "shim/linux/trace_format.hpp"

namespace litebox::shim::linux_abi {

using namespace trace;

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
  descriptor_flags,  // pipe2 and dup3 flags (O_CLOEXEC, O_NONBLOCK, O_DIRECT)
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
  unlink_flags,
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
  sigprocmask_how,
  timer_flags,
  fcntl_command,
  close_on_exec_flag,
  prctl_option,
  dumpable,
  ioctl_request,
  rlimit,
  sigaction,
  sigset,  // the size is the last argument of the call
  timespec,
  pollfds,  // the count is the next argument
  int_value,
  winsize,
  termios,
  flock,

  output_buffer,  // bytes; the length is the result
  random_bytes,   // getrandom's output, in hex; the length is the result
  name_output,    // a NUL-terminated string
  stat_output,
  statx_output,
  rlimit_output,
  sigaction_output,
  sigset_output,
  timespec_output,
  utsname_output,
  wait_status_output,
  int_output,
  hex_word_output,
  int_pair_output,
  winsize_output,
  termios_output,
  directory_entries_output,  // getdents64: the length is the result
};

namespace {

using Kind = TraceLine::Kind;

bool written_by_call(Kind kind) { return kind >= Kind::output_buffer; }

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

// Calls whose arguments have one layout. fcntl, ioctl, prctl and clone,
// whose layout depends on an argument, are in special_layout().
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
    make(nr::readv, {K::descriptor, K::pointer, K::unsigned_integer}),
    make(nr::writev, {K::descriptor, K::iovec, K::unsigned_integer}),
    make(nr::access, {K::path, K::access_mode}),
    make(nr::pipe, {K::int_pair_output}),
    make(nr::mremap,
         {K::pointer, K::unsigned_integer, K::unsigned_integer, K::remap_flags, K::pointer}, true),
    make(nr::madvise, {K::pointer, K::unsigned_integer, K::advice}),
    make(nr::dup, {K::descriptor}),
    make(nr::dup2, {K::descriptor, K::descriptor}),
    make(nr::nanosleep, {K::timespec, K::timespec_output}),
    make(nr::getpid, {}),
    // The other calls without arguments, which strace prints as name().
    make(nr::fork, {}),
    make(nr::vfork, {}),
    make(nr::pause, {}),
    make(nr::sched_yield, {}),
    make(nr::setsid, {}),
    make(nr::sync, {}),
    make(nr::munlockall, {}),
    make(nr::vhangup, {}),
    make(nr::inotify_init, {}),
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
    make(nr::getcwd, {K::output_buffer, K::unsigned_integer}),
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
    make(nr::gettimeofday, {K::pointer, K::pointer}),
    make(nr::getrlimit, {K::resource, K::rlimit_output}),
    make(nr::setrlimit, {K::resource, K::rlimit}),
    make(nr::sysinfo, {K::pointer}),
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
    make(nr::sigaltstack, {K::pointer, K::pointer}),
    make(nr::statfs, {K::path, K::pointer}),
    make(nr::fstatfs, {K::descriptor, K::pointer}),
    make(nr::arch_prctl, {K::arch_prctl_code, K::pointer}),
    make(nr::gettid, {}),
    make(nr::getxattr, {K::path, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::lgetxattr, {K::path, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::fgetxattr, {K::descriptor, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::tkill, {K::signed_integer, K::signal}),
    make(nr::time, {K::pointer}),
    make(nr::sched_getaffinity, {K::signed_integer, K::unsigned_integer, K::pointer}),
    make(nr::getdents64, {K::descriptor, K::directory_entries_output, K::unsigned_integer}),
    make(nr::set_tid_address, {K::pointer}),
    make(nr::clock_gettime, {K::clock, K::timespec_output}),
    make(nr::clock_getres, {K::clock, K::timespec_output}),
    make(nr::clock_nanosleep, {K::clock, K::timer_flags, K::timespec, K::timespec_output}),
    make(nr::exit_group, {K::signed_integer}),
    make(nr::tgkill, {K::signed_integer, K::signed_integer, K::signal}),
    make(nr::openat, {K::directory_descriptor, K::path, K::open_flags, K::mode}),
    make(nr::mkdirat, {K::directory_descriptor, K::path, K::permissions}),
    make(nr::fchownat,
         {K::directory_descriptor, K::path, K::signed_integer, K::signed_integer, K::at_flags}),
    make(nr::newfstatat, {K::directory_descriptor, K::path, K::stat_output, K::at_flags}),
    make(nr::unlinkat, {K::directory_descriptor, K::path, K::unlink_flags}),
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
    make(nr::rseq, {K::pointer, K::hex, K::signed_integer, K::hex}),
    make(nr::getcpu, {K::pointer, K::pointer, K::pointer}),
    make(nr::socket, {K::socket_family, K::socket_type, K::socket_protocol}),
    make(nr::socketpair,
         {K::socket_family, K::socket_type, K::socket_protocol, K::int_pair_output}),
    make(nr::shutdown, {K::descriptor, K::signed_integer}),
    make(nr::listen, {K::descriptor, K::signed_integer}),
    make(nr::sendto, {K::descriptor, K::input_buffer, K::unsigned_integer, K::hex, K::pointer,
                      K::signed_integer}),
    make(nr::recvfrom,
         {K::descriptor, K::output_buffer, K::unsigned_integer, K::hex, K::pointer, K::pointer}),
    make(nr::sendmsg, {K::descriptor, K::pointer, K::hex}),
    make(nr::recvmsg, {K::descriptor, K::pointer, K::hex}),
    make(nr::getsockopt,
         {K::descriptor, K::signed_integer, K::signed_integer, K::pointer, K::pointer}),
    make(nr::setsockopt,
         {K::descriptor, K::signed_integer, K::signed_integer, K::pointer, K::signed_integer}),
    make(nr::getsockname, {K::descriptor, K::pointer, K::pointer}),
    make(nr::getpeername, {K::descriptor, K::pointer, K::pointer}),
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

std::string show_buffer(uint64_t address, uint64_t length, bool hex = false) {
  if (address == 0) {
    return "NULL";
  }
  std::string bytes(std::min<uint64_t>(length, shown_string_bytes), '\0');
  // Safety: std::string storage is contiguous and writable.
  if (!copy_from_guest({reinterpret_cast<std::byte*>(bytes.data()), bytes.size()}, address)) {
    return show_pointer(address);
  }
  const bool truncated = length > shown_string_bytes;
  return hex ? quote_hex(bytes, truncated) : quote(bytes, truncated);
}

std::string show_path(uint64_t address) {
  if (address == 0) {
    return "NULL";
  }
  auto text = read_guest_string(address, 4095);
  if (!text) {
    return show_pointer(address);
  }
  return quote(*text, false);
}

// A NUL-terminated string of at most `max_length` bytes, such as a task name.
std::string show_short_string(uint64_t address, size_t max_length) {
  std::string bytes(max_length, '\0');
  // Safety: std::string storage is contiguous and writable.
  if (address == 0 ||
      !copy_from_guest({reinterpret_cast<std::byte*>(bytes.data()), bytes.size()}, address)) {
    return show_pointer(address);
  }
  return quote(bytes.substr(0, bytes.find('\0')), false);
}

std::string show_string_array(uint64_t address) {
  if (address == 0) {
    return "NULL";
  }
  auto strings = read_guest_string_array(address, 64, 1 << 20);
  if (!strings) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t index = 0; index < strings->size(); ++index) {
    if (index != 0) {
      text += ", ";
    }
    const std::string& value = (*strings)[index];
    text += quote(std::string_view(value).substr(0, shown_string_bytes),
                  value.size() > shown_string_bytes);
  }
  return text + "]";
}

std::string show_iovec(uint64_t address, uint64_t count) {
  auto vectors = read_guest_iovecs(address, std::min<uint64_t>(count, 8));
  if (!vectors) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t index = 0; index < vectors->size(); ++index) {
    const GuestIovec& vector = (*vectors)[index];
    text += fmt::format("{}{{iov_base={}, iov_len={}}}", index == 0 ? "" : ", ",
                        show_buffer(vector.base, vector.length), vector.length);
  }
  if (count > vectors->size()) {
    text += ", ...";
  }
  return text + "]";
}

// Whether open(2) flags make the kernel read the mode argument.
bool open_reads_mode(uint64_t flags) {
  constexpr uint64_t create = 0100;
  constexpr uint64_t temporary_file = 020200000;
  return (flags & create) != 0 || (flags & temporary_file) == temporary_file;
}

std::string show_directory_descriptor(uint64_t value) {
  constexpr int32_t at_fdcwd = -100;
  if (static_cast<int32_t>(value) == at_fdcwd) {
    return "AT_FDCWD";
  }
  return fmt::format("{}", static_cast<int32_t>(value));
}

// The index of the sigset size argument: the last argument of the call.
size_t sigset_size_index(uint64_t number) {
  switch (number) {
    case nr::rt_sigaction:
    case nr::rt_sigprocmask:
      return 3;
    case nr::ppoll:
      return 4;
    default:
      return 1;
  }
}

std::string show_input(Kind kind, const SyscallArguments& arguments, size_t index) {
  const uint64_t value = arguments[index];
  const uint64_t next = index + 1 < arguments.values.size() ? arguments[index + 1] : 0;
  switch (kind) {
    case Kind::none:
      return {};
    case Kind::signed_integer:
    case Kind::descriptor:
      return fmt::format("{}", static_cast<int32_t>(value));
    case Kind::signed_offset:
      return fmt::format("{}", static_cast<int64_t>(value));
    case Kind::unsigned_integer:
      return fmt::format("{}", value);
    case Kind::hex:
      return show_hex(value);
    case Kind::pointer:
      return show_pointer(value);
    case Kind::directory_descriptor:
      return show_directory_descriptor(value);
    case Kind::path:
      return show_path(value);
    case Kind::input_buffer:
      return show_buffer(value, next);
    case Kind::iovec:
      return show_iovec(value, next);
    case Kind::open_flags:
      return show_open_flags(value);
    case Kind::descriptor_flags:
      return show_descriptor_flags(value);
    case Kind::mode:
      return fmt::format("{:#o}", value);
    case Kind::permissions:
      return show_permissions(value);
    case Kind::access_mode:
      return show_access_mode(value);
    case Kind::protection:
      return show_protection(value);
    case Kind::map_flags:
      return show_map_flags(value);
    case Kind::remap_flags:
      return show_remap_flags(value);
    case Kind::advice:
      return show_advice(value);
    case Kind::signal:
      return signal_name(static_cast<int32_t>(value));
    case Kind::clock:
      return show_clock(value);
    case Kind::whence:
      return show_whence(value);
    case Kind::at_flags:
      return show_at_flags(value);
    case Kind::access_at_flags:
      return show_access_at_flags(value);
    case Kind::unlink_flags:
      return show_unlink_flags(value);
    case Kind::statx_flags:
      return show_statx_flags(value);
    case Kind::statx_mask:
      return show_statx_mask(value);
    case Kind::arch_prctl_code:
      return show_arch_prctl_code(value);
    case Kind::string_array:
      return show_string_array(value);
    case Kind::environment:
      return show_environment(value);
    case Kind::futex_operation:
      return show_futex_operation(value);
    case Kind::futex_bitset:
      return static_cast<uint32_t>(value) == UINT32_MAX ? std::string("FUTEX_BITSET_MATCH_ANY")
                                                        : show_hex(value);
    case Kind::clone_flags:
      return show_clone_flags(value);
    case Kind::resource:
      return show_resource(value);
    case Kind::wait_options:
      return show_wait_options(value);
    case Kind::random_flags:
      return show_random_flags(value);
    case Kind::socket_family:
      return show_socket_family(value);
    case Kind::socket_type:
      return show_socket_type(value);
    case Kind::socket_protocol:
      return show_socket_protocol(arguments[0], value);
    case Kind::sigprocmask_how:
      return show_sigprocmask_how(value);
    case Kind::timer_flags:
      return show_timer_flags(value);
    case Kind::fcntl_command:
      return show_fcntl_command(value);
    case Kind::close_on_exec_flag:
      return show_bits(value, {{1, "FD_CLOEXEC"}});
    case Kind::prctl_option:
      return show_prctl_option(value);
    case Kind::dumpable:
      return show_dumpable(value);
    case Kind::ioctl_request:
      return show_ioctl_request(value);
    case Kind::rlimit:
      return show_rlimit(value);
    case Kind::sigaction:
      return show_sigaction(value);
    case Kind::sigset:
      return show_sigset(value, arguments[sigset_size_index(arguments.number)]);
    case Kind::timespec:
      return show_timespec(value);
    case Kind::pollfds:
      return show_pollfds(value, next);
    case Kind::int_value:
      return show_int(value);
    case Kind::winsize:
      return show_winsize(value);
    case Kind::termios:
      return show_termios(value);
    case Kind::flock:
      return show_flock(value);
    default:
      // Written by the call: decoded by show_output once it has returned.
      return show_pointer(value);
  }
}

std::string show_output(Kind kind, const SyscallArguments& arguments, size_t index,
                        uint64_t result) {
  const uint64_t value = arguments[index];
  switch (kind) {
    case Kind::output_buffer:
      return show_buffer(value, result);
    case Kind::random_bytes:
      return show_buffer(value, result, true);
    case Kind::name_output:
      return show_short_string(value, 16);
    case Kind::stat_output:
      return show_stat(value);
    case Kind::statx_output:
      return show_statx(value);
    case Kind::rlimit_output:
      return show_rlimit(value);
    case Kind::sigaction_output:
      return show_sigaction(value);
    case Kind::sigset_output:
      return show_sigset(value, arguments[sigset_size_index(arguments.number)]);
    case Kind::timespec_output:
      return show_timespec(value);
    case Kind::utsname_output:
      return show_utsname(value);
    case Kind::wait_status_output:
      // wait4 with WNOHANG returns 0 without writing the status.
      return result == 0 ? show_pointer(value) : show_wait_status(value);
    case Kind::int_output:
      return show_int(value);
    case Kind::hex_word_output:
      return show_hex_word(value);
    case Kind::int_pair_output:
      return show_int_pair(value);
    case Kind::winsize_output:
      return show_winsize(value);
    case Kind::termios_output:
      return show_termios(value);
    case Kind::directory_entries_output:
      return show_directory_entries(value, result);
    default:
      return show_input(kind, arguments, index);
  }
}

using Slot = TraceLine::Slot;

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
    case 1033:  // F_ADD_SEALS
      slots.push_back({Kind::signed_integer, 2, {}});
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
    case 0x5409:  // TCSBRK
    case 0x540a:  // TCXONC
    case 0x540b:  // TCFLSH
    case 0x540e:  // TIOCSCTTY
      slots.push_back({Kind::unsigned_integer, 2, {}});
      break;
    default:
      slots.push_back({Kind::pointer, 2, {}});
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

std::vector<Slot> layout(const SyscallArguments& arguments) {
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
  for (uint8_t index = 0; index < signature->arguments.size(); ++index) {
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
    slots.push_back({kind, index, {}});
  }
  return slots;
}

// The text after " = " for a call that succeeded with `result`.
std::string show_result(const SyscallArguments& arguments, uint64_t result) {
  const auto signed_result = static_cast<int64_t>(result);
  switch (arguments.number) {
    case nr::fcntl:
      if (arguments[1] == 1 && result != 0) {  // F_GETFD
        return fmt::format("{:#x} (flags {})", result, show_bits(result, {{1, "FD_CLOEXEC"}}));
      }
      if (arguments[1] == 3) {  // F_GETFL
        return fmt::format("{} (flags {})", show_hex(result), show_open_flags(result));
      }
      break;
    case nr::prctl:
      if (arguments[0] == 3) {  // PR_GET_DUMPABLE
        return fmt::format("{} ({})", signed_result, show_dumpable(result));
      }
      break;
    case nr::poll:
    case nr::ppoll:
      if (result == 0) {
        return "0 (Timeout)";
      }
      return fmt::format("{} ({})", signed_result,
                         show_returned_events(arguments[0], arguments[1]));
    case nr::umask:
      return show_permissions(result);
    default: {
      const Signature* signature = find_signature(arguments.number);
      if (signature != nullptr && signature->hex_result) {
        return fmt::format("{:#x}", result);
      }
    }
  }
  return fmt::format("{}", signed_result);
}

}  // namespace

std::string signal_name(int signal) {
  constexpr const char* names[] = {
      "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  constexpr int first_realtime = 32;
  if (signal >= 0 && static_cast<size_t>(signal) < std::size(names)) {
    return names[signal];
  }
  if (signal == first_realtime) {
    return "SIGRTMIN";
  }
  if (signal > first_realtime && signal <= 64) {
    return fmt::format("SIGRT_{}", signal - first_realtime);
  }
  return fmt::format("{}", signal);
}

TraceLine::TraceLine(const SyscallArguments& arguments)
    : arguments_(arguments), slots_(layout(arguments)) {
  for (const Slot& slot : slots_) {
    decoded_.push_back(show_input(slot.kind, arguments, slot.index));
  }
}

std::string TraceLine::prefix() {
  std::string_view name = syscall_name(arguments_.number);
  std::string text =
      name.empty() ? fmt::format("syscall_{:#x}", arguments_.number) : std::string(name);
  text += '(';
  for (size_t index = 0; index < decoded_.size(); ++index) {
    if (index != 0) {
      text += ", ";
    }
    if (slots_[index].label != nullptr) {
      text += slots_[index].label;
    }
    text += decoded_[index];
  }
  return text + ')';
}

std::string TraceLine::finish(const Result<uint64_t>& result) {
  if (!result) {
    return fmt::format("{} = -1 {} ({})", prefix(), errno_name(result.error()),
                       errno_description(result.error()));
  }

  // Memory that the call wrote holds its output only now.
  for (size_t index = 0; index < slots_.size(); ++index) {
    if (written_by_call(slots_[index].kind)) {
      decoded_[index] = show_output(slots_[index].kind, arguments_, slots_[index].index, *result);
    }
  }
  return fmt::format("{} = {}", prefix(), show_result(arguments_, *result));
}
std::string TraceLine::finish_without_return() { return prefix() + " = ?"; }

void write_trace(std::string_view line) {
  std::string text;
  // As strace -f does (strace 6.1), a line of any thread but the first
  // traced one starts with the thread's id, right-aligned in 5 columns.
  Task* task = Kernel::current_task();
  if (task != nullptr && task->tid() != task->kernel().first_pid()) {
    text = fmt::format("[pid {:5}] ", task->tid());
  }
  text += line;
  text += '\n';
  // Safety: reinterpreting chars as bytes for the byte-oriented interface.
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
  (void)platform::current().stdio.write(platform::StdioStream::error, bytes);
}

}  // namespace litebox::shim::linux_abi
