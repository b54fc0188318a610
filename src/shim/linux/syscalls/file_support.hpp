// Helpers shared by the file-related system call families: the Linux
// struct layouts they write, the starting directory of *at(2) calls, and
// descriptor lookups.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "litebox/fd/file.hpp"
#include "litebox/fs/vfs.hpp"
#include "litebox/result.hpp"
#include "shim/linux/signal/delivery.hpp"
#include "shim/linux/task.hpp"

namespace litebox::shim::linux_abi {

// The maximum byte count of one read or write, as Linux caps it (MAX_RW_COUNT).
inline constexpr uint64_t max_transfer = 0x7fff'f000;

// A bounce buffer for copies between files and guest memory. It lives in
// the stack frame of the copy, on the calling thread's libOS stack (888 KiB,
// thread_block_layout.h), and is left uninitialized. A block from the shared
// kernel heap would cost more: freeing a block of 64 KiB or more returns its
// pages to the host, so each read or write paid a zero fill and 16 fresh
// shmem pages. Sequential reads of a memfs file ran at a tenth of the native
// rate that way.
struct BounceBuffer {
  static constexpr size_t size = 64 * 1024;

  // Returns the first min(length, size) bytes.
  std::span<std::byte> first(uint64_t length) {
    return {bytes.data(), static_cast<size_t>(std::min<uint64_t>(length, size))};
  }

  alignas(64) std::array<std::byte, size> bytes;
};

// The dirfd value that means "the working directory".
inline constexpr int32_t at_fdcwd = -100;

// AT_EACCESS for faccessat2(2): check with the effective ids.
inline constexpr uint32_t at_effective_access = 0x200;

// O_* bits that only affect open(2) itself and that F_GETFL never reports.
inline constexpr uint32_t open_only_flags = fd::open_create | fd::open_exclusive |
                                            fd::open_no_controlling_tty | fd::open_truncate |
                                            fd::open_close_on_exec;

// struct stat on x86-64.
struct LinuxStat {
  uint64_t st_dev;
  uint64_t st_ino;
  uint64_t st_nlink;
  uint32_t st_mode;
  uint32_t st_uid;
  uint32_t st_gid;
  uint32_t pad0;
  uint64_t st_rdev;
  int64_t st_size;
  int64_t st_blksize;
  int64_t st_blocks;
  int64_t st_atime_sec, st_atime_nsec;
  int64_t st_mtime_sec, st_mtime_nsec;
  int64_t st_ctime_sec, st_ctime_nsec;
  int64_t reserved[3];
};
static_assert(sizeof(LinuxStat) == 144);

LinuxStat to_linux_stat(const fs::Stat& status);

// The RLIMIT_FSIZE soft limit of the calling process: writes and size
// changes do not grow a regular file past it.
uint64_t file_size_limit(Task& task);

// Sends SIGXFSZ to the calling thread when `result` failed with `efbig`, as
// Linux does when a write or a size change passes RLIMIT_FSIZE, and returns
// `result`. Callers pass only results whose `efbig` has that cause.
template <typename T>
Result<T> signal_file_size_limit(Task& task, Result<T> result) {
  if (!result && result.error() == Errno::efbig) {
    send_signal_to_self(task, sig::file_size_exceeded);
  }
  return result;
}

// The descriptor's open file description, or `ebadf`.
Result<std::shared_ptr<fd::File>> file_of(Task& task, int32_t descriptor);

// The place in the mounted tree of a directory descriptor: `ebadf` if it is
// not open, `enotdir` if it is not a directory.
Result<fs::Location> directory_of_descriptor(Task& task, int32_t descriptor);

// The place in the mounted tree of any descriptor opened from the file
// system: `ebadf` if it is not open or has no inode (pipes, sockets).
Result<fs::Location> location_of_descriptor(Task& task, int32_t descriptor);

// The place where `path` starts for an *at(2) call: the root for an
// absolute path (dirfd is then ignored, as on Linux), the working directory
// for at_fdcwd, otherwise the directory descriptor `directory_fd` (any
// descriptor with an inode when `path` is empty).
Result<fs::Location> start_of(Task& task, const fs::PathContext& context, int32_t directory_fd,
                              std::string_view path);

}  // namespace litebox::shim::linux_abi
