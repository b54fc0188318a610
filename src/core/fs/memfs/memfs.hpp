// memfs internals: the file system object and one Node class per file type.
//
// Locking: one sync::Mutex per file system, MemoryFileSystem::lock, guards
// every field marked "guarded by lock" in every node of that file system:
// metadata, directory entries and file pages. It is taken by each Inode
// call and released before the call returns; nothing else is called while it
// is held, except the platform clock. Nodes removed under the lock are
// released after it, so no destructor runs inside it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "litebox/fs/memfs.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fs::memfs {

inline constexpr uint64_t page_size = 4096;
// The largest regular file kept in a heap block instead of pages. Up to half
// a page, a heap block is smaller than the page it replaces.
inline constexpr uint64_t inline_data_limit = page_size / 2;

class Directory;

class MemoryFileSystem final : public FileSystem {
 public:
  explicit MemoryFileSystem(const Options& options);

  std::shared_ptr<Inode> root() override;
  uint64_t device() const override { return device_; }
  bool read_only() const override { return false; }
  FileSystemStat stat_file_system() override;
  std::string_view type_name() const override { return options_.type_name; }

  // Sets the root directory, which create() builds after this object exists.
  void set_root(const std::shared_ptr<Directory>& root) { root_ = root; }

  uint64_t allocate_inode_number() { return next_inode_number_.fetch_add(1); }

  // Accounts for `count` new pages; `enospc` past Options::max_pages.
  Result<void> reserve_pages(uint64_t count);
  void release_pages(uint64_t count);

  sync::Mutex lock;

 private:
  Options options_;
  uint64_t device_;
  // Weak, because the root keeps the file system alive and create() returns
  // a handle that owns the root.
  std::weak_ptr<Directory> root_;
  std::atomic<uint64_t> next_inode_number_{1};
  std::atomic<uint64_t> used_pages_{0};
};

// Fields common to every node.
class Node : public Inode {
 public:
  Node(std::shared_ptr<MemoryFileSystem> file_system, FileType type, uint32_t permissions,
       uint32_t uid, uint32_t gid);

  FileSystem& file_system() override { return *file_system_; }
  MemoryFileSystem& memory_file_system() { return *file_system_; }
  Result<Stat> stat() override;
  Result<void> change_attributes(const AttributeChange& change) override;

  FileType type() const { return type_; }
  bool is_directory() const { return type_ == FileType::directory; }

  // The calls below expect the file-system lock held.
  Stat stat_locked() const;
  // Sets the change time, and the modification time with it when
  // `modified` is set, to now.
  void touch_locked(bool modified);
  // Updates the access time as mount option relatime does: only when it is
  // not newer than the modification or change time, or a day old.
  void touch_access_locked();
  virtual int64_t size_locked() const { return 0; }
  virtual int64_t blocks_locked() const { return 0; }
  virtual Result<void> resize_locked(int64_t size);
  // Checks `change` against what the node forbids (file seals); `eperm`.
  virtual Result<void> check_attribute_change_locked(const AttributeChange&) { return {}; }

  // Guarded by lock.
  uint32_t permissions;
  uint32_t uid;
  uint32_t gid;
  uint32_t link_count = 1;
  uint64_t rdev = 0;
  Timespec access_time;
  Timespec modify_time;
  Timespec change_time;

 protected:
  std::shared_ptr<MemoryFileSystem> file_system_;

 private:
  const FileType type_;
  const uint64_t inode_number_;
};

class RegularFile final : public Node {
 public:
  // A new file carries `seals`; seal_seal (the default) keeps it from
  // getting others, as every tmpfs file that memfd_create(2) did not make.
  RegularFile(std::shared_ptr<MemoryFileSystem> file_system, uint32_t permissions, uint32_t uid,
              uint32_t gid, uint32_t seals = seal_seal);
  ~RegularFile() override;

  Result<size_t> read(uint64_t offset, std::span<std::byte> buffer) override;
  Result<size_t> write(uint64_t offset, std::span<const std::byte> data) override;

  Result<mm::PageRuns> share_pages(uint64_t offset, uint64_t length) override;
  Result<void> allocate(uint64_t offset, uint64_t length, AllocateMode mode) override;
  Result<uint64_t> seek_region(uint64_t offset, Region region) override;

  Result<uint32_t> seals() override;
  Result<void> add_seals(uint32_t seals) override;
  Result<std::shared_ptr<void>> register_writable_mapping() override;

  int64_t size_locked() const override { return size_; }
  int64_t blocks_locked() const override;
  Result<void> resize_locked(int64_t size) override;
  Result<void> check_attribute_change_locked(const AttributeChange& change) override;

 private:
  // The number of bytes of a write of `count` bytes at `offset` that the
  // seals allow: `eperm` if none.
  Result<size_t> sealed_write_length_locked(uint64_t offset, size_t count) const;

  // Returns the page at page index `index`, or null for a hole.
  std::byte* find_page_locked(uint64_t index) const;

  // Adds `count` zero-filled pages from page index `first_page` on, which
  // must all be holes. `enospc` past the size limit or without memory.
  Result<void> add_pages_locked(uint64_t first_page, uint64_t count);

  // Adds zero-filled pages for every hole among the pages [first_page,
  // end_page). `enospc` past the size limit or without memory.
  Result<void> fill_holes_locked(uint64_t first_page, uint64_t end_page);

  // Splits the run that contains page index `index`, if any, so that a run
  // starts there.
  void split_run_at_locked(uint64_t index);

  // Removes the pages [first_page, end_page), which become holes, and
  // returns them to the file system.
  void remove_pages_locked(uint64_t first_page, uint64_t end_page);

  // Zeroes the bytes [offset, end) of the file and returns the whole pages
  // among them to the file system, which makes them holes.
  void punch_hole_locked(uint64_t offset, uint64_t end);

  // Writes `data` at `offset` into the inline data, which grows to hold it.
  // The caller checks that the file may stay inline. `enospc` past the size
  // limit or without memory.
  Result<void> write_inline_locked(uint64_t offset, std::span<const std::byte> data);

  // Sets the inline data's length to `size` (at most inline_data_limit),
  // zero-filling any growth. A size of 0 frees the inline data.
  Result<void> resize_inline_locked(uint64_t size);

  // Moves inline data, if there is any, to page 0, which makes the file
  // page-backed. `enospc` without memory.
  Result<void> move_inline_data_to_pages_locked();

  // Guarded by lock. The contents take one of two forms. A file whose data
  // was never mapped and never passed inline_data_limit bytes keeps it in
  // `inline_data_`, one kernel heap block of at least size_ bytes. A page of
  // its own would cost a 92-byte file 4 KiB and two more objects.
  // share_pages (a mapping), fallocate, or growth past the limit move the
  // data to page_runs_, and the file stays page-backed until a truncation
  // frees every page. page_runs_ maps the index of a run's first page to a
  // run of consecutive pages of shared memory, so that MAP_SHARED mappings
  // alias the file's own pages. One entry covers a whole run, so a mapping
  // of a large sparse file costs a few entries, not one per page. Pages are
  // allocated on first write or share_pages. A missing page is a hole and
  // reads as zeros. share_pages also creates pages past the end of the
  // file, which stay until a truncation below them.
  //
  // Invariants: runs do not overlap, and each run's length is a multiple of
  // page_size. inline_data_ is null or page_runs_ is empty. inline_data_ has
  // room for inline_capacity_ bytes, and those from size_ on are zero. An inline
  // file counts one page against the file system's limit, so statfs and
  // st_blocks read as they do for a page-backed file.
  std::map<uint64_t, mm::PageRun> page_runs_;
  // The pages in page_runs_, for st_blocks.
  uint64_t page_count_ = 0;
  std::unique_ptr<std::byte[]> inline_data_;
  int64_t size_ = 0;
  // Next to seals_, so the two share eight bytes and a RegularFile with its
  // shared_ptr control block fits a 256-byte kernel heap block (248 bytes
  // with GCC 12 on x86-64).
  uint32_t inline_capacity_ = 0;
  uint32_t seals_;  // FileSeal bits
  // The handle that register_writable_mapping() hands to every writable
  // shared mapping; expired when there is none.
  std::weak_ptr<void> writable_mappings_;
};

class Directory final : public Node {
 public:
  Directory(std::shared_ptr<MemoryFileSystem> file_system, uint32_t permissions, uint32_t uid,
            uint32_t gid);

  Result<std::shared_ptr<Inode>> lookup(std::string_view name) override;
  Result<std::shared_ptr<Inode>> create(std::string_view name, FileType type, uint32_t permissions,
                                        uint32_t uid, uint32_t gid,
                                        uint64_t device_number) override;
  Result<std::shared_ptr<Inode>> make_directory(std::string_view name, uint32_t permissions,
                                                uint32_t uid, uint32_t gid) override;
  Result<std::shared_ptr<Inode>> make_symlink(std::string_view name, std::string_view target,
                                              uint32_t uid, uint32_t gid) override;
  Result<void> link(std::string_view name, const std::shared_ptr<Inode>& target) override;
  Result<void> unlink(std::string_view name) override;
  Result<void> remove_directory(std::string_view name) override;
  Result<void> rename(std::string_view old_name, Inode& new_parent, std::string_view new_name,
                      uint32_t flags) override;
  Result<void> read_directory(uint64_t position, const EntrySink& emit) override;

  int64_t size_locked() const override;

  // Guarded by lock. The parent is weak because the parent owns its
  // entries; the root's parent is itself.
  std::weak_ptr<Directory> parent;

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<Node> node;
  };

  // Positions 0 and 1 are "." and ".."; entries start at 2. Each new entry
  // takes a position below all earlier ones, so a directory lists its
  // newest entry first, as tmpfs does on Linux 6.18. A position is never
  // reused, so a directory stream keeps its place across unlinks, and an
  // entry made during a listing sorts before the stream's place. Positions
  // stay below 2^48 because the overlay tags them in their top bits.
  static constexpr uint64_t first_entry_position = 2;
  static constexpr uint64_t last_entry_position = uint64_t{1} << 48;

  std::shared_ptr<Node> find_locked(std::string_view name) const;
  void insert_locked(std::string_view name, std::shared_ptr<Node> node);
  std::shared_ptr<Node> erase_locked(std::string_view name);
  // Checks that a new entry `name` may be added: `enoent` once this
  // directory is removed, `eexist` if the name is taken.
  Result<void> check_new_entry_locked(std::string_view name) const;
  Result<void> add_locked(std::string_view name, std::shared_ptr<Node> node);

  // Guarded by lock.
  std::map<uint64_t, Entry> entries_;
  std::map<std::string, uint64_t, std::less<>> positions_;
  uint64_t next_position_ = last_entry_position;
};

class Symlink final : public Node {
 public:
  Symlink(std::shared_ptr<MemoryFileSystem> file_system, std::string_view target, uint32_t uid,
          uint32_t gid);

  Result<std::string> read_link() override;
  int64_t size_locked() const override { return static_cast<int64_t>(target_.size()); }
  int64_t blocks_locked() const override {
    return tmpfs_accounting::symlink_blocks(target_.size());
  }

 private:
  const std::string target_;
};

// A fifo, socket or device node: only metadata. Opening a character device
// goes to the device driver that its rdev names.
class SpecialNode final : public Node {
 public:
  SpecialNode(std::shared_ptr<MemoryFileSystem> file_system, FileType type, uint32_t permissions,
              uint32_t uid, uint32_t gid, uint64_t device_number);

  Result<std::shared_ptr<fd::File>> open(uint32_t flags) override;
};

}  // namespace litebox::fs::memfs
