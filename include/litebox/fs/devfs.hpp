// devfs: the devtmpfs mounted on /dev, with the character devices null,
// zero, full, random, urandom and tty, the host's pseudo-terminal under
// /dev/pts, and the device drivers behind them.
#pragma once

#include <cstdint>
#include <memory>

#include "litebox/fd/file.hpp"
#include "litebox/fs/file_system.hpp"

namespace litebox::fs::devfs {

// A device number from major and minor, with glibc's makedev(3) encoding.
constexpr uint64_t make_device(uint32_t major, uint32_t minor) {
  uint64_t major_bits = major;
  uint64_t minor_bits = minor;
  return ((major_bits & 0x00000fffu) << 8) | ((major_bits & 0xfffff000u) << 32) |
         (minor_bits & 0x000000ffu) | ((minor_bits & 0xffffff00u) << 12);
}

constexpr uint32_t major_of(uint64_t device) {
  return static_cast<uint32_t>(((device >> 8) & 0x00000fffu) | ((device >> 32) & 0xfffff000u));
}

constexpr uint32_t minor_of(uint64_t device) {
  return static_cast<uint32_t>((device & 0x000000ffu) | ((device >> 12) & 0xffffff00u));
}

// Linux numbers the pseudo-terminal /dev/pts/N with major 136 and minor N.
inline constexpr uint32_t pseudo_terminal_major = 136;

constexpr bool is_pseudo_terminal(uint64_t device) {
  return major_of(device) == pseudo_terminal_major;
}

constexpr uint32_t pseudo_terminal_index(uint64_t device) { return minor_of(device); }

// Creates a devtmpfs with the standard character device nodes, and with
// /dev/pts/N for each host pseudo-terminal that a standard stream is.
std::shared_ptr<FileSystem> create();

// Opens the character device driver for the rdev of `inode`, as open(2) of
// a character device node does on any file system. `enxio` when no driver
// has that number.
Result<std::shared_ptr<fd::File>> open_character_device(std::shared_ptr<Inode> inode,
                                                        uint32_t flags);

}  // namespace litebox::fs::devfs
