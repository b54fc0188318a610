#include "litebox/ipc/socket.hpp"

#include <atomic>

#include "inet_ports.hpp"
#include "litebox/fs/file_system.hpp"

namespace litebox::ipc {

namespace {

// Set during static initialization, so before any guest fork, on the heap
// that forked guest processes share: socket inode numbers stay unique and
// st_dev the same across the sandbox, as for pipes.
auto& next_socket_identity_value = *new std::atomic<uint64_t>{1};
// The st_dev of sockets, one pseudo file system for all of them (sockfs).
const uint64_t socket_device_number = fs::allocate_device_number();

uint64_t next_socket_identity() {
  return next_socket_identity_value.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Socket::Socket(uint32_t flags, SocketCredentials owner, SocketDomain domain, SocketType type)
    : File(flags), owner_(owner), domain_(domain), type_(type), identity_(next_socket_identity()) {
  set_stored_option(StoredOption::tcp_keep_idle, 7200);
  set_stored_option(StoredOption::tcp_keep_interval, 75);
  set_stored_option(StoredOption::tcp_keep_count, 9);
}

Result<fs::Stat> Socket::stat() {
  fs::Stat status;
  status.device = socket_device_number;
  status.inode = identity_;
  status.mode = fs::mode_of(fs::FileType::socket, 0777);
  status.link_count = 1;
  status.uid = owner_.uid;
  status.gid = owner_.gid;
  status.block_size = 4096;
  return status;
}

Result<void> Socket::check_bind_address(const InetAddress& address) const {
  if (domain_ == SocketDomain::inet6 && address.is_ipv4() && ipv6_only()) {
    return fail(Errno::einval);
  }
  if (!address.is_local()) {
    return fail(Errno::eaddrnotavail);
  }
  return {};
}

InetBinding Socket::inet_binding(const InetAddress& address) const {
  return InetBinding{
      .owner = identity_,
      .address = address,
      .dual_stack =
          domain_ == SocketDomain::inet6 && address.is_any() && !address.is_ipv4() && !ipv6_only(),
      .reuse_address = reuse_address(),
      .reuse_port = stored_option(StoredOption::reuse_port) != 0,
  };
}

void Socket::copy_options_to(Socket& socket) const {
  socket.set_reuse_address(reuse_address());
  socket.ipv6_only_.store(ipv6_only(), std::memory_order_relaxed);
  for (size_t index = 0; index < stored_options_.size(); ++index) {
    socket.stored_options_[index].store(stored_options_[index].load(std::memory_order_relaxed),
                                        std::memory_order_relaxed);
  }
}

FileRights::~FileRights() {
  if (!empty()) {
    release_in_flight_files(std::move(static_cast<std::vector<std::shared_ptr<fd::File>>&>(*this)));
  }
}

void release_in_flight_files(std::vector<std::shared_ptr<fd::File>> files) {
  // The loop of the outermost call on this thread, if one runs.
  thread_local std::vector<std::shared_ptr<fd::File>>* releasing = nullptr;
  if (releasing != nullptr) {
    for (auto& file : files) {
      releasing->push_back(std::move(file));
    }
    return;
  }

  releasing = &files;
  while (!files.empty()) {
    std::shared_ptr<fd::File> file = std::move(files.back());
    files.pop_back();
    file.reset();
  }
  releasing = nullptr;
}

}  // namespace litebox::ipc
