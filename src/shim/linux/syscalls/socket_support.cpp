#include "shim/linux/syscalls/socket_support.hpp"

#include <algorithm>

#include "shim/linux/guest_memory.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_inet_address.hpp"

namespace litebox::shim::linux_abi {

Result<SocketRequest> decode_socket_request(const SyscallArguments& arguments) {
  SocketRequest request{.domain = arguments.as_int(0),
                        .type = arguments.as_uint(1) & sock_type_mask,
                        .flags = arguments.as_uint(1) & ~sock_type_mask,
                        .protocol = arguments.as_int(2)};
  if ((request.flags & ~(sock_non_blocking | sock_close_on_exec)) != 0) {
    return fail(Errno::einval);
  }
  if (request.domain < 0 || request.domain >= af_max) {
    return fail(Errno::eafnosupport);
  }
  if (request.type >= sock_max) {
    return fail(Errno::einval);
  }
  return request;
}

Result<void> check_unix_socket_type(const SocketRequest& request) {
  if (request.protocol != 0 && request.protocol != af_unix) {
    return fail(Errno::eprotonosupport);
  }
  uint32_t type = request.type;
  if (type != sock_stream && type != sock_datagram && type != sock_raw && type != sock_seqpacket) {
    return fail(Errno::esocktnosupport);
  }
  return {};
}

Result<std::shared_ptr<ipc::StreamSocket>> socket_of(Task& task, int32_t descriptor) {
  auto file = TRY(file_of(task, descriptor));
  auto socket = std::dynamic_pointer_cast<ipc::StreamSocket>(file);
  if (!socket) {
    return fail(Errno::enotsock);
  }
  return socket;
}

ipc::SocketCredentials socket_credentials_of(Task& task) {
  Process& process = task.process();
  sync::LockGuard guard(process.lock);
  return {process.pid(), process.credentials.euid, process.credentials.egid};
}

Result<void> write_address(uint64_t address, uint64_t length_address,
                           std::span<const std::byte> value) {
  int32_t length = TRY(GuestPtr<int32_t>(length_address).read());
  if (length < 0) {
    return fail(Errno::einval);
  }
  size_t copied = std::min(static_cast<size_t>(length), value.size());
  TRY_VOID(copy_to_guest(address, value.first(copied)));
  TRY_VOID(GuestPtr<int32_t>(length_address).write(static_cast<int32_t>(value.size())));
  return {};
}

std::vector<std::byte> encode_unix_address(const ipc::SocketAddress& address) {
  const uint16_t family = af_unix;
  auto family_bytes = std::as_bytes(std::span(&family, 1));
  std::vector<std::byte> encoded(family_bytes.begin(), family_bytes.end());
  auto name_bytes = std::as_bytes(std::span(address.name));

  switch (address.kind) {
    case ipc::SocketAddress::Kind::unnamed:
    case ipc::SocketAddress::Kind::inet:  // encode_inet_address() encodes it
      break;
    case ipc::SocketAddress::Kind::path:
      encoded.insert(encoded.end(), name_bytes.begin(), name_bytes.end());
      encoded.push_back(std::byte{0});
      break;
    case ipc::SocketAddress::Kind::abstract:
      encoded.push_back(std::byte{0});
      encoded.insert(encoded.end(), name_bytes.begin(), name_bytes.end());
      break;
  }
  return encoded;
}

std::vector<std::byte> encode_socket_address(const ipc::SocketAddress& address,
                                             ipc::SocketDomain domain) {
  if (domain == ipc::SocketDomain::unix_domain) {
    return encode_unix_address(address);
  }
  return encode_inet_address(address.inet, domain);
}

}  // namespace litebox::shim::linux_abi
