#include "shim/linux/syscalls/socket_datagram.hpp"

#include <algorithm>
#include <span>

#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"
#include "shim/linux/syscalls/socket_inet_address.hpp"
#include "shim/linux/syscalls/socket_support.hpp"

namespace litebox::shim::linux_abi {

Result<uint64_t> send_datagram(Task& task, ipc::DatagramSocket& socket,
                               const std::vector<GuestIovec>& vectors,
                               const std::optional<std::vector<std::byte>>& destination,
                               ipc::SocketTransfer options, ipc::FileRights rights) {
  const uint64_t length = total_length(vectors);
  if (length > max_datagram_length) {
    return fail(Errno::emsgsize);
  }
  std::vector<std::byte> data(length);
  TRY_VOID(copy_vector_bytes(vectors, 0, data, false));

  const bool unix_domain = socket.domain() == ipc::SocketDomain::unix_domain;
  if (!destination || (unix_domain && destination->empty())) {
    return TRY(socket.send(data, options, std::move(rights)));
  }
  if (!unix_domain) {
    ipc::InetAddress address =
        TRY(decode_inet_address(*destination, socket.domain(), InetAddressUse::send));
    return TRY(socket.send_to_inet(address, data, options));
  }

  ipc::SocketAddress address = TRY(decode_unix_address(*destination));
  if (address.kind == ipc::SocketAddress::Kind::abstract) {
    return TRY(socket.send_to_abstract(address.name, data, options, std::move(rights)));
  }
  fs::PathContext context = task.process().path_context();
  fs::Location start = TRY(start_of(task, context, at_fdcwd, address.name));
  return TRY(socket.send_to_path(task.kernel().vfs(), context, start, address.name, data, options,
                                 std::move(rights)));
}

Result<ReceivedMessage> receive_datagram(ipc::DatagramSocket& socket,
                                         const std::vector<GuestIovec>& vectors,
                                         ipc::SocketTransfer options, bool report_length,
                                         ipc::FileRights* rights) {
  std::vector<std::byte> buffer(std::min(total_length(vectors), max_datagram_length));
  ipc::DatagramReceipt receipt = TRY(socket.receive(buffer, options));
  TRY_VOID(copy_vector_bytes(vectors, 0, std::span(buffer).first(receipt.copied), true));

  if (rights != nullptr) {
    *rights = std::move(receipt.rights);
  }
  ReceivedMessage received{.count = report_length ? receipt.length : receipt.copied,
                           .truncated = receipt.length > receipt.copied,
                           .source = {}};
  if (receipt.source.kind != ipc::SocketAddress::Kind::unnamed) {
    received.source = encode_socket_address(receipt.source, socket.domain());
  }
  return received;
}

}  // namespace litebox::shim::linux_abi
