// Socket system calls that make, name and connect Unix-domain and TCP
// stream sockets: socket, bind, listen, connect, accept, accept4,
// getsockname and getpeername.
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "litebox/ipc/stream_socket.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_inet_address.hpp"
#include "shim/linux/syscalls/socket_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// sizeof(struct sockaddr_un): the family and 108 bytes of sun_path.
constexpr size_t unix_address_size = 110;
constexpr size_t family_size = sizeof(uint16_t);

// net.core.somaxconn, the largest listen(2) backlog (Linux's default since
// 5.4).
constexpr uint32_t max_backlog = 4096;

// Copies in the socket address of bind(2) or connect(2): `einval` for a
// length outside 0 to sizeof(struct sockaddr_storage), `efault` for a bad
// pointer.
Result<std::vector<std::byte>> read_socket_address(uint64_t address, int32_t length) {
  if (length < 0 || length > max_address_length) {
    return fail(Errno::einval);
  }
  std::vector<std::byte> bytes(static_cast<size_t>(length));
  if (!bytes.empty()) {
    TRY_VOID(copy_from_guest(bytes, address));
  }
  return bytes;
}

uint16_t family_of(std::span<const std::byte> bytes) {
  uint16_t family = 0;
  if (bytes.size() >= family_size) {
    std::memcpy(&family, bytes.data(), family_size);
  }
  return family;
}

// Decodes a sockaddr_un that names a socket: `einval` unless it contains the
// family AF_UNIX and at least one byte of sun_path. A path ends at its
// first NUL; an abstract name is every byte after the leading NUL.
Result<ipc::SocketAddress> decode_unix_address(std::span<const std::byte> bytes) {
  if (bytes.size() <= family_size || bytes.size() > unix_address_size) {
    return fail(Errno::einval);
  }
  if (family_of(bytes) != af_unix) {
    return fail(Errno::einval);
  }

  std::span<const std::byte> path = bytes.subspan(family_size);
  // Safety: char may alias any object, and every read stays inside `path`.
  const char* characters = reinterpret_cast<const char*>(path.data());
  if (path[0] != std::byte{0}) {
    return ipc::SocketAddress{ipc::SocketAddress::Kind::path,
                              std::string(characters, strnlen(characters, path.size()))};
  }
  return ipc::SocketAddress{ipc::SocketAddress::Kind::abstract,
                            std::string(characters + 1, path.size() - 1)};
}

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

// The domain of a socket that socket(2) makes for `request`: `enosys` for
// what the sandbox lacks, and the errors of the family's checks.
Result<ipc::SocketDomain> socket_domain_of(const SocketRequest& request) {
  if (request.domain == af_inet || request.domain == af_inet6) {
    if (request.type == sock_datagram || request.type == sock_raw) {
      // TODO: UDP and raw IP sockets.
      report_unsupported_socket(request);
      return fail(Errno::enosys);
    }
    if (request.type != sock_stream) {
      return fail(Errno::esocktnosupport);
    }
    if (request.protocol != 0 && request.protocol != ipproto_tcp) {
      return fail(Errno::eprotonosupport);
    }
    return request.domain == af_inet ? ipc::SocketDomain::inet : ipc::SocketDomain::inet6;
  }
  if (request.domain != af_unix) {
    // TODO: netlink and other families. EAFNOSUPPORT would tell the guest
    // that the family does not exist, which Linux does not return for
    // AF_NETLINK, so the call is reported as not implemented.
    report_unsupported_socket(request);
    return fail(Errno::enosys);
  }
  TRY_VOID(check_unix_socket_type(request));
  if (request.type != sock_stream) {
    // TODO: Unix datagram and sequenced-packet sockets (SOCK_RAW means
    // SOCK_DGRAM).
    report_unsupported_socket(request);
    return fail(Errno::enosys);
  }
  return ipc::SocketDomain::unix_domain;
}

Result<uint64_t> sys_socket(Task& task, const SyscallArguments& arguments) {
  SocketRequest request = TRY(decode_socket_request(arguments));
  ipc::SocketDomain domain = TRY(socket_domain_of(request));
  const uint32_t flags = request.flags;

  auto socket = std::make_shared<ipc::StreamSocket>(socket_file_flags(flags),
                                                    socket_credentials_of(task), domain);
  bool close_on_exec = (flags & sock_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(socket, close_on_exec));
}

Result<uint64_t> sys_bind(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  std::vector<std::byte> bytes = TRY(read_socket_address(arguments[1], arguments.as_int(2)));
  if (socket->domain() != ipc::SocketDomain::unix_domain) {
    ipc::InetAddress address =
        TRY(decode_inet_address(bytes, socket->domain(), InetAddressUse::bind));
    TRY_VOID(socket->bind_inet(address));
    return 0;
  }

  // The family alone requests an automatic abstract name (autobind).
  if (bytes.size() == family_size && family_of(bytes) == af_unix) {
    TRY_VOID(socket->bind_automatic());
    return 0;
  }

  ipc::SocketAddress address = TRY(decode_unix_address(bytes));
  if (address.kind == ipc::SocketAddress::Kind::abstract) {
    TRY_VOID(socket->bind_abstract(std::move(address.name)));
    return 0;
  }

  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, address.name));
  TRY_VOID(socket->bind_path(task.kernel().vfs(), context, start, address.name));
  return 0;
}

Result<uint64_t> sys_listen(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  // Linux compares the backlog as unsigned, so a negative one gets the
  // maximum.
  const uint32_t backlog = std::min(arguments.as_uint(1), max_backlog);

  TRY_VOID(socket->listen(backlog, socket_credentials_of(task)));
  return 0;
}

Result<uint64_t> sys_connect(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
  std::vector<std::byte> bytes = TRY(read_socket_address(arguments[1], arguments.as_int(2)));
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
  auto listener = TRY(socket_of(task, descriptor));

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
  TRY_VOID(write_address(arguments[1], arguments[2],
                         encode_socket_address(socket->address(), socket->domain())));
  return 0;
}

Result<uint64_t> sys_getpeername(Task& task, const SyscallArguments& arguments) {
  auto socket = TRY(socket_of(task, arguments.as_int(0)));
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
