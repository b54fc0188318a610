// Decoders of the structures of descriptor I/O, in strace's abbreviated
// form: terminal settings and sizes, poll and epoll entries, select's
// descriptor sets and socket addresses.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/trace_format.hpp"

namespace litebox::shim::linux_abi::trace {

namespace {

// struct epoll_event, which is packed on x86-64.
struct __attribute__((packed)) EpollEvent {
  uint32_t events;
  uint64_t data;
};
static_assert(sizeof(EpollEvent) == 12);

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

std::string show_buffer(uint64_t address, uint64_t length, bool hex) {
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

namespace {

// The iovec array with the first `budget` bytes of its buffers, or with the
// buffers' addresses when `budget` is empty.
std::string show_iovec_with(uint64_t address, uint64_t count, std::optional<uint64_t> budget) {
  // The lengths as the guest wrote them, which read_guest_iovecs would cut.
  auto vectors =
      GuestPtr<GuestIovec>(address).read_array(std::min<uint64_t>(count, max_array_elements));
  if (!vectors) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t index = 0; index < vectors->size(); ++index) {
    const GuestIovec& vector = (*vectors)[index];
    std::string base = show_pointer(vector.base);
    if (budget) {
      const uint64_t shown = std::min(vector.length, *budget);
      *budget -= shown;
      base = show_buffer(vector.base, shown);
    }
    text +=
        fmt::format("{}{{iov_base={}, iov_len={}}}", index == 0 ? "" : ", ", base, vector.length);
  }
  if (count > vectors->size()) {
    text += ", ...";
  }
  return text + "]";
}

}  // namespace

std::string show_iovec(uint64_t address, uint64_t count, uint64_t budget) {
  return show_iovec_with(address, count, budget);
}

std::string show_iovec_addresses(uint64_t address, uint64_t count) {
  return show_iovec_with(address, count, std::nullopt);
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

namespace {

std::string show_epoll_entry(const EpollEvent& event) {
  return fmt::format("{{events={}, data={{u32={}, u64={}}}}}", show_epoll_events(event.events),
                     static_cast<uint32_t>(event.data), event.data);
}

}  // namespace

std::string show_epoll_event(uint64_t address) {
  auto event = read_struct<EpollEvent>(address);
  if (!event) {
    return show_pointer(address);
  }
  return show_epoll_entry(*event);
}

std::string show_epoll_events_array(uint64_t address, uint64_t count) {
  const uint64_t shown = std::min<uint64_t>(count, max_array_elements);
  auto events = GuestPtr<EpollEvent>(address).read_array(shown);
  if (address == 0 || !events) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t index = 0; index < events->size(); ++index) {
    text += (index == 0 ? "" : ", ") + show_epoll_entry((*events)[index]);
  }
  return text + (count > shown ? ", ...]" : "]");
}

std::string show_descriptor_set(uint64_t address, uint64_t count) {
  constexpr uint64_t max_descriptors = 1024;  // FD_SETSIZE
  if (address == 0) {
    return "NULL";
  }
  std::vector<uint8_t> bytes((std::min(count, max_descriptors) + 7) / 8);
  if (!copy_from_guest(std::as_writable_bytes(std::span(bytes)), address)) {
    return show_pointer(address);
  }
  std::string text = "[";
  for (size_t descriptor = 0; descriptor < std::min(count, max_descriptors); ++descriptor) {
    if ((bytes[descriptor / 8] & (1U << (descriptor % 8))) != 0) {
      text += fmt::format("{}{}", text.size() == 1 ? "" : " ", descriptor);
    }
  }
  return text + "]";
}

std::string show_pselect_mask(uint64_t address) {
  auto mask = read_struct<std::array<uint64_t, 2>>(address);
  if (!mask) {
    return show_pointer(address);
  }
  const std::string set =
      (*mask)[0] == 0 ? std::string("NULL") : show_sigset((*mask)[0], (*mask)[1]);
  return fmt::format("{{sigmask={}, sigsetsize={}}}", set, (*mask)[1]);
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

namespace {

// struct msghdr.
struct MessageHeader {
  uint64_t name;
  uint32_t name_length;
  uint64_t iov;
  uint64_t iov_count;
  uint64_t control;
  uint64_t control_length;
  int32_t flags;
};
static_assert(sizeof(MessageHeader) == 56);

// The control messages of a msghdr: each a struct cmsghdr (length, level,
// type) and its data, 8-byte aligned.
std::string show_control_messages(uint64_t address, uint64_t length) {
  constexpr uint64_t max_length = 4096;
  constexpr size_t header_size = 16;
  std::vector<uint8_t> bytes(std::min(length, max_length));
  if (!copy_from_guest(std::as_writable_bytes(std::span(bytes)), address)) {
    return show_pointer(address);
  }
  std::string text = "[";
  size_t offset = 0;
  while (offset + header_size <= bytes.size()) {
    uint64_t message_length = 0;
    int32_t level = 0;
    int32_t type = 0;
    std::memcpy(&message_length, bytes.data() + offset, sizeof(message_length));
    std::memcpy(&level, bytes.data() + offset + 8, sizeof(level));
    std::memcpy(&type, bytes.data() + offset + 12, sizeof(type));
    if (message_length < header_size || message_length > bytes.size() - offset) {
      break;
    }
    constexpr int32_t socket_level = 1;
    constexpr int32_t rights = 1;       // SCM_RIGHTS
    constexpr int32_t credentials = 2;  // SCM_CREDENTIALS
    std::span<const uint8_t> data(bytes.data() + offset + header_size,
                                  message_length - header_size);
    std::string shown_data;
    std::string shown_type = fmt::format("{}", type);
    if (level == socket_level && type == rights) {
      shown_type = "SCM_RIGHTS";
      shown_data = "[";
      for (size_t index = 0; index + sizeof(int32_t) <= data.size(); index += sizeof(int32_t)) {
        int32_t descriptor = 0;
        std::memcpy(&descriptor, data.data() + index, sizeof(descriptor));
        shown_data += fmt::format("{}{}", index == 0 ? "" : ", ", descriptor);
      }
      shown_data += "]";
    } else if (level == socket_level && type == credentials && data.size() >= 12) {
      std::array<uint32_t, 3> fields{};
      std::memcpy(fields.data(), data.data(), sizeof(fields));
      shown_type = "SCM_CREDENTIALS";
      shown_data = fmt::format("{{pid={}, uid={}, gid={}}}", fields[0], fields[1], fields[2]);
    } else {
      shown_data = quote_hex(std::string_view(reinterpret_cast<const char*>(data.data()),
                                              std::min(data.size(), shown_string_bytes)),
                             data.size() > shown_string_bytes);
    }
    text += fmt::format("{}{{cmsg_len={}, cmsg_level={}, cmsg_type={}, cmsg_data={}}}",
                        text.size() == 1 ? "" : ", ", message_length,
                        show_socket_level(static_cast<uint32_t>(level)), shown_type, shown_data);
    offset += (message_length + 7) & ~uint64_t{7};
  }
  return text + "]";
}

}  // namespace

std::string show_message(uint64_t address, uint64_t budget) {
  auto message = read_struct<MessageHeader>(address);
  if (!message) {
    return show_pointer(address);
  }
  const std::string name =
      message->name == 0 ? std::string("NULL") : show_sockaddr(message->name, message->name_length);
  std::string text = fmt::format(
      "{{msg_name={}, msg_namelen={}, msg_iov={}, msg_iovlen={}, ", name, message->name_length,
      show_iovec(message->iov, message->iov_count, budget), message->iov_count);
  if (message->control != 0 && message->control_length != 0) {
    text += fmt::format("msg_control={}, ",
                        show_control_messages(message->control, message->control_length));
  }
  return text + fmt::format("msg_controllen={}, msg_flags={}}}", message->control_length,
                            show_message_flags(static_cast<uint32_t>(message->flags)));
}

}  // namespace litebox::shim::linux_abi::trace
