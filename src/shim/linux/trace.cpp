#include "shim/linux/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

#include "litebox/platform/platform.hpp"
#include "shim/linux/device_number.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/task.hpp"
#include "shim/linux/trace_format.hpp"
#include "shim/linux/trace_layout.hpp"

namespace litebox::shim::linux_abi {

using namespace trace;

namespace {

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
    case nr::rt_sigtimedwait:
      return 3;
    case nr::ppoll:
      return 4;
    case nr::epoll_pwait:
    case nr::epoll_pwait2:
      return 5;
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
      return show_iovec(value, next, UINT64_MAX);
    case Kind::open_flags:
      return show_open_flags(value);
    case Kind::descriptor_flags:
      return show_descriptor_flags(value);
    case Kind::mode:
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
    case Kind::message_flags:
      return show_message_flags(value);
    case Kind::shutdown_how:
      return show_shutdown_how(value);
    case Kind::socket_flags:
      return show_socket_flags(value);
    case Kind::socket_level:
      return show_socket_level(value);
    case Kind::socket_option:
      return show_socket_option(arguments[index - 1], value);
    case Kind::sockaddr:
      return show_sockaddr(value, next);
    case Kind::message:
      return show_message(value, UINT64_MAX);
    case Kind::length_in_out:
      return show_int(value);
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
    case Kind::terminal_flow_action:
      return show_terminal_flow_action(value);
    case Kind::terminal_flush_queue:
      return show_terminal_flush_queue(value);
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
    case Kind::file_times:
      return show_file_times(value);
    case Kind::epoll_flags:
      return show_epoll_flags(value);
    case Kind::epoll_operation:
      return show_epoll_operation(value);
    case Kind::epoll_event:
      return show_epoll_event(value);
    case Kind::eventfd_flags:
      return show_eventfd_flags(value);
    case Kind::inotify_init_flags:
      return show_inotify_init_flags(value);
    case Kind::inotify_mask:
      return show_inotify_mask(value);
    case Kind::signal_stack:
      return show_signal_stack(value);
    case Kind::file_advice:
      return show_file_advice(value);
    case Kind::allocate_mode:
      return show_allocate_mode(value);
    case Kind::rusage_who:
      return show_rusage_who(value);
    case Kind::timer_which:
      return show_timer_which(value);
    case Kind::itimerval:
      return show_itimerval(value);
    case Kind::memfd_flags:
      return show_memfd_flags(value);
    case Kind::file_seals:
      return show_file_seals(value);
    case Kind::timerfd_flags:
      return show_timerfd_flags(value);
    case Kind::itimerspec:
      return show_itimerspec(value);
    case Kind::descriptor_set:
      return show_descriptor_set(value, arguments[0]);
    case Kind::pselect_mask:
      return show_pselect_mask(value);
    case Kind::msync_flags:
      return show_msync_flags(value);
    case Kind::priority_which:
      return show_priority_which(value);
    case Kind::group_list:
      return show_group_list(value, arguments[index - 1]);
    case Kind::cpu_set:
      return show_cpu_set(value, arguments[index - 1]);
    case Kind::personality:
      return show_personality(value);
    case Kind::mlockall_flags:
      return show_mlockall_flags(value);
    case Kind::scheduler_policy:
      return show_scheduler_policy(value);
    case Kind::io_priority_which:
      return show_io_priority_which(value);
    case Kind::io_priority:
      return show_io_priority(value);
    case Kind::sched_attr:
      return show_sched_attr(value, 0);
    case Kind::rw_flags:
      return show_rw_flags(value);
    case Kind::file_type_mode:
      return show_file_mode(value);
    case Kind::device: {
      // The kernel takes a 32-bit dev_t.
      const uint64_t device = value & 0xffff'ffff;
      return fmt::format("makedev({}, {})", show_hex(device_major(device)),
                         show_hex(device_minor(device)));
    }
    case Kind::xattr_flags:
      return show_flags(value, {{1, "XATTR_CREATE"}, {2, "XATTR_REPLACE"}}, "XATTR_???");
    case Kind::timeval:
      return show_timeval(value);
    case Kind::siginfo:
      return show_siginfo(value);
    case Kind::waitid_type: {
      constexpr std::array<Named, 4> types = {
          {{0, "P_ALL"}, {1, "P_PID"}, {2, "P_PGID"}, {3, "P_PIDFD"}}};
      return show_named(static_cast<uint32_t>(value), types, "P_???");
    }
    case Kind::close_range_flags:
      return show_flags(value, {{2, "CLOSE_RANGE_UNSHARE"}, {4, "CLOSE_RANGE_CLOEXEC"}},
                        "CLOSE_RANGE_???");
    case Kind::splice_flags:
      return show_flags(value & 0xffff'ffff,
                        {{1, "SPLICE_F_MOVE"},
                         {2, "SPLICE_F_NONBLOCK"},
                         {4, "SPLICE_F_MORE"},
                         {8, "SPLICE_F_GIFT"}},
                        "SPLICE_F_???");
    case Kind::pidfd_flags:
      return show_flags(value & 0xffff'ffff, {{0200, "PIDFD_THREAD"}, {04000, "PIDFD_NONBLOCK"}},
                        "PIDFD_???");
    case Kind::pidfd_signal_flags:
      return show_flags(value & 0xffff'ffff,
                        {{1, "PIDFD_SIGNAL_THREAD"},
                         {2, "PIDFD_SIGNAL_THREAD_GROUP"},
                         {4, "PIDFD_SIGNAL_PROCESS_GROUP"}},
                        "PIDFD_SIGNAL_???");
    case Kind::clone_arguments:
      return show_clone_arguments(value, std::nullopt);
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
    case Kind::iovec_output:
      return show_iovec(value, arguments[index + 1], result);
    case Kind::message_output:
      return show_message(value, result);
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
    case Kind::timeval_output:
      return show_timeval(value);
    case Kind::epoll_events_output:
      return show_epoll_events_array(value, result);
    case Kind::signal_stack_output:
      return show_signal_stack(value);
    case Kind::rusage_output:
      return show_rusage(value);
    case Kind::tms_output:
      return show_tms(value);
    case Kind::itimerval_output:
      return show_itimerval(value);
    case Kind::itimerspec_output:
      return show_itimerspec(value);
    case Kind::timezone_output:
      return show_timezone(value);
    case Kind::group_list_output:
      return show_group_list(value, result);
    case Kind::cpu_set_output:
      return show_cpu_set(value, result);
    case Kind::siginfo_output:
      return show_siginfo(value);
    case Kind::sched_attr_output:
      return show_sched_attr(value, arguments[index + 1]);
    case Kind::utsname_output:
      return show_utsname(value);
    case Kind::sysinfo_output:
      return show_sysinfo(value);
    case Kind::clone_arguments:
      return show_clone_arguments(value, static_cast<int64_t>(result));
    case Kind::sockaddr_output: {
      // The call stores the address's length where the next argument
      // points.
      auto length =
          value == 0 ? Result<int32_t>(0) : GuestPtr<int32_t>(arguments[index + 1]).read();
      return length ? show_sockaddr(value, static_cast<uint32_t>(*length)) : show_pointer(value);
    }
    case Kind::string_output:
      return show_path(value);
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

// As strace -f does (strace 6.1), a line of any thread but the first
// traced one starts with the thread's id, right-aligned in 5 columns.
std::string thread_marker() {
  Task* task = Kernel::current_task();
  if (task != nullptr && task->tid() != task->kernel().first_pid()) {
    return fmt::format("[pid {:5}] ", task->tid());
  }
  return {};
}

// Joins a call and its result as strace does: "= " starts at column 40 of
// the line that write_trace prints, or one space after a longer call.
std::string with_result(std::string call, std::string_view result) {
  constexpr size_t result_column = 40;
  const size_t end = thread_marker().size() + call.size();
  call.append(end < result_column ? result_column - end : 1, ' ');
  call += "= ";
  call += result;
  return call;
}

// The text after " = " of select and pselect6: the descriptors that each
// set contains after the call and the time left, as strace shows them.
std::string show_select_result(const SyscallArguments& arguments, int64_t result) {
  if (result == 0) {
    return "0 (Timeout)";
  }
  std::string parts;
  constexpr std::array<const char*, 3> set_names = {"in", "out", "except"};
  for (size_t index = 0; index < set_names.size(); ++index) {
    const uint64_t address = arguments[index + 1];
    const std::string set = address == 0 ? "[]" : show_descriptor_set(address, arguments[0]);
    if (set != "[]") {
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", set_names[index], set);
    }
  }
  if (const uint64_t timeout = arguments[4]; timeout != 0) {
    parts += fmt::format(
        "{}left {}", parts.empty() ? "" : ", ",
        arguments.number == nr::select ? show_timeval(timeout) : show_timespec(timeout));
  }
  return fmt::format("{} ({})", result, parts);
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
      if (arguments[1] == 1034 && result != 0) {  // F_GET_SEALS
        const bool named = (result & 0x1f) != 0;
        return fmt::format("{:#x} (seals {})", result,
                           named ? show_file_seals(result) : show_hex(result));
      }
      break;
    case nr::prctl:
      if (arguments[0] == 3) {  // PR_GET_DUMPABLE
        return fmt::format("{} ({})", signed_result, show_dumpable(result));
      }
      break;
    case nr::rt_sigtimedwait:
      return fmt::format("{} ({})", signed_result, signal_name(static_cast<int>(result)));
    case nr::select:
    case nr::pselect6:
      return show_select_result(arguments, signed_result);
    case nr::poll:
    case nr::ppoll:
      if (result == 0) {
        return "0 (Timeout)";
      }
      return fmt::format("{} ({})", signed_result,
                         show_returned_events(arguments[0], arguments[1]));
    case nr::umask:
      return show_permissions(result);
    case nr::personality:
      return fmt::format("{} ({})", show_hex(result), show_personality(result));
    case nr::ioprio_get:
      return fmt::format("{} ({})", signed_result, show_io_priority(result));
    case nr::sched_getscheduler:
      // strace names a plain policy, but not one with SCHED_RESET_ON_FORK.
      if (result <= 6) {
        return fmt::format("{} ({})", signed_result, show_scheduler_policy(result));
      }
      break;
    default:
      if (has_hex_result(arguments.number)) {
        return fmt::format("{:#x}", result);
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

TraceLine::TraceLine(const SyscallArguments& arguments, uint64_t stack_pointer)
    : arguments_(arguments), slots_(argument_layout(arguments)) {
  for (const Slot& slot : slots_) {
    decoded_.push_back(show_input(slot.kind, arguments, slot.index));
  }

  // rt_sigreturn takes no arguments, but strace shows the uc_sigmask of the
  // signal frame that the call restores. The handler's return popped the
  // frame's first word, so its struct ucontext starts at the stack pointer
  // and uc_sigmask lies 296 bytes in.
  constexpr uint64_t signal_mask_offset = 296;
  if (arguments.number == nr::rt_sigreturn && stack_pointer != 0) {
    slots_.push_back({Kind::none, 0, "{mask="});
    decoded_.push_back(show_sigset(stack_pointer + signal_mask_offset, sizeof(uint64_t)) + "}");
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
    for (size_t index = 0; index < slots_.size(); ++index) {
      const Slot& slot = slots_[index];
      if (slot.kind == Kind::iovec_output) {
        decoded_[index] = show_iovec_addresses(arguments_[slot.index], arguments_[slot.index + 1]);
      }
    }
    return with_result(prefix(), fmt::format("-1 {} ({})", errno_name(result.error()),
                                             errno_description(result.error())));
  }

  // Memory that the call wrote contains its output only now.
  for (size_t index = 0; index < slots_.size(); ++index) {
    const Kind kind = slots_[index].kind;
    if (!written_by_call(kind)) {
      continue;
    }
    std::string output = show_output(kind, arguments_, slots_[index].index, *result);
    // strace shows a length the call changed as "[in => out]".
    const std::string& input = decoded_[index];
    if (kind == Kind::length_in_out && output != input && input.starts_with('[') &&
        output.starts_with('[')) {
      output = fmt::format("{} => {}", input.substr(0, input.size() - 1), output.substr(1));
    }
    decoded_[index] = std::move(output);
  }
  return with_result(prefix(), show_result(arguments_, *result));
}

std::string TraceLine::finish_without_return() { return with_result(prefix(), "?"); }

std::string TraceLine::finish_restartable() {
  return with_result(prefix(), "? ERESTART_RESTARTBLOCK (Interrupted by signal)");
}

void TraceLine::show_resumed(uint64_t interrupted_number) {
  slots_.push_back({Kind::none, 0, nullptr});
  decoded_.push_back(
      fmt::format("<... resuming interrupted {} ...>", syscall_name(interrupted_number)));
}

std::string first_exec_line(std::string_view path, std::span<const std::string> arguments,
                            uint64_t environment_address, size_t environment_count) {
  std::string shown_arguments;
  for (const std::string& argument : arguments) {
    shown_arguments += shown_arguments.empty() ? "" : ", ";
    shown_arguments += quote(std::string_view(argument).substr(0, shown_string_bytes),
                             argument.size() > shown_string_bytes);
  }
  return with_result(
      fmt::format("execve({}, [{}], {:#x} /* {} var{} */)", quote(path, false), shown_arguments,
                  environment_address, environment_count, environment_count == 1 ? "" : "s"),
      "0");
}

void write_trace(std::string_view line) {
  std::string text = thread_marker();
  text += line;
  text += '\n';
  // Safety: reinterpreting chars as bytes for the byte-oriented interface.
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
  (void)platform::current().stdio.write(platform::StdioStream::error, bytes);
}

}  // namespace litebox::shim::linux_abi
