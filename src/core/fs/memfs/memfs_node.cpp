// memfs nodes other than directories: common metadata, regular files with
// sparse pages, symlinks, and fifo, socket and device nodes.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "litebox/fs/devfs.hpp"
#include "litebox/platform/platform.hpp"
#include "memfs.hpp"

namespace litebox::fs::memfs {

namespace {

Timespec now() { return platform::current().clock.realtime_now(); }

constexpr int64_t seconds_per_day = 24 * 60 * 60;
constexpr int64_t sectors_per_page = page_size / 512;

}  // namespace

Node::Node(std::shared_ptr<MemoryFileSystem> file_system, FileType type, uint32_t permissions_,
           uint32_t uid_, uint32_t gid_)
    : permissions(permissions_ & mode_permission_mask),
      uid(uid_),
      gid(gid_),
      file_system_(std::move(file_system)),
      type_(type),
      inode_number_(file_system_->allocate_inode_number()) {
  Timespec created = now();
  access_time = created;
  modify_time = created;
  change_time = created;
}

Result<Stat> Node::stat() {
  sync::LockGuard guard(file_system_->lock);
  return stat_locked();
}

Stat Node::stat_locked() const {
  Stat result;
  result.device = file_system_->device();
  result.inode = inode_number_;
  result.mode = mode_of(type_, permissions);
  result.link_count = link_count;
  result.uid = uid;
  result.gid = gid;
  result.rdev = rdev;
  result.size = size_locked();
  result.block_size = page_size;
  result.blocks = blocks_locked();
  result.access_time = access_time;
  result.modify_time = modify_time;
  result.change_time = change_time;
  return result;
}

void Node::touch_locked(bool modified) {
  Timespec current = now();
  change_time = current;
  if (modified) {
    modify_time = current;
  }
}

void Node::touch_access_locked() {
  Timespec current = now();
  if (access_time <= modify_time || access_time <= change_time ||
      current.seconds - access_time.seconds >= seconds_per_day) {
    access_time = current;
  }
}

Result<void> Node::resize_locked(int64_t) {
  return fail(is_directory() ? Errno::eisdir : Errno::einval);
}

Result<void> Node::change_attributes(const AttributeChange& change) {
  sync::LockGuard guard(file_system_->lock);
  // Linux checks the limit before the file seals.
  if (change.size && *change.size > size_locked() &&
      static_cast<uint64_t>(*change.size) > change.size_limit) {
    return fail(Errno::efbig);
  }
  TRY_VOID(check_attribute_change_locked(change));

  if (change.size) {
    if (*change.size < 0) {
      return fail(Errno::einval);
    }
    TRY_VOID(resize_locked(*change.size));
    touch_locked(true);
  }
  if (change.permissions) {
    permissions = *change.permissions & mode_permission_mask;
  }
  if (change.uid) {
    uid = *change.uid;
  }
  if (change.gid) {
    gid = *change.gid;
  }
  if (change.access_time) {
    access_time = *change.access_time;
  }
  if (change.modify_time) {
    modify_time = *change.modify_time;
  }
  touch_locked(false);
  return {};
}

RegularFile::RegularFile(std::shared_ptr<MemoryFileSystem> file_system, uint32_t permissions_,
                         uint32_t uid_, uint32_t gid_, uint32_t seals)
    : Node(std::move(file_system), FileType::regular, permissions_, uid_, gid_), seals_(seals) {}

RegularFile::~RegularFile() { file_system_->release_pages(page_count_ + (inline_data_ ? 1 : 0)); }

int64_t RegularFile::blocks_locked() const {
  const uint64_t pages = inline_data_ ? 1 : page_count_;
  return static_cast<int64_t>(pages) * sectors_per_page;
}

std::byte* RegularFile::find_page_locked(uint64_t index) const {
  auto next = page_runs_.upper_bound(index);
  if (next == page_runs_.begin()) {
    return nullptr;
  }
  const auto& [first_page, run] = *std::prev(next);
  if (index - first_page >= run.length / page_size) {
    return nullptr;
  }
  return run.data() + (index - first_page) * page_size;
}

Result<size_t> RegularFile::read(uint64_t offset, std::span<std::byte> buffer) {
  if (buffer.empty()) {
    return size_t{0};
  }

  sync::LockGuard guard(file_system_->lock);

  uint64_t size = static_cast<uint64_t>(size_);
  if (offset >= size) {
    touch_access_locked();
    return size_t{0};
  }
  size_t count = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - offset));

  if (inline_data_) {
    std::memcpy(buffer.data(), inline_data_.get() + offset, count);
    touch_access_locked();
    return count;
  }

  size_t done = 0;
  while (done < count) {
    uint64_t position = offset + done;
    uint64_t in_page = position % page_size;
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(page_size - in_page, count - done));
    const std::byte* page = find_page_locked(position / page_size);
    if (page == nullptr) {
      std::memset(buffer.data() + done, 0, chunk);
    } else {
      std::memcpy(buffer.data() + done, page + in_page, chunk);
    }
    done += chunk;
  }

  touch_access_locked();
  return count;
}

Result<uint64_t> RegularFile::seek_region(uint64_t offset, Region region) {
  sync::LockGuard guard(file_system_->lock);
  const auto size = static_cast<uint64_t>(size_);
  if (offset >= size) {
    return fail(Errno::enxio);
  }
  // Inline data is one page that covers the whole file.
  if (inline_data_) {
    return region == Region::data ? offset : size;
  }

  // As in tmpfs, a page is data once it was written or mapped, and a
  // missing page is a hole.
  // TODO: tmpfs counts a page that fallocate(2) added as a hole until it is
  // written, but pages_ does not record which pages those are.
  uint64_t page = offset / page_size;
  // The run that contains `page`, or else the first run after it.
  auto run = page_runs_.upper_bound(page);
  if (run != page_runs_.begin()) {
    const auto previous = std::prev(run);
    if (previous->first + previous->second.length / page_size > page) {
      run = previous;
    }
  }
  if (region == Region::data) {
    if (run == page_runs_.end() || run->first * page_size >= size) {
      return fail(Errno::enxio);
    }
    return std::max(offset, run->first * page_size);
  }
  // Runs may touch, so the hole starts after the last run that adjoins.
  while (run != page_runs_.end() && run->first <= page) {
    page = std::max(page, run->first + run->second.length / page_size);
    ++run;
  }
  return std::min(size, std::max(offset, page * page_size));
}

Result<size_t> RegularFile::write(uint64_t offset, std::span<const std::byte> data) {
  constexpr uint64_t max_file_size = std::numeric_limits<int64_t>::max();
  if (data.empty()) {
    return size_t{0};
  }
  // Linux rejects a range whose end overflows a signed 64-bit offset with
  // EINVAL before the file system is called. Below that, tmpfs takes any size.
  if (offset > max_file_size || data.size() > max_file_size - offset) {
    return fail(Errno::einval);
  }
  sync::LockGuard guard(file_system_->lock);
  const size_t count = TRY(sealed_write_length_locked(offset, data.size()));

  const uint64_t end = offset + count;
  if (page_runs_.empty() && std::max(end, static_cast<uint64_t>(size_)) <= inline_data_limit) {
    TRY_VOID(write_inline_locked(offset, data.first(count)));
    size_ = std::max(size_, static_cast<int64_t>(end));
    touch_locked(true);
    return count;
  }
  if (auto moved = move_inline_data_to_pages_locked(); !moved) {
    return fail(Errno::enospc);
  }

  size_t done = 0;
  while (done < count) {
    uint64_t position = offset + done;
    uint64_t in_page = position % page_size;
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(page_size - in_page, count - done));

    std::byte* page = find_page_locked(position / page_size);
    if (page == nullptr) {
      auto added = add_pages_locked(position / page_size, 1);
      if (!added) {
        break;
      }
      page = find_page_locked(position / page_size);
    }
    std::memcpy(page + in_page, data.data() + done, chunk);
    done += chunk;
  }
  if (done == 0) {
    return fail(Errno::enospc);
  }

  size_ = std::max(size_, static_cast<int64_t>(offset + done));
  // TODO: a write by a caller without CAP_FSETID should clear set-user-ID
  // and set-group-ID as Linux does, but the inode does not know the caller.
  touch_locked(true);
  return done;
}

Result<void> RegularFile::write_inline_locked(uint64_t offset, std::span<const std::byte> data) {
  // A hole that truncation made before the write must be backed too.
  const uint64_t needed = std::max(offset + data.size(), static_cast<uint64_t>(size_));
  if (needed > inline_capacity_) {
    TRY_VOID(resize_inline_locked(needed));
  }
  std::memcpy(inline_data_.get() + offset, data.data(), data.size());
  return {};
}

Result<void> RegularFile::resize_inline_locked(uint64_t size) {
  const auto old_size = static_cast<uint64_t>(size_);
  if (size == 0) {
    if (inline_data_) {
      inline_data_.reset();
      inline_capacity_ = 0;
      file_system_->release_pages(1);
    }
    return {};
  }
  if (size <= inline_capacity_) {
    // Keeps the bytes from size_ on zero, as the invariant requires.
    if (size < old_size) {
      std::memset(inline_data_.get() + size, 0, old_size - size);
    }
    return {};
  }

  // The kernel heap hands out power-of-two blocks, so the capacity takes the
  // whole block, and a file that grows in small writes reallocates rarely.
  const auto capacity = static_cast<uint32_t>(std::bit_ceil(size));
  if (!inline_data_) {
    TRY_VOID(file_system_->reserve_pages(1));
  }
  std::unique_ptr<std::byte[]> grown(new (std::nothrow) std::byte[capacity]());
  if (!grown) {
    if (!inline_data_) {
      file_system_->release_pages(1);
    }
    return fail(Errno::enospc);
  }
  if (inline_data_) {
    std::memcpy(grown.get(), inline_data_.get(), std::min(old_size, size));
  }
  inline_data_ = std::move(grown);
  inline_capacity_ = capacity;
  return {};
}

Result<void> RegularFile::move_inline_data_to_pages_locked() {
  if (!inline_data_) {
    return {};
  }
  // The page replaces the inline data in the file system's count. Pages are
  // reserved only under the lock, so the count released here is still free
  // if the page cannot be allocated.
  file_system_->release_pages(1);
  if (auto added = add_pages_locked(0, 1); !added) {
    (void)file_system_->reserve_pages(1);
    return fail(added.error());
  }
  std::memcpy(find_page_locked(0), inline_data_.get(), static_cast<size_t>(size_));
  inline_data_.reset();
  inline_capacity_ = 0;
  return {};
}

Result<size_t> RegularFile::sealed_write_length_locked(uint64_t offset, size_t count) const {
  if (seals_ & (seal_write | seal_future_write)) {
    return fail(Errno::eperm);
  }
  const auto size = static_cast<uint64_t>(size_);
  if (!(seals_ & seal_grow) || offset + count <= size) {
    return count;
  }
  // Linux copies a write page by page and stops at the first page whose
  // part of the write would grow the file, so the pages up to the last
  // whole page inside the file are written.
  const uint64_t end = size / page_size * page_size;
  if (end <= offset) {
    return fail(Errno::eperm);
  }
  return static_cast<size_t>(end - offset);
}

Result<uint32_t> RegularFile::seals() {
  sync::LockGuard guard(file_system_->lock);
  return seals_;
}

Result<void> RegularFile::add_seals(uint32_t seals) {
  sync::LockGuard guard(file_system_->lock);
  if (seals_ & seal_seal) {
    return fail(Errno::eperm);
  }
  // Sealing the execute bits of a file that has any also seals its
  // contents, so the file cannot change once it may run (Linux 6.3 and
  // later).
  if ((seals & seal_exec) && (permissions & 0111)) {
    seals |= seal_shrink | seal_grow | seal_write | seal_future_write;
  }
  if ((seals & seal_write) && !(seals_ & seal_write) && !writable_mappings_.expired()) {
    return fail(Errno::ebusy);
  }
  seals_ |= seals;
  return {};
}

Result<std::shared_ptr<void>> RegularFile::register_writable_mapping() {
  sync::LockGuard guard(file_system_->lock);
  if (seals_ & (seal_write | seal_future_write)) {
    return fail(Errno::eperm);
  }
  std::shared_ptr<void> handle = writable_mappings_.lock();
  if (!handle) {
    handle = std::make_shared<char>();
    writable_mappings_ = handle;
  }
  return handle;
}

Result<void> RegularFile::check_attribute_change_locked(const AttributeChange& change) {
  if ((seals_ & seal_exec) && change.permissions && ((*change.permissions ^ permissions) & 0111)) {
    return fail(Errno::eperm);
  }
  if (change.size && ((*change.size < size_ && (seals_ & seal_shrink)) ||
                      (*change.size > size_ && (seals_ & seal_grow)))) {
    return fail(Errno::eperm);
  }
  return {};
}

Result<void> RegularFile::add_pages_locked(uint64_t first_page, uint64_t count) {
  TRY_VOID(file_system_->reserve_pages(count));

  // As few blocks as possible, so a mapping of the range aliases few runs.
  auto runs = mm::allocate_runs(count * page_size);
  if (!runs) {
    file_system_->release_pages(count);
    return fail(Errno::enospc);
  }
  uint64_t index = first_page;
  for (mm::PageRun& run : *runs) {
    const uint64_t run_pages = run.length / page_size;
    page_runs_.emplace(index, std::move(run));
    index += run_pages;
  }
  page_count_ += count;
  return {};
}

Result<mm::PageRuns> RegularFile::share_pages(uint64_t offset, uint64_t length) {
  if (offset % page_size != 0 || length % page_size != 0 || length == 0) {
    return fail(Errno::einval);
  }
  const uint64_t first_page = offset / page_size;
  const uint64_t end_page = first_page + length / page_size;

  sync::LockGuard guard(file_system_->lock);

  if (auto moved = move_inline_data_to_pages_locked(); !moved) {
    return fail(Errno::enomem);
  }
  if (auto filled = fill_holes_locked(first_page, end_page); !filled) {
    return fail(Errno::enomem);
  }

  // The range has no holes now, so a run starts at or before first_page.
  mm::PageRuns runs;
  for (auto entry = std::prev(page_runs_.upper_bound(first_page));
       entry != page_runs_.end() && entry->first < end_page; ++entry) {
    const auto& [run_first_page, run] = *entry;
    const uint64_t from = std::max(first_page, run_first_page);
    const uint64_t to = std::min(end_page, run_first_page + run.length / page_size);
    mm::append_run(runs, mm::PageRun{run.memory, run.offset + (from - run_first_page) * page_size,
                                     (to - from) * page_size});
  }
  return runs;
}

Result<void> RegularFile::fill_holes_locked(uint64_t first_page, uint64_t end_page) {
  uint64_t index = first_page;
  while (index < end_page) {
    auto next = page_runs_.upper_bound(index);
    if (next != page_runs_.begin()) {
      const auto& [run_first_page, run] = *std::prev(next);
      const uint64_t run_end_page = run_first_page + run.length / page_size;
      if (index < run_end_page) {
        index = run_end_page;
        continue;
      }
    }
    const uint64_t hole_end = next == page_runs_.end() ? end_page : std::min(next->first, end_page);
    TRY_VOID(add_pages_locked(index, hole_end - index));
    index = hole_end;
  }
  return {};
}

void RegularFile::split_run_at_locked(uint64_t index) {
  auto next = page_runs_.upper_bound(index);
  if (next == page_runs_.begin()) {
    return;
  }
  auto& [first_page, run] = *std::prev(next);
  const uint64_t head_pages = index - first_page;
  if (head_pages == 0 || head_pages >= run.length / page_size) {
    return;
  }
  const uint64_t head_length = head_pages * page_size;
  mm::PageRun tail{run.memory, run.offset + head_length, run.length - head_length};
  run.length = head_length;
  page_runs_.emplace_hint(next, index, std::move(tail));
}

void RegularFile::remove_pages_locked(uint64_t first_page, uint64_t end_page) {
  split_run_at_locked(first_page);
  split_run_at_locked(end_page);
  auto first = page_runs_.lower_bound(first_page);
  auto last = page_runs_.lower_bound(end_page);
  uint64_t freed = 0;
  for (auto entry = first; entry != last; ++entry) {
    freed += entry->second.length / page_size;
  }
  page_runs_.erase(first, last);
  page_count_ -= freed;
  file_system_->release_pages(freed);
}

void RegularFile::punch_hole_locked(uint64_t offset, uint64_t end) {
  if (inline_data_) {
    // An inline file is smaller than a page, so it has no whole page to free.
    if (offset < end) {
      std::memset(inline_data_.get() + offset, 0, end - offset);
    }
    return;
  }

  // The partial pages at either edge keep their storage and read as zeros.
  const uint64_t first_whole = (offset + page_size - 1) / page_size;
  const uint64_t end_whole = end / page_size;
  for (uint64_t position = offset; position < end;) {
    const uint64_t index = position / page_size;
    const uint64_t page_end = std::min((index + 1) * page_size, end);
    if (index < first_whole || index >= end_whole) {
      if (std::byte* page = find_page_locked(index); page != nullptr) {
        std::memset(page + position % page_size, 0, page_end - position);
      }
    }
    position = page_end;
  }

  // NOTE: a MAP_SHARED mapping of the file keeps showing the dropped pages,
  // as it does after a truncation.
  if (first_whole < end_whole) {
    remove_pages_locked(first_whole, end_whole);
  }
}

Result<void> RegularFile::allocate(uint64_t offset, uint64_t length, AllocateMode mode) {
  const uint64_t end = offset + length;
  sync::LockGuard guard(file_system_->lock);
  if (mode == AllocateMode::punch_hole && (seals_ & (seal_write | seal_future_write))) {
    return fail(Errno::eperm);
  }
  // Linux checks seal_grow even when the size is kept.
  if (mode != AllocateMode::punch_hole && (seals_ & seal_grow) &&
      end > static_cast<uint64_t>(size_)) {
    return fail(Errno::eperm);
  }
  if (mode == AllocateMode::punch_hole) {
    punch_hole_locked(offset, std::min(end, static_cast<uint64_t>(size_)));
  } else {
    TRY_VOID(move_inline_data_to_pages_locked());
    TRY_VOID(fill_holes_locked(offset / page_size, (end + page_size - 1) / page_size));
    if (mode == AllocateMode::allocate && end > static_cast<uint64_t>(size_)) {
      size_ = static_cast<int64_t>(end);
    }
  }
  touch_locked(true);
  return {};
}

Result<void> RegularFile::resize_locked(int64_t size) {
  if (inline_data_) {
    if (static_cast<uint64_t>(size) <= inline_data_limit) {
      TRY_VOID(resize_inline_locked(static_cast<uint64_t>(size)));
      size_ = size;
      return {};
    }
    TRY_VOID(move_inline_data_to_pages_locked());
  }

  if (size < size_) {
    uint64_t new_size = static_cast<uint64_t>(size);
    uint64_t first_freed_page = (new_size + page_size - 1) / page_size;
    remove_pages_locked(first_freed_page, std::numeric_limits<uint64_t>::max());

    // Zero the tail of the last page, so growing the file again reads zeros
    // there.
    uint64_t in_page = new_size % page_size;
    if (in_page != 0) {
      if (std::byte* last = find_page_locked(new_size / page_size); last != nullptr) {
        std::memset(last + in_page, 0, page_size - in_page);
      }
    }
  }
  size_ = size;
  return {};
}

Symlink::Symlink(std::shared_ptr<MemoryFileSystem> file_system, std::string_view target,
                 uint32_t uid_, uint32_t gid_)
    : Node(std::move(file_system), FileType::symlink, 0777, uid_, gid_), target_(target) {}

Result<std::string> Symlink::read_link() {
  sync::LockGuard guard(file_system_->lock);
  touch_access_locked();
  return target_;
}

SpecialNode::SpecialNode(std::shared_ptr<MemoryFileSystem> file_system, FileType type,
                         uint32_t permissions_, uint32_t uid_, uint32_t gid_,
                         uint64_t device_number)
    : Node(std::move(file_system), type, permissions_, uid_, gid_) {
  rdev = device_number;
}

Result<std::shared_ptr<fd::File>> SpecialNode::open(uint32_t flags) {
  if (type() == FileType::character_device) {
    return devfs::open_character_device(shared_from_this(), flags);
  }
  // Block devices have no drivers; the Vfs opens fifos and rejects sockets
  // before reaching here.
  return fail(Errno::enxio);
}

}  // namespace litebox::fs::memfs
