#include "unix_names.hpp"

#include <cstddef>
#include <span>

#include "litebox/platform/platform.hpp"

namespace litebox::ipc {

namespace {

// Linux autobind names are the numbers 0 to 0xfffff.
constexpr uint32_t automatic_name_count = 1U << 20;

// Made during static initialization, so before any guest fork, on the heap
// that forked guest processes share.
UnixNameTable& name_table = *new UnixNameTable();

}  // namespace

UnixNameTable& unix_names() { return name_table; }

Result<void> UnixNameTable::bind(const UnixNameKey& key, uint64_t owner,
                                 std::weak_ptr<DatagramQueue> receiver) {
  sync::LockGuard guard(lock_);
  auto [position, inserted] = bindings_.try_emplace(
      key, Binding{.owner = owner, .listener = {}, .receiver = std::move(receiver)});
  if (!inserted) {
    return fail(Errno::eaddrinuse);
  }
  return {};
}

Result<std::string> UnixNameTable::bind_automatic(uint64_t owner,
                                                  const std::weak_ptr<DatagramQueue>& receiver) {
  // As Linux does, start at a random number and count up past the names
  // in use.
  uint32_t start = 0;
  platform::current().random.fill(std::as_writable_bytes(std::span(&start, 1)));

  sync::LockGuard guard(lock_);
  for (uint32_t attempt = 0; attempt < automatic_name_count; ++attempt) {
    uint32_t number = (start + attempt) % automatic_name_count;

    std::string name(5, '0');
    for (size_t index = name.size(); index-- > 0; number >>= 4) {
      name[index] = "0123456789abcdef"[number & 0xf];
    }
    auto [position, inserted] = bindings_.try_emplace(
        UnixNameKey{name}, Binding{.owner = owner, .listener = {}, .receiver = receiver});
    if (inserted) {
      return name;
    }
  }
  return fail(Errno::enospc);
}

void UnixNameTable::set_listener(const UnixNameKey& key, uint64_t owner,
                                 std::weak_ptr<StreamListener> listener) {
  sync::LockGuard guard(lock_);
  auto position = bindings_.find(key);
  if (position != bindings_.end() && position->second.owner == owner) {
    position->second.listener = std::move(listener);
  }
}

std::shared_ptr<StreamListener> UnixNameTable::find_listener(const UnixNameKey& key) {
  sync::LockGuard guard(lock_);
  auto position = bindings_.find(key);
  if (position == bindings_.end()) {
    return nullptr;
  }
  return position->second.listener.lock();
}

Result<std::shared_ptr<DatagramQueue>> UnixNameTable::find_receiver(const UnixNameKey& key) {
  sync::LockGuard guard(lock_);
  auto position = bindings_.find(key);
  if (position == bindings_.end()) {
    return fail(Errno::econnrefused);
  }
  auto receiver = position->second.receiver.lock();
  if (!receiver) {
    return fail(Errno::eprototype);
  }
  return receiver;
}

void UnixNameTable::release(const UnixNameKey& key, uint64_t owner) {
  sync::LockGuard guard(lock_);
  auto position = bindings_.find(key);
  if (position != bindings_.end() && position->second.owner == owner) {
    bindings_.erase(position);
  }
}

UnixNameKey unix_name_key(const SocketAddress& address, const SocketInodeKey& inode) {
  if (address.kind == SocketAddress::Kind::abstract) {
    return UnixNameKey{address.name};
  }
  return UnixNameKey{inode};
}

Result<void> bind_socket_inode(fs::Vfs& vfs, const fs::PathContext& context,
                               const fs::Location& start, std::string_view path,
                               const std::function<Result<void>(const SocketInodeKey&)>& hold) {
  // As Linux does, the inode comes first, so an existing path is
  // `eaddrinuse` even for a socket that has a name already.
  auto created = vfs.make_node(context, start, path, fs::mode_of(fs::FileType::socket, 0777), 0);
  if (!created) {
    return fail(created.error() == Errno::eexist ? Errno::eaddrinuse : created.error());
  }
  auto status = vfs.stat(context, start, path, fs::at_symlink_nofollow);
  Result<void> bound =
      status ? hold(SocketInodeKey{status->device, status->inode}) : fail(status.error());

  if (!bound) {
    (void)vfs.unlink(context, start, path, 0);
  }
  return bound;
}

Result<SocketInodeKey> find_socket_inode(fs::Vfs& vfs, const fs::PathContext& context,
                                         const fs::Location& start, std::string_view path) {
  fs::Location target = TRY(vfs.resolve(context, start, path, 0));
  fs::Stat status = TRY(target.inode->stat());
  TRY_VOID(fs::Vfs::check_permission(context.credentials, status, fs::access_write));
  if (fs::file_type_of(status.mode) != fs::FileType::socket) {
    return fail(Errno::econnrefused);
  }
  return SocketInodeKey{status.device, status.inode};
}

}  // namespace litebox::ipc
