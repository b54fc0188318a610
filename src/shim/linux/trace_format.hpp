// The pieces that the `--trace` decoders share: strace's string quoting and
// the decoders of constants and flag words (trace_flags.cpp) and of the
// structures in guest memory (trace_structs.cpp, trace_io_structs.cpp).
// Each decoder returns the text strace prints for the value in its default,
// abbreviated output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "shim/linux/guest_memory.hpp"

namespace litebox::shim::linux_abi::trace {

// strace's default string limit (-s 32).
inline constexpr size_t shown_string_bytes = 32;

// strace's default limit of -s 32 also applies to arrays: it prints their
// first 32 elements, then "...".
inline constexpr size_t max_array_elements = 32;

// The T at a guest address, or nothing for a null or unreadable address.
template <typename T>
std::optional<T> read_struct(uint64_t address) {
  if (address == 0) {
    return std::nullopt;
  }
  auto value = GuestPtr<T>(address).read();
  if (!value) {
    return std::nullopt;
  }
  return *value;
}

// A value and its name, for tables of constants and flag bits.
using Named = std::pair<uint64_t, const char*>;

// Quotes bytes as strace does: C escapes, octal for other unprintable
// bytes, and "..." after a string that was cut.
std::string quote(std::string_view bytes, bool truncated);

// Quotes every byte as \xNN, as strace prints getrandom's output.
std::string quote_hex(std::string_view bytes, bool truncated);

std::string show_pointer(uint64_t value);
std::string show_hex(uint64_t value);

// Joins the names of the set bits of `value` with |, after `text` if it is
// not empty. Bits without a name are appended in hex. A zero value with an
// empty `text` prints as 0.
std::string show_bits(uint64_t value, std::initializer_list<Named> bits, std::string text = {});

// The name of `value` in `names`, or `value` in decimal.
std::string show_constant(uint64_t value, std::span<const Named> names);

// The name of `value` in `names`, or `value` in hex with a comment such as
// "/* SCHED_??? */", as strace marks a value that it cannot name.
std::string show_named(uint64_t value, std::span<const Named> names, std::string_view unknown);

// show_bits, except that a nonzero value without any named bit prints in
// hex with a comment such as "/* MCL_??? */", as strace does.
std::string show_flags(uint64_t value, std::initializer_list<Named> bits, std::string_view unknown);

// Constants and flag words (trace_flags.cpp).
std::string show_open_flags(uint64_t value);
std::string show_descriptor_flags(uint64_t value);
std::string show_access_mode(uint64_t value);
std::string show_protection(uint64_t value);
std::string show_map_flags(uint64_t value);
std::string show_remap_flags(uint64_t value);
std::string show_advice(uint64_t value);
std::string show_clock(uint64_t value);
std::string show_whence(uint64_t value);
std::string show_at_flags(uint64_t value, std::string text = {});
std::string show_access_at_flags(uint64_t value);
std::string show_statx_flags(uint64_t value);
std::string show_statx_mask(uint64_t value);
std::string show_statx_attributes(uint64_t value);
std::string show_arch_prctl_code(uint64_t value);
std::string show_futex_operation(uint64_t value);
std::string show_clone_flags(uint64_t value);
std::string show_resource(uint64_t value);
std::string show_fcntl_command(uint64_t value);
std::string show_prctl_option(uint64_t value);
std::string show_dumpable(uint64_t value);
std::string show_ioctl_request(uint64_t value);
std::string show_terminal_flow_action(uint64_t value);  // TCXONC
std::string show_terminal_flush_queue(uint64_t value);  // TCFLSH
std::string show_wait_options(uint64_t value);
std::string show_random_flags(uint64_t value);
std::string show_socket_family(uint64_t value);
std::string show_socket_type(uint64_t value);
std::string show_socket_protocol(uint64_t family, uint64_t value);
std::string show_message_flags(uint64_t value);  // MSG_*
std::string show_shutdown_how(uint64_t value);
std::string show_socket_flags(uint64_t value);  // accept4's SOCK_CLOEXEC and SOCK_NONBLOCK
std::string show_socket_level(uint64_t value);
std::string show_socket_option(uint64_t level, uint64_t value);
std::string show_sigprocmask_how(uint64_t value);
std::string show_epoll_flags(uint64_t value);
std::string show_epoll_operation(uint64_t value);
std::string show_epoll_events(uint64_t value);
std::string show_eventfd_flags(uint64_t value);
std::string show_inotify_init_flags(uint64_t value);
std::string show_inotify_mask(uint64_t value);
std::string show_file_advice(uint64_t value);    // POSIX_FADV_*
std::string show_allocate_mode(uint64_t value);  // FALLOC_FL_*
std::string show_memfd_flags(uint64_t value);
std::string show_file_seals(uint64_t value);     // F_SEAL_*
std::string show_timerfd_flags(uint64_t value);  // TFD_*
std::string show_msync_flags(uint64_t value);
std::string show_rw_flags(uint64_t value);  // RWF_* of preadv2 and pwritev2
std::string show_rusage_who(uint64_t value);
std::string show_timer_which(uint64_t value);     // ITIMER_*
std::string show_priority_which(uint64_t value);  // PRIO_*
std::string show_sigaction_flags(uint64_t value);
std::string show_timer_flags(uint64_t value);
std::string show_poll_events(uint64_t value);
std::string show_file_mode(uint64_t value);  // a st_mode: type, special bits, permissions

// Process-wide settings (trace_process_flags.cpp).
std::string show_personality(uint64_t value);
std::string show_mlockall_flags(uint64_t value);     // MCL_*
std::string show_scheduler_policy(uint64_t value);   // SCHED_*
std::string show_io_priority_which(uint64_t value);  // IOPRIO_WHO_*
std::string show_io_priority(uint64_t value);        // IOPRIO_PRIO_VALUE(class, data)
// struct sched_attr: sched_setattr's, or with `output_size` nonzero the
// one sched_getattr wrote into a buffer of that size.
std::string show_sched_attr(uint64_t address, uint64_t output_size);
std::string show_permissions(uint64_t value);  // a mode argument: 0644

// Structures read from guest memory (trace_structs.cpp, and for descriptor
// I/O trace_io_structs.cpp). Each prints the address instead when the
// memory cannot be read, as strace does.
std::string show_stat(uint64_t address);
std::string show_statx(uint64_t address);
std::string show_rlimit(uint64_t address);
std::string show_sigaction(uint64_t address);
std::string show_sigset(uint64_t address, uint64_t size);
std::string show_timespec(uint64_t address);
std::string show_timeval(uint64_t address);
// A siginfo_t with the fields strace shows for its si_code, or "{}" for
// the zeroed one that waitid(2) leaves when no child changed state.
std::string show_siginfo(uint64_t address);
std::string show_timezone(uint64_t address);
std::string show_file_times(uint64_t address);  // utimensat's two timespecs
std::string show_itimerval(uint64_t address);
std::string show_itimerspec(uint64_t address);
std::string show_rusage(uint64_t address);
std::string show_tms(uint64_t address);
std::string show_signal_stack(uint64_t address);
std::string show_epoll_event(uint64_t address);
std::string show_epoll_events_array(uint64_t address, uint64_t count);
// The descriptors in the fd_set at `address` below `count`, as "[3 4]".
std::string show_descriptor_set(uint64_t address, uint64_t count);
// pselect6's sixth argument: a pointer to a sigset pointer and its size.
std::string show_pselect_mask(uint64_t address);
std::string show_group_list(uint64_t address, uint64_t count);
std::string show_cpu_set(uint64_t address, uint64_t size);  // the numbers of the CPUs in the set
std::string show_utsname(uint64_t address);
std::string show_sysinfo(uint64_t address);
// `length` bytes at `address` as a quoted string, cut after 32 bytes.
std::string show_buffer(uint64_t address, uint64_t length, bool hex = false);
// An iovec array of `count` entries, whose buffers show at most `budget`
// bytes in all: what a read filled, or everything a write takes.
std::string show_iovec(uint64_t address, uint64_t count, uint64_t budget);
// The iovec array with its buffers' addresses, as strace shows the array of
// a readv-like call that failed.
std::string show_iovec_addresses(uint64_t address, uint64_t count);
// A struct msghdr, whose buffers show at most `budget` bytes in all.
std::string show_message(uint64_t address, uint64_t budget);
// A socket address of `length` bytes: AF_UNIX, AF_INET and AF_INET6 by
// field, other families as raw sa_data.
std::string show_sockaddr(uint64_t address, uint64_t length);
// clone3's struct clone_args. Given the result of a call that created a
// process, it also shows what the call wrote back.
std::string show_clone_arguments(uint64_t address, std::optional<int64_t> result);
std::string show_pollfds(uint64_t address, uint64_t count);
std::string show_returned_events(uint64_t address, uint64_t count);
std::string show_wait_status(uint64_t address);
std::string show_int(uint64_t address);
std::string show_hex_word(uint64_t address);
std::string show_int_pair(uint64_t address);
std::string show_winsize(uint64_t address);
std::string show_termios(uint64_t address);
std::string show_flock(uint64_t address);
std::string show_directory_entries(uint64_t address, uint64_t length);
std::string show_environment(uint64_t address);

}  // namespace litebox::shim::linux_abi::trace
