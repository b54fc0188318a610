#include "shim/linux/syscalls/socket_netlink.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "shim/linux/guest_memory.hpp"

namespace litebox::shim::linux_abi {

namespace {

// Message types, flags and structures of <linux/netlink.h> and
// <linux/rtnetlink.h>.
constexpr uint16_t nlmsg_error = 2;
constexpr uint16_t nlmsg_done = 3;
constexpr uint16_t nlmsg_min_type = 0x10;  // below: control messages
constexpr uint16_t rtm_newlink = 16;
constexpr uint16_t rtm_getlink = 18;
constexpr uint16_t rtm_newaddr = 20;
constexpr uint16_t rtm_getaddr = 22;

constexpr uint16_t nlm_f_request = 0x1;
constexpr uint16_t nlm_f_multi = 0x2;
constexpr uint16_t nlm_f_ack = 0x4;
constexpr uint16_t nlm_f_dump = 0x300;  // NLM_F_ROOT | NLM_F_MATCH

struct MessageHeader {  // struct nlmsghdr
  uint32_t length;
  uint16_t type;
  uint16_t flags;
  uint32_t sequence;
  uint32_t port;
};
static_assert(sizeof(MessageHeader) == 16);

struct LinkInfo {  // struct ifinfomsg
  uint8_t family;
  uint8_t padding;
  uint16_t type;
  int32_t index;
  uint32_t flags;
  uint32_t change;
};
static_assert(sizeof(LinkInfo) == 16);

struct AddressInfo {  // struct ifaddrmsg
  uint8_t family;
  uint8_t prefix_length;
  uint8_t flags;
  uint8_t scope;
  uint32_t index;
};
static_assert(sizeof(AddressInfo) == 8);

struct AddressLifetimes {  // struct ifa_cacheinfo
  uint32_t preferred;
  uint32_t valid;
  uint32_t created;  // hundredths of a second since boot
  uint32_t updated;
};

// Attribute types.
constexpr uint16_t ifla_address = 1;
constexpr uint16_t ifla_broadcast = 2;
constexpr uint16_t ifla_ifname = 3;
constexpr uint16_t ifla_mtu = 4;
constexpr uint16_t ifla_stats = 7;
constexpr uint16_t ifla_txqlen = 13;
constexpr uint16_t ifla_operstate = 16;
constexpr uint16_t ifla_linkmode = 17;
constexpr uint16_t ifa_address = 1;
constexpr uint16_t ifa_local = 2;
constexpr uint16_t ifa_label = 3;
constexpr uint16_t ifa_cacheinfo = 6;
constexpr uint16_t ifa_flags = 8;

// The loopback interface, as Linux sets it up.
constexpr int32_t loopback_index = 1;
constexpr std::string_view loopback_name = "lo";
constexpr uint16_t arphrd_loopback = 772;
constexpr uint32_t loopback_flags = 0x1 | 0x8 | 0x40 | 0x10000;  // UP, LOOPBACK, RUNNING, LOWER_UP
constexpr uint32_t loopback_mtu = 65536;
constexpr uint32_t loopback_queue_length = 1000;
constexpr uint8_t if_oper_unknown = 0;
constexpr size_t link_statistics_size = 96;  // struct rtnl_link_stats, 24 counters
constexpr uint8_t ifa_f_permanent = 0x80;
constexpr uint8_t rt_scope_host = 254;
constexpr uint32_t infinite_lifetime = 0xffffffff;

constexpr uint8_t af_unspec = 0;
constexpr uint8_t af_inet = 2;
constexpr uint8_t af_inet6 = 10;

constexpr uint32_t readable_events = event::pollin | event::pollrdnorm;
constexpr uint32_t writable_events = event::pollout | event::pollwrnorm | event::pollwrband;

size_t aligned(size_t length) { return (length + 3) & ~size_t{3}; }

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span(&value, 1));
}

// Builds one netlink message: the header, a fixed part, then attributes.
class MessageWriter {
 public:
  MessageWriter(uint16_t type, uint16_t flags, uint32_t sequence, uint32_t port) {
    const MessageHeader header{0, type, flags, sequence, port};
    append(bytes_of(header));
  }

  void append(std::span<const std::byte> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    bytes_.resize(aligned(bytes_.size()));
  }

  void attribute(uint16_t type, std::span<const std::byte> value) {
    const std::array<uint16_t, 2> header = {static_cast<uint16_t>(4 + value.size()), type};
    append(std::as_bytes(std::span(header)));
    append(value);
  }

  void string_attribute(uint16_t type, std::string_view text) {
    std::vector<std::byte> value(text.size() + 1);
    std::memcpy(value.data(), text.data(), text.size());
    attribute(type, value);
  }

  // Appends the finished message, with its length, to `datagram`.
  void finish(std::vector<std::byte>& datagram) {
    const auto length = static_cast<uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &length, sizeof(length));
    datagram.insert(datagram.end(), bytes_.begin(), bytes_.end());
  }

 private:
  std::vector<std::byte> bytes_;
};

void append_link(std::vector<std::byte>& datagram, uint16_t flags, uint32_t sequence,
                 uint32_t port) {
  MessageWriter message(rtm_newlink, flags, sequence, port);
  const LinkInfo info{af_unspec, 0, arphrd_loopback, loopback_index, loopback_flags, 0};
  message.append(bytes_of(info));
  message.string_attribute(ifla_ifname, loopback_name);
  message.attribute(ifla_txqlen, bytes_of(loopback_queue_length));
  message.attribute(ifla_operstate, bytes_of(if_oper_unknown));
  message.attribute(ifla_linkmode, bytes_of(uint8_t{0}));
  message.attribute(ifla_mtu, bytes_of(loopback_mtu));
  const std::array<std::byte, 6> hardware_address{};
  message.attribute(ifla_address, hardware_address);
  message.attribute(ifla_broadcast, hardware_address);
  const std::array<std::byte, link_statistics_size> statistics{};
  message.attribute(ifla_stats, statistics);
  message.finish(datagram);
}

void append_address(std::vector<std::byte>& datagram, uint8_t family, uint16_t flags,
                    uint32_t sequence, uint32_t port) {
  MessageWriter message(rtm_newaddr, flags, sequence, port);
  const bool ipv4 = family == af_inet;
  const AddressInfo info{family, static_cast<uint8_t>(ipv4 ? 8 : 128), ifa_f_permanent,
                         rt_scope_host, loopback_index};
  message.append(bytes_of(info));
  if (ipv4) {
    const std::array<std::byte, 4> address = {std::byte{127}, std::byte{0}, std::byte{0},
                                              std::byte{1}};
    message.attribute(ifa_address, address);
    message.attribute(ifa_local, address);
    message.string_attribute(ifa_label, loopback_name);
  } else {
    std::array<std::byte, 16> address{};
    address[15] = std::byte{1};
    message.attribute(ifa_address, address);
  }
  message.attribute(ifa_flags, bytes_of(uint32_t{ifa_f_permanent}));
  const AddressLifetimes lifetimes{infinite_lifetime, infinite_lifetime, 0, 0};
  message.attribute(ifa_cacheinfo, bytes_of(lifetimes));
  message.finish(datagram);
}

void append_done(std::vector<std::byte>& datagram, uint32_t sequence, uint32_t port) {
  MessageWriter message(nlmsg_done, nlm_f_multi, sequence, port);
  message.append(bytes_of(int32_t{0}));
  message.finish(datagram);
}

// An NLMSG_ERROR: `error` 0 acknowledges `request`. As on Linux, an error
// repeats the whole request, and an acknowledgement only its header.
void append_error(std::vector<std::byte>& datagram, Errno error, std::span<const std::byte> request,
                  uint32_t sequence, uint32_t port) {
  MessageWriter message(nlmsg_error, 0, sequence, port);
  const int32_t code = -static_cast<int32_t>(error);
  message.append(bytes_of(code));
  message.append(error == Errno{} ? request.first(sizeof(MessageHeader)) : request);
  message.finish(datagram);
}

// Whether a link request names the loopback interface, by index or by an
// IFLA_IFNAME attribute.
bool names_loopback(std::span<const std::byte> request) {
  if (request.size() < sizeof(MessageHeader) + sizeof(LinkInfo)) {
    return false;
  }
  LinkInfo info{};
  std::memcpy(&info, request.data() + sizeof(MessageHeader), sizeof(info));
  if (info.index != 0) {
    return info.index == loopback_index;
  }
  size_t at = sizeof(MessageHeader) + sizeof(LinkInfo);
  while (at + 4 <= request.size()) {
    std::array<uint16_t, 2> header{};
    std::memcpy(header.data(), request.data() + at, sizeof(header));
    if (header[0] < 4 || at + header[0] > request.size()) {
      break;
    }
    if (header[1] == ifla_ifname) {
      std::string_view name(reinterpret_cast<const char*>(request.data() + at + 4), header[0] - 4);
      return name.substr(0, name.find('\0')) == loopback_name;
    }
    at += aligned(header[0]);
  }
  return false;
}

}  // namespace

Result<NetlinkAddress> decode_netlink_address(std::span<const std::byte> bytes) {
  NetlinkAddress address;
  if (bytes.size() < sizeof(address)) {
    return fail(Errno::einval);
  }
  std::memcpy(&address, bytes.data(), sizeof(address));
  if (address.family != af_netlink) {
    return fail(Errno::einval);
  }
  return address;
}

std::vector<std::byte> encode_netlink_address(const NetlinkAddress& address) {
  const std::span<const std::byte> bytes = bytes_of(address);
  return {bytes.begin(), bytes.end()};
}

namespace {

// Requests of <linux/sockios.h>.
constexpr uint32_t siocgifname = 0x8910;
constexpr uint32_t siocgifconf = 0x8912;
constexpr uint32_t siocgifflags = 0x8913;
constexpr uint32_t siocgifaddr = 0x8915;
constexpr uint32_t siocgifnetmask = 0x891b;
constexpr uint32_t siocgifmtu = 0x8921;
constexpr uint32_t siocgifhwaddr = 0x8927;
constexpr uint32_t siocgifindex = 0x8933;

constexpr size_t interface_name_size = 16;  // IFNAMSIZ

// struct ifreq: the interface name, then a union of 24 bytes.
struct InterfaceRequest {
  std::array<char, interface_name_size> name;
  std::array<std::byte, 24> value;
};
static_assert(sizeof(InterfaceRequest) == 40);

// struct ifconf.
struct InterfaceList {
  int32_t length;
  uint32_t padding;
  uint64_t requests;  // struct ifreq *, or null to ask for the length
};
static_assert(sizeof(InterfaceList) == 16);

// The sockaddr_in of an IPv4 address in network byte order.
std::array<std::byte, 16> ipv4_socket_address(std::array<uint8_t, 4> address) {
  std::array<std::byte, 16> bytes{};
  bytes[0] = std::byte{af_inet};
  for (size_t index = 0; index < address.size(); ++index) {
    bytes[4 + index] = std::byte{address[index]};
  }
  return bytes;
}

template <typename T>
void store_value(InterfaceRequest& request, const T& value) {
  static_assert(sizeof(T) <= sizeof(request.value));
  std::memcpy(request.value.data(), &value, sizeof(value));
}

std::optional<Result<uint64_t>> list_interfaces(uint64_t argument) {
  GuestPtr<InterfaceList> list_pointer(argument);
  Result<InterfaceList> list = list_pointer.read();
  if (!list) {
    return fail(list.error());
  }
  // Linux lists each IPv4 address: here only lo's 127.0.0.1.
  InterfaceRequest entry{};
  std::copy(loopback_name.begin(), loopback_name.end(), entry.name.begin());
  store_value(entry, ipv4_socket_address({127, 0, 0, 1}));
  if (list->requests != 0) {
    if (list->length < static_cast<int32_t>(sizeof(entry))) {
      list->length = 0;
    } else {
      if (Result<void> written = GuestPtr<InterfaceRequest>(list->requests).write(entry);
          !written) {
        return fail(written.error());
      }
      list->length = sizeof(entry);
    }
  } else {
    list->length = sizeof(entry);
  }
  if (Result<void> written = list_pointer.write(*list); !written) {
    return fail(written.error());
  }
  return uint64_t{0};
}

}  // namespace

std::optional<Result<uint64_t>> interface_ioctl(fd::File& file, uint32_t request,
                                                uint64_t argument) {
  auto* socket = dynamic_cast<ipc::Socket*>(&file);
  if (socket == nullptr) {
    return std::nullopt;
  }
  switch (request) {
    case siocgifname:
    case siocgifflags:
    case siocgifaddr:
    case siocgifnetmask:
    case siocgifmtu:
    case siocgifhwaddr:
    case siocgifindex:
      break;
    case siocgifconf:
      return list_interfaces(argument);
    default:
      return std::nullopt;
  }

  GuestPtr<InterfaceRequest> pointer(argument);
  Result<InterfaceRequest> read = pointer.read();
  if (!read) {
    return fail(read.error());
  }
  InterfaceRequest& interface = *read;
  if (request == siocgifname) {
    int32_t index = 0;
    std::memcpy(&index, interface.value.data(), sizeof(index));
    if (index != loopback_index) {
      return fail(Errno::enodev);
    }
    interface.name.fill('\0');
    std::copy(loopback_name.begin(), loopback_name.end(), interface.name.begin());
  } else {
    const std::string_view name(interface.name.data(),
                                std::ranges::find(interface.name, '\0') - interface.name.begin());
    if (name != loopback_name) {
      return fail(Errno::enodev);
    }
    const bool ipv4_socket = socket->domain() == ipc::SocketDomain::inet;
    switch (request) {
      case siocgifflags:
        // ifr_flags is a short: the flags above bit 15 stay out.
        store_value(interface, static_cast<uint16_t>(loopback_flags));
        break;
      case siocgifaddr:
      case siocgifnetmask:
        if (!ipv4_socket) {
          return fail(Errno::enotty);
        }
        store_value(interface, ipv4_socket_address(request == siocgifaddr
                                                       ? std::array<uint8_t, 4>{127, 0, 0, 1}
                                                       : std::array<uint8_t, 4>{255, 0, 0, 0}));
        break;
      case siocgifmtu:
        store_value(interface, static_cast<int32_t>(loopback_mtu));
        break;
      case siocgifhwaddr: {
        // A sockaddr of family ARPHRD_LOOPBACK and a zero address.
        std::array<std::byte, 16> hardware{};
        std::memcpy(hardware.data(), &arphrd_loopback, sizeof(arphrd_loopback));
        store_value(interface, hardware);
        break;
      }
      default:  // siocgifindex
        store_value(interface, loopback_index);
        break;
    }
  }
  if (Result<void> written = pointer.write(interface); !written) {
    return fail(written.error());
  }
  return uint64_t{0};
}

NetlinkRouteSocket::NetlinkRouteSocket(uint32_t file_flags, ipc::SocketCredentials owner,
                                       ipc::SocketType type)
    : Socket(file_flags, owner, ipc::SocketDomain::netlink, type) {}

void NetlinkRouteSocket::bind_default_locked() {
  if (!bound_) {
    name_.port = static_cast<uint32_t>(owner_.pid);
    bound_ = true;
  }
}

Result<void> NetlinkRouteSocket::bind(const NetlinkAddress& address) {
  sync::LockGuard guard(lock_);
  // As on Linux, a bound socket may bind again only to the same port id,
  // which changes its groups.
  if (bound_ && address.port != 0 && address.port != name_.port) {
    return fail(Errno::einval);
  }
  if (!bound_ && address.port != 0) {
    // TODO: Linux rejects a port id that another netlink socket has bound
    // (EADDRINUSE). The sandbox routes nothing between netlink sockets, so
    // it accepts any.
    name_.port = address.port;
    bound_ = true;
  }
  bind_default_locked();
  name_.groups = address.groups;
  return {};
}

NetlinkAddress NetlinkRouteSocket::name() {
  sync::LockGuard guard(lock_);
  bind_default_locked();
  return name_;
}

Result<size_t> NetlinkRouteSocket::send(std::span<const std::byte> data) {
  std::vector<std::vector<std::byte>> replies;
  uint32_t port = 0;
  {
    sync::LockGuard guard(lock_);
    if ((shutdown_ & ipc::shutdown_send) != 0) {
      return fail(Errno::epipe);
    }
    bind_default_locked();
    port = name_.port;
  }

  // Each complete message is a request; Linux ignores a truncated tail.
  size_t at = 0;
  while (at + sizeof(MessageHeader) <= data.size()) {
    MessageHeader header{};
    std::memcpy(&header, data.data() + at, sizeof(header));
    if (header.length < sizeof(MessageHeader) || header.length > data.size() - at) {
      break;
    }
    const std::span<const std::byte> request = data.subspan(at, header.length);
    at += aligned(header.length);
    if ((header.flags & nlm_f_request) == 0 || header.type < nlmsg_min_type) {
      continue;
    }

    const bool dump = (header.flags & nlm_f_dump) == nlm_f_dump;
    std::vector<std::byte> reply;
    Errno error{};
    if (header.type == rtm_getlink && dump) {
      append_link(reply, nlm_f_multi, header.sequence, port);
    } else if (header.type == rtm_getlink) {
      if (names_loopback(request)) {
        append_link(reply, 0, header.sequence, port);
      } else {
        error = Errno::enodev;
      }
    } else if (header.type == rtm_getaddr && dump) {
      // The family of the ifaddrmsg (or rtgenmsg) selects; any other
      // family, such as AF_PACKET from glibc, means all.
      const uint8_t family = request.size() > sizeof(MessageHeader)
                                 ? std::to_integer<uint8_t>(request[sizeof(MessageHeader)])
                                 : af_unspec;
      if (family != af_inet6) {
        append_address(reply, af_inet, nlm_f_multi, header.sequence, port);
      }
      if (family != af_inet) {
        append_address(reply, af_inet6, nlm_f_multi, header.sequence, port);
      }
    } else {
      // TODO: routes, neighbours and every change (RTM_NEWADDR, ...).
      error = Errno::eopnotsupp;
    }

    if (error != Errno{}) {
      append_error(reply, error, request, header.sequence, port);
    } else if (dump) {
      // Linux ends a dump in a datagram of its own.
      replies.push_back(std::move(reply));
      reply.clear();
      append_done(reply, header.sequence, port);
    } else if ((header.flags & nlm_f_ack) != 0) {
      append_error(reply, Errno{}, request, header.sequence, port);
    }
    replies.push_back(std::move(reply));
  }

  {
    sync::LockGuard guard(lock_);
    for (std::vector<std::byte>& reply : replies) {
      if (queued_bytes_ + reply.size() > receive_buffer_size_) {
        pending_error_ = Errno::enobufs;
        continue;
      }
      queued_bytes_ += reply.size();
      queue_.push_back(std::move(reply));
    }
  }
  queue_changed_.wake_all();
  pollable_.notify(readable_events);
  return data.size();
}

Result<std::vector<std::byte>> NetlinkRouteSocket::receive(ipc::SocketTransfer options) {
  std::vector<std::byte> datagram;
  {
    sync::LockGuard guard(lock_);
    if (pending_error_) {
      const Errno error = *pending_error_;
      pending_error_.reset();
      return fail(error);
    }
    auto ready = [&] { return !queue_.empty() || (shutdown_ & ipc::shutdown_receive) != 0; };
    if (!ready() && (options.non_blocking || is_non_blocking())) {
      return fail(Errno::eagain);
    }
    TRY_VOID(queue_changed_.wait(lock_, ready));
    if (queue_.empty()) {
      return datagram;
    }

    if (options.peek) {
      datagram = queue_.front();
    } else {
      datagram = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= datagram.size();
    }
  }
  pollable_.notify(writable_events);
  return datagram;
}

Result<size_t> NetlinkRouteSocket::read(std::span<std::byte> buffer) {
  std::vector<std::byte> datagram = TRY(receive({}));
  const size_t copied = std::min(buffer.size(), datagram.size());
  std::copy_n(datagram.begin(), copied, buffer.begin());
  return copied;
}

Result<size_t> NetlinkRouteSocket::write(std::span<const std::byte> data) { return send(data); }

uint32_t NetlinkRouteSocket::poll_events() {
  sync::LockGuard guard(lock_);
  uint32_t events = writable_events;
  if (!queue_.empty()) {
    events |= readable_events;
  }
  return events;
}

Result<size_t> NetlinkRouteSocket::bytes_available() {
  sync::LockGuard guard(lock_);
  return queue_.empty() ? 0 : queue_.front().size();
}

Result<void> NetlinkRouteSocket::shutdown(uint32_t directions) {
  {
    sync::LockGuard guard(lock_);
    shutdown_ |= directions;
  }
  queue_changed_.wake_all();
  pollable_.notify(readable_events | writable_events);
  return {};
}

size_t NetlinkRouteSocket::send_buffer_size() {
  sync::LockGuard guard(lock_);
  return send_buffer_size_;
}

size_t NetlinkRouteSocket::receive_buffer_size() {
  sync::LockGuard guard(lock_);
  return receive_buffer_size_;
}

void NetlinkRouteSocket::set_send_buffer_size(size_t size) {
  sync::LockGuard guard(lock_);
  send_buffer_size_ = size;
}

void NetlinkRouteSocket::set_receive_buffer_size(size_t size) {
  sync::LockGuard guard(lock_);
  receive_buffer_size_ = size;
}

std::optional<Errno> NetlinkRouteSocket::take_pending_error() {
  sync::LockGuard guard(lock_);
  std::optional<Errno> error = pending_error_;
  pending_error_.reset();
  return error;
}

ipc::SocketCredentials NetlinkRouteSocket::peer_credentials() {
  // The peer is the kernel.
  return ipc::SocketCredentials{.pid = 0, .uid = 0, .gid = 0};
}

}  // namespace litebox::shim::linux_abi
