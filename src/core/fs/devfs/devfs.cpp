// devfs: a devtmpfs instance holding the standard device nodes. As on Linux,
// devtmpfs is a tmpfs, and opening a node reaches the driver through its
// device number.
#include "litebox/fs/devfs.hpp"

#include "litebox/fs/memfs.hpp"

namespace litebox::fs::devfs {

namespace {

struct StandardDevice {
  std::string_view name;
  uint32_t major;
  uint32_t minor;
};

constexpr StandardDevice standard_devices[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

constexpr uint32_t device_permissions = 0666;

}  // namespace

std::shared_ptr<FileSystem> create() {
  memfs::Options options;
  options.root_permissions = 0755;
  options.type_name = "devtmpfs";
  std::shared_ptr<FileSystem> file_system = memfs::create(options);

  std::shared_ptr<Inode> root = file_system->root();
  for (const StandardDevice& device : standard_devices) {
    // NOTE: The result is ignored because a fresh directory without a size
    // limit has none of these names; only allocation could fail here.
    auto created = root->create(device.name, FileType::character_device, device_permissions, 0, 0,
                                make_device(device.major, device.minor));
    (void)created;
  }
  return file_system;
}

}  // namespace litebox::fs::devfs
