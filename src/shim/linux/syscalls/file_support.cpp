#include "shim/linux/syscalls/file_support.hpp"

#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

LinuxStat to_linux_stat(const fs::Stat& status) {
  LinuxStat result{};
  result.st_dev = status.device;
  result.st_ino = status.inode;
  result.st_nlink = status.link_count;
  result.st_mode = status.mode;
  result.st_uid = status.uid;
  result.st_gid = status.gid;
  result.st_rdev = status.rdev;
  result.st_size = status.size;
  result.st_blksize = status.block_size;
  result.st_blocks = status.blocks;
  result.st_atime_sec = status.access_time.seconds;
  result.st_atime_nsec = status.access_time.nanoseconds;
  result.st_mtime_sec = status.modify_time.seconds;
  result.st_mtime_nsec = status.modify_time.nanoseconds;
  result.st_ctime_sec = status.change_time.seconds;
  result.st_ctime_nsec = status.change_time.nanoseconds;
  return result;
}

uint64_t file_size_limit(Task& task) { return task.process().limit(Resource::file_size).current; }

Result<std::shared_ptr<fd::File>> file_of(Task& task, int32_t descriptor) {
  return task.process().descriptors().get(descriptor);
}

Result<fs::Location> directory_of_descriptor(Task& task, int32_t descriptor) {
  auto file = TRY(file_of(task, descriptor));
  std::shared_ptr<fs::Inode> inode = file->inode();
  if (inode == nullptr) {
    return fail(Errno::enotdir);
  }

  fs::Stat status = TRY(inode->stat());
  if (fs::file_type_of(status.mode) != fs::FileType::directory) {
    return fail(Errno::enotdir);
  }
  if (file->mount() == nullptr) {
    // Every directory opened through openat() has its mount recorded; a
    // description without one did not come from the VFS.
    return fail(Errno::enotdir);
  }
  return fs::Location{file->mount(), std::move(inode)};
}

Result<fs::Location> location_of_descriptor(Task& task, int32_t descriptor) {
  auto file = TRY(file_of(task, descriptor));
  std::shared_ptr<fs::Inode> inode = file->inode();
  if (inode == nullptr || file->mount() == nullptr) {
    return fail(Errno::ebadf);
  }
  return fs::Location{file->mount(), std::move(inode)};
}

Result<fs::Location> start_of(Task& task, const fs::PathContext& context, int32_t directory_fd,
                              std::string_view path) {
  if (path.starts_with('/')) {
    return context.root;
  }
  if (directory_fd == at_fdcwd) {
    return context.working_directory;
  }
  // An empty path names the descriptor itself under AT_EMPTY_PATH, whatever
  // its type; without that flag the VFS rejects it with ENOENT.
  if (path.empty()) {
    return location_of_descriptor(task, directory_fd);
  }
  return directory_of_descriptor(task, directory_fd);
}

}  // namespace litebox::shim::linux_abi
