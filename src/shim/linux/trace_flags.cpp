// Decoders of the constants and flag words of system call arguments, in
// strace's names and order. The values are the Linux x86-64 ABI's.
#include <fmt/format.h>

#include <array>

#include "shim/linux/trace.hpp"
#include "shim/linux/trace_format.hpp"

namespace litebox::shim::linux_abi::trace {

std::string quote(std::string_view bytes, bool truncated) {
  std::string text = "\"";
  for (size_t index = 0; index < bytes.size(); ++index) {
    const char character = bytes[index];
    auto byte = static_cast<unsigned char>(character);
    switch (character) {
      case '"':
        text += "\\\"";
        break;
      case '\\':
        text += "\\\\";
        break;
      case '\f':
        text += "\\f";
        break;
      case '\n':
        text += "\\n";
        break;
      case '\r':
        text += "\\r";
        break;
      case '\t':
        text += "\\t";
        break;
      case '\v':
        text += "\\v";
        break;
      default:
        if (byte >= 0x20 && byte < 0x7f) {
          text += character;
          break;
        }
        // An octal escape takes all three digits when an octal digit
        // follows, so that the digit is not read as part of it.
        if (index + 1 < bytes.size() && bytes[index + 1] >= '0' && bytes[index + 1] <= '7') {
          text += fmt::format("\\{:03o}", byte);
        } else {
          text += fmt::format("\\{:o}", byte);
        }
    }
  }
  text += '"';
  if (truncated) {
    text += "...";
  }
  return text;
}

std::string quote_hex(std::string_view bytes, bool truncated) {
  std::string text = "\"";
  for (char character : bytes) {
    text += fmt::format("\\x{:02x}", static_cast<unsigned char>(character));
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

std::string show_hex(uint64_t value) {
  // strace prints a zero offset or flag word as plain 0.
  return value == 0 ? std::string("0") : fmt::format("{:#x}", value);
}

std::string show_bits(uint64_t value, std::initializer_list<Named> bits, std::string text) {
  for (const auto& [bit, name] : bits) {
    if ((value & bit) == bit && bit != 0) {
      text += text.empty() ? "" : "|";
      text += name;
      value &= ~bit;
    }
  }
  if (value != 0 || text.empty()) {
    text += text.empty() ? "" : "|";
    text += show_hex(value);
  }
  return text;
}

std::string show_constant(uint64_t value, std::span<const Named> names) {
  for (const auto& [constant, name] : names) {
    if (constant == value) {
      return name;
    }
  }
  return fmt::format("{}", static_cast<int32_t>(value));
}

std::string show_named(uint64_t value, std::span<const Named> names, std::string_view unknown) {
  for (const auto& [constant, name] : names) {
    if (constant == value) {
      return name;
    }
  }
  return fmt::format("{:#x} /* {} */", value, unknown);
}

std::string show_flags(uint64_t value, std::initializer_list<Named> bits,
                       std::string_view unknown) {
  uint64_t known = 0;
  for (const auto& [bit, name] : bits) {
    known |= bit;
  }
  if (value != 0 && (value & known) == 0) {
    return fmt::format("{:#x} /* {} */", value, unknown);
  }
  return show_bits(value, bits);
}

namespace {

// The open(2) flags other than the access mode, in the order strace prints
// them. O_SYNC contains O_DSYNC and O_TMPFILE contains O_DIRECTORY, so each
// comes before the flag it contains.
std::string show_file_status_flags(uint64_t value, std::string text) {
  return show_bits(value,
                   {{0100, "O_CREAT"},
                    {0200, "O_EXCL"},
                    {0400, "O_NOCTTY"},
                    {01000, "O_TRUNC"},
                    {02000, "O_APPEND"},
                    {04000, "O_NONBLOCK"},
                    {04010000, "O_SYNC"},
                    {010000, "O_DSYNC"},
                    {040000, "O_DIRECT"},
                    {0100000, "O_LARGEFILE"},
                    {0400000, "O_NOFOLLOW"},
                    {01000000, "O_NOATIME"},
                    {02000000, "O_CLOEXEC"},
                    {010000000, "O_PATH"},
                    {020200000, "O_TMPFILE"},
                    {0200000, "O_DIRECTORY"},
                    {020000, "FASYNC"},
                    {04000000, "__O_SYNC"}},
                   std::move(text));
}

}  // namespace

std::string show_open_flags(uint64_t value) {
  constexpr const char* access_names[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  std::string access = access_names[value & 3];
  value &= ~uint64_t{3};
  if (value == 0) {
    return access;
  }
  return show_file_status_flags(value, access);
}

std::string show_descriptor_flags(uint64_t value) { return show_file_status_flags(value, {}); }

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
  return show_bits(value, {{1, "PROT_READ"},
                           {2, "PROT_WRITE"},
                           {4, "PROT_EXEC"},
                           {0x1000000, "PROT_GROWSDOWN"},
                           {0x2000000, "PROT_GROWSUP"}});
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
                    {0x4000, "MAP_NORESERVE"},
                    {0x8000, "MAP_POPULATE"},
                    {0x10000, "MAP_NONBLOCK"},
                    {0x100, "MAP_GROWSDOWN"},
                    {0x800, "MAP_DENYWRITE"},
                    {0x1000, "MAP_EXECUTABLE"},
                    {0x2000, "MAP_LOCKED"},
                    {0x20000, "MAP_STACK"},
                    {0x40000, "MAP_HUGETLB"},
                    {0x80000, "MAP_SYNC"},
                    {0x100000, "MAP_FIXED_NOREPLACE"},
                    {0x4000000, "MAP_UNINITIALIZED"}},
                   type);
}

std::string show_remap_flags(uint64_t value) {
  return show_bits(value, {{1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"}});
}

std::string show_advice(uint64_t value) {
  constexpr std::array<Named, 25> names = {
      {{0, "MADV_NORMAL"},           {1, "MADV_RANDOM"},         {2, "MADV_SEQUENTIAL"},
       {3, "MADV_WILLNEED"},         {4, "MADV_DONTNEED"},       {8, "MADV_FREE"},
       {9, "MADV_REMOVE"},           {10, "MADV_DONTFORK"},      {11, "MADV_DOFORK"},
       {12, "MADV_MERGEABLE"},       {13, "MADV_UNMERGEABLE"},   {14, "MADV_HUGEPAGE"},
       {15, "MADV_NOHUGEPAGE"},      {16, "MADV_DONTDUMP"},      {17, "MADV_DODUMP"},
       {18, "MADV_WIPEONFORK"},      {19, "MADV_KEEPONFORK"},    {20, "MADV_COLD"},
       {21, "MADV_PAGEOUT"},         {22, "MADV_POPULATE_READ"}, {23, "MADV_POPULATE_WRITE"},
       {24, "MADV_DONTNEED_LOCKED"}, {25, "MADV_COLLAPSE"},      {100, "MADV_HWPOISON"},
       {101, "MADV_SOFT_OFFLINE"}}};
  return show_constant(value, names);
}

std::string show_clock(uint64_t value) {
  constexpr std::array<Named, 11> names = {{{0, "CLOCK_REALTIME"},
                                            {1, "CLOCK_MONOTONIC"},
                                            {2, "CLOCK_PROCESS_CPUTIME_ID"},
                                            {3, "CLOCK_THREAD_CPUTIME_ID"},
                                            {4, "CLOCK_MONOTONIC_RAW"},
                                            {5, "CLOCK_REALTIME_COARSE"},
                                            {6, "CLOCK_MONOTONIC_COARSE"},
                                            {7, "CLOCK_BOOTTIME"},
                                            {8, "CLOCK_REALTIME_ALARM"},
                                            {9, "CLOCK_BOOTTIME_ALARM"},
                                            {11, "CLOCK_TAI"}}};
  return show_constant(value, names);
}

std::string show_whence(uint64_t value) {
  constexpr std::array<Named, 5> names = {
      {{0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}}};
  return show_constant(value, names);
}

// The AT_ flags of the *at calls. The value 0x200 means AT_EACCESS for
// faccessat2, which has its own decoder, and AT_REMOVEDIR for the others.
std::string show_at_flags(uint64_t value, std::string text) {
  return show_bits(value,
                   {{0x100, "AT_SYMLINK_NOFOLLOW"},
                    {0x200, "AT_REMOVEDIR"},
                    {0x400, "AT_SYMLINK_FOLLOW"},
                    {0x800, "AT_NO_AUTOMOUNT"},
                    {0x1000, "AT_EMPTY_PATH"},
                    {0x8000, "AT_RECURSIVE"}},
                   std::move(text));
}

std::string show_access_at_flags(uint64_t value) {
  return show_bits(
      value, {{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_EACCESS"}, {0x1000, "AT_EMPTY_PATH"}});
}

std::string show_statx_flags(uint64_t value) {
  constexpr uint64_t sync_mask = 0x6000;
  constexpr const char* sync_names[] = {"AT_STATX_SYNC_AS_STAT", "AT_STATX_FORCE_SYNC",
                                        "AT_STATX_DONT_SYNC",
                                        "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC"};
  std::string sync = sync_names[(value & sync_mask) >> 13];
  value &= ~sync_mask;
  if (value == 0) {
    return sync;
  }
  return show_bits(
      value,
      {{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"}, {0x1000, "AT_EMPTY_PATH"}},
      sync);
}

std::string show_statx_mask(uint64_t value) {
  return show_bits(value, {{0xfff, "STATX_ALL"},
                           {0x7ff, "STATX_BASIC_STATS"},
                           {0x1, "STATX_TYPE"},
                           {0x2, "STATX_MODE"},
                           {0x4, "STATX_NLINK"},
                           {0x8, "STATX_UID"},
                           {0x10, "STATX_GID"},
                           {0x20, "STATX_ATIME"},
                           {0x40, "STATX_MTIME"},
                           {0x80, "STATX_CTIME"},
                           {0x100, "STATX_INO"},
                           {0x200, "STATX_SIZE"},
                           {0x400, "STATX_BLOCKS"},
                           {0x800, "STATX_BTIME"},
                           {0x1000, "STATX_MNT_ID"},
                           {0x2000, "STATX_DIOALIGN"}});
}

std::string show_statx_attributes(uint64_t value) {
  return show_bits(value, {{0x4, "STATX_ATTR_COMPRESSED"},
                           {0x10, "STATX_ATTR_IMMUTABLE"},
                           {0x20, "STATX_ATTR_APPEND"},
                           {0x40, "STATX_ATTR_NODUMP"},
                           {0x800, "STATX_ATTR_ENCRYPTED"},
                           {0x1000, "STATX_ATTR_AUTOMOUNT"},
                           {0x2000, "STATX_ATTR_MOUNT_ROOT"},
                           {0x100000, "STATX_ATTR_VERITY"},
                           {0x200000, "STATX_ATTR_DAX"}});
}

std::string show_arch_prctl_code(uint64_t value) {
  constexpr std::array<Named, 5> names = {{{0x1001, "ARCH_SET_GS"},
                                           {0x1002, "ARCH_SET_FS"},
                                           {0x1003, "ARCH_GET_FS"},
                                           {0x1004, "ARCH_GET_GS"},
                                           {0x3001, "ARCH_CET_STATUS"}}};
  for (const auto& [code, name] : names) {
    if (code == value) {
      return name;
    }
  }
  return fmt::format("{:#x}", value);
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
                                                         {0x1000, "CLONE_PIDFD"},
                                                         {0x2000, "CLONE_PTRACE"},
                                                         {0x4000, "CLONE_VFORK"},
                                                         {0x8000, "CLONE_PARENT"},
                                                         {0x10000, "CLONE_THREAD"},
                                                         {0x20000, "CLONE_NEWNS"},
                                                         {0x40000, "CLONE_SYSVSEM"},
                                                         {0x80000, "CLONE_SETTLS"},
                                                         {0x100000, "CLONE_PARENT_SETTID"},
                                                         {0x200000, "CLONE_CHILD_CLEARTID"},
                                                         {0x800000, "CLONE_UNTRACED"},
                                                         {0x1000000, "CLONE_CHILD_SETTID"},
                                                         {0x2000000, "CLONE_NEWCGROUP"},
                                                         {0x4000000, "CLONE_NEWUTS"},
                                                         {0x8000000, "CLONE_NEWIPC"},
                                                         {0x10000000, "CLONE_NEWUSER"},
                                                         {0x20000000, "CLONE_NEWPID"},
                                                         {0x40000000, "CLONE_NEWNET"},
                                                         {0x80000000, "CLONE_IO"}});
  if ((value & 0xff) != 0) {
    text = (value & ~uint64_t{0xff}) == 0 ? std::string() : text + "|";
    text += signal_name(static_cast<int>(value & 0xff));
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

std::string show_fcntl_command(uint64_t value) {
  constexpr std::array<Named, 25> names = {
      {{0, "F_DUPFD"},         {1, "F_GETFD"},         {2, "F_SETFD"},
       {3, "F_GETFL"},         {4, "F_SETFL"},         {5, "F_GETLK"},
       {6, "F_SETLK"},         {7, "F_SETLKW"},        {8, "F_SETOWN"},
       {9, "F_GETOWN"},        {10, "F_SETSIG"},       {11, "F_GETSIG"},
       {15, "F_SETOWN_EX"},    {16, "F_GETOWN_EX"},    {36, "F_OFD_GETLK"},
       {37, "F_OFD_SETLK"},    {38, "F_OFD_SETLKW"},   {1024, "F_SETLEASE"},
       {1025, "F_GETLEASE"},   {1026, "F_NOTIFY"},     {1030, "F_DUPFD_CLOEXEC"},
       {1031, "F_SETPIPE_SZ"}, {1032, "F_GETPIPE_SZ"}, {1033, "F_ADD_SEALS"},
       {1034, "F_GET_SEALS"}}};
  return show_constant(value, names);
}

std::string show_prctl_option(uint64_t value) {
  constexpr std::array<Named, 22> names = {{{1, "PR_SET_PDEATHSIG"},
                                            {2, "PR_GET_PDEATHSIG"},
                                            {3, "PR_GET_DUMPABLE"},
                                            {4, "PR_SET_DUMPABLE"},
                                            {7, "PR_GET_KEEPCAPS"},
                                            {8, "PR_SET_KEEPCAPS"},
                                            {15, "PR_SET_NAME"},
                                            {16, "PR_GET_NAME"},
                                            {21, "PR_GET_SECCOMP"},
                                            {22, "PR_SET_SECCOMP"},
                                            {23, "PR_CAPBSET_READ"},
                                            {24, "PR_CAPBSET_DROP"},
                                            {29, "PR_SET_TIMERSLACK"},
                                            {30, "PR_GET_TIMERSLACK"},
                                            {36, "PR_SET_CHILD_SUBREAPER"},
                                            {37, "PR_GET_CHILD_SUBREAPER"},
                                            {38, "PR_SET_NO_NEW_PRIVS"},
                                            {39, "PR_GET_NO_NEW_PRIVS"},
                                            {41, "PR_SET_THP_DISABLE"},
                                            {42, "PR_GET_THP_DISABLE"},
                                            {47, "PR_CAP_AMBIENT"},
                                            {0x53564d41, "PR_SET_VMA"}}};
  for (const auto& [option, name] : names) {
    if (option == value) {
      return name;
    }
  }
  return fmt::format("{:#x} /* PR_??? */", value);
}

std::string show_dumpable(uint64_t value) {
  constexpr std::array<Named, 3> names = {
      {{0, "SUID_DUMP_DISABLE"}, {1, "SUID_DUMP_USER"}, {2, "SUID_DUMP_ROOT"}}};
  return show_constant(value, names);
}

std::string show_ioctl_request(uint64_t value) {
  // strace names the requests that share a number with an OSS sound
  // request by both names.
  constexpr std::array<Named, 24> names = {{{0x5401, "TCGETS"},
                                            {0x5402, "SNDCTL_TMR_START or TCSETS"},
                                            {0x5403, "SNDCTL_TMR_STOP or TCSETSW"},
                                            {0x5404, "SNDCTL_TMR_CONTINUE or TCSETSF"},
                                            {0x5409, "TCSBRK"},
                                            {0x540a, "TCXONC"},
                                            {0x540b, "TCFLSH"},
                                            {0x540e, "TIOCSCTTY"},
                                            {0x540f, "TIOCGPGRP"},
                                            {0x5410, "TIOCSPGRP"},
                                            {0x5411, "TIOCOUTQ"},
                                            {0x5413, "TIOCGWINSZ"},
                                            {0x5414, "TIOCSWINSZ"},
                                            {0x541b, "FIONREAD"},
                                            {0x5421, "FIONBIO"},
                                            {0x5422, "TIOCNOTTY"},
                                            {0x5429, "TIOCGSID"},
                                            {0x5441, "TIOCGPTPEER"},
                                            {0x5450, "FIONCLEX"},
                                            {0x5451, "FIOCLEX"},
                                            {0x5452, "FIOASYNC"},
                                            {0x80045430, "TIOCGPTN"},
                                            {0x40045431, "TIOCSPTLCK"},
                                            {0x80045432, "TIOCGDEV"}}};
  for (const auto& [request, name] : names) {
    if (request == value) {
      return name;
    }
  }
  // The fields of the request number: direction, type, number and size.
  constexpr const char* directions[] = {"_IOC_NONE", "_IOC_WRITE", "_IOC_READ",
                                        "_IOC_READ|_IOC_WRITE"};
  return fmt::format("_IOC({}, {}, {}, {})", directions[(value >> 30) & 3],
                     show_hex((value >> 8) & 0xff), show_hex(value & 0xff),
                     show_hex((value >> 16) & 0x3fff));
}

std::string show_terminal_flow_action(uint64_t value) {
  constexpr std::array<Named, 4> names = {
      {{0, "TCOOFF"}, {1, "TCOON"}, {2, "TCIOFF"}, {3, "TCION"}}};
  return show_constant(value, names);
}

std::string show_terminal_flush_queue(uint64_t value) {
  constexpr std::array<Named, 3> names = {{{0, "TCIFLUSH"}, {1, "TCOFLUSH"}, {2, "TCIOFLUSH"}}};
  return show_constant(value, names);
}

std::string show_wait_options(uint64_t value) {
  return show_bits(value, {{1, "WNOHANG"},
                           {4, "WEXITED"},
                           {2, "WSTOPPED"},
                           {8, "WCONTINUED"},
                           {0x1000000, "WNOWAIT"},
                           {0x80000000, "__WCLONE"},
                           {0x40000000, "__WALL"},
                           {0x20000000, "__WNOTHREAD"}});
}

std::string show_random_flags(uint64_t value) {
  return show_bits(value, {{1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"}});
}

std::string show_socket_family(uint64_t value) {
  constexpr std::array<Named, 7> names = {{{0, "AF_UNSPEC"},
                                           {1, "AF_UNIX"},
                                           {2, "AF_INET"},
                                           {10, "AF_INET6"},
                                           {16, "AF_NETLINK"},
                                           {17, "AF_PACKET"},
                                           {40, "AF_VSOCK"}}};
  return show_constant(value, names);
}

std::string show_socket_type(uint64_t value) {
  constexpr std::array<Named, 6> names = {{{1, "SOCK_STREAM"},
                                           {2, "SOCK_DGRAM"},
                                           {3, "SOCK_RAW"},
                                           {4, "SOCK_RDM"},
                                           {5, "SOCK_SEQPACKET"},
                                           {10, "SOCK_PACKET"}}};
  constexpr uint64_t type_mask = 0xf;
  std::string type = show_constant(value & type_mask, names);
  value &= ~type_mask;
  if (value == 0) {
    return type;
  }
  return show_bits(value, {{0x80000, "SOCK_CLOEXEC"}, {0x800, "SOCK_NONBLOCK"}}, type);
}

std::string show_socket_protocol(uint64_t family, uint64_t value) {
  constexpr uint64_t inet = 2;
  constexpr uint64_t inet6 = 10;
  if (family != inet && family != inet6) {
    return fmt::format("{}", static_cast<int32_t>(value));
  }
  constexpr std::array<Named, 7> names = {{{0, "IPPROTO_IP"},
                                           {1, "IPPROTO_ICMP"},
                                           {6, "IPPROTO_TCP"},
                                           {17, "IPPROTO_UDP"},
                                           {41, "IPPROTO_IPV6"},
                                           {58, "IPPROTO_ICMPV6"},
                                           {255, "IPPROTO_RAW"}}};
  return show_constant(value, names);
}

std::string show_message_flags(uint64_t value) {
  return show_bits(value, {{0x1, "MSG_OOB"},
                           {0x2, "MSG_PEEK"},
                           {0x4, "MSG_DONTROUTE"},
                           {0x8, "MSG_CTRUNC"},
                           {0x10, "MSG_PROBE"},
                           {0x20, "MSG_TRUNC"},
                           {0x40, "MSG_DONTWAIT"},
                           {0x80, "MSG_EOR"},
                           {0x100, "MSG_WAITALL"},
                           {0x200, "MSG_FIN"},
                           {0x400, "MSG_SYN"},
                           {0x800, "MSG_CONFIRM"},
                           {0x1000, "MSG_RST"},
                           {0x2000, "MSG_ERRQUEUE"},
                           {0x4000, "MSG_NOSIGNAL"},
                           {0x8000, "MSG_MORE"},
                           {0x10000, "MSG_WAITFORONE"},
                           {0x40000, "MSG_BATCH"},
                           {0x4000000, "MSG_ZEROCOPY"},
                           {0x20000000, "MSG_FASTOPEN"},
                           {0x40000000, "MSG_CMSG_CLOEXEC"}});
}

std::string show_shutdown_how(uint64_t value) {
  constexpr std::array<Named, 3> names = {{{0, "SHUT_RD"}, {1, "SHUT_WR"}, {2, "SHUT_RDWR"}}};
  return show_constant(value, names);
}

std::string show_socket_flags(uint64_t value) {
  return show_bits(value, {{0x80000, "SOCK_CLOEXEC"}, {0x800, "SOCK_NONBLOCK"}});
}

namespace {

constexpr uint64_t socket_level = 1;
constexpr uint64_t ip_level = 0;
constexpr uint64_t tcp_level = 6;
constexpr uint64_t ipv6_level = 41;

}  // namespace

std::string show_socket_level(uint64_t value) {
  constexpr std::array<Named, 5> names = {{{socket_level, "SOL_SOCKET"},
                                           {ip_level, "SOL_IP"},
                                           {tcp_level, "SOL_TCP"},
                                           {17, "SOL_UDP"},
                                           {ipv6_level, "SOL_IPV6"}}};
  return show_constant(value, names);
}

std::string show_socket_option(uint64_t level, uint64_t value) {
  constexpr std::array<Named, 23> socket_options = {
      {{1, "SO_DEBUG"},       {2, "SO_REUSEADDR"},     {3, "SO_TYPE"},
       {4, "SO_ERROR"},       {5, "SO_DONTROUTE"},     {6, "SO_BROADCAST"},
       {7, "SO_SNDBUF"},      {8, "SO_RCVBUF"},        {9, "SO_KEEPALIVE"},
       {10, "SO_OOBINLINE"},  {13, "SO_LINGER"},       {15, "SO_REUSEPORT"},
       {16, "SO_PASSCRED"},   {17, "SO_PEERCRED"},     {18, "SO_RCVLOWAT"},
       {19, "SO_SNDLOWAT"},   {20, "SO_RCVTIMEO_OLD"}, {21, "SO_SNDTIMEO_OLD"},
       {30, "SO_ACCEPTCONN"}, {32, "SO_SNDBUFFORCE"},  {33, "SO_RCVBUFFORCE"},
       {38, "SO_PROTOCOL"},   {39, "SO_DOMAIN"}}};
  constexpr std::array<Named, 6> tcp_options = {{{1, "TCP_NODELAY"},
                                                 {2, "TCP_MAXSEG"},
                                                 {3, "TCP_CORK"},
                                                 {4, "TCP_KEEPIDLE"},
                                                 {5, "TCP_KEEPINTVL"},
                                                 {6, "TCP_KEEPCNT"}}};
  constexpr std::array<Named, 2> ip_options = {{{1, "IP_TOS"}, {2, "IP_TTL"}}};
  constexpr std::array<Named, 1> ipv6_options = {{{26, "IPV6_V6ONLY"}}};
  switch (level) {
    case socket_level:
      return show_constant(value, socket_options);
    case tcp_level:
      return show_constant(value, tcp_options);
    case ip_level:
      return show_constant(value, ip_options);
    case ipv6_level:
      return show_constant(value, ipv6_options);
    default:
      return fmt::format("{}", static_cast<int32_t>(value));
  }
}

std::string show_epoll_flags(uint64_t value) {
  return show_bits(value, {{0x80000, "EPOLL_CLOEXEC"}});
}

std::string show_epoll_operation(uint64_t value) {
  constexpr std::array<Named, 3> names = {
      {{1, "EPOLL_CTL_ADD"}, {2, "EPOLL_CTL_DEL"}, {3, "EPOLL_CTL_MOD"}}};
  return show_constant(value, names);
}

std::string show_epoll_events(uint64_t value) {
  return show_bits(value, {{0x1, "EPOLLIN"},
                           {0x2, "EPOLLPRI"},
                           {0x4, "EPOLLOUT"},
                           {0x8, "EPOLLERR"},
                           {0x10, "EPOLLHUP"},
                           {0x20, "EPOLLNVAL"},
                           {0x40, "EPOLLRDNORM"},
                           {0x80, "EPOLLRDBAND"},
                           {0x100, "EPOLLWRNORM"},
                           {0x200, "EPOLLWRBAND"},
                           {0x400, "EPOLLMSG"},
                           {0x2000, "EPOLLRDHUP"},
                           {1U << 28, "EPOLLEXCLUSIVE"},
                           {1U << 29, "EPOLLWAKEUP"},
                           {1U << 30, "EPOLLONESHOT"},
                           {1U << 31, "EPOLLET"}});
}

std::string show_eventfd_flags(uint64_t value) {
  return show_bits(value,
                   {{1, "EFD_SEMAPHORE"}, {0x80000, "EFD_CLOEXEC"}, {0x800, "EFD_NONBLOCK"}});
}

std::string show_inotify_init_flags(uint64_t value) {
  return show_flags(value, {{04000, "IN_NONBLOCK"}, {02000000, "IN_CLOEXEC"}}, "IN_???");
}

// The inotify event and watch bits, in bit order as strace prints them.
// The mask is an unsigned int, so bits above 31 are not part of it.
std::string show_inotify_mask(uint64_t value) {
  return show_flags(value & 0xffff'ffff,
                    {{0x1, "IN_ACCESS"},
                     {0x2, "IN_MODIFY"},
                     {0x4, "IN_ATTRIB"},
                     {0x8, "IN_CLOSE_WRITE"},
                     {0x10, "IN_CLOSE_NOWRITE"},
                     {0x20, "IN_OPEN"},
                     {0x40, "IN_MOVED_FROM"},
                     {0x80, "IN_MOVED_TO"},
                     {0x100, "IN_CREATE"},
                     {0x200, "IN_DELETE"},
                     {0x400, "IN_DELETE_SELF"},
                     {0x800, "IN_MOVE_SELF"},
                     {0x2000, "IN_UNMOUNT"},
                     {0x4000, "IN_Q_OVERFLOW"},
                     {0x8000, "IN_IGNORED"},
                     {0x01000000, "IN_ONLYDIR"},
                     {0x02000000, "IN_DONT_FOLLOW"},
                     {0x04000000, "IN_EXCL_UNLINK"},
                     {0x10000000, "IN_MASK_CREATE"},
                     {0x20000000, "IN_MASK_ADD"},
                     {0x40000000, "IN_ISDIR"},
                     {0x80000000, "IN_ONESHOT"}},
                    "IN_???");
}

std::string show_file_advice(uint64_t value) {
  constexpr std::array<Named, 6> names = {{{0, "POSIX_FADV_NORMAL"},
                                           {1, "POSIX_FADV_RANDOM"},
                                           {2, "POSIX_FADV_SEQUENTIAL"},
                                           {3, "POSIX_FADV_WILLNEED"},
                                           {4, "POSIX_FADV_DONTNEED"},
                                           {5, "POSIX_FADV_NOREUSE"}}};
  return show_constant(value, names);
}

std::string show_allocate_mode(uint64_t value) {
  return show_bits(value, {{0x1, "FALLOC_FL_KEEP_SIZE"},
                           {0x2, "FALLOC_FL_PUNCH_HOLE"},
                           {0x4, "FALLOC_FL_NO_HIDE_STALE"},
                           {0x8, "FALLOC_FL_COLLAPSE_RANGE"},
                           {0x10, "FALLOC_FL_ZERO_RANGE"},
                           {0x20, "FALLOC_FL_INSERT_RANGE"},
                           {0x40, "FALLOC_FL_UNSHARE_RANGE"}});
}

std::string show_memfd_flags(uint64_t value) {
  return show_bits(value, {{0x1, "MFD_CLOEXEC"},
                           {0x2, "MFD_ALLOW_SEALING"},
                           {0x4, "MFD_HUGETLB"},
                           {0x8, "MFD_NOEXEC_SEAL"},
                           {0x10, "MFD_EXEC"}});
}

// strace 6.1 names no F_SEAL_EXEC (0x20), so it shows that bit in hex too.
std::string show_file_seals(uint64_t value) {
  return show_flags(value,
                    {{0x1, "F_SEAL_SEAL"},
                     {0x2, "F_SEAL_SHRINK"},
                     {0x4, "F_SEAL_GROW"},
                     {0x8, "F_SEAL_WRITE"},
                     {0x10, "F_SEAL_FUTURE_WRITE"}},
                    "F_SEAL_???");
}

// strace 6.1 decodes the flags of timerfd_create and timerfd_settime with
// one table.
std::string show_timerfd_flags(uint64_t value) {
  return show_flags(value,
                    {{0x1, "TFD_TIMER_ABSTIME"},
                     {0x2, "TFD_TIMER_CANCEL_ON_SET"},
                     {02000000, "TFD_CLOEXEC"},
                     {04000, "TFD_NONBLOCK"}},
                    "TFD_???");
}

std::string show_msync_flags(uint64_t value) {
  return show_bits(value, {{1, "MS_ASYNC"}, {2, "MS_INVALIDATE"}, {4, "MS_SYNC"}});
}

// strace 6.1 decodes the flags up to RWF_APPEND.
std::string show_rw_flags(uint64_t value) {
  return show_flags(value,
                    {{0x1, "RWF_HIPRI"},
                     {0x2, "RWF_DSYNC"},
                     {0x4, "RWF_SYNC"},
                     {0x8, "RWF_NOWAIT"},
                     {0x10, "RWF_APPEND"}},
                    "RWF_???");
}

std::string show_rusage_who(uint64_t value) {
  constexpr std::array<Named, 3> names = {
      {{0, "RUSAGE_SELF"}, {0xffffffff, "RUSAGE_CHILDREN"}, {1, "RUSAGE_THREAD"}}};
  return show_constant(value & 0xffffffff, names);
}

std::string show_timer_which(uint64_t value) {
  constexpr std::array<Named, 3> names = {
      {{0, "ITIMER_REAL"}, {1, "ITIMER_VIRTUAL"}, {2, "ITIMER_PROF"}}};
  return show_constant(value, names);
}

std::string show_priority_which(uint64_t value) {
  constexpr std::array<Named, 3> names = {
      {{0, "PRIO_PROCESS"}, {1, "PRIO_PGRP"}, {2, "PRIO_USER"}}};
  return show_constant(value, names);
}

std::string show_sigprocmask_how(uint64_t value) {
  constexpr std::array<Named, 3> names = {
      {{0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"}}};
  return show_constant(value, names);
}

std::string show_sigaction_flags(uint64_t value) {
  return show_bits(value, {{0x04000000, "SA_RESTORER"},
                           {0x08000000, "SA_ONSTACK"},
                           {0x10000000, "SA_RESTART"},
                           {0x40000000, "SA_NODEFER"},
                           {0x80000000, "SA_RESETHAND"},
                           {1, "SA_NOCLDSTOP"},
                           {2, "SA_NOCLDWAIT"},
                           {4, "SA_SIGINFO"},
                           {0x400, "SA_UNSUPPORTED"},
                           {0x800, "SA_EXPOSE_TAGBITS"}});
}

std::string show_timer_flags(uint64_t value) { return show_bits(value, {{1, "TIMER_ABSTIME"}}); }

std::string show_poll_events(uint64_t value) {
  return show_bits(value, {{0x1, "POLLIN"},
                           {0x2, "POLLPRI"},
                           {0x4, "POLLOUT"},
                           {0x8, "POLLERR"},
                           {0x10, "POLLHUP"},
                           {0x20, "POLLNVAL"},
                           {0x40, "POLLRDNORM"},
                           {0x80, "POLLRDBAND"},
                           {0x100, "POLLWRNORM"},
                           {0x200, "POLLWRBAND"},
                           {0x400, "POLLMSG"},
                           {0x2000, "POLLRDHUP"}});
}

std::string show_permissions(uint64_t value) {
  // As C's "%#03o": a leading 0 unless the value is 0, at least 3 digits.
  std::string digits = fmt::format("{:o}", value);
  if (value != 0) {
    digits.insert(0, "0");
  }
  if (digits.size() < 3) {
    digits.insert(0, 3 - digits.size(), '0');
  }
  return digits;
}

std::string show_file_mode(uint64_t value) {
  constexpr std::array<Named, 7> types = {{{0140000, "S_IFSOCK"},
                                           {0120000, "S_IFLNK"},
                                           {0100000, "S_IFREG"},
                                           {0060000, "S_IFBLK"},
                                           {0040000, "S_IFDIR"},
                                           {0020000, "S_IFCHR"},
                                           {0010000, "S_IFIFO"}}};
  constexpr uint64_t type_mask = 0170000;
  std::string text;
  for (const auto& [type, name] : types) {
    if ((value & type_mask) == type) {
      text = name;
    }
  }
  if (text.empty() && (value & type_mask) != 0) {
    text = fmt::format("{:#o}", value & type_mask);
  }
  for (const auto& [bit, name] :
       {Named{04000, "S_ISUID"}, {02000, "S_ISGID"}, {01000, "S_ISVTX"}}) {
    if ((value & bit) != 0) {
      text += text.empty() ? "" : "|";
      text += name;
    }
  }
  text += text.empty() ? "" : "|";
  return text + show_permissions(value & 0777);
}

}  // namespace litebox::shim::linux_abi::trace
