#include "shim/linux/syscalls/socket_support.hpp"

#include <algorithm>
#include <cstring>
#include <string>

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

Result<std::shared_ptr<ipc::Socket>> socket_of(Task& task, int32_t descriptor) {
  auto file = TRY(file_of(task, descriptor));
  auto socket = std::dynamic_pointer_cast<ipc::Socket>(file);
  if (!socket) {
    return fail(Errno::enotsock);
  }
  return socket;
}

Result<std::shared_ptr<ipc::StreamSocket>> stream_socket_of(Task& task, int32_t descriptor) {
  auto socket = TRY(socket_of(task, descriptor));
  auto stream = std::dynamic_pointer_cast<ipc::StreamSocket>(socket);
  if (!stream) {
    return fail(Errno::eopnotsupp);
  }
  return stream;
}

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

uint64_t total_length(const std::vector<GuestIovec>& vectors) {
  uint64_t length = 0;
  for (const GuestIovec& vector : vectors) {
    length += vector.length;
  }
  return length;
}

Result<void> copy_vector_bytes(const std::vector<GuestIovec>& vectors, uint64_t offset,
                               std::span<std::byte> buffer, bool to_guest) {
  size_t done = 0;
  for (const GuestIovec& vector : vectors) {
    if (done == buffer.size()) {
      break;
    }
    if (offset >= vector.length) {
      offset -= vector.length;
      continue;
    }
    size_t part = std::min<uint64_t>(vector.length - offset, buffer.size() - done);
    std::span<std::byte> piece = buffer.subspan(done, part);
    if (to_guest) {
      TRY_VOID(copy_to_guest(vector.base + offset, piece));
    } else {
      TRY_VOID(copy_from_guest(piece, vector.base + offset));
    }
    done += part;
    offset = 0;
  }
  return {};
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
