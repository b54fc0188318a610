#include "litebox/fs/procfs.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>

#include "litebox/fd/inode_file.hpp"
#include "litebox/fd/open_flags.hpp"
#include "litebox/platform/platform.hpp"

namespace litebox::fs::procfs {

namespace {

// statfs(2) f_type of procfs, Linux's PROC_SUPER_MAGIC.
constexpr uint64_t proc_super_magic = 0x9fa0;

class ProcFileSystem;

// Inode numbers come from the path inside /proc, so the same path reports
// the same number on every lookup.
uint64_t inode_number_of(std::string_view path) { return std::hash<std::string_view>{}(path) | 1; }

// A decimal directory entry name: a pid, a tid or a descriptor number.
std::optional<int32_t> parse_number(std::string_view name) {
  int32_t number = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), number);
  if (error != std::errc{} || end != name.data() + name.size() || number < 0) {
    return std::nullopt;
  }
  return number;
}

std::optional<int32_t> parse_pid(std::string_view name) {
  std::optional<int32_t> pid = parse_number(name);
  if (!pid || *pid == 0) {
    return std::nullopt;
  }
  return pid;
}

// Every procfs inode: a path inside /proc and a way to reach the provider.
class ProcInode : public Inode {
 public:
  ProcInode(std::shared_ptr<ProcFileSystem> file_system, std::string path, FileType type,
            uint32_t permissions)
      : file_system_(std::move(file_system)),
        path_(std::move(path)),
        type_(type),
        permissions_(permissions) {}

  FileSystem& file_system() override;
  Result<Stat> stat() override;
  Result<void> change_attributes(const AttributeChange&) override { return fail(Errno::eperm); }

 protected:
  ProcFileSystem& proc() { return *file_system_; }
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<ProcFileSystem> file_system_;
  std::string path_;
  FileType type_;
  uint32_t permissions_;
};

class ProcFileSystem final : public FileSystem,
                             public std::enable_shared_from_this<ProcFileSystem> {
 public:
  explicit ProcFileSystem(std::shared_ptr<Provider> provider)
      : provider_(std::move(provider)), device_(allocate_device_number()) {}

  std::shared_ptr<Inode> root() override;
  uint64_t device() const override { return device_; }
  bool read_only() const override { return false; }
  FileSystemStat stat_file_system() override {
    FileSystemStat status;
    status.type = proc_super_magic;
    return status;
  }
  std::string_view type_name() const override { return "proc"; }

  Provider& provider() { return *provider_; }

 private:
  std::shared_ptr<Provider> provider_;
  // The root while anything refers to it, so every lookup of the root
  // returns the same inode.
  std::weak_ptr<Inode> root_;
  uint64_t device_;
};

FileSystem& ProcInode::file_system() { return *file_system_; }

Result<Stat> ProcInode::stat() {
  // NOTE: Linux reports size 0 for generated files and the owner of the
  // process for per-process entries; every entry here belongs to root.
  Stat status;
  status.device = file_system_->device();
  status.inode = inode_number_of(path_);
  status.mode = mode_of(type_, permissions_);
  status.link_count = type_ == FileType::directory ? 2 : 1;
  status.block_size = 1024;
  // Entries are made when they are looked up, so their times are now, as
  // Linux shows them for entries it has not cached.
  const platform::Timespec now = platform::current().clock.realtime_now();
  status.access_time = status.modify_time = status.change_time = now;
  return status;
}

// The contents that one open of a generated file reads.
class SnapshotInode final : public ProcInode {
 public:
  SnapshotInode(std::shared_ptr<ProcFileSystem> file_system, std::string path, std::string contents)
      : ProcInode(std::move(file_system), std::move(path), FileType::regular, 0444),
        contents_(std::move(contents)) {}

  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override {
    if (offset >= contents_.size()) {
      return 0;
    }
    size_t count = std::min(buffer.size(), contents_.size() - static_cast<size_t>(offset));
    std::memcpy(buffer.data(), contents_.data() + offset, count);
    return count;
  }

 private:
  std::string contents_;
};

// Computes the contents of a generated file or the target of a generated
// link from the provider.
using Generator = std::function<Result<std::string>(Provider&)>;

// A file whose contents the provider generates at open time.
class GeneratedFile final : public ProcInode {
 public:
  GeneratedFile(std::shared_ptr<ProcFileSystem> file_system, std::string path, Generator generator,
                uint32_t permissions = 0444)
      : ProcInode(std::move(file_system), std::move(path), FileType::regular, permissions),
        generator_(std::move(generator)) {}

  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override {
    std::string contents = TRY(generator_(proc().provider()));
    SnapshotInode snapshot(nullptr, path(), std::move(contents));
    return snapshot.read(offset, buffer);
  }

  Result<std::shared_ptr<fd::File>> open(uint32_t flags) override {
    if (fd::writable(flags)) {
      return fail(Errno::eacces);
    }
    std::string contents = TRY(generator_(proc().provider()));
    auto snapshot = std::make_shared<SnapshotInode>(
        std::static_pointer_cast<ProcFileSystem>(proc().shared_from_this()), path(),
        std::move(contents));
    return std::make_shared<fd::InodeFile>(std::move(snapshot), flags);
  }

 private:
  Generator generator_;
};

// A symlink whose target is computed at each read_link(): /proc/self and
// the per-process links.
class GeneratedLink final : public ProcInode {
 public:
  GeneratedLink(std::shared_ptr<ProcFileSystem> file_system, std::string path, Generator generator)
      : ProcInode(std::move(file_system), std::move(path), FileType::symlink, 0777),
        generator_(std::move(generator)) {}

  Result<std::string> read_link() override { return generator_(proc().provider()); }

 private:
  Generator generator_;
};

// /proc/<pid>/fd/<n>: a magic link to the descriptor's open file
// description, with the owner bits of its access mode as Linux reports
// them (r-x for reading, -wx for writing).
class DescriptorLink final : public ProcInode {
 public:
  DescriptorLink(std::shared_ptr<ProcFileSystem> file_system, std::string path, int32_t pid,
                 int32_t number)
      : ProcInode(std::move(file_system), std::move(path), FileType::symlink, 0),
        pid_(pid),
        number_(number) {}

  Result<Stat> stat() override {
    Stat status = TRY(ProcInode::stat());
    DescriptorView view = TRY(proc().provider().descriptor(pid_, number_));
    uint32_t permissions = 0;
    if (view.readable) {
      permissions |= 0500;
    }
    if (view.writable) {
      permissions |= 0300;
    }
    status.mode = mode_of(FileType::symlink, permissions);
    // Linux 6.x reports 64 for every descriptor link.
    status.size = 64;
    return status;
  }

  Result<std::string> read_link() override {
    DescriptorView view = TRY(proc().provider().descriptor(pid_, number_));
    return view.link;
  }

  Result<std::shared_ptr<fd::File>> magic_link_file() override {
    DescriptorView view = TRY(proc().provider().descriptor(pid_, number_));
    return view.file;
  }

 private:
  int32_t pid_;
  int32_t number_;
};

// A symlink with a fixed target, such as /proc/mounts.
class FixedLink final : public ProcInode {
 public:
  FixedLink(std::shared_ptr<ProcFileSystem> file_system, std::string path, std::string target)
      : ProcInode(std::move(file_system), std::move(path), FileType::symlink, 0777),
        target_(std::move(target)) {}
  Result<std::string> read_link() override { return target_; }

 private:
  std::string target_;
};

// The kind of a ProcDirectory, which decides what it lists.
enum class DirectoryKind {
  system,           // /proc and the fixed subdirectories (/proc/sys, ...)
  process,          // /proc/<pid>
  thread,           // /proc/<pid>/task/<tid>
  tasks,            // /proc/<pid>/task
  descriptors,      // /proc/<pid>/fd
  descriptor_info,  // /proc/<pid>/fdinfo
};

uint32_t directory_permissions(DirectoryKind kind) {
  // As on Linux, only the owner may list a process's descriptors, but
  // anyone may list fdinfo.
  if (kind == DirectoryKind::descriptors) {
    return 0500;
  }
  return 0555;
}

class ProcDirectory final : public ProcInode {
 public:
  ProcDirectory(std::shared_ptr<ProcFileSystem> file_system, std::string path, DirectoryKind kind,
                int32_t pid = 0, int32_t tid = 0)
      : ProcInode(std::move(file_system), std::move(path), FileType::directory,
                  directory_permissions(kind)),
        kind_(kind),
        pid_(pid),
        tid_(tid) {}

  Result<std::shared_ptr<Inode>> lookup(std::string_view name) override {
    if (name == ".") {
      return shared_from_this();
    }
    if (name == "..") {
      return parent();
    }
    for (const DirectoryEntry& entry : TRY(entries())) {
      if (entry.name == name) {
        return make(entry);
      }
    }
    return fail(Errno::enoent);
  }

  // Linux's procfs lookup of a missing name fails outright instead of
  // leaving a place to create an entry, so every creation reports ENOENT.
  Result<std::shared_ptr<Inode>> create(std::string_view, FileType, uint32_t, uint32_t, uint32_t,
                                        uint64_t) override {
    return fail(Errno::enoent);
  }
  Result<std::shared_ptr<Inode>> make_directory(std::string_view, uint32_t, uint32_t,
                                                uint32_t) override {
    return fail(Errno::enoent);
  }
  Result<std::shared_ptr<Inode>> make_symlink(std::string_view, std::string_view, uint32_t,
                                              uint32_t) override {
    return fail(Errno::enoent);
  }

  Result<void> read_directory(uint64_t position, const EntrySink& emit) override {
    std::vector<DirectoryEntry> listing = {
        {".", inode_number_of(path()), FileType::directory},
        {"..", inode_number_of(parent_path()), FileType::directory}};
    for (DirectoryEntry& entry : TRY(entries())) {
      listing.push_back(std::move(entry));
    }
    for (uint64_t index = position; index < listing.size(); ++index) {
      if (!emit(listing[index], index + 1)) {
        break;
      }
    }
    return {};
  }

 private:
  std::string child_path(std::string_view name) const {
    return path().empty() ? std::string(name) : path() + "/" + std::string(name);
  }

  // The parent directory, found again from the root by its path; the root
  // is its own parent.
  Result<std::shared_ptr<Inode>> parent() {
    std::shared_ptr<Inode> inode = proc().root();
    std::string path = parent_path();
    std::string_view rest = path;
    while (!rest.empty()) {
      size_t slash = rest.find('/');
      inode = TRY(inode->lookup(rest.substr(0, slash)));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    return inode;
  }

  std::string parent_path() const {
    size_t slash = path().rfind('/');
    return slash == std::string::npos ? std::string() : path().substr(0, slash);
  }

  DirectoryEntry entry_of(std::string_view name, FileType type) const {
    return {std::string(name), inode_number_of(child_path(name)), type};
  }

  // The entries below this directory now, without "." and "..".
  Result<std::vector<DirectoryEntry>> entries() {
    std::vector<DirectoryEntry> result;
    Provider& provider = proc().provider();
    switch (kind_) {
      case DirectoryKind::process:
      case DirectoryKind::thread:
        for (std::string_view name : process_files) {
          result.push_back(entry_of(name, FileType::regular));
        }
        for (std::string_view name : process_links) {
          result.push_back(entry_of(name, FileType::symlink));
        }
        result.push_back(entry_of("fd", FileType::directory));
        result.push_back(entry_of("fdinfo", FileType::directory));
        if (kind_ == DirectoryKind::process) {
          result.push_back(entry_of("task", FileType::directory));
        }
        return result;
      case DirectoryKind::tasks:
        for (int32_t tid : provider.threads(pid_)) {
          result.push_back(entry_of(std::to_string(tid), FileType::directory));
        }
        return result;
      case DirectoryKind::descriptors:
      case DirectoryKind::descriptor_info: {
        FileType type = kind_ == DirectoryKind::descriptors ? FileType::symlink : FileType::regular;
        for (int32_t number : provider.descriptors(pid_)) {
          result.push_back(entry_of(std::to_string(number), type));
        }
        return result;
      }
      case DirectoryKind::system:
        break;
    }
    return system_entries();
  }

  std::vector<DirectoryEntry> system_entries() {
    std::vector<DirectoryEntry> result;
    // The system files directly in this directory, and the first component
    // of the deeper ones as subdirectories.
    std::string prefix = path().empty() ? std::string() : path() + "/";
    for (std::string_view file : system_files) {
      if (!file.starts_with(prefix)) {
        continue;
      }
      std::string_view rest = file.substr(prefix.size());
      size_t slash = rest.find('/');
      if (slash == std::string_view::npos) {
        result.push_back(entry_of(rest, FileType::regular));
        continue;
      }
      std::string_view directory = rest.substr(0, slash);
      bool listed = std::any_of(result.begin(), result.end(), [&](const DirectoryEntry& entry) {
        return entry.name == directory;
      });
      if (!listed) {
        result.push_back(entry_of(directory, FileType::directory));
      }
    }

    if (path().empty()) {
      result.push_back(entry_of("self", FileType::symlink));
      result.push_back(entry_of("thread-self", FileType::symlink));
      result.push_back(entry_of("mounts", FileType::symlink));
      for (int32_t pid : proc().provider().pids()) {
        result.push_back(entry_of(std::to_string(pid), FileType::directory));
      }
    }
    return result;
  }

  std::shared_ptr<ProcFileSystem> shared_file_system() {
    return std::static_pointer_cast<ProcFileSystem>(proc().shared_from_this());
  }

  std::shared_ptr<Inode> make(const DirectoryEntry& entry) {
    std::string child = child_path(entry.name);
    switch (kind_) {
      case DirectoryKind::process:
      case DirectoryKind::thread:
        return make_process_entry(entry, child);
      case DirectoryKind::tasks:
        return std::make_shared<ProcDirectory>(shared_file_system(), child, DirectoryKind::thread,
                                               pid_, *parse_number(entry.name));
      case DirectoryKind::descriptors:
        return std::make_shared<DescriptorLink>(shared_file_system(), child, pid_,
                                                *parse_number(entry.name));
      case DirectoryKind::descriptor_info: {
        int32_t pid = pid_;
        int32_t number = *parse_number(entry.name);
        return std::make_shared<GeneratedFile>(
            shared_file_system(), child, [pid, number](Provider& provider) -> Result<std::string> {
              DescriptorView view = TRY(provider.descriptor(pid, number));
              return view.info;
            });
      }
      case DirectoryKind::system:
        break;
    }
    return make_system_entry(entry, child);
  }

  std::shared_ptr<Inode> make_process_entry(const DirectoryEntry& entry, const std::string& child) {
    int32_t pid = pid_;
    int32_t tid = tid_;
    std::string name = entry.name;
    if (entry.type == FileType::symlink) {
      return std::make_shared<GeneratedLink>(
          shared_file_system(), child,
          [pid, name](Provider& provider) { return provider.process_link(pid, name); });
    }
    if (entry.name == "fd") {
      return std::make_shared<ProcDirectory>(shared_file_system(), child,
                                             DirectoryKind::descriptors, pid_);
    }
    if (entry.name == "fdinfo") {
      return std::make_shared<ProcDirectory>(shared_file_system(), child,
                                             DirectoryKind::descriptor_info, pid_);
    }
    if (entry.name == "task") {
      return std::make_shared<ProcDirectory>(shared_file_system(), child, DirectoryKind::tasks,
                                             pid_);
    }
    const uint32_t permissions =
        std::ranges::find(owner_only_process_files, name) != std::end(owner_only_process_files)
            ? 0400
            : 0444;
    if (kind_ == DirectoryKind::thread) {
      return std::make_shared<GeneratedFile>(
          shared_file_system(), child,
          [pid, tid, name](Provider& provider) { return provider.thread_file(pid, tid, name); },
          permissions);
    }
    return std::make_shared<GeneratedFile>(
        shared_file_system(), child,
        [pid, name](Provider& provider) { return provider.process_file(pid, name); }, permissions);
  }

  std::shared_ptr<Inode> make_system_entry(const DirectoryEntry& entry, const std::string& child) {
    bool at_root = path().empty();
    if (at_root && entry.name == "self") {
      return std::make_shared<GeneratedLink>(shared_file_system(), child,
                                             [](Provider& provider) -> Result<std::string> {
                                               std::optional<int32_t> pid = provider.current_pid();
                                               if (!pid) {
                                                 return fail(Errno::enoent);
                                               }
                                               return std::to_string(*pid);
                                             });
    }
    if (at_root && entry.name == "thread-self") {
      return std::make_shared<GeneratedLink>(
          shared_file_system(), child, [](Provider& provider) -> Result<std::string> {
            std::optional<int32_t> pid = provider.current_pid();
            std::optional<int32_t> tid = provider.current_tid();
            if (!pid || !tid) {
              return fail(Errno::enoent);
            }
            return std::to_string(*pid) + "/task/" + std::to_string(*tid);
          });
    }
    if (at_root && entry.name == "mounts") {
      return std::make_shared<FixedLink>(shared_file_system(), child, "self/mounts");
    }
    if (entry.type == FileType::directory) {
      std::optional<int32_t> pid = at_root ? parse_pid(entry.name) : std::nullopt;
      if (pid) {
        return std::make_shared<ProcDirectory>(shared_file_system(), child, DirectoryKind::process,
                                               *pid);
      }
      return std::make_shared<ProcDirectory>(shared_file_system(), child, DirectoryKind::system);
    }
    return std::make_shared<GeneratedFile>(
        shared_file_system(), child,
        [child](Provider& provider) { return provider.system_file(child); });
  }

  DirectoryKind kind_;
  int32_t pid_;
  int32_t tid_;
};

std::shared_ptr<Inode> ProcFileSystem::root() {
  // NOTE: not locked. Two first lookups that race may make two root
  // inodes, which differ only in identity.
  std::shared_ptr<Inode> root = root_.lock();
  if (!root) {
    root =
        std::make_shared<ProcDirectory>(shared_from_this(), std::string(), DirectoryKind::system);
    root_ = root;
  }
  return root;
}

}  // namespace

std::shared_ptr<FileSystem> create(std::shared_ptr<Provider> provider) {
  return std::make_shared<ProcFileSystem>(std::move(provider));
}

}  // namespace litebox::fs::procfs
