// Decoders of the structures that system calls read from or write to guest
// memory, in strace's abbreviated form: the leading fields that strace
// shows by default, then ", ..." where it leaves the rest out.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include "shim/linux/guest_clock.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/trace.hpp"
#include "shim/linux/trace_format.hpp"

namespace litebox::shim::linux_abi::trace {

namespace {

// strace's default limit of -s 32 also applies to arrays: it prints their
// first 32 elements, then "...".
constexpr size_t max_array_elements = 32;

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

struct PollFd {
  int32_t descriptor;
  int16_t events;
  int16_t returned_events;
};
static_assert(sizeof(PollFd) == 8);

struct Winsize {
  uint16_t rows;
  uint16_t columns;
  uint16_t x_pixels;
  uint16_t y_pixels;
};
static_assert(sizeof(Winsize) == 8);

// struct termios as TCGETS writes it (the kernel's, without speeds).
struct KernelTermios {
  uint32_t input_flags;
  uint32_t output_flags;
  uint32_t control_flags;
  uint32_t local_flags;
  uint8_t line;
  std::array<uint8_t, 19> control_characters;
};
static_assert(sizeof(KernelTermios) == 36);

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

// strace prints a termios flag word with no bit set as nothing, and after
// the fields that every word has (delays, speed, character size) it puts
// a "|" even when no flag follows.
std::string show_termios_bits(uint32_t value, std::initializer_list<Named> bits,
                              std::string text = {}) {
  if (value == 0) {
    return text;
  }
  return show_bits(value, bits, std::move(text));
}

std::string show_termios_input_flags(uint32_t value) {
  return show_termios_bits(value, {{01, "IGNBRK"},
                                   {02, "BRKINT"},
                                   {04, "IGNPAR"},
                                   {010, "PARMRK"},
                                   {020, "INPCK"},
                                   {040, "ISTRIP"},
                                   {0100, "INLCR"},
                                   {0200, "IGNCR"},
                                   {0400, "ICRNL"},
                                   {01000, "IUCLC"},
                                   {02000, "IXON"},
                                   {04000, "IXANY"},
                                   {010000, "IXOFF"},
                                   {020000, "IMAXBEL"},
                                   {040000, "IUTF8"}});
}

std::string show_termios_output_flags(uint32_t value) {
  // The delay fields come first, each as its value's name (NL0, CR2, ...);
  // TAB3 has the name XTABS.
  constexpr std::array<std::pair<uint32_t, const char*>, 6> delays = {{{0400, "NL"},
                                                                       {03000, "CR"},
                                                                       {014000, "TAB"},
                                                                       {020000, "BS"},
                                                                       {040000, "VT"},
                                                                       {0100000, "FF"}}};
  constexpr uint32_t tab_delay_mask = 014000;
  std::string text;
  for (const auto& [mask, name] : delays) {
    const uint32_t field = (value & mask) >> std::countr_zero(mask);
    if (mask == tab_delay_mask && field == 3) {
      text += "XTABS|";
    } else {
      text += fmt::format("{}{}|", name, field);
    }
    value &= ~mask;
  }
  return text + show_termios_bits(value, {{01, "OPOST"},
                                          {02, "OLCUC"},
                                          {04, "ONLCR"},
                                          {010, "OCRNL"},
                                          {020, "ONOCR"},
                                          {040, "ONLRET"},
                                          {0100, "OFILL"},
                                          {0200, "OFDEL"}});
}

std::string show_termios_control_flags(uint32_t value) {
  constexpr uint32_t baud_mask = 010017;
  constexpr uint32_t input_baud_shift = 16;  // IBSHIFT: CIBAUD is CBAUD << 16
  constexpr std::array<Named, 31> bauds = {{{0, "B0"},
                                            {01, "B50"},
                                            {02, "B75"},
                                            {03, "B110"},
                                            {04, "B134"},
                                            {05, "B150"},
                                            {06, "B200"},
                                            {07, "B300"},
                                            {010, "B600"},
                                            {011, "B1200"},
                                            {012, "B1800"},
                                            {013, "B2400"},
                                            {014, "B4800"},
                                            {015, "B9600"},
                                            {016, "B19200"},
                                            {017, "B38400"},
                                            {010001, "B57600"},
                                            {010002, "B115200"},
                                            {010003, "B230400"},
                                            {010004, "B460800"},
                                            {010005, "B500000"},
                                            {010006, "B576000"},
                                            {010007, "B921600"},
                                            {010010, "B1000000"},
                                            {010011, "B1152000"},
                                            {010012, "B1500000"},
                                            {010013, "B2000000"},
                                            {010014, "B2500000"},
                                            {010015, "B3000000"},
                                            {010016, "B3500000"},
                                            {010017, "B4000000"}}};
  constexpr uint32_t size_mask = 060;
  constexpr const char* sizes[] = {"CS5", "CS6", "CS7", "CS8"};
  std::string text = show_constant(value & baud_mask, bauds) + "|";
  const uint32_t input_baud = (value >> input_baud_shift) & baud_mask;
  if (input_baud != 0) {
    text += show_constant(input_baud, bauds) + "<<IBSHIFT|";
  }
  text += fmt::format("{}|", sizes[(value & size_mask) >> 4]);
  value &= ~(baud_mask | (baud_mask << input_baud_shift) | size_mask);
  return text + show_termios_bits(value, {{0100, "CSTOPB"},
                                          {0200, "CREAD"},
                                          {0400, "PARENB"},
                                          {01000, "PARODD"},
                                          {02000, "HUPCL"},
                                          {04000, "CLOCAL"},
                                          {010000000000, "CMSPAR"},
                                          {020000000000, "CRTSCTS"}});
}

std::string show_termios_local_flags(uint32_t value) {
  return show_termios_bits(value, {{01, "ISIG"},
                                   {02, "ICANON"},
                                   {04, "XCASE"},
                                   {010, "ECHO"},
                                   {020, "ECHOE"},
                                   {040, "ECHOK"},
                                   {0100, "ECHONL"},
                                   {0200, "NOFLSH"},
                                   {0100000, "IEXTEN"},
                                   {01000, "ECHOCTL"},
                                   {02000, "ECHOPRT"},
                                   {04000, "ECHOKE"},
                                   {010000, "FLUSHO"},
                                   {040000, "PENDIN"},
                                   {0400, "TOSTOP"},
                                   {0200000, "EXTPROC"}});
}

// An IPv6 address in the text form of RFC 5952, as inet_ntop(3) writes it:
// lowercase groups, the longest run of two or more zero groups as "::",
// and an IPv4-mapped address with its last 32 bits in dotted form.
std::string show_ipv6_address(std::span<const uint8_t> bytes) {
  std::array<uint16_t, 8> groups{};
  for (size_t index = 0; index < groups.size(); ++index) {
    groups[index] = static_cast<uint16_t>((bytes[2 * index] << 8) | bytes[2 * index + 1]);
  }
  const bool ipv4_mapped =
      std::all_of(groups.begin(), groups.begin() + 5, [](uint16_t group) { return group == 0; }) &&
      groups[5] == 0xffff;
  if (ipv4_mapped) {
    return fmt::format("::ffff:{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
  }
  size_t best_start = groups.size();
  size_t best_length = 1;
  for (size_t start = 0; start < groups.size();) {
    size_t end = start;
    while (end < groups.size() && groups[end] == 0) {
      ++end;
    }
    if (end - start > best_length) {
      best_start = start;
      best_length = end - start;
    }
    start = end == start ? start + 1 : end;
  }
  std::string text;
  for (size_t index = 0; index < groups.size(); ++index) {
    if (index == best_start) {
      text += "::";
      index += best_length - 1;
      continue;
    }
    if (!text.empty() && !text.ends_with(':')) {
      text += ':';
    }
    text += fmt::format("{:x}", groups[index]);
  }
  return text;
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
  // The parent sees the child's id where parent_tid points.
  if (result && *result > 0 && (flags & parent_tid_flag) != 0) {
    text += fmt::format(" => {{parent_tid={}}}", show_int(arguments->parent_tid));
  }
  return text;
}

std::string show_sockaddr(uint64_t address, uint64_t length) {
  constexpr uint64_t max_length = 128;  // sizeof(struct sockaddr_storage)
  if (address == 0 || length < sizeof(uint16_t)) {
    return show_pointer(address);
  }
  std::vector<uint8_t> bytes(std::min(length, max_length));
  if (!copy_from_guest(std::as_writable_bytes(std::span(bytes)), address)) {
    return show_pointer(address);
  }
  const uint16_t family = static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
  std::string text = fmt::format("{{sa_family={}", show_socket_family(family));
  constexpr uint16_t unix_family = 1;
  constexpr uint16_t inet_family = 2;
  constexpr uint16_t inet6_family = 10;
  // Ports and IPv4 addresses are in network byte order.
  const auto port = [&] { return (bytes[2] << 8) | bytes[3]; };
  if (family == unix_family && bytes.size() > 2) {
    // An abstract address starts with a NUL and is shown after "@".
    const bool abstract = bytes[2] == 0;
    std::string_view path(reinterpret_cast<const char*>(bytes.data()) + 2, bytes.size() - 2);
    if (abstract) {
      path.remove_prefix(1);
    } else {
      path = path.substr(0, path.find('\0'));
    }
    text += fmt::format(", sun_path={}{}", abstract ? "@" : "", quote(path, false));
  } else if (family == inet_family && bytes.size() >= 8) {
    text += fmt::format(", sin_port=htons({}), sin_addr=inet_addr(\"{}.{}.{}.{}\")", port(),
                        bytes[4], bytes[5], bytes[6], bytes[7]);
  } else if (family == inet6_family && bytes.size() >= 28) {
    const uint32_t flow_info = (uint32_t{bytes[4]} << 24) | (uint32_t{bytes[5]} << 16) |
                               (uint32_t{bytes[6]} << 8) | bytes[7];
    uint32_t scope_id = 0;
    std::memcpy(&scope_id, bytes.data() + 24, sizeof(scope_id));
    text += fmt::format(
        ", sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", "
        "&sin6_addr), sin6_scope_id={}",
        port(), flow_info, show_ipv6_address(std::span(bytes).subspan(8, 16)), scope_id);
  } else if (bytes.size() > 2) {
    text += fmt::format(
        ", sa_data={}",
        quote(std::string_view(reinterpret_cast<const char*>(bytes.data()) + 2, bytes.size() - 2),
              false));
  }
  return text + "}";
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

std::string show_utsname(uint64_t address) {
  auto names = read_struct<Utsname>(address);
  if (!names) {
    return show_pointer(address);
  }
  return fmt::format("{{sysname={}, nodename={}, ...}}", show_fixed_string(names->sysname),
                     show_fixed_string(names->nodename));
}

std::string show_pollfds(uint64_t address, uint64_t count) {
  const uint64_t shown = std::min<uint64_t>(count, max_array_elements);
  auto descriptors = GuestPtr<PollFd>(address).read_array(shown);
  if (address == 0 || !descriptors) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t index = 0; index < descriptors->size(); ++index) {
    const PollFd& entry = (*descriptors)[index];
    text += fmt::format("{}{{fd={}", index == 0 ? "" : ", ", entry.descriptor);
    // The kernel ignores the events of a negative descriptor, and so does
    // strace.
    if (entry.descriptor >= 0) {
      text += fmt::format(", events={}", show_poll_events(static_cast<uint16_t>(entry.events)));
    }
    text += "}";
  }
  return text + (count > shown ? ", ...]" : "]");
}

std::string show_returned_events(uint64_t address, uint64_t count) {
  auto descriptors = GuestPtr<PollFd>(address).read_array(std::min<uint64_t>(count, 1024));
  if (address == 0 || !descriptors) {
    return {};
  }
  std::string text = "[";
  size_t shown = 0;
  for (const PollFd& entry : *descriptors) {
    if (entry.returned_events == 0) {
      continue;
    }
    if (shown == max_array_elements) {
      text += ", ...";
      break;
    }
    text += fmt::format("{}{{fd={}, revents={}}}", shown == 0 ? "" : ", ", entry.descriptor,
                        show_poll_events(static_cast<uint16_t>(entry.returned_events)));
    ++shown;
  }
  return text + "]";
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

std::string show_winsize(uint64_t address) {
  auto size = read_struct<Winsize>(address);
  if (!size) {
    return show_pointer(address);
  }
  return fmt::format("{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}", size->rows,
                     size->columns, size->x_pixels, size->y_pixels);
}

std::string show_termios(uint64_t address) {
  auto terminal = read_struct<KernelTermios>(address);
  if (!terminal) {
    return show_pointer(address);
  }
  return fmt::format("{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}",
                     show_termios_input_flags(terminal->input_flags),
                     show_termios_output_flags(terminal->output_flags),
                     show_termios_control_flags(terminal->control_flags),
                     show_termios_local_flags(terminal->local_flags));
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
