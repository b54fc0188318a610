// File system calls: descriptors, reads and writes, open and stat. The first
// set serves the standard streams and the sandbox files a static program
// needs, and the rest of the family builds on it.
#include <algorithm>
#include <cstring>

#include "litebox/fd/stdio_file.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

// The maximum byte count of one read or write, as Linux caps it (MAX_RW_COUNT).
constexpr uint64_t max_transfer = 0x7fff'f000;

// Bounce-buffer size for copies between files and guest memory.
constexpr size_t chunk_size = 64 * 1024;

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

Result<std::shared_ptr<fd::File>> file_of(Task& task, int32_t descriptor) {
  return task.process().descriptors().get(descriptor);
}

// Reads from `file` into guest memory at `address`, through a bounce buffer.
Result<uint64_t> read_into_guest(fd::File& file, uint64_t address, uint64_t length,
                                 std::optional<uint64_t> offset) {
  length = std::min(length, max_transfer);
  std::vector<std::byte> buffer(std::min<uint64_t>(length, chunk_size));
  uint64_t total = 0;
  while (total < length) {
    std::span<std::byte> chunk(buffer.data(), std::min<uint64_t>(buffer.size(), length - total));
    auto count = offset ? file.pread(*offset + total, chunk) : file.read(chunk);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    TRY_VOID(copy_to_guest(address + total, chunk.first(*count)));
    total += *count;
    // A short read means no more data is ready; do not block for more.
    if (*count < chunk.size()) {
      break;
    }
  }
  return total;
}

// Writes guest memory at `address` to `file`, through a bounce buffer.
Result<uint64_t> write_from_guest(fd::File& file, uint64_t address, uint64_t length,
                                  std::optional<uint64_t> offset) {
  length = std::min(length, max_transfer);
  std::vector<std::byte> buffer(std::min<uint64_t>(length, chunk_size));
  uint64_t total = 0;
  while (total < length) {
    std::span<std::byte> chunk(buffer.data(), std::min<uint64_t>(buffer.size(), length - total));
    if (auto copied = copy_from_guest(chunk, address + total); !copied) {
      if (total != 0) {
        break;
      }
      return fail(copied.error());
    }
    auto count = offset ? file.pwrite(*offset + total, chunk) : file.write(chunk);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    total += *count;
    if (*count < chunk.size()) {
      break;
    }
  }
  return total;
}

Result<uint64_t> sys_read(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return read_into_guest(*file, arguments[1], arguments[2], std::nullopt);
}

Result<uint64_t> sys_write(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return write_from_guest(*file, arguments[1], arguments[2], std::nullopt);
}

Result<uint64_t> sys_pread64(Task& task, const SyscallArguments& arguments) {
  const auto offset = static_cast<int64_t>(arguments[3]);
  if (offset < 0) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return read_into_guest(*file, arguments[1], arguments[2], static_cast<uint64_t>(offset));
}

Result<uint64_t> sys_pwrite64(Task& task, const SyscallArguments& arguments) {
  const auto offset = static_cast<int64_t>(arguments[3]);
  if (offset < 0) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  return write_from_guest(*file, arguments[1], arguments[2], static_cast<uint64_t>(offset));
}

Result<uint64_t> sys_readv(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  auto vectors = TRY(read_guest_iovecs(arguments[1], arguments[2]));

  uint64_t total = 0;
  for (const GuestIovec& vector : vectors) {
    auto count = read_into_guest(*file, vector.base, vector.length, std::nullopt);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    total += *count;
    if (*count < vector.length) {
      break;
    }
  }
  return total;
}

Result<uint64_t> sys_writev(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  if (!fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  auto vectors = TRY(read_guest_iovecs(arguments[1], arguments[2]));

  uint64_t total = 0;
  for (const GuestIovec& vector : vectors) {
    auto count = write_from_guest(*file, vector.base, vector.length, std::nullopt);
    if (!count) {
      if (total != 0) {
        break;
      }
      return fail(count.error());
    }
    total += *count;
    if (*count < vector.length) {
      break;
    }
  }
  return total;
}

Result<uint64_t> sys_close(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(task.process().descriptors().close(arguments.as_int(0)));
  return 0;
}

Result<uint64_t> sys_fstat(Task& task, const SyscallArguments& arguments) {
  auto file = TRY(file_of(task, arguments.as_int(0)));
  fs::Stat status = TRY(file->stat());
  TRY_VOID(GuestPtr<LinuxStat>(arguments[1]).write(to_linux_stat(status)));
  return 0;
}

Result<uint64_t> sys_lseek(Task& task, const SyscallArguments& arguments) {
  const uint32_t whence = arguments.as_uint(2);
  if (whence > static_cast<uint32_t>(fd::SeekOrigin::hole)) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, arguments.as_int(0)));
  return file->seek(static_cast<int64_t>(arguments[1]), static_cast<fd::SeekOrigin>(whence));
}

Result<uint64_t> sys_ioctl(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t tcgets = 0x5401;
  constexpr uint32_t tiocgwinsz = 0x5413;
  constexpr uint32_t tiocgpgrp = 0x540f;

  auto file = TRY(file_of(task, arguments.as_int(0)));
  const uint32_t request = arguments.as_uint(1);

  auto* stdio = dynamic_cast<fd::StdioFile*>(file.get());
  if (stdio != nullptr && stdio->is_terminal()) {
    switch (request) {
      case tcgets: {
        // struct termios with the settings of a cooked terminal (stty sane).
        struct Termios {
          uint32_t input_flags, output_flags, control_flags, local_flags;
          uint8_t line;
          uint8_t control_characters[19];
        } termios{};
        termios.input_flags = 0x0500;    // ICRNL | IXON
        termios.output_flags = 0x0005;   // OPOST | ONLCR
        termios.control_flags = 0x00bf;  // B38400 | CS8 | CREAD
        termios.local_flags = 0x8a3b;    // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
        TRY_VOID(GuestPtr<Termios>(arguments[2]).write(termios));
        return 0;
      }
      case tiocgwinsz: {
        // TODO: ask the platform for the host terminal's size.
        struct WindowSize {
          uint16_t rows, columns, x_pixels, y_pixels;
        } size{24, 80, 0, 0};
        TRY_VOID(GuestPtr<WindowSize>(arguments[2]).write(size));
        return 0;
      }
      case tiocgpgrp:
        TRY_VOID(GuestPtr<int32_t>(arguments[2]).write(task.process().process_group));
        return 0;
      default:
        break;
    }
  }
  return file->ioctl(request, arguments[2]);
}

Result<uint64_t> sys_dup(Task& task, const SyscallArguments& arguments) {
  return static_cast<uint64_t>(TRY(task.process().descriptors().dup(arguments.as_int(0))));
}

Result<uint64_t> sys_dup2(Task& task, const SyscallArguments& arguments) {
  return static_cast<uint64_t>(
      TRY(task.process().descriptors().dup2(arguments.as_int(0), arguments.as_int(1))));
}

Result<uint64_t> sys_dup3(Task& task, const SyscallArguments& arguments) {
  return static_cast<uint64_t>(TRY(task.process().descriptors().dup3(
      arguments.as_int(0), arguments.as_int(1), arguments.as_uint(2))));
}

Result<uint64_t> sys_fcntl(Task& task, const SyscallArguments& arguments) {
  constexpr int32_t f_dupfd = 0;
  constexpr int32_t f_getfd = 1;
  constexpr int32_t f_setfd = 2;
  constexpr int32_t f_getfl = 3;
  constexpr int32_t f_setfl = 4;
  constexpr int32_t f_dupfd_cloexec = 1030;
  constexpr uint64_t fd_cloexec = 1;

  fd::DescriptorTable& descriptors = task.process().descriptors();
  const int32_t descriptor = arguments.as_int(0);
  switch (arguments.as_int(1)) {
    case f_dupfd:
    case f_dupfd_cloexec:
      return static_cast<uint64_t>(TRY(descriptors.duplicate_from(
          descriptor, arguments.as_int(2), arguments.as_int(1) == f_dupfd_cloexec)));
    case f_getfd:
      return TRY(descriptors.close_on_exec(descriptor)) ? fd_cloexec : 0;
    case f_setfd:
      TRY_VOID(descriptors.set_close_on_exec(descriptor, (arguments[2] & fd_cloexec) != 0));
      return 0;
    case f_getfl: {
      auto file = TRY(descriptors.get(descriptor));
      return file->flags();
    }
    case f_setfl: {
      auto file = TRY(descriptors.get(descriptor));
      file->set_status_flags(arguments.as_uint(2));
      return 0;
    }
    default:
      // TODO: record locks, leases, pipe sizes and seals.
      (void)TRY(descriptors.get(descriptor));
      return fail(Errno::einval);
  }
}

}  // namespace

void register_file_syscalls(SyscallTable& table) {
  table.add(nr::read, sys_read);
  table.add(nr::write, sys_write);
  table.add(nr::pread64, sys_pread64);
  table.add(nr::pwrite64, sys_pwrite64);
  table.add(nr::readv, sys_readv);
  table.add(nr::writev, sys_writev);
  table.add(nr::close, sys_close);
  table.add(nr::fstat, sys_fstat);
  table.add(nr::lseek, sys_lseek);
  table.add(nr::ioctl, sys_ioctl);
  table.add(nr::dup, sys_dup);
  table.add(nr::dup2, sys_dup2);
  table.add(nr::dup3, sys_dup3);
  table.add(nr::fcntl, sys_fcntl);
}

}  // namespace litebox::shim::linux_abi
