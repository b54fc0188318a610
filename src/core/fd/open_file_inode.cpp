#include "litebox/fd/open_file_inode.hpp"

#include "litebox/fs/file_system.hpp"

namespace litebox::fd {

namespace {

// The file system that every OpenFileInode reports. It is never mounted,
// so nothing reaches its root.
class OpenFileSystem final : public fs::FileSystem {
 public:
  std::shared_ptr<fs::Inode> root() override { return nullptr; }
  uint64_t device() const override { return device_; }
  bool read_only() const override { return false; }
  fs::FileSystemStat stat_file_system() override {
    fs::FileSystemStat status;
    // Linux's ANON_INODE_FS_MAGIC.
    status.type = 0x09041934;
    return status;
  }
  std::string_view type_name() const override { return "anon_inodefs"; }

 private:
  uint64_t device_ = fs::allocate_device_number();
};

}  // namespace

OpenFileInode::OpenFileInode(const std::shared_ptr<File>& file)
    : file_(file),
      status_(file->stat().value_or(fs::Stat{})),
      anonymous_name_(file->anonymous_name()) {}

Result<fs::Stat> OpenFileInode::stat() {
  if (std::shared_ptr<File> file = file_.lock()) {
    return file->stat();
  }
  return status_;
}

Result<std::shared_ptr<File>> OpenFileInode::open(uint32_t flags) {
  std::shared_ptr<File> file = file_.lock();
  if (!file) {
    // NOTE: Linux still reaches the pipe through its inode; here nothing
    // is left to open once the description is closed.
    return fail(Errno::enxio);
  }
  return file->reopen(flags);
}

fs::FileSystem& OpenFileInode::file_system() {
  // NOTE: made on first use and never freed. Every process may make its own
  // copy, which differs only in identity.
  static OpenFileSystem* file_system = new OpenFileSystem();
  return *file_system;
}

}  // namespace litebox::fd
