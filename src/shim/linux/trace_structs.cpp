// Decoders of the structures that system calls read from or write to guest
// memory, in strace's abbreviated form: the leading fields that strace
// shows by default, then ", ..." where it leaves the rest out. The
// structures of descriptor I/O are in trace_io_structs.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstring>
#include <vector>

#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/trace.hpp"
#include "shim/linux/trace_format.hpp"

namespace litebox::shim::linux_abi::trace {

namespace {

// The leading fields of struct statx that strace shows.
struct StatxHead {
  uint32_t mask;
  uint32_t block_size;
  uint64_t attributes;
  uint32_t link_count;
  uint32_t uid;
  uint32_t gid;
  uint16_t mode;
  uint16_t pad;
  uint64_t inode;
  uint64_t size;
};
static_assert(sizeof(StatxHead) == 48);

struct Sysinfo {
  int64_t uptime;
  std::array<uint64_t, 3> loads;
  uint64_t total_ram;
  uint64_t free_ram;
  uint64_t shared_ram;
  uint64_t buffer_ram;
  uint64_t total_swap;
  uint64_t free_swap;
  uint16_t process_count;
  uint64_t total_high;
  uint64_t free_high;
  uint32_t memory_unit;
};
static_assert(sizeof(Sysinfo) == 112);

// struct clone_args, the argument of clone3(2).
struct CloneArguments {
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
};
static_assert(sizeof(CloneArguments) == 64);

struct Rlimit {
  uint64_t current;
  uint64_t maximum;
};
static_assert(sizeof(Rlimit) == 16);

// struct sigaction as the kernel reads it on x86-64.
struct KernelSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};
static_assert(sizeof(KernelSigaction) == 32);

struct Utsname {
  std::array<char, 65> sysname;
  std::array<char, 65> nodename;
  std::array<char, 65> release;
  std::array<char, 65> version;
  std::array<char, 65> machine;
  std::array<char, 65> domainname;
};
static_assert(sizeof(Utsname) == 390);

// stack_t.
struct SignalStackValue {
  uint64_t base;
  int32_t flags;
  uint64_t size;
};
static_assert(sizeof(SignalStackValue) == 24);

struct Flock {
  int16_t type;
  int16_t whence;
  int64_t start;
  int64_t length;
  int32_t pid;
};
static_assert(sizeof(Flock) == 32);

std::string show_rlimit_value(uint64_t value) {
  if (value == ~uint64_t{0}) {
    return "RLIM64_INFINITY";
  }
  if (value > 1024 && value % 1024 == 0) {
    return fmt::format("{}*1024", value / 1024);
  }
  return fmt::format("{}", value);
}

// A signal set as strace prints it: the names without "SIG", or the
// complement after "~" when more than half of the signals are in the set.
std::string show_signal_mask(uint64_t mask) {
  constexpr int signal_count = 64;
  const bool complement = std::popcount(mask) > signal_count / 2;
  if (complement) {
    mask = ~mask;
  }
  std::string text = complement ? "~[" : "[";
  bool first = true;
  for (int signal = 1; signal <= signal_count; ++signal) {
    if ((mask & (uint64_t{1} << (signal - 1))) == 0) {
      continue;
    }
    std::string name = signal_name(signal);
    text += first ? "" : " ";
    text += name.starts_with("SIG") ? name.substr(3) : name;
    first = false;
  }
  return text + "]";
}

std::string show_signal_handler(uint64_t handler) {
  switch (handler) {
    case 0:
      return "SIG_DFL";
    case 1:
      return "SIG_IGN";
    default:
      return fmt::format("{:#x}", handler);
  }
}

std::string show_fixed_string(std::span<const char> field) {
  auto end = std::find(field.begin(), field.end(), '\0');
  return quote(std::string_view(field.data(), static_cast<size_t>(end - field.begin())), false);
}

}  // namespace

std::string show_stat(uint64_t address) {
  auto status = read_struct<LinuxStat>(address);
  if (!status) {
    return show_pointer(address);
  }
  constexpr uint32_t type_mask = 0170000;
  constexpr uint32_t character_device = 0020000;
  constexpr uint32_t block_device = 0060000;
  const uint32_t type = status->st_mode & type_mask;
  if (type == character_device || type == block_device) {
    // The kernel's encoding of dev_t: 12 bits of major, 20 of minor.
    const uint64_t device = status->st_rdev;
    const uint64_t major = ((device >> 8) & 0xfff) | ((device >> 32) & ~uint64_t{0xfff});
    const uint64_t minor = (device & 0xff) | ((device >> 12) & ~uint64_t{0xff});
    return fmt::format("{{st_mode={}, st_rdev=makedev({:#x}, {:#x}), ...}}",
                       show_file_mode(status->st_mode), major, minor);
  }
  return fmt::format("{{st_mode={}, st_size={}, ...}}", show_file_mode(status->st_mode),
                     status->st_size);
}

std::string show_statx(uint64_t address) {
  auto status = read_struct<StatxHead>(address);
  if (!status) {
    return show_pointer(address);
  }
  return fmt::format("{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={}, ...}}",
                     show_statx_mask(status->mask), show_statx_attributes(status->attributes),
                     show_file_mode(status->mode), status->size);
}

std::string show_rlimit(uint64_t address) {
  auto limit = read_struct<Rlimit>(address);
  if (!limit) {
    return show_pointer(address);
  }
  return fmt::format("{{rlim_cur={}, rlim_max={}}}", show_rlimit_value(limit->current),
                     show_rlimit_value(limit->maximum));
}

std::string show_sigaction(uint64_t address) {
  auto action = read_struct<KernelSigaction>(address);
  if (!action) {
    return show_pointer(address);
  }
  constexpr uint64_t restorer_flag = 0x04000000;
  std::string text =
      fmt::format("{{sa_handler={}, sa_mask={}, sa_flags={}", show_signal_handler(action->handler),
                  show_signal_mask(action->mask), show_sigaction_flags(action->flags));
  if ((action->flags & restorer_flag) != 0) {
    text += fmt::format(", sa_restorer={}", show_pointer(action->restorer));
  }
  return text + "}";
}

std::string show_sigset(uint64_t address, uint64_t size) {
  if (size != sizeof(uint64_t)) {
    return show_pointer(address);
  }
  auto mask = read_struct<uint64_t>(address);
  if (!mask) {
    return show_pointer(address);
  }
  return show_signal_mask(*mask);
}

std::string show_timespec(uint64_t address) {
  auto time = read_struct<LinuxTimespec>(address);
  if (!time) {
    return show_pointer(address);
  }
  return fmt::format("{{tv_sec={}, tv_nsec={}}}", time->seconds, time->nanoseconds);
}

std::string show_clone_arguments(uint64_t address, std::optional<int64_t> result) {
  auto arguments = read_struct<CloneArguments>(address);
  if (!arguments) {
    return show_pointer(address);
  }
  constexpr uint64_t pidfd_flag = 0x1000;
  constexpr uint64_t child_tid_flags = 0x200000 | 0x1000000;
  constexpr uint64_t parent_tid_flag = 0x100000;
  constexpr uint64_t tls_flag = 0x80000;
  const uint64_t flags = arguments->flags;

  std::string text = fmt::format("{{flags={}", show_clone_flags(flags));
  if ((flags & pidfd_flag) != 0) {
    text += fmt::format(", pidfd={}", show_pointer(arguments->pidfd));
  }
  if ((flags & child_tid_flags) != 0) {
    text += fmt::format(", child_tid={}", show_pointer(arguments->child_tid));
  }
  if ((flags & parent_tid_flag) != 0) {
    text += fmt::format(", parent_tid={}", show_pointer(arguments->parent_tid));
  }
  text += fmt::format(", exit_signal={}, stack={}, stack_size={}",
                      signal_name(static_cast<int>(arguments->exit_signal)),
                      show_pointer(arguments->stack), show_hex(arguments->stack_size));
  if ((flags & tls_flag) != 0) {
    text += fmt::format(", tls={}", show_pointer(arguments->tls));
  }
  text += "}";

  // In the parent, the call has written the child's id where parent_tid
  // points.
  if (result && *result > 0 && (flags & parent_tid_flag) != 0) {
    text += fmt::format(" => {{parent_tid={}}}", show_int(arguments->parent_tid));
  }
  return text;
}

std::string show_sysinfo(uint64_t address) {
  auto info = read_struct<Sysinfo>(address);
  if (!info) {
    return show_pointer(address);
  }
  return fmt::format(
      "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, "
      "totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
      info->uptime, info->loads[0], info->loads[1], info->loads[2], info->total_ram, info->free_ram,
      info->shared_ram, info->buffer_ram, info->total_swap, info->free_swap, info->process_count,
      info->total_high, info->free_high, info->memory_unit);
}

namespace {

// The head of siginfo_t that strace decodes: the signal, the code and the
// first 32 bytes of the union, whose fields depend on the code.
struct SiginfoHead {
  int32_t signo;
  int32_t error;
  int32_t code;
  int32_t padding;
  int32_t pid;     // si_tid of a POSIX timer
  uint32_t uid;    // si_overrun of a POSIX timer
  uint64_t value;  // si_value, or si_status in its low 32 bits for SIGCHLD
  int64_t user_time;
  int64_t system_time;
};
static_assert(sizeof(SiginfoHead) == 48);

std::string show_signal_code(int32_t signo, int32_t code) {
  constexpr int32_t child_signal = 17;
  constexpr std::array<Named, 6> child_codes = {{{1, "CLD_EXITED"},
                                                 {2, "CLD_KILLED"},
                                                 {3, "CLD_DUMPED"},
                                                 {4, "CLD_TRAPPED"},
                                                 {5, "CLD_STOPPED"},
                                                 {6, "CLD_CONTINUED"}}};
  constexpr std::array<Named, 8> codes = {{{0, "SI_USER"},
                                           {0x80, "SI_KERNEL"},
                                           {static_cast<uint32_t>(-1), "SI_QUEUE"},
                                           {static_cast<uint32_t>(-2), "SI_TIMER"},
                                           {static_cast<uint32_t>(-3), "SI_MESGQ"},
                                           {static_cast<uint32_t>(-4), "SI_ASYNCIO"},
                                           {static_cast<uint32_t>(-5), "SI_SIGIO"},
                                           {static_cast<uint32_t>(-6), "SI_TKILL"}}};
  if (signo == child_signal && code > 0) {
    return show_constant(static_cast<uint32_t>(code), child_codes);
  }
  return show_constant(static_cast<uint32_t>(code), codes);
}

}  // namespace

std::string show_siginfo(uint64_t address) {
  const std::optional<SiginfoHead> info = read_struct<SiginfoHead>(address);
  if (!info) {
    return show_pointer(address);
  }
  if (info->signo == 0) {
    return "{}";
  }

  constexpr int32_t child_signal = 17;
  constexpr int32_t child_exited = 1;
  constexpr int32_t user = 0;
  constexpr int32_t queue = -1;
  constexpr int32_t timer = -2;
  constexpr int32_t message_queue = -3;
  constexpr int32_t thread_kill = -6;
  std::string text = fmt::format("{{si_signo={}, si_code={}", signal_name(info->signo),
                                 show_signal_code(info->signo, info->code));

  // The union's fields, by si_code.
  const auto value_int = static_cast<int32_t>(info->value);
  if (info->signo == child_signal && info->code > 0) {
    text += fmt::format(
        ", si_pid={}, si_uid={}, si_status={}, si_utime={}, si_stime={}", info->pid, info->uid,
        info->code == child_exited ? fmt::format("{}", value_int) : signal_name(value_int),
        info->user_time, info->system_time);
  } else if (info->code == user || info->code == thread_kill) {
    text += fmt::format(", si_pid={}, si_uid={}", info->pid, info->uid);
  } else if (info->code == queue || info->code == message_queue) {
    text += fmt::format(", si_pid={}, si_uid={}, si_int={}, si_ptr={}", info->pid, info->uid,
                        value_int, show_pointer(info->value));
  } else if (info->code == timer) {
    text += fmt::format(", si_timerid={}, si_overrun={}, si_int={}, si_ptr={}", info->pid,
                        static_cast<int32_t>(info->uid), value_int, show_pointer(info->value));
  }
  return text + "}";
}

std::string show_timeval(uint64_t address) {
  auto time = read_struct<LinuxTimeval>(address);
  if (!time) {
    return show_pointer(address);
  }
  return fmt::format("{{tv_sec={}, tv_usec={}}}", time->seconds, time->microseconds);
}

std::string show_timezone(uint64_t address) {
  auto zone = read_struct<std::array<int32_t, 2>>(address);
  if (!zone) {
    return show_pointer(address);
  }
  return fmt::format("{{tz_minuteswest={}, tz_dsttime={}}}", (*zone)[0], (*zone)[1]);
}

std::string show_group_list(uint64_t address, uint64_t count) {
  const uint64_t shown = std::min<uint64_t>(count, max_array_elements);
  auto groups = GuestPtr<uint32_t>(address).read_array(shown);
  if (address == 0 || !groups) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t index = 0; index < groups->size(); ++index) {
    text += fmt::format("{}{}", index == 0 ? "" : ", ", (*groups)[index]);
  }
  return text + (count > shown ? ", ...]" : "]");
}

std::string show_cpu_set(uint64_t address, uint64_t size) {
  constexpr uint64_t max_size = 1024;  // bytes: 8192 CPUs
  std::vector<uint8_t> bytes(std::min(size, max_size));
  if (address == 0 || !copy_from_guest(std::as_writable_bytes(std::span(bytes)), address)) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t cpu = 0; cpu < bytes.size() * 8; ++cpu) {
    if ((bytes[cpu / 8] & (1U << (cpu % 8))) != 0) {
      text += fmt::format("{}{}", text.size() == 1 ? "" : " ", cpu);
    }
  }
  return text + "]";
}

std::string show_itimerval(uint64_t address) {
  auto timer = read_struct<std::array<LinuxTimeval, 2>>(address);
  if (!timer) {
    return show_pointer(address);
  }
  return fmt::format(
      "{{it_interval={{tv_sec={}, tv_usec={}}}, it_value={{tv_sec={}, tv_usec={}}}}}",
      (*timer)[0].seconds, (*timer)[0].microseconds, (*timer)[1].seconds, (*timer)[1].microseconds);
}

std::string show_itimerspec(uint64_t address) {
  auto timer = read_struct<std::array<LinuxTimespec, 2>>(address);
  if (!timer) {
    return show_pointer(address);
  }
  return fmt::format(
      "{{it_interval={{tv_sec={}, tv_nsec={}}}, it_value={{tv_sec={}, tv_nsec={}}}}}",
      (*timer)[0].seconds, (*timer)[0].nanoseconds, (*timer)[1].seconds, (*timer)[1].nanoseconds);
}

std::string show_rusage(uint64_t address) {
  auto times = read_struct<std::array<LinuxTimeval, 2>>(address);
  if (!times) {
    return show_pointer(address);
  }
  return fmt::format(
      "{{ru_utime={{tv_sec={}, tv_usec={}}}, ru_stime={{tv_sec={}, tv_usec={}}}, ...}}",
      (*times)[0].seconds, (*times)[0].microseconds, (*times)[1].seconds, (*times)[1].microseconds);
}

std::string show_tms(uint64_t address) {
  auto times = read_struct<std::array<int64_t, 4>>(address);
  if (!times) {
    return show_pointer(address);
  }
  return fmt::format("{{tms_utime={}, tms_stime={}, tms_cutime={}, tms_cstime={}}}", (*times)[0],
                     (*times)[1], (*times)[2], (*times)[3]);
}

std::string show_signal_stack(uint64_t address) {
  auto stack = read_struct<SignalStackValue>(address);
  if (!stack) {
    return show_pointer(address);
  }
  return fmt::format("{{ss_sp={}, ss_flags={}, ss_size={}}}", show_pointer(stack->base),
                     show_bits(static_cast<uint32_t>(stack->flags),
                               {{1, "SS_ONSTACK"}, {2, "SS_DISABLE"}, {1U << 31, "SS_AUTODISARM"}}),
                     stack->size);
}

namespace {

// A time as strace comments it, "2026-12-05T09:13:20.000000002+0000".
// NOTE: strace uses the local time zone, but this is always UTC because
// the shim reads no host time zone data.
std::string show_calendar_time(int64_t seconds, int64_t nanoseconds) {
  using namespace std::chrono;
  const sys_seconds time{std::chrono::seconds{seconds}};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  clock.hours().count(), clock.minutes().count(), clock.seconds().count());
  if (nanoseconds != 0) {
    text += fmt::format(".{:09}", nanoseconds);
  }
  return text + "+0000";
}

}  // namespace

std::string show_file_times(uint64_t address) {
  auto times = read_struct<std::array<LinuxTimespec, 2>>(address);
  if (!times) {
    return show_pointer(address);
  }
  constexpr int64_t now = (int64_t{1} << 30) - 1;   // UTIME_NOW
  constexpr int64_t omit = (int64_t{1} << 30) - 2;  // UTIME_OMIT
  std::string text = "[";
  for (const LinuxTimespec& time : *times) {
    text += text.size() == 1 ? "" : ", ";
    if (time.nanoseconds == now) {
      text += "UTIME_NOW";
    } else if (time.nanoseconds == omit) {
      text += "UTIME_OMIT";
    } else {
      text += fmt::format("{{tv_sec={}, tv_nsec={}}} /* {} */", time.seconds, time.nanoseconds,
                          show_calendar_time(time.seconds, time.nanoseconds));
    }
  }
  return text + "]";
}

std::string show_utsname(uint64_t address) {
  auto names = read_struct<Utsname>(address);
  if (!names) {
    return show_pointer(address);
  }
  return fmt::format("{{sysname={}, nodename={}, ...}}", show_fixed_string(names->sysname),
                     show_fixed_string(names->nodename));
}

std::string show_wait_status(uint64_t address) {
  auto status = read_struct<int32_t>(address);
  if (!status) {
    return show_pointer(address);
  }
  const auto value = static_cast<uint32_t>(*status);
  const uint32_t termination_signal = value & 0x7f;
  if (value == 0xffff) {
    return "[{WIFCONTINUED(s)}]";
  }
  if ((value & 0xff) == 0x7f) {
    return fmt::format("[{{WIFSTOPPED(s) && WSTOPSIG(s) == {}}}]",
                       signal_name(static_cast<int>((value >> 8) & 0xff)));
  }
  if (termination_signal == 0) {
    return fmt::format("[{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}]", (value >> 8) & 0xff);
  }
  const bool core_dumped = (value & 0x80) != 0;
  return fmt::format("[{{WIFSIGNALED(s) && WTERMSIG(s) == {}{}}}]",
                     signal_name(static_cast<int>(termination_signal)),
                     core_dumped ? " && WCOREDUMP(s)" : "");
}

std::string show_int(uint64_t address) {
  auto value = read_struct<int32_t>(address);
  if (!value) {
    return show_pointer(address);
  }
  return fmt::format("[{}]", *value);
}

std::string show_hex_word(uint64_t address) {
  auto value = read_struct<uint64_t>(address);
  if (!value) {
    return show_pointer(address);
  }
  return fmt::format("[{:#x}]", *value);
}

std::string show_int_pair(uint64_t address) {
  auto values = read_struct<std::array<int32_t, 2>>(address);
  if (!values) {
    return show_pointer(address);
  }
  return fmt::format("[{}, {}]", (*values)[0], (*values)[1]);
}

std::string show_flock(uint64_t address) {
  auto lock = read_struct<Flock>(address);
  if (!lock) {
    return show_pointer(address);
  }
  constexpr std::array<Named, 3> types = {{{0, "F_RDLCK"}, {1, "F_WRLCK"}, {2, "F_UNLCK"}}};
  return fmt::format("{{l_type={}, l_whence={}, l_start={}, l_len={}}}",
                     show_constant(static_cast<uint16_t>(lock->type), types),
                     show_whence(static_cast<uint16_t>(lock->whence)), lock->start, lock->length);
}

std::string show_directory_entries(uint64_t address, uint64_t length) {
  // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1),
  // then the name.
  constexpr size_t record_length_offset = 16;
  constexpr uint64_t max_read = 1 << 20;
  std::vector<std::byte> bytes(std::min(length, max_read));
  if (address == 0 || !copy_from_guest(bytes, address)) {
    return show_pointer(address);
  }
  size_t count = 0;
  size_t offset = 0;
  while (offset + record_length_offset + sizeof(uint16_t) <= bytes.size()) {
    uint16_t record_length = 0;
    std::memcpy(&record_length, bytes.data() + offset + record_length_offset,
                sizeof(record_length));
    if (record_length == 0) {
      break;
    }
    ++count;
    offset += record_length;
  }
  return fmt::format("{:#x} /* {} entries */", address, count);
}

std::string show_environment(uint64_t address) {
  if (address == 0) {
    return "NULL";
  }
  constexpr size_t max_count = 1 << 16;
  size_t count = 0;
  for (; count < max_count; ++count) {
    auto entry = GuestPtr<uint64_t>(address) + count;
    auto value = entry.read();
    if (!value) {
      return show_pointer(address);
    }
    if (*value == 0) {
      break;
    }
  }
  return fmt::format("{:#x} /* {} var{} */", address, count, count == 1 ? "" : "s");
}

}  // namespace litebox::shim::linux_abi::trace
