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

namespace litebox::shim::linux_abi {

namespace {

// The display format of one argument.
enum class Kind : uint8_t {
  none,
  signed_integer,  // a C int: the kernel reads only the low 32 bits
  signed_offset,   // off_t / loff_t: all 64 bits
  unsigned_integer,
  hex,
  pointer,
  descriptor,
  directory_descriptor,  // AT_FDCWD shown by name
  path,
  input_buffer,   // bytes; the length is the next argument
  output_buffer,  // bytes written by the call; the length is its result
  iovec,          // struct iovec array; the count is the next argument
  open_flags,
  descriptor_flags,  // pipe2 and dup3 flags (O_CLOEXEC, O_NONBLOCK, O_DIRECT)
  mode,              // shown only after open flags with O_CREAT or O_TMPFILE
  access_mode,
  protection,
  map_flags,
  signal,
  clock,
  whence,
  at_flags,
  arch_prctl_code,
  string_array,
  futex_operation,
  clone_flags,
  resource,
};

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

constexpr std::array signatures = {
    make(nr::read, {K::descriptor, K::output_buffer, K::unsigned_integer}),
    make(nr::write, {K::descriptor, K::input_buffer, K::unsigned_integer}),
    make(nr::open, {K::path, K::open_flags, K::mode}),
    make(nr::close, {K::descriptor}),
    make(nr::stat, {K::path, K::pointer}),
    make(nr::fstat, {K::descriptor, K::pointer}),
    make(nr::lstat, {K::path, K::pointer}),
    make(nr::lseek, {K::descriptor, K::signed_offset, K::whence}),
    make(nr::mmap,
         {K::pointer, K::unsigned_integer, K::protection, K::map_flags, K::descriptor, K::hex},
         true),
    make(nr::mprotect, {K::pointer, K::unsigned_integer, K::protection}),
    make(nr::munmap, {K::pointer, K::unsigned_integer}),
    make(nr::brk, {K::pointer}, true),
    make(nr::rt_sigaction, {K::signal, K::pointer, K::pointer, K::unsigned_integer}),
    make(nr::rt_sigprocmask, {K::signed_integer, K::pointer, K::pointer, K::unsigned_integer}),
    make(nr::ioctl, {K::descriptor, K::hex, K::hex}),
    make(nr::pread64, {K::descriptor, K::output_buffer, K::unsigned_integer, K::signed_offset}),
    make(nr::pwrite64, {K::descriptor, K::input_buffer, K::unsigned_integer, K::signed_offset}),
    make(nr::readv, {K::descriptor, K::pointer, K::unsigned_integer}),
    make(nr::writev, {K::descriptor, K::iovec, K::unsigned_integer}),
    make(nr::access, {K::path, K::access_mode}),
    make(nr::pipe, {K::pointer}),
    make(nr::mremap, {K::pointer, K::unsigned_integer, K::unsigned_integer, K::hex, K::pointer},
         true),
    make(nr::madvise, {K::pointer, K::unsigned_integer, K::signed_integer}),
    make(nr::dup, {K::descriptor}),
    make(nr::dup2, {K::descriptor, K::descriptor}),
    make(nr::nanosleep, {K::pointer, K::pointer}),
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
    make(nr::execve, {K::path, K::string_array, K::pointer}),
    make(nr::execveat,
         {K::directory_descriptor, K::path, K::string_array, K::pointer, K::at_flags}),
    make(nr::exit, {K::signed_integer}),
    make(nr::wait4, {K::signed_integer, K::pointer, K::hex, K::pointer}),
    make(nr::kill, {K::signed_integer, K::signal}),
    make(nr::uname, {K::pointer}),
    make(nr::fcntl, {K::descriptor, K::signed_integer, K::hex}),
    make(nr::flock, {K::descriptor, K::hex}),
    make(nr::getcwd, {K::output_buffer, K::unsigned_integer}),
    make(nr::chdir, {K::path}),
    make(nr::fchdir, {K::descriptor}),
    make(nr::rename, {K::path, K::path}),
    make(nr::mkdir, {K::path, K::mode}),
    make(nr::rmdir, {K::path}),
    make(nr::unlink, {K::path}),
    make(nr::readlink, {K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::chmod, {K::path, K::mode}),
    make(nr::umask, {K::mode}),
    make(nr::gettimeofday, {K::pointer, K::pointer}),
    make(nr::getrlimit, {K::resource, K::pointer}),
    make(nr::setrlimit, {K::resource, K::pointer}),
    make(nr::sysinfo, {K::pointer}),
    make(nr::getuid, {}),
    make(nr::getgid, {}),
    make(nr::geteuid, {}),
    make(nr::getegid, {}),
    make(nr::getppid, {}),
    make(nr::getpgrp, {}),
    make(nr::sigaltstack, {K::pointer, K::pointer}),
    make(nr::arch_prctl, {K::arch_prctl_code, K::pointer}),
    make(nr::prctl, {K::signed_integer, K::hex, K::hex, K::hex, K::hex}),
    make(nr::gettid, {}),
    make(nr::time, {K::pointer}),
    make(nr::futex, {K::pointer, K::futex_operation, K::signed_integer, K::pointer}),
    make(nr::clone, {K::clone_flags, K::pointer, K::pointer, K::pointer, K::pointer}),
    make(nr::sched_getaffinity, {K::signed_integer, K::unsigned_integer, K::pointer}),
    make(nr::getdents64, {K::descriptor, K::pointer, K::unsigned_integer}),
    make(nr::set_tid_address, {K::pointer}),
    make(nr::clock_gettime, {K::clock, K::pointer}),
    make(nr::clock_getres, {K::clock, K::pointer}),
    make(nr::clock_nanosleep, {K::clock, K::hex, K::pointer, K::pointer}),
    make(nr::exit_group, {K::signed_integer}),
    make(nr::openat, {K::directory_descriptor, K::path, K::open_flags, K::mode}),
    make(nr::mkdirat, {K::directory_descriptor, K::path, K::mode}),
    make(nr::newfstatat, {K::directory_descriptor, K::path, K::pointer, K::at_flags}),
    make(nr::unlinkat, {K::directory_descriptor, K::path, K::at_flags}),
    make(nr::readlinkat, {K::directory_descriptor, K::path, K::output_buffer, K::unsigned_integer}),
    make(nr::faccessat, {K::directory_descriptor, K::path, K::access_mode}),
    make(nr::faccessat2, {K::directory_descriptor, K::path, K::access_mode, K::at_flags}),
    make(nr::set_robust_list, {K::pointer, K::unsigned_integer}),
    make(nr::dup3, {K::descriptor, K::descriptor, K::descriptor_flags}),
    make(nr::pipe2, {K::pointer, K::descriptor_flags}),
    make(nr::prlimit64, {K::signed_integer, K::resource, K::pointer, K::pointer}),
    make(nr::getrandom, {K::pointer, K::unsigned_integer, K::hex}),
    make(nr::statx, {K::directory_descriptor, K::path, K::at_flags, K::hex, K::pointer}),
    make(nr::rseq, {K::pointer, K::unsigned_integer, K::signed_integer, K::hex}),
    make(nr::getcpu, {K::pointer, K::pointer, K::pointer}),
    make(nr::socketpair, {K::signed_integer, K::hex, K::signed_integer, K::pointer}),
    make(nr::shutdown, {K::descriptor, K::signed_integer}),
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

// strace's default string limit (-s 32).
constexpr size_t shown_string_bytes = 32;

std::string quote(std::string_view bytes, bool truncated) {
  std::string text = "\"";
  for (char character : bytes) {
    auto byte = static_cast<unsigned char>(character);
    switch (character) {
      case '"':
        text += "\\\"";
        break;
      case '\\':
        text += "\\\\";
        break;
      case '\n':
        text += "\\n";
        break;
      case '\t':
        text += "\\t";
        break;
      case '\r':
        text += "\\r";
        break;
      default:
        if (byte < 0x20 || byte >= 0x7f) {
          text += fmt::format("\\{:o}", byte);
        } else {
          text += character;
        }
    }
  }
  text += '"';
  if (truncated) {
    text += "...";
  }
  return text;
}

std::string show_pointer(uint64_t value) {
  return value == 0 ? std::string("NULL") : fmt::format("{:#x}", value);
}

std::string show_buffer(uint64_t address, uint64_t length) {
  if (address == 0) {
    return "NULL";
  }
  std::string bytes(std::min<uint64_t>(length, shown_string_bytes), '\0');
  // Safety: std::string storage is contiguous and writable.
  if (!copy_from_guest({reinterpret_cast<std::byte*>(bytes.data()), bytes.size()}, address)) {
    return show_pointer(address);
  }
  return quote(bytes, length > shown_string_bytes);
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

// Joins the names of the set bits of `value`; bits without a name are
// appended in hex.
std::string show_bits(uint64_t value, std::initializer_list<std::pair<uint64_t, const char*>> bits,
                      std::string text = {}) {
  for (const auto& [bit, name] : bits) {
    if ((value & bit) == bit && bit != 0) {
      text += text.empty() ? "" : "|";
      text += name;
      value &= ~bit;
    }
  }
  if (value != 0 || text.empty()) {
    text += text.empty() ? "" : "|";
    text += fmt::format("{:#x}", value);
  }
  return text;
}

std::string show_open_flags(uint64_t value) {
  constexpr const char* access_names[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  std::string access = access_names[value & 3];
  value &= ~uint64_t{3};
  if (value == 0) {
    return access;
  }
  return show_bits(value,
                   {{0100, "O_CREAT"},
                    {0200, "O_EXCL"},
                    {0400, "O_NOCTTY"},
                    {01000, "O_TRUNC"},
                    {02000, "O_APPEND"},
                    {04000, "O_NONBLOCK"},
                    {04010000, "O_SYNC"},
                    {010000, "O_DSYNC"},
                    {020000, "O_ASYNC"},
                    {040000, "O_DIRECT"},
                    {0100000, "O_LARGEFILE"},
                    {020200000, "O_TMPFILE"},
                    {0200000, "O_DIRECTORY"},
                    {0400000, "O_NOFOLLOW"},
                    {01000000, "O_NOATIME"},
                    {02000000, "O_CLOEXEC"},
                    {010000000, "O_PATH"}},
                   access);
}

std::string show_descriptor_flags(uint64_t value) {
  if (value == 0) {
    return "0";
  }
  return show_bits(value, {{04000, "O_NONBLOCK"}, {040000, "O_DIRECT"}, {02000000, "O_CLOEXEC"}});
}

// Whether open(2) flags make the kernel read the mode argument.
bool open_reads_mode(uint64_t flags) {
  constexpr uint64_t create = 0100;
  constexpr uint64_t temporary_file = 020200000;
  return (flags & create) != 0 || (flags & temporary_file) == temporary_file;
}

std::string show_access_mode(uint64_t value) {
  if (value == 0) {
    return "F_OK";
  }
  return show_bits(value, {{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}});
}

std::string show_protection(uint64_t value) {
  if (value == 0) {
    return "PROT_NONE";
  }
  return show_bits(value, {{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}});
}

std::string show_map_flags(uint64_t value) {
  constexpr const char* type_names[] = {"0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"};
  std::string type = type_names[value & 3];
  value &= ~uint64_t{3};
  if (value == 0) {
    return type;
  }
  return show_bits(value,
                   {{0x10, "MAP_FIXED"},
                    {0x20, "MAP_ANONYMOUS"},
                    {0x40, "MAP_32BIT"},
                    {0x100, "MAP_GROWSDOWN"},
                    {0x800, "MAP_DENYWRITE"},
                    {0x1000, "MAP_EXECUTABLE"},
                    {0x2000, "MAP_LOCKED"},
                    {0x4000, "MAP_NORESERVE"},
                    {0x8000, "MAP_POPULATE"},
                    {0x10000, "MAP_NONBLOCK"},
                    {0x20000, "MAP_STACK"},
                    {0x40000, "MAP_HUGETLB"},
                    {0x80000, "MAP_SYNC"},
                    {0x100000, "MAP_FIXED_NOREPLACE"}},
                   type);
}

}  // namespace

std::string signal_name(int signal) {
  constexpr const char* names[] = {
      "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  if (signal >= 0 && static_cast<size_t>(signal) < std::size(names)) {
    return names[signal];
  }
  if (signal > 0 && signal <= 64) {
    return fmt::format("SIGRT_{}", signal - 32);
  }
  return fmt::format("{}", signal);
}

namespace {

std::string show_signal(uint64_t value) { return signal_name(static_cast<int32_t>(value)); }

std::string show_clock(uint64_t value) {
  constexpr const char* names[] = {"CLOCK_REALTIME",           "CLOCK_MONOTONIC",
                                   "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
                                   "CLOCK_MONOTONIC_RAW",      "CLOCK_REALTIME_COARSE",
                                   "CLOCK_MONOTONIC_COARSE",   "CLOCK_BOOTTIME"};
  if (value < std::size(names)) {
    return names[value];
  }
  return fmt::format("{}", static_cast<int32_t>(value));
}

std::string show_whence(uint64_t value) {
  constexpr const char* names[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"};
  if (value < std::size(names)) {
    return names[value];
  }
  return fmt::format("{}", static_cast<int32_t>(value));
}

std::string show_at_flags(uint64_t value) {
  if (value == 0) {
    return "0";
  }
  return show_bits(value, {{0x100, "AT_SYMLINK_NOFOLLOW"},
                           {0x200, "AT_REMOVEDIR"},
                           {0x400, "AT_SYMLINK_FOLLOW"},
                           {0x800, "AT_NO_AUTOMOUNT"},
                           {0x1000, "AT_EMPTY_PATH"}});
}

std::string show_arch_prctl_code(uint64_t value) {
  switch (value) {
    case 0x1001:
      return "ARCH_SET_GS";
    case 0x1002:
      return "ARCH_SET_FS";
    case 0x1003:
      return "ARCH_GET_FS";
    case 0x1004:
      return "ARCH_GET_GS";
    case 0x3001:
      return "ARCH_CET_STATUS";
    default:
      return fmt::format("{:#x}", value);
  }
}

std::string show_futex_operation(uint64_t value) {
  constexpr const char* names[] = {"FUTEX_WAIT",        "FUTEX_WAKE",        "FUTEX_FD",
                                   "FUTEX_REQUEUE",     "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
                                   "FUTEX_LOCK_PI",     "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
                                   "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET"};
  constexpr uint64_t private_flag = 128;
  constexpr uint64_t realtime_flag = 256;
  const uint64_t command = value & ~(private_flag | realtime_flag);
  if (command >= std::size(names)) {
    return fmt::format("{:#x}", value);
  }
  std::string text = names[command];
  if (value & private_flag) {
    text += "_PRIVATE";
  }
  if (value & realtime_flag) {
    text += "|FUTEX_CLOCK_REALTIME";
  }
  return text;
}

std::string show_clone_flags(uint64_t value) {
  std::string text = show_bits(value & ~uint64_t{0xff}, {{0x100, "CLONE_VM"},
                                                         {0x200, "CLONE_FS"},
                                                         {0x400, "CLONE_FILES"},
                                                         {0x800, "CLONE_SIGHAND"},
                                                         {0x2000, "CLONE_PTRACE"},
                                                         {0x4000, "CLONE_VFORK"},
                                                         {0x8000, "CLONE_PARENT"},
                                                         {0x10000, "CLONE_THREAD"},
                                                         {0x20000, "CLONE_NEWNS"},
                                                         {0x40000, "CLONE_SYSVSEM"},
                                                         {0x80000, "CLONE_SETTLS"},
                                                         {0x100000, "CLONE_PARENT_SETTID"},
                                                         {0x200000, "CLONE_CHILD_CLEARTID"},
                                                         {0x400000, "CLONE_DETACHED"},
                                                         {0x1000000, "CLONE_CHILD_SETTID"}});
  if ((value & 0xff) != 0) {
    text += "|" + signal_name(static_cast<int>(value & 0xff));
  }
  return text;
}

std::string show_resource(uint64_t value) {
  constexpr const char* names[] = {
      "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
      "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
      "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
  if (value < std::size(names)) {
    return names[value];
  }
  return fmt::format("{}", static_cast<int32_t>(value));
}

std::string show_directory_descriptor(uint64_t value) {
  constexpr int32_t at_fdcwd = -100;
  if (static_cast<int32_t>(value) == at_fdcwd) {
    return "AT_FDCWD";
  }
  return fmt::format("{}", static_cast<int32_t>(value));
}

std::string show_argument(Kind kind, const SyscallArguments& arguments, size_t index) {
  const uint64_t value = arguments[index];
  const uint64_t next = index + 1 < arguments.values.size() ? arguments[index + 1] : 0;
  switch (kind) {
    case Kind::none:
      return {};
    case Kind::signed_integer:
      return fmt::format("{}", static_cast<int32_t>(value));
    case Kind::signed_offset:
      return fmt::format("{}", static_cast<int64_t>(value));
    case Kind::unsigned_integer:
      return fmt::format("{}", value);
    case Kind::hex:
      // strace prints a zero offset or flag word as plain 0.
      return value == 0 ? std::string("0") : fmt::format("{:#x}", value);
    case Kind::pointer:
    case Kind::output_buffer:
      return show_pointer(value);
    case Kind::descriptor:
      return fmt::format("{}", static_cast<int32_t>(value));
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
    case Kind::access_mode:
      return show_access_mode(value);
    case Kind::protection:
      return show_protection(value);
    case Kind::map_flags:
      return show_map_flags(value);
    case Kind::signal:
      return show_signal(value);
    case Kind::clock:
      return show_clock(value);
    case Kind::whence:
      return show_whence(value);
    case Kind::at_flags:
      return show_at_flags(value);
    case Kind::arch_prctl_code:
      return show_arch_prctl_code(value);
    case Kind::string_array:
      return show_string_array(value);
    case Kind::futex_operation:
      return show_futex_operation(value);
    case Kind::clone_flags:
      return show_clone_flags(value);
    case Kind::resource:
      return show_resource(value);
  }
  return {};
}

}  // namespace

TraceLine::TraceLine(const SyscallArguments& arguments) : arguments_(arguments) {
  const Signature* signature = find_signature(arguments.number);
  if (signature == nullptr) {
    // Unknown layout: show the first three registers, as strace does for
    // system calls it cannot decode.
    for (size_t index = 0; index < 3; ++index) {
      decoded_.push_back(show_pointer(arguments[index]));
    }
    return;
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
    decoded_.push_back(show_argument(kind, arguments, index));
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
    text += decoded_[index];
  }
  return text + ')';
}

std::string TraceLine::finish(const Result<uint64_t>& result) {
  const Signature* signature = find_signature(arguments_.number);
  if (!result) {
    return fmt::format("{} = -1 {} ({})", prefix(), errno_name(result.error()),
                       errno_description(result.error()));
  }

  // Output buffers hold what the call produced, so decode them only now.
  if (signature != nullptr) {
    for (size_t index = 0; index < decoded_.size(); ++index) {
      if (signature->arguments[index] == Kind::output_buffer) {
        decoded_[index] = show_buffer(arguments_[index], *result);
      }
    }
  }

  if (signature != nullptr && signature->hex_result) {
    return fmt::format("{} = {:#x}", prefix(), *result);
  }
  return fmt::format("{} = {}", prefix(), static_cast<int64_t>(*result));
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
