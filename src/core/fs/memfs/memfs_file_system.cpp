// MemoryFileSystem: inode numbering, page accounting, statfs and unlinked
// files.
#include "memfs.hpp"

namespace litebox::fs::memfs {

MemoryFileSystem::MemoryFileSystem(const Options& options)
    : options_(options), device_(allocate_device_number()) {}

std::shared_ptr<Inode> MemoryFileSystem::root() { return root_.lock(); }

Result<void> MemoryFileSystem::reserve_pages(uint64_t count) {
  uint64_t used = used_pages_.load(std::memory_order_relaxed);
  do {
    if (options_.max_pages != 0 && used + count > options_.max_pages) {
      return fail(Errno::enospc);
    }
  } while (!used_pages_.compare_exchange_weak(used, used + count, std::memory_order_relaxed));
  return {};
}

void MemoryFileSystem::release_pages(uint64_t count) {
  used_pages_.fetch_sub(count, std::memory_order_relaxed);
}

FileSystemStat MemoryFileSystem::stat_file_system() {
  FileSystemStat result;
  result.type = tmpfs_magic;
  result.block_size = page_size;
  // Without a limit, the size shown is that of a tmpfs mounted without
  // size=, half of the memory, of which the sandbox shows 4 GiB (sysinfo).
  // Programs that check for free space before they write then go on.
  const uint64_t shown_pages = options_.max_pages != 0 ? options_.max_pages : unlimited_shown_pages;
  const uint64_t used = used_pages_.load(std::memory_order_relaxed);
  result.blocks = shown_pages;
  result.free_blocks = used < shown_pages ? shown_pages - used : 0;
  result.available_blocks = result.free_blocks;
  result.name_max = name_max;
  return result;
}

std::shared_ptr<FileSystem> create(const Options& options) {
  auto file_system = std::make_shared<MemoryFileSystem>(options);
  auto root = std::make_shared<Directory>(file_system, options.root_permissions, options.root_uid,
                                          options.root_gid);
  root->parent = root;
  file_system->set_root(root);

  // The handle owns the root, and every node owns the file system, so the
  // file system lives while the handle or any of its inodes does.
  return std::shared_ptr<FileSystem>(root, file_system.get());
}

std::shared_ptr<Inode> create_unlinked_file(const std::shared_ptr<FileSystem>& file_system,
                                            uint32_t permissions, uint32_t uid, uint32_t gid,
                                            uint32_t seals) {
  // The aliasing handle that create() returns keeps owning the root.
  auto memory_file_system = std::dynamic_pointer_cast<MemoryFileSystem>(file_system);
  auto file =
      std::make_shared<RegularFile>(std::move(memory_file_system), permissions, uid, gid, seals);
  file->link_count = 0;
  return file;
}

}  // namespace litebox::fs::memfs
