// Socket system calls that make, name and connect Unix-domain, TCP and
// UDP sockets: socket, bind, listen, connect, accept, accept4,
// getsockname and getpeername.
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "litebox/ipc/datagram_socket.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_inet_address.hpp"
#include "shim/linux/syscalls/socket_netlink.hpp"
#include "shim/linux/syscalls/socket_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// net.core.somaxconn, the largest listen(2) backlog (Linux's default since
// 5.4).
constexpr uint32_t max_backlog = 4096;

// Logs once per process, family and type that socket(2) is not
// implemented for them. It logs at info level, as for unsupported system
// calls, because programs probe for families and fall back.
void report_unsupported_socket(const SocketRequest& request) {
  static std::array<std::atomic<bool>, size_t{af_max} * sock_max> reported{};
  size_t index = static_cast<size_t>(request.domain) * sock_max + request.type;
  if (reported[index].exchange(true)) {
    return;
  }
  platform::current().log.write(
      platform::LogLevel::info,
      fmt::format("socket(2) of family {} and type {} is not supported, returning ENOSYS",
                  request.domain, request.type));
}

// The status flags of a socket made with the SOCK_* `flags`.
uint32_t socket_file_flags(uint32_t flags) {
  uint32_t file_flags = fd::open_read_write;
  if ((flags & sock_non_blocking) != 0) {
    file_flags |= fd::open_non_blocking;
  }
  return file_flags;
}

// ICMP "ping" sockets: SOCK_DGRAM with IPPROTO_ICMP or IPPROTO_ICMPV6.
constexpr int32_t ipproto_icmp = 1;
constexpr int32_t ipproto_icmpv6 = 58;

struct SocketKind {
  ipc::SocketDomain domain = ipc::SocketDomain::unix_domain;
  ipc::SocketType type = ipc::SocketType::stream;
};

// The kind of an Internet socket that socket(2) makes for `request`.
Result<SocketKind> inet_socket_kind_of(const SocketRequest& request) {
  SocketKind kind{
      .domain = request.domain == af_inet ? ipc::SocketDomain::inet : ipc::SocketDomain::inet6,
      .type = ipc::SocketType::stream};
  const bool ping = request.protocol == ipproto_icmp || request.protocol == ipproto_icmpv6;
  if (request.type == sock_raw || (request.type == sock_datagram && ping)) {
    // TODO: raw IP and ICMP sockets.
    report_unsupported_socket(request);
    return fail(Errno::enosys);
  }
  if (request.type == sock_stream) {
    if (request.protocol != 0 && request.protocol != ipproto_tcp) {
      return fail(Errno::eprotonosupport);
    }
    return kind;
  }
  if (request.type == sock_datagram) {
    if (request.protocol != 0 && request.protocol != ipproto_udp) {
      return fail(Errno::eprotonosupport);
    }
    kind.type = ipc::SocketType::datagram;
    return kind;
  }
  return fail(Errno::esocktnosupport);
}

// The kind of socket that socket(2) makes for `request`: `enosys` for
// what the sandbox lacks, and the errors of the family's checks.
Result<SocketKind> socket_kind_of(const SocketRequest& request) {
  if (request.domain == af_inet || request.domain == af_inet6) {
    return inet_socket_kind_of(request);
  }
  if (request.domain != af_unix) {
    // TODO: netlink and other families. EAFNOSUPPORT would tell the guest
    // that the family does not exist, which Linux does not return for
    // AF_NETLINK, so the call is reported as not implemented.
    report_unsupported_socket(request);
    return fail(Errno::enosys);
  }
  TRY_VOID(check_unix_socket_type(request));
  if (request.type == sock_seqpacket) {
    // TODO: Unix sequenced-packet sockets.
    report_unsupported_socket(request);
    return fail(Errno::enosys);
  }
  // SOCK_RAW means SOCK_DGRAM for Unix sockets, as on Linux.
  bool datagram = request.type != sock_stream;
  return SocketKind{.domain = ipc::SocketDomain::unix_domain,
                    .type = datagram ? ipc::SocketType::datagram : ipc::SocketType::stream};
}

// socket(2) of the netlink family: only NETLINK_ROUTE, of type SOCK_RAW or
// SOCK_DGRAM, as Linux accepts both.
Result<uint64_t> make_netlink_socket(Task& task, const SocketRequest& request) {
  if (request.type != sock_raw && request.type != sock_datagram) {
    return fail(Errno::esocktnosupport);
  }
  if (request.protocol != netlink_route) {
    // TODO: other netlink protocols (generic netlink, audit, uevents).
    report_unsupported_socket(request);
    return fail(Errno::enosys);
  }
  auto socket = std::make_shared<NetlinkRouteSocket>(
      socket_file_flags(request.flags), socket_credentials_of(task), ipc::SocketType::datagram);
  bool close_on_exec = (request.flags & sock_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(socket, close_on_exec));
}

Result<uint64_t> sys_socket(Task& task, const SyscallArguments& arguments) {
  SocketRequest request = TRY(decode_socket_request(arguments));
  if (request.domain == af_netlink) {
    return make_netlink_socket(task, request);
  }
  SocketKind kind = TRY(socket_kind_of(request));
  const uint32_t flags = request.flags;

  std::shared_ptr<ipc::Socket> socket;
  if (kind.type == ipc::SocketType::datagram) {
    socket = std::make_shared<ipc::DatagramSocket>(socket_file_flags(flags),
                                                   socket_credentials_of(task), kind.domain);
  } else {
    socket = std::make_shared<ipc::StreamSocket>(socket_file_flags(flags),
                                                 socket_credentials_of(task), kind.domain);
  }
  bool close_on_exec = (flags & sock_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(socket, close_on_exec));
}

// bind(2) of a stream or datagram socket, whose bind functions have the
// same names and contracts.
template <typename AnySocket>
Result<void> bind_socket(Task& task, AnySocket& socket, std::span<const std::byte> bytes) {
  if (socket.domain() != ipc::SocketDomain::unix_domain) {
    ipc::InetAddress address =
        TRY(decode_inet_address(bytes, socket.domain(), InetAddressUse::bind));
    return socket.bind_inet(address);
  }

  // The family alone requests an automatic abstract name (autobind).
  if (bytes.size() == family_size && family_of(bytes) == af_unix) {
    return socket.bind_automatic();
  }

  ipc::SocketAddress address = TRY(decode_unix_address(bytes));
  if (address.kind == ipc::SocketAddress::Kind::abstract) {
    return socket.bind_abstract(std::move(address.name));
  }

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, address.name));
  return socket.bind_path(task.kernel().vfs(), context, start, address.name);
}

Result<uint64_t> sys_bind(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  std::vector<std::byte> bytes = TRY(read_socket_address(arguments[1], arguments.as_int(2)));
  if (auto* netlink = as_netlink(*socket)) {
    NetlinkAddress address = TRY(decode_netlink_address(bytes));
    TRY_VOID(netlink->bind(address));
  } else if (auto datagram = std::dynamic_pointer_cast<ipc::DatagramSocket>(socket)) {
    TRY_VOID(bind_socket(task, *datagram, bytes));
  } else {
    TRY_VOID(bind_socket(task, static_cast<ipc::StreamSocket&>(*socket), bytes));
  }
  return 0;
}

// connect(2) of a datagram socket: sets or, with AF_UNSPEC, clears its
// default destination.
Result<void> connect_datagram(Task& task, ipc::DatagramSocket& socket,
                              std::span<const std::byte> bytes) {
  if (bytes.size() < family_size) {
    return fail(Errno::einval);
  }
  if (family_of(bytes) == af_unspec) {
    socket.disconnect();
    return {};
  }
  if (socket.domain() != ipc::SocketDomain::unix_domain) {
    ipc::InetAddress destination =
        TRY(decode_inet_address(bytes, socket.domain(), InetAddressUse::connect));
    return socket.connect_inet(destination);
  }

  ipc::SocketAddress address = TRY(decode_unix_address(bytes));
  if (address.kind == ipc::SocketAddress::Kind::abstract) {
    return socket.connect_abstract(address.name);
  }
  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, address.name));
  return socket.connect_path(task.kernel().vfs(), context, start, address.name);
}

Result<uint64_t> sys_listen(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(stream_socket_of(task, arguments.as_int(0)));
  // Linux compares the backlog as unsigned, so a negative one gets the
  // maximum.
  const uint32_t backlog = std::min(arguments.as_uint(1), max_backlog);

  TRY_VOID(socket->listen(backlog, socket_credentials_of(task)));
  return 0;
}

Result<uint64_t> sys_connect(Task& task, const SyscallArguments& arguments) {
  auto any_socket = TRY(socket_of(task, arguments.as_int(0)));
  std::vector<std::byte> bytes = TRY(read_socket_address(arguments[1], arguments.as_int(2)));
  if (auto* netlink = as_netlink(*any_socket)) {
    // TODO: Linux lets a netlink socket connect to another socket's port
    // id; the sandbox's netlink sockets talk to the kernel only.
    NetlinkAddress address = TRY(decode_netlink_address(bytes));
    if (address.port != 0) {
      return fail(Errno::econnrefused);
    }
    (void)netlink->name();
    return 0;
  }
  if (auto datagram = std::dynamic_pointer_cast<ipc::DatagramSocket>(any_socket)) {
    TRY_VOID(connect_datagram(task, *datagram, bytes));
    return 0;
  }
  auto socket = std::static_pointer_cast<ipc::StreamSocket>(any_socket);
  ipc::SocketCredentials credentials = socket_credentials_of(task);
  if (socket->domain() != ipc::SocketDomain::unix_domain) {
    ipc::InetAddress destination =
        TRY(decode_inet_address(bytes, socket->domain(), InetAddressUse::connect));
    TRY_VOID(socket->connect_inet(destination, credentials));
    return 0;
  }
  ipc::SocketAddress address = TRY(decode_unix_address(bytes));

  if (address.kind == ipc::SocketAddress::Kind::abstract) {
    TRY_VOID(socket->connect_abstract(address.name, credentials));
    return 0;
  }

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, address.name));
  TRY_VOID(socket->connect_path(task.kernel().vfs(), context, start, address.name, credentials));
  return 0;
}

// accept(2) and accept4(2). As on Linux, a connection is taken before the
// peer address is written, so a bad address buffer loses it.
Result<uint64_t> accept_connection(Task& task, const SyscallArguments& arguments, uint32_t flags) {
  const int32_t descriptor = arguments.as_int(0);
  const uint64_t address = arguments[1];
  TRY(file_of(task, descriptor));
  if ((flags & ~(sock_non_blocking | sock_close_on_exec)) != 0) {
    return fail(Errno::einval);
  }
  // Linux reserves the new descriptor before it waits, so a full table
  // fails at once and no connection is lost.
  // NOTE: another thread may still take the last descriptor while this one
  // waits; the connection is then closed after EMFILE.
  if (!task.process().descriptors().has_free_descriptor()) {
    return fail(Errno::emfile);
  }
  auto listener = TRY(stream_socket_of(task, descriptor));

  auto socket = TRY(listener->accept(socket_file_flags(flags), socket_credentials_of(task)));
  if (address != 0) {
    ipc::SocketAddress peer = TRY(socket->peer_address());
    TRY_VOID(write_address(address, arguments[2], encode_socket_address(peer, socket->domain())));
  }

  bool close_on_exec = (flags & sock_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(socket, close_on_exec));
}

Result<uint64_t> sys_accept(Task& task, const SyscallArguments& arguments) {
  return accept_connection(task, arguments, 0);
}

Result<uint64_t> sys_accept4(Task& task, const SyscallArguments& arguments) {
  return accept_connection(task, arguments, arguments.as_uint(3));
}

Result<uint64_t> sys_getsockname(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  if (auto* netlink = as_netlink(*socket)) {
    TRY_VOID(write_address(arguments[1], arguments[2], encode_netlink_address(netlink->name())));
    return 0;
  }
  TRY_VOID(write_address(arguments[1], arguments[2],
                         encode_socket_address(socket->address(), socket->domain())));
  return 0;
}

Result<uint64_t> sys_getpeername(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  if (as_netlink(*socket) != nullptr) {
    // The peer of a netlink socket is the kernel, port id 0.
    TRY_VOID(write_address(arguments[1], arguments[2], encode_netlink_address(NetlinkAddress{})));
    return 0;
  }
  ipc::SocketAddress peer = TRY(socket->peer_address());
  TRY_VOID(
      write_address(arguments[1], arguments[2], encode_socket_address(peer, socket->domain())));
  return 0;
}

}  // namespace

void register_socket_connection_syscalls(SyscallTable& table) {
  table.add(nr::socket, sys_socket);
  table.add(nr::bind, sys_bind);
  table.add(nr::listen, sys_listen);
  table.add(nr::connect, sys_connect);
  table.add(nr::accept, sys_accept);
  table.add(nr::accept4, sys_accept4);
  table.add(nr::getsockname, sys_getsockname);
  table.add(nr::getpeername, sys_getpeername);
}

}  // namespace litebox::shim::linux_abi
