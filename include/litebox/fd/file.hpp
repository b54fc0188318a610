// File: an open file description, the object that open(2), pipe(2) and
// socket(2) create and that file descriptors share after dup(2) and fork(2).
// It owns the file offset and the status flags; subclasses supply the
// operations for one kind of file (inode-backed, pipe end, device, socket).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "litebox/fd/open_flags.hpp"
#include "litebox/fs/inode.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::event {
class Pollable;
}

namespace litebox::fs {
class Mount;
class WatchRegistry;
}  // namespace litebox::fs

namespace litebox::fd {

// lseek(2) origins, the Linux SEEK_* values.
enum class SeekOrigin : int { set = 0, current = 1, end = 2, data = 3, hole = 4 };

class File : public std::enable_shared_from_this<File> {
 public:
  explicit File(uint32_t flags) : flags_(flags) {}
  virtual ~File() = default;

  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Status flags (O_APPEND, O_NONBLOCK, ...) and the access mode. Only
  // open_settable_status_flags change after open.
  uint32_t flags() const { return flags_.load(std::memory_order_relaxed); }
  virtual void set_status_flags(uint32_t flags);
  // The access mode and status flags that F_GETFL reports. The default is
  // flags(). A description that mirrors a host one reads the host's.
  virtual uint32_t status_flags() { return flags(); }

  // Reads or writes at the file offset and advances it. Defaults: `einval`.
  virtual Result<size_t> read(std::span<std::byte> buffer);
  virtual Result<size_t> write(std::span<const std::byte> data);

  // Reads or writes at an explicit offset; the file offset is unchanged.
  // Default: `espipe`.
  virtual Result<size_t> pread(uint64_t offset, std::span<std::byte> buffer);
  virtual Result<size_t> pwrite(uint64_t offset, std::span<const std::byte> data);

  // Writes as pwrite() at `offset`, or as write() when `offset` is empty,
  // but grows a regular file to at most `size_limit` bytes (RLIMIT_FSIZE):
  // a write that would cross the limit is cut short at it, and one that
  // starts at or past it fails with `efbig`, the only cause of `efbig` here.
  // The default, for files that are not regular, ignores the limit, and
  // fs::no_size_limit sets none.
  virtual Result<size_t> write_limited(std::optional<uint64_t> offset,
                                       std::span<const std::byte> data, uint64_t size_limit);

  // Moves the file offset and returns the new one. Default: `espipe`.
  virtual Result<uint64_t> seek(int64_t offset, SeekOrigin origin);

  virtual Result<fs::Stat> stat() = 0;

  // The inode behind this description, or nullptr for pipes and sockets
  // that have none in a file system.
  virtual std::shared_ptr<fs::Inode> inode() { return nullptr; }

  // Directory listing from the file offset, as getdents64 needs it; the
  // offset advances past each entry that `emit` accepts. Default: `enotdir`.
  virtual Result<void> read_directory(const fs::Inode::EntrySink& emit);

  // Sets the file size (ftruncate); growing past `size_limit` fails as
  // AttributeChange::size_limit describes. Default: `einval`.
  virtual Result<void> truncate(int64_t size, uint64_t size_limit);

  // Writes the file's data, and its metadata unless `data_only`, to its
  // storage (fsync(2), fdatasync(2)). The default does nothing, because
  // file data lives in memory.
  virtual Result<void> sync(bool data_only);

  // Readiness as poll(2) event bits (event::pollin, event::pollout, ...).
  // The default, for files that never block, is POLLIN | POLLOUT |
  // POLLRDNORM | POLLWRNORM, as Linux reports for them.
  virtual uint32_t poll_events();

  // The wait queue that reports readiness changes, or nullptr when
  // poll_events() never changes.
  virtual event::Pollable* pollable() { return nullptr; }

  // The mount this description was opened through, so a directory
  // descriptor can start the path walk of an *at(2) call or fchdir(2).
  // Null for pipes and sockets. The opener sets it once, before the
  // description is shared.
  const std::shared_ptr<fs::Mount>& mount() const { return mount_; }
  void set_mount(std::shared_ptr<fs::Mount> mount) { mount_ = std::move(mount); }

  // What readlink(2) of /proc/<pid>/fd/<n> returns when no path reaches
  // this description. Defaults: "pipe:[<st_ino>]" for a fifo,
  // "socket:[<st_ino>]" for a socket and "anon_inode:[unknown]" otherwise;
  // anonymous inodes override it with their Linux name
  // ("anon_inode:[eventfd]").
  virtual std::string anonymous_name();

  // The absolute path this description was opened by, as /proc/<pid>/fd
  // and /proc/<pid>/maps show it; empty for descriptions that no path
  // names (pipe(2), eventfd(2)). The opener sets the path, or a function
  // that finds it, once, before the description is shared. The function
  // runs on first use: finding a path means walking up to the root with a
  // directory scan per level, and most descriptions never show theirs.
  std::string opened_path() const;
  void set_opened_path(std::string path) { opened_path_ = std::move(path); }
  void set_opened_path_finder(std::function<std::string()> find) {
    find_opened_path_ = std::move(find);
  }

  // The destination of inotify events about reads, writes and the last
  // close of this description: the registry of the VFS it was opened in,
  // and the directory entry it was opened through, whose directory's
  // watches get the events too. The opener sets it once, before the
  // description is shared.
  struct WatchOrigin {
    std::shared_ptr<fs::WatchRegistry> registry;
    std::shared_ptr<fs::Inode> directory;  // null when no entry named it
    std::string name;
  };
  const WatchOrigin& watch_origin() const { return watch_origin_; }
  void set_watch_origin(WatchOrigin origin) { watch_origin_ = std::move(origin); }

  // Opens a new open file description of the same file with the O_* `flags`,
  // as open(2) of /proc/<pid>/fd/<n> does for a description that no file
  // system inode backs (see OpenFileInode). The default is `enxio`, what
  // Linux returns for sockets and anonymous inodes (eventfd, epoll, timerfd).
  virtual Result<std::shared_ptr<File>> reopen(uint32_t flags);

  // Device-specific control. Default: `enotty`.
  virtual Result<uint64_t> ioctl(uint32_t request, uint64_t argument);

  // Whether each read returns one whole message and each write sends one
  // (a datagram socket, an inotify instance), so that a transfer must be a
  // single call, never split into chunks. Default: false.
  virtual bool is_message_oriented() const { return false; }

  // Bytes that a read would return at once (FIONREAD). Default: `enotty`.
  virtual Result<size_t> bytes_available();

  // The identity of this description as the owner of OFD and flock locks,
  // unique while the description exists.
  uint64_t lock_owner_id() const {
    // Safety: the address is only compared as a number, never dereferenced.
    return reinterpret_cast<uintptr_t>(this);
  }

  // Whether OFD and flock locks of this description are released when it is
  // freed; only such descriptions may take them.
  virtual bool releases_description_locks() const { return false; }

 private:
  std::atomic<uint32_t> flags_;
  std::shared_ptr<fs::Mount> mount_;
  mutable sync::Mutex opened_path_lock_;
  mutable std::string opened_path_;
  mutable std::function<std::string()> find_opened_path_;
  WatchOrigin watch_origin_;
};

}  // namespace litebox::fd
