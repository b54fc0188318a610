// devfs: a devtmpfs instance holding the standard device nodes. As on Linux,
// devtmpfs is a tmpfs, and opening a node reaches the driver through its
// device number.
#include "litebox/fs/devfs.hpp"

#include <string>

#include "litebox/fd/stdio_file.hpp"
#include "litebox/fs/memfs.hpp"
#include "litebox/platform/platform.hpp"
#include "litebox/tty/pseudo_terminal.hpp"

namespace litebox::fs::devfs {

namespace {

struct StandardDevice {
  std::string_view name;
  uint32_t major;
  uint32_t minor;
};

constexpr StandardDevice standard_devices[] = {
    {"null", 1, 3},    {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
    {"urandom", 1, 9}, {"tty", 5, 0},  {"ptmx", 5, 2},
};

constexpr uint32_t device_permissions = 0666;

// The links that udev or systemd add to /dev on Linux, for shells that name
// a descriptor by path.
struct StandardLink {
  std::string_view name;
  std::string_view target;
};

constexpr StandardLink standard_links[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

// Adds /dev/pts, the devpts directory of the sandbox's own
// pseudo-terminals, and in it the node of each host pseudo-terminal that a
// standard stream is, with the host's device number and permissions, as
// devpts shows it. ttyname(3) finds the terminal there. Streams that share
// a terminal share its node.
void add_pseudo_terminals(Inode& root) {
  auto directory = root.make_directory("pts", 0755, 0, 0);
  if (!directory) {
    return;
  }
  // devpts has its own ptmx node, with mode 0000 by default.
  auto multiplexer =
      (*directory)->create("ptmx", FileType::character_device, 0, 0, 0, make_device(5, 2));
  (void)multiplexer;
  tty::set_pseudo_terminal_directory(*directory);
  platform::Stdio& stdio = platform::current().stdio;
  for (platform::StdioStream stream : {platform::StdioStream::input, platform::StdioStream::output,
                                       platform::StdioStream::error}) {
    auto status = stdio.stream_status(stream);
    if (!status || file_type_of(status->mode) != FileType::character_device ||
        !is_pseudo_terminal(status->rdev) || !stdio.isatty(stream)) {
      // TODO: a host terminal that is not a pseudo-terminal (a virtual
      // console, a serial line) gets no node, so ttyname(3) fails for it.
      continue;
    }
    const std::string name = std::to_string(pseudo_terminal_index(status->rdev));
    auto node = (*directory)->lookup(name);
    if (!node) {
      node = (*directory)
                 ->create(name, FileType::character_device, status->mode & 07777, status->uid,
                          status->gid, status->rdev);
    }
    if (node) {
      fd::StdioFile::set_terminal_node(stream, *node);
    }
  }
}

}  // namespace

std::shared_ptr<FileSystem> create() {
  memfs::Options options;
  options.root_permissions = 0755;
  options.type_name = "devtmpfs";
  std::shared_ptr<FileSystem> file_system = memfs::create(options);

  std::shared_ptr<Inode> root = file_system->root();
  for (const StandardDevice& device : standard_devices) {
    // NOTE: Results here are ignored because a fresh directory without a
    // size limit has none of these names; only allocation could fail.
    auto created = root->create(device.name, FileType::character_device, device_permissions, 0, 0,
                                make_device(device.major, device.minor));
    (void)created;
  }
  for (const StandardLink& link : standard_links) {
    auto linked = root->make_symlink(link.name, link.target, 0, 0);
    (void)linked;
  }
  add_pseudo_terminals(*root);
  // POSIX shared memory (shm_open, sem_open) lives in /dev/shm, which is a
  // tmpfs on Linux as this memfs directory is.
  auto shared_memory = root->make_directory("shm", 01777, 0, 0);
  (void)shared_memory;
  return file_system;
}

}  // namespace litebox::fs::devfs
