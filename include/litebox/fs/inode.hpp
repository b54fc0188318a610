// Inode: one file-system object (regular file, directory, symlink, fifo or
// device node). Every file system implements this interface; the VFS walks
// paths over it and open file descriptions read and write through it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "litebox/fs/file_locks.hpp"
#include "litebox/fs/types.hpp"
#include "litebox/mm/shared_memory.hpp"
#include "litebox/result.hpp"

namespace litebox::fd {
class File;
}

namespace litebox::fs {

class FileSystem;

// Flags for Inode::rename, the values of RENAME_NOREPLACE and RENAME_EXCHANGE.
enum RenameFlags : uint32_t {
  rename_noreplace = 1,
  rename_exchange = 2,
};

// File seals, the Linux F_SEAL_* values of fcntl(2) F_ADD_SEALS. Each one
// forbids a kind of change for the rest of the file's life.
enum FileSeal : uint32_t {
  seal_seal = 0x01,          // no further seals
  seal_shrink = 0x02,        // no truncation below the size
  seal_grow = 0x04,          // no growth past the size
  seal_write = 0x08,         // no writes and no writable shared mappings
  seal_future_write = 0x10,  // as seal_write, but existing mappings stay writable
  seal_exec = 0x20,          // no change of the execute permission bits
};
inline constexpr uint32_t all_file_seals =
    seal_seal | seal_shrink | seal_grow | seal_write | seal_future_write | seal_exec;

class Inode : public std::enable_shared_from_this<Inode> {
 public:
  Inode() = default;
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;
  virtual ~Inode();

  virtual FileSystem& file_system() = 0;

  // Every default below returns the errno Linux gives when the operation
  // does not apply to this kind of inode; read-only file systems return
  // `erofs` from every change.

  virtual Result<Stat> stat() = 0;
  virtual Result<void> change_attributes(const AttributeChange& change);

  // File contents. A read at or past the end returns 0; a hole reads as zeros.
  // Defaults: `eisdir` for directories, `einval` otherwise.
  virtual Result<size_t> read(uint64_t offset, std::span<std::byte> buffer);
  virtual Result<size_t> write(uint64_t offset, std::span<const std::byte> data);

  // Returns the shared memory that contains the file's bytes [offset, offset +
  // length), both page-aligned, for a MAP_SHARED mapping to alias: stores
  // through the mapping are then file data that read() returns, and write()
  // changes what the mapping shows. Holes and pages past the end of the
  // file are created zero-filled. `enomem` if no memory is left. The
  // default, `enodev`, means the file system has no such pages, and a
  // shared mapping of the file gets a private copy of its data.
  virtual Result<mm::PageRuns> share_pages(uint64_t offset, uint64_t length);

  // fallocate(2) of the bytes [offset, offset + length) of a regular file.
  // `allocate` backs every hole in the range with zero-filled storage and
  // grows the file to the end of the range. `allocate_keep_size` does the
  // same without changing the size. `punch_hole` makes the range a hole
  // that reads as zeros, keeping the size. The caller has checked the range
  // and the file's type. The default, `eopnotsupp`, means the file system
  // does not support the mode.
  enum class AllocateMode { allocate, allocate_keep_size, punch_hole };
  virtual Result<void> allocate(uint64_t offset, uint64_t length, AllocateMode mode);

  // Finds the start of the data or the hole at or after `offset`, for
  // lseek's SEEK_DATA and SEEK_HOLE: `enxio` when `offset` is not below the
  // size, or when no data follows it. The default counts every byte as data,
  // so the only hole is the one at the end of the file.
  enum class Region { data, hole };
  virtual Result<uint64_t> seek_region(uint64_t offset, Region region);

  // Returns the file's whole contents when they are bytes in memory that
  // never change, such as a member of a read-only tar image, so that a
  // private mapping can map them copy-on-write instead of copying them. The
  // default, nullopt, means the contents must be read.
  virtual std::optional<std::span<const std::byte>> immutable_contents();

  // The file's FileSeal bits. The default, `einval`, means the file system
  // keeps no seals, which Linux returns for every file outside tmpfs.
  virtual Result<uint32_t> seals();
  // Adds FileSeal bits: `eperm` once seal_seal is set, `ebusy` for
  // seal_write while a writable shared mapping exists. Default: `einval`.
  virtual Result<void> add_seals(uint32_t seals);

  // Registers a MAP_SHARED mapping that may write the file, even one that
  // mprotect(2) has made read-only, as Linux counts VM_SHARED | VM_MAYWRITE
  // mappings. The mapping keeps the returned handle while it exists, and
  // add_seals(seal_write) fails with `ebusy` until every handle is gone.
  // `eperm` when seal_write or seal_future_write forbids such mappings. The
  // default, nullptr, is for files without seals.
  virtual Result<std::shared_ptr<void>> register_writable_mapping();

  // Directory operations; the default for non-directories is `enotdir`.
  // `name` is one component, never "." or "..", at most name_max bytes; the
  // VFS checks these and the caller's permissions before calling.
  // lookup("..") returns the parent directory (the root returns itself).
  virtual Result<std::shared_ptr<Inode>> lookup(std::string_view name);
  // Creates a regular file, fifo, socket or device node. `eexist` if taken.
  virtual Result<std::shared_ptr<Inode>> create(std::string_view name, FileType type,
                                                uint32_t permissions, uint32_t uid, uint32_t gid,
                                                uint64_t rdev);
  virtual Result<std::shared_ptr<Inode>> make_directory(std::string_view name, uint32_t permissions,
                                                        uint32_t uid, uint32_t gid);
  virtual Result<std::shared_ptr<Inode>> make_symlink(std::string_view name,
                                                      std::string_view target, uint32_t uid,
                                                      uint32_t gid);
  // Adds a hard link to `target`, which must be on the same file system
  // (`exdev`) and not a directory (`eperm`).
  virtual Result<void> link(std::string_view name, const std::shared_ptr<Inode>& target);
  // Removes a non-directory entry (`eisdir` for a directory).
  virtual Result<void> unlink(std::string_view name);
  // Removes an empty directory (`enotempty`, `enotdir`).
  virtual Result<void> remove_directory(std::string_view name);
  // Moves `old_name` in this directory to `new_name` in `new_parent`, which
  // is on the same file system, replacing a compatible existing entry as
  // rename(2) does. `flags` holds RenameFlags.
  virtual Result<void> rename(std::string_view old_name, Inode& new_parent,
                              std::string_view new_name, uint32_t flags);
  // Calls `emit` for each entry from the opaque position `position` on (0 is
  // the start; "." and ".." come first). `emit` receives the entry and the
  // position just after it, and returns false to stop early (for example when
  // the caller's buffer is full).
  using EntrySink = std::function<bool(const DirectoryEntry& entry, uint64_t next_position)>;
  virtual Result<void> read_directory(uint64_t position, const EntrySink& emit);

  // Symlink target; the default for non-symlinks is `einval`.
  virtual Result<std::string> read_link();

  // The open file description that a magic link such as /proc/<pid>/fd/<n>
  // stands for. Path resolution jumps to that description's inode instead
  // of resolving read_link()'s text, which for a pipe ("pipe:[1234]") names
  // no path. The default, nullptr, marks an ordinary symlink.
  virtual Result<std::shared_ptr<fd::File>> magic_link_file();

  // Creates the open file description behind open(2) of this inode with the
  // given O_* flags. The default serves regular files and directories through
  // read()/write()/read_directory(); device inodes override it. The VFS opens
  // fifos itself.
  virtual Result<std::shared_ptr<fd::File>> open(uint32_t flags);

  // The advisory locks (fcntl record locks and flock) on this file, made
  // on first use.
  FileLocks& file_locks();
  // The advisory locks, or nullptr while file_locks() has not made them.
  // Releasing a lock needs no FileLocks where none was ever taken.
  FileLocks* existing_file_locks() const { return file_locks_.load(std::memory_order_acquire); }

 private:
  // Made on the first lock request, because most inodes are never locked.
  // An embedded FileLocks (88 bytes) was larger than the rest of the Inode
  // base, and a file system keeps an inode object for each of its files.
  std::atomic<FileLocks*> file_locks_{nullptr};
};

}  // namespace litebox::fs
