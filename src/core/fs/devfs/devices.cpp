// Character device drivers: null, zero, full, random, urandom, /dev/tty,
// /dev/ptmx, the sandbox's pseudo-terminals and the host's, found by device
// number as Linux's character device table does.
#include <cstring>

#include "litebox/fd/stdio_file.hpp"
#include "litebox/fs/devfs.hpp"
#include "litebox/platform/platform.hpp"
#include "litebox/tty/pseudo_terminal.hpp"

namespace litebox::fs::devfs {

namespace {

// Major 1 is Linux's "memory devices" group; 5:0 is /dev/tty and 5:2
// /dev/ptmx.
constexpr uint32_t memory_major = 1;
constexpr uint32_t tty_major = 5;
constexpr uint32_t tty_minor = 0;
constexpr uint32_t ptmx_minor = 2;
constexpr uint32_t null_minor = 3;
constexpr uint32_t zero_minor = 5;
constexpr uint32_t full_minor = 7;
constexpr uint32_t random_minor = 8;
constexpr uint32_t urandom_minor = 9;

enum class Device { null, zero, full, random };

// The open file description of a memory device. Reads and writes ignore the
// offset, so pread and pwrite behave like read and write, and lseek always
// returns 0 as on Linux.
class DeviceFile final : public fd::File {
 public:
  DeviceFile(std::shared_ptr<Inode> inode, Device device, uint32_t flags)
      : File(flags), inode_(std::move(inode)), device_(device) {}

  Result<size_t> read(std::span<std::byte> buffer) override {
    if (!fd::readable(flags())) {
      return fail(Errno::ebadf);
    }
    switch (device_) {
      case Device::null:
        return size_t{0};
      case Device::zero:
      case Device::full:
        std::memset(buffer.data(), 0, buffer.size());
        return buffer.size();
      case Device::random:
        platform::current().random.fill(buffer);
        return buffer.size();
    }
    return fail(Errno::einval);
  }

  Result<size_t> write(std::span<const std::byte> data) override {
    if (!fd::writable(flags())) {
      return fail(Errno::ebadf);
    }
    if (device_ == Device::full) {
      return fail(Errno::enospc);
    }
    // NOTE: Writes to random and urandom are accepted and discarded; the
    // platform generator takes no entropy input.
    return data.size();
  }

  Result<size_t> pread(uint64_t, std::span<std::byte> buffer) override { return read(buffer); }
  Result<size_t> pwrite(uint64_t, std::span<const std::byte> data) override { return write(data); }
  Result<uint64_t> seek(int64_t, fd::SeekOrigin) override { return uint64_t{0}; }
  Result<Stat> stat() override { return inode_->stat(); }
  std::shared_ptr<Inode> inode() override { return inode_; }

 private:
  std::shared_ptr<Inode> inode_;
  const Device device_;
};

}  // namespace

Result<std::shared_ptr<fd::File>> open_character_device(std::shared_ptr<Inode> inode,
                                                        uint32_t flags) {
  Stat status = TRY(inode->stat());
  if (major_of(status.rdev) == tty_major && minor_of(status.rdev) == tty_minor) {
    // /dev/tty is the caller's controlling terminal: one of the sandbox's
    // pseudo-terminals, else the host terminal.
    tty::SessionHooks* hooks = tty::session_hooks();
    if (auto terminal = hooks != nullptr ? hooks->controlling_terminal() : nullptr) {
      return TRY(tty::open_replica(terminal, std::move(inode), flags));
    }
    return fd::StdioFile::open_terminal(flags, std::move(inode));
  }
  if (major_of(status.rdev) == tty_major && minor_of(status.rdev) == ptmx_minor) {
    return tty::open_primary(std::move(inode), flags);
  }
  if (is_pseudo_terminal(status.rdev)) {
    if (auto terminal = tty::find_pseudo_terminal(pseudo_terminal_index(status.rdev))) {
      return TRY(tty::open_replica(terminal, std::move(inode), flags));
    }
    return fd::StdioFile::open_terminal_node(flags, std::move(inode));
  }
  if (major_of(status.rdev) != memory_major) {
    // TODO: /dev/console and other terminals have no driver.
    return fail(Errno::enxio);
  }

  Device device;
  switch (minor_of(status.rdev)) {
    case null_minor:
      device = Device::null;
      break;
    case zero_minor:
      device = Device::zero;
      break;
    case full_minor:
      device = Device::full;
      break;
    case random_minor:
    case urandom_minor:
      device = Device::random;
      break;
    default:
      return fail(Errno::enxio);
  }
  return std::make_shared<DeviceFile>(std::move(inode), device, flags);
}

}  // namespace litebox::fs::devfs
