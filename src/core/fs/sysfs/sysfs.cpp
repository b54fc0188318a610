#include "litebox/fs/sysfs.hpp"

#include <algorithm>
#include <cstring>

#include "litebox/fd/open_flags.hpp"
#include "litebox/platform/platform.hpp"

namespace litebox::fs::sysfs {

namespace {

// Linux's sysfs reports one page as the size of every attribute file,
// whatever a read returns.
constexpr int64_t attribute_file_size = 4096;

// One file or directory of the tree. The tree never changes after
// creation, so nodes need no lock.
struct Node {
  std::string name;
  size_t parent = 0;
  bool directory = false;
  std::string contents;
  // Indices of the children in creation order, which is the listing order.
  std::vector<size_t> children;
};

class SysFileSystem final : public FileSystem, public std::enable_shared_from_this<SysFileSystem> {
 public:
  explicit SysFileSystem(Tree tree)
      : type_name_(std::move(tree.type_name)),
        magic_(tree.magic),
        device_(allocate_device_number()),
        created_(platform::current().clock.realtime_now()) {
    nodes_.push_back(
        Node{.name = "", .parent = 0, .directory = true, .contents = {}, .children = {}});
    for (const std::string& directory : tree.directories) {
      (void)add_path(directory, true);
    }
    for (File& file : tree.files) {
      nodes_[add_path(file.path, false)].contents = std::move(file.contents);
    }
  }

  std::shared_ptr<Inode> root() override { return inode(0); }
  uint64_t device() const override { return device_; }
  bool read_only() const override { return false; }
  FileSystemStat stat_file_system() override {
    FileSystemStat status;
    status.type = magic_;
    return status;
  }
  std::string_view type_name() const override { return type_name_; }

  std::shared_ptr<Inode> inode(size_t index);
  const Node& node(size_t index) const { return nodes_[index]; }
  const platform::Timespec& created() const { return created_; }

  // The child of directory `parent` named `name`, if there is one.
  std::optional<size_t> child(size_t parent, std::string_view name) const {
    for (size_t index : nodes_[parent].children) {
      if (nodes_[index].name == name) {
        return index;
      }
    }
    return std::nullopt;
  }

 private:
  // Adds the node at `path` and the directories above it that are missing,
  // and returns its index. An existing node at `path` is returned as it is.
  size_t add_path(std::string_view path, bool directory) {
    size_t parent = 0;
    while (!path.empty()) {
      const size_t slash = path.find('/');
      const std::string_view name = path.substr(0, slash);
      path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
      const bool last = path.empty();
      std::optional<size_t> existing = child(parent, name);
      if (existing) {
        parent = *existing;
        continue;
      }
      nodes_.push_back(Node{.name = std::string(name),
                            .parent = parent,
                            .directory = !last || directory,
                            .contents = {},
                            .children = {}});
      nodes_[parent].children.push_back(nodes_.size() - 1);
      parent = nodes_.size() - 1;
    }
    return parent;
  }

  std::string type_name_;
  uint64_t magic_;
  uint64_t device_;
  platform::Timespec created_;
  std::vector<Node> nodes_;
};

class SysInode final : public Inode {
 public:
  SysInode(std::shared_ptr<SysFileSystem> file_system, size_t index)
      : file_system_(std::move(file_system)), index_(index) {}

  FileSystem& file_system() override { return *file_system_; }

  Result<Stat> stat() override {
    Stat status;
    status.device = file_system_->device();
    // Inode 1 is the root, as on Linux's kernfs.
    status.inode = index_ + 1;
    if (node().directory) {
      // As on Linux, the root of sysfs and of cgroup2 is read-only even for
      // its owner.
      status.mode = mode_of(FileType::directory, index_ == 0 ? 0555 : 0755);
      const auto subdirectories = std::ranges::count_if(
          node().children, [&](size_t index) { return file_system_->node(index).directory; });
      status.link_count = 2 + static_cast<uint32_t>(subdirectories);
      status.size = 0;
    } else {
      status.mode = mode_of(FileType::regular, 0444);
      status.link_count = 1;
      status.size = attribute_file_size;
    }
    status.access_time = status.modify_time = status.change_time = file_system_->created();
    return status;
  }

  // NOTE: Linux lets root change the mode, owner and times of sysfs
  // entries; this tree keeps its attributes fixed.
  Result<void> change_attributes(const AttributeChange&) override { return fail(Errno::eperm); }

  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override {
    if (node().directory) {
      return fail(Errno::eisdir);
    }
    const std::string& contents = node().contents;
    if (offset >= contents.size()) {
      return 0;
    }
    const size_t count = std::min(buffer.size(), contents.size() - static_cast<size_t>(offset));
    std::memcpy(buffer.data(), contents.data() + offset, count);
    return count;
  }

  Result<std::shared_ptr<fd::File>> open(uint32_t flags) override {
    // Linux's sysfs rejects a writable open of a file without a store
    // method with EACCES, even for root.
    if (!node().directory && fd::writable(flags)) {
      return fail(Errno::eacces);
    }
    return Inode::open(flags);
  }

  Result<std::shared_ptr<Inode>> lookup(std::string_view name) override {
    TRY_VOID(require_directory());
    if (name == ".") {
      return shared_from_this();
    }
    if (name == "..") {
      return file_system_->inode(node().parent);
    }
    std::optional<size_t> found = file_system_->child(index_, name);
    if (!found) {
      return fail(Errno::enoent);
    }
    return file_system_->inode(*found);
  }

  Result<void> read_directory(uint64_t position, const EntrySink& emit) override {
    TRY_VOID(require_directory());
    std::vector<DirectoryEntry> listing = {{".", index_ + 1, FileType::directory},
                                           {"..", node().parent + 1, FileType::directory}};
    for (size_t index : node().children) {
      const Node& child = file_system_->node(index);
      listing.push_back(
          {child.name, index + 1, child.directory ? FileType::directory : FileType::regular});
    }
    for (uint64_t entry = position; entry < listing.size(); ++entry) {
      if (!emit(listing[entry], entry + 1)) {
        break;
      }
    }
    return {};
  }

  // Linux's VFS returns EACCES when a directory has no create operation
  // and EPERM when it has no mkdir, mknod, symlink, link, unlink, rmdir or
  // rename operation; an existing name fails with EEXIST or ENOENT first.
  Result<std::shared_ptr<Inode>> create(std::string_view name, FileType, uint32_t, uint32_t,
                                        uint32_t, uint64_t) override {
    TRY_VOID(require_missing(name));
    return fail(Errno::eacces);
  }
  Result<std::shared_ptr<Inode>> make_directory(std::string_view name, uint32_t, uint32_t,
                                                uint32_t) override {
    TRY_VOID(require_missing(name));
    return fail(Errno::eperm);
  }
  Result<std::shared_ptr<Inode>> make_symlink(std::string_view name, std::string_view, uint32_t,
                                              uint32_t) override {
    TRY_VOID(require_missing(name));
    return fail(Errno::eperm);
  }
  Result<void> link(std::string_view name, const std::shared_ptr<Inode>&) override {
    TRY_VOID(require_missing(name));
    return fail(Errno::eperm);
  }
  Result<void> unlink(std::string_view name) override {
    TRY_VOID(require_present(name));
    return fail(Errno::eperm);
  }
  Result<void> remove_directory(std::string_view name) override {
    TRY_VOID(require_present(name));
    return fail(Errno::eperm);
  }
  Result<void> rename(std::string_view old_name, Inode&, std::string_view, uint32_t) override {
    TRY_VOID(require_present(old_name));
    return fail(Errno::eperm);
  }

 private:
  const Node& node() const { return file_system_->node(index_); }

  Result<void> require_directory() const {
    if (!node().directory) {
      return fail(Errno::enotdir);
    }
    return {};
  }

  Result<void> require_missing(std::string_view name) const {
    TRY_VOID(require_directory());
    if (file_system_->child(index_, name)) {
      return fail(Errno::eexist);
    }
    return {};
  }

  Result<void> require_present(std::string_view name) const {
    TRY_VOID(require_directory());
    if (!file_system_->child(index_, name)) {
      return fail(Errno::enoent);
    }
    return {};
  }

  std::shared_ptr<SysFileSystem> file_system_;
  size_t index_;
};

std::shared_ptr<Inode> SysFileSystem::inode(size_t index) {
  return std::make_shared<SysInode>(shared_from_this(), index);
}

}  // namespace

std::shared_ptr<FileSystem> create(Tree tree) {
  return std::make_shared<SysFileSystem>(std::move(tree));
}

}  // namespace litebox::fs::sysfs
