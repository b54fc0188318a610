#include "litebox/mm/memory_map.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "litebox/platform/platform.hpp"

namespace litebox::mm {

namespace {

// How many occupied candidates address selection skips before giving up.
constexpr int max_placement_attempts = 64;

platform::Pages& pages() { return platform::current().pages; }

void* host_pointer(uint64_t address) {
  // Safety: guest addresses are host addresses in this process; callers pass
  // only ranges this map reserved.
  return reinterpret_cast<void*>(address);
}

// Whether rewrite_code may change code in `area`: private, so the change
// stays out of files and other processes, executable, and not writable, so
// the program does not write that code itself.
bool is_rewritable_code(const Vma& area) {
  return !area.shared && (area.protection & platform::prot_exec) != 0 &&
         (area.protection & platform::prot_write) == 0;
}

bool same_backing(const Vma& lower, const Vma& upper) {
  if (lower.protection != upper.protection || lower.shared != upper.shared ||
      lower.write_allowed != upper.write_allowed || lower.name != upper.name ||
      lower.inode != upper.inode || lower.stream != upper.stream) {
    return false;
  }
  if (lower.inode != nullptr || lower.stream) {
    return lower.file_offset + lower.length() == upper.file_offset;
  }
  if (lower.shared_pages.empty() || upper.shared_pages.empty()) {
    return lower.shared_pages.empty() && upper.shared_pages.empty();
  }
  // Anonymous shared areas merge only within one block, as Linux merges
  // them only within one shared memory object.
  const PageRun& last = lower.shared_pages.back();
  const PageRun& first = upper.shared_pages.front();
  return last.memory == first.memory && last.offset + last.length == first.offset;
}

// Returns a request for a shared mapping that maps the `length` bytes of
// `area`'s pages from `address` on, with the attributes of `area`. The
// caller sets the placement, and a length beyond those pages maps the pages
// that follow them.
MapRequest request_for_pages_of(const Vma& area, uint64_t address, uint64_t length) {
  MapRequest request;
  request.length = length;
  request.protection = area.protection;
  request.shared = true;
  request.write_allowed = area.write_allowed;
  request.inode = area.inode;
  request.stream = area.stream;
  request.file_offset = area.file_offset + (address - area.start);
  request.name = area.name;
  request.shared_pages = slice_runs(area.shared_pages, address - area.start, length);
  request.writable_mapping = area.writable_mapping;
  return request;
}

platform::Accounting accounting_of(const Vma& area) {
  return area.no_reserve ? platform::Accounting::no_reserve : platform::Accounting::charged;
}

// The area that `request` maps at [start, start + length), without its
// shared pages.
Vma area_for(const MapRequest& request, uint64_t start, uint64_t length) {
  Vma area;
  area.start = start;
  area.end = start + length;
  area.protection = request.protection;
  area.shared = request.shared;
  area.no_reserve = request.no_reserve;
  area.inode = request.inode;
  area.stream = request.stream;
  area.file_offset = request.file_offset;
  area.name = request.name;
  area.write_allowed = request.write_allowed;
  area.writable_mapping = request.writable_mapping;
  return area;
}

// Fills `memory` with the file's bytes from `offset` on, up to the end of
// the file.
Result<void> read_file(fs::Inode& inode, uint64_t offset, std::span<std::byte> memory) {
  size_t filled = 0;
  while (filled < memory.size()) {
    size_t count = TRY(inode.read(offset + filled, memory.subspan(filled)));
    if (count == 0) {
      break;
    }
    filled += count;
  }
  return {};
}

// Fills `memory`, which must be zero-filled, with the file's bytes from
// `offset` on. The holes that Inode::seek_region finds and the bytes past
// the end of the file are skipped, so their pages stay untouched and take
// no host memory.
Result<void> copy_file(fs::Inode& inode, uint64_t offset, std::span<std::byte> memory) {
  const fs::Stat status = TRY(inode.stat());
  const auto size = static_cast<uint64_t>(status.size);
  // A procfs file reports a size of 0 but has bytes to read.
  if (size == 0) {
    return read_file(inode, offset, memory);
  }

  const uint64_t end = std::min(offset + memory.size(), size);
  uint64_t position = offset;
  while (position < end) {
    // `enxio` means that no data follows, also when the file shrank.
    auto data = inode.seek_region(position, fs::Inode::Region::data);
    if (!data && data.error() == Errno::enxio) {
      break;
    }
    if (!data) {
      return fail(data.error());
    }
    if (*data >= end) {
      break;
    }
    auto hole = inode.seek_region(*data, fs::Inode::Region::hole);
    if (!hole && hole.error() == Errno::enxio) {
      break;
    }
    if (!hole) {
      return fail(hole.error());
    }
    const uint64_t stop = std::min(*hole, end);
    TRY_VOID(read_file(inode, *data, memory.subspan(*data - offset, stop - *data)));
    position = stop;
  }
  return {};
}

}  // namespace

MemoryMap::MemoryMap(Layout layout) : layout_(layout) {}

MemoryMap::~MemoryMap() {
  for (const auto& [start, area] : areas_) {
    (void)pages().release(host_pointer(start), area.length());
  }
}

Result<uint64_t> MemoryMap::map(const MapRequest& request) {
  sync::LockGuard guard(lock_);
  // Errors of the arguments come first, as in Linux, where MAP_FIXED_NOREPLACE
  // over a mapping fails with EEXIST before the limit is checked. A fixed
  // request grows the total only by what it does not replace.
  const bool fixed = request.placement != Placement::hint;
  const bool valid = request.length != 0 && request.length <= layout_.highest &&
                     (!fixed || page_aligned(request.address));
  const uint64_t length = page_round_up(request.length);
  if (valid && !(request.placement == Placement::fixed_noreplace &&
                 overlaps(request.address, request.address + length))) {
    const uint64_t replaced =
        fixed ? mapped_bytes_locked(request.address, request.address + length) : 0;
    TRY_VOID(check_growth_locked(length - replaced));
  }
  return map_locked(request);
}

void MemoryMap::set_size_limit(uint64_t bytes) {
  sync::LockGuard guard(lock_);
  size_limit_ = bytes;
}

// NOTE: the stack area covers its whole RLIMIT_STACK size from the start,
// where Linux counts only the pages the stack has grown to, so a limit just
// above a program's use fails sooner here.
Result<void> MemoryMap::check_growth_locked(uint64_t growth) const {
  if (size_limit_ == ~uint64_t{0} || growth == 0) {
    return {};
  }
  const uint64_t total = mapped_bytes_locked(0, ~uint64_t{0});
  if (total + growth < total || total + growth > size_limit_) {
    return fail(Errno::enomem);
  }
  return {};
}

uint64_t MemoryMap::mapped_bytes_locked(uint64_t start, uint64_t end) const {
  uint64_t total = 0;
  for (const auto& [area_start, area] : areas_) {
    const uint64_t from = std::max(start, area.start);
    const uint64_t to = std::min(end, area.end);
    if (from < to) {
      total += to - from;
    }
  }
  return total;
}

Result<uint64_t> MemoryMap::map_locked(const MapRequest& request) {
  if (request.length == 0 || request.length > layout_.highest) {
    return fail(request.length == 0 ? Errno::einval : Errno::enomem);
  }
  const uint64_t length = page_round_up(request.length);

  if (request.placement != Placement::hint) {
    if (!page_aligned(request.address)) {
      return fail(Errno::einval);
    }
    if (request.address < layout_.lowest) {
      return fail(Errno::eperm);
    }
    if (request.address > layout_.highest - length) {
      return fail(Errno::enomem);
    }
    if (request.placement == Placement::fixed_noreplace &&
        overlaps(request.address, request.address + length)) {
      return fail(Errno::eexist);
    }
  }

  if (!request.shared) {
    if (auto mapped = map_unreserved(request, length); mapped || mapped.error() != Errno::eexist) {
      return mapped;
    }
    // The libOS uses part of the range, so the path below reserves the
    // free parts one by one or picks another range.
  }

  uint64_t start = 0;
  switch (request.placement) {
    case Placement::fixed:
      start = request.address;
      TRY_VOID(claim(start, start + length));
      break;
    case Placement::fixed_noreplace:
      start = request.address;
      // Memory the libOS uses counts as an existing mapping.
      if (!claim(start, start + length)) {
        return fail(Errno::eexist);
      }
      break;
    case Placement::hint:
      start = TRY(choose_address(request.address, length));
      break;
  }

  Vma area = area_for(request, start, length);
  if (area.shared && !area.stream) {
    auto shared_pages = shared_pages_for(request, length);
    if (!shared_pages) {
      (void)pages().release(host_pointer(area.start), area.length());
      return fail(shared_pages.error());
    }
    area.shared_pages = std::move(*shared_pages);
  }

  if (auto populated = populate(area, platform::Replace::reservation); !populated) {
    (void)pages().release(host_pointer(area.start), area.length());
    return fail(populated.error());
  }
  insert(std::move(area));
  return start;
}

// Maps a private request at a range that no guest area overlaps, straight
// over the free host range, so no reservation comes first. Returns `eexist`
// when no such range exists or the host has memory there; the range is then
// as it was.
Result<uint64_t> MemoryMap::map_unreserved(const MapRequest& request, uint64_t length) {
  std::optional<uint64_t> start;
  if (request.placement != Placement::hint) {
    if (!overlaps(request.address, request.address + length)) {
      start = request.address;
    }
  } else {
    // Linux rounds a hint up to a page boundary and uses it when the range is free.
    const uint64_t hinted = page_round_up(request.address);
    if (hinted != 0 && hinted >= layout_.lowest && hinted <= layout_.highest - length &&
        !overlaps(hinted, hinted + length)) {
      start = hinted;
    } else {
      start = find_gap_below(layout_.mmap_base, length);
    }
  }
  if (!start) {
    return fail(Errno::eexist);
  }

  Vma area = area_for(request, *start, length);
  TRY_VOID(populate(area, platform::Replace::nothing));
  insert(std::move(area));
  return *start;
}

Result<void> MemoryMap::unmap(uint64_t address, uint64_t length) {
  if (!page_aligned(address) || length == 0) {
    return fail(Errno::einval);
  }
  if (address > layout_.highest || page_round_up(length) > layout_.highest - address) {
    return fail(Errno::einval);
  }

  sync::LockGuard guard(lock_);
  remove_range(address, address + page_round_up(length), true);
  return {};
}

Result<void> MemoryMap::protect(uint64_t address, uint64_t length, uint32_t protection) {
  if (!page_aligned(address)) {
    return fail(Errno::einval);
  }
  if (length == 0) {
    return {};
  }
  const uint64_t end = address + page_round_up(length);
  if (end < address) {
    return fail(Errno::enomem);
  }

  sync::LockGuard guard(lock_);
  if (!is_mapped_locked(address, end - address)) {
    return fail(Errno::enomem);
  }

  return protect_locked(address, end - address, protection);
}

Result<uint64_t> MemoryMap::remap(uint64_t old_address, uint64_t old_length, uint64_t new_length,
                                  uint32_t flags, uint64_t new_address) {
  constexpr uint32_t known_flags = remap_may_move | remap_fixed | remap_dont_unmap;
  if ((flags & ~known_flags) != 0 || !page_aligned(old_address) || new_length == 0) {
    return fail(Errno::einval);
  }
  if ((flags & remap_fixed) && !(flags & remap_may_move)) {
    return fail(Errno::einval);
  }
  if ((flags & remap_dont_unmap) &&
      (!(flags & remap_may_move) || page_round_up(old_length) != page_round_up(new_length))) {
    return fail(Errno::einval);
  }
  if ((flags & remap_fixed) && !page_aligned(new_address)) {
    return fail(Errno::einval);
  }
  if (new_length > layout_.highest || old_length > layout_.highest) {
    return fail(Errno::enomem);
  }
  old_length = page_round_up(old_length);
  new_length = page_round_up(new_length);

  sync::LockGuard guard(lock_);
  if (old_length == 0) {
    return duplicate(old_address, new_length, flags, new_address);
  }
  auto found = areas_.upper_bound(old_address);
  if (found == areas_.begin()) {
    return fail(Errno::efault);
  }
  --found;
  const Vma old_area = found->second;
  if (old_address < old_area.start || old_address + old_length > old_area.end) {
    return fail(Errno::efault);
  }
  const uint64_t old_end = old_address + old_length;
  // Linux counts what the call adds against RLIMIT_AS: the growth, or the
  // whole new range with MREMAP_DONTUNMAP, which keeps the old one.
  const uint64_t growth = (flags & remap_dont_unmap) ? new_length
                          : new_length > old_length  ? new_length - old_length
                                                     : 0;

  if (!(flags & remap_fixed)) {
    if (new_length <= old_length) {
      remove_range(old_address + new_length, old_end, true);
      return old_address;
    }
    TRY_VOID(check_growth_locked(growth));

    // Grow in place when the pages after the range are free.
    const uint64_t grown_end = old_address + new_length;
    if (old_end == old_area.end && grown_end <= layout_.highest && grown_end > old_end &&
        !overlaps(old_end, grown_end)) {
      auto grown = grow_in_place(old_area, old_address, old_length, new_length);
      if (grown) {
        return old_address;
      }
      if (grown.error() != Errno::eexist) {
        return fail(grown.error());
      }
    }
    if (!(flags & remap_may_move)) {
      return fail(Errno::enomem);
    }
  } else {
    if (new_address < old_end && old_address < new_address + new_length) {
      return fail(Errno::einval);
    }
    TRY_VOID(check_remap_growth_locked(growth, flags, new_address, new_length));
  }

  if (old_area.stream && !old_area.shared && !(flags & remap_dont_unmap)) {
    return move_stream_pages(old_area, old_address, old_length, new_length, flags, new_address);
  }
  if (old_area.shared || old_area.stream) {
    // A shared range moves by mapping the same pages at the new address,
    // and a host file mapping by mapping the file there again.
    // TODO: with MREMAP_DONTUNMAP, Linux moves the pages that the process
    // wrote to a private host file mapping; here they read as the file
    // again.
    MapRequest request = request_for_pages_of(old_area, old_address, old_length);
    request.shared = old_area.shared;
    request.address = new_address;
    request.length = new_length;
    request.placement = (flags & remap_fixed) ? Placement::fixed : Placement::hint;
    const uint64_t moved = TRY(map_locked(request));
    // With MREMAP_DONTUNMAP the old range stays mapped: shared pages keep
    // their data, as after MADV_DONTNEED.
    if (!(flags & remap_dont_unmap)) {
      remove_range(old_address, old_end, true);
    }
    return moved;
  }

  // Move: map the new range, copy the old contents over, drop the old range.
  MapRequest request;
  request.address = new_address;
  request.length = new_length;
  request.protection = old_area.protection | platform::prot_write;
  request.placement = (flags & remap_fixed) ? Placement::fixed : Placement::hint;
  request.shared = old_area.shared;
  request.no_reserve = old_area.no_reserve;
  request.name = old_area.name;
  const uint64_t moved = TRY(map_locked(request));

  if (!(old_area.protection & platform::prot_read)) {
    TRY_VOID(pages().protect(host_pointer(old_address), old_length, platform::prot_read));
  }
  std::memcpy(host_pointer(moved), host_pointer(old_address), std::min(old_length, new_length));

  // The copy keeps the file identity so /proc/self/maps still names it.
  auto moved_area = areas_.find(moved);
  if (moved_area != areas_.end()) {
    moved_area->second.inode = old_area.inode;
    moved_area->second.file_offset = old_area.file_offset + (old_address - old_area.start);
  }
  (void)protect_locked(moved, new_length, old_area.protection);

  if (flags & remap_dont_unmap) {
    // NOTE: Linux leaves the old range mapped but empty, as MADV_DONTNEED
    // leaves it; restoring the protection and discarding the pages does that.
    (void)pages().protect(host_pointer(old_address), old_length, old_area.protection);
    (void)discard_locked(old_address, old_length);
  } else {
    remove_range(old_address, old_end, true);
  }
  return moved;
}

// Moves the private host file mapping [old_address, old_address + old_length)
// of `old_area` to `new_address` (MREMAP_FIXED) or to a range it chooses,
// grown or shrunk to `new_length`, with the host's own move. The pages the
// process wrote move with it, as on Linux. Copying them instead could touch
// pages past the end of the file, which would fault in the libOS.
Result<uint64_t> MemoryMap::move_stream_pages(const Vma& old_area, uint64_t old_address,
                                              uint64_t old_length, uint64_t new_length,
                                              uint32_t flags, uint64_t new_address) {
  uint64_t start = new_address;
  if (flags & remap_fixed) {
    TRY_VOID(claim(start, start + new_length));
  } else {
    start = TRY(choose_address(new_address, new_length));
  }
  auto moved =
      pages().move_mapping(host_pointer(old_address), old_length, host_pointer(start), new_length);
  if (!moved) {
    (void)pages().release(host_pointer(start), new_length);
    return fail(moved.error());
  }

  Vma area = old_area;
  area.start = start;
  area.end = start + new_length;
  area.file_offset = old_area.file_offset + (old_address - old_area.start);
  // The host has unmapped the old range already.
  remove_range(old_address, old_address + old_length, false);
  insert(std::move(area));
  return start;
}

// Maps the pages from the end of [old_address, old_address + old_length),
// the end of `old_area`, up to `new_length`, continuing the area. Returns
// `eexist` when the libOS uses some of those pages, which the guest does not.
Result<void> MemoryMap::grow_in_place(const Vma& old_area, uint64_t old_address,
                                      uint64_t old_length, uint64_t new_length) {
  const uint64_t old_end = old_address + old_length;
  Vma tail = old_area;
  tail.start = old_end;
  tail.end = old_address + new_length;
  tail.file_offset = old_area.file_offset + (old_end - old_area.start);
  // A host file mapping continues in the file, as a private one does.
  if (!old_area.shared || old_area.stream) {
    TRY_VOID(populate(tail, platform::Replace::nothing));
    insert(std::move(tail));
    return {};
  }

  if (!claim(tail.start, tail.end)) {
    return fail(Errno::eexist);
  }
  // The tail continues the pages of the old range: the next pages of the
  // file, or of the anonymous block.
  auto grown =
      shared_pages_for(request_for_pages_of(old_area, old_address, old_length), new_length);
  if (!grown) {
    (void)pages().release(host_pointer(tail.start), tail.length());
    return fail(grown.error());
  }
  tail.shared_pages = slice_runs(*grown, old_length, new_length - old_length);
  if (auto populated = populate(tail, platform::Replace::reservation); !populated) {
    (void)pages().release(host_pointer(tail.start), tail.length());
    return fail(populated.error());
  }
  insert(std::move(tail));
  return {};
}

Result<void> MemoryMap::discard(uint64_t address, uint64_t length) {
  if (!page_aligned(address)) {
    return fail(Errno::einval);
  }
  if (length == 0) {
    return {};
  }
  if (page_round_up(length) > layout_.highest || address > layout_.highest) {
    return fail(Errno::enomem);
  }

  sync::LockGuard guard(lock_);
  return discard_locked(address, page_round_up(length));
}

Result<void> MemoryMap::discard_locked(uint64_t address, uint64_t length) {
  const uint64_t end = address + length;
  if (!is_mapped_locked(address, length)) {
    return fail(Errno::enomem);
  }

  split_at(address);
  split_at(end);
  for (auto it = areas_.lower_bound(address); it != areas_.end() && it->first < end; ++it) {
    // Shared pages keep their contents: other mappings may still see them.
    if (it->second.shared) {
      continue;
    }
    TRY_VOID(populate(it->second, platform::Replace::reservation));
  }
  return {};
}

Result<uint64_t> MemoryMap::duplicate(uint64_t old_address, uint64_t new_length, uint32_t flags,
                                      uint64_t new_address) {
  auto found = areas_.upper_bound(old_address);
  if (found == areas_.begin() || old_address >= std::prev(found)->second.end) {
    return fail(Errno::efault);
  }
  const Vma old_area = std::prev(found)->second;
  if (!old_area.shared) {
    return fail(Errno::einval);
  }
  // Growing a range of zero bytes in place never fits.
  if (!(flags & remap_may_move)) {
    return fail(Errno::enomem);
  }
  if ((flags & remap_fixed) && new_address < old_address &&
      old_address < new_address + new_length) {
    return fail(Errno::einval);
  }

  TRY_VOID(check_remap_growth_locked(new_length, flags, new_address, new_length));

  MapRequest request =
      request_for_pages_of(old_area, old_address, std::min(new_length, old_area.end - old_address));
  request.address = new_address;
  request.length = new_length;
  request.placement = (flags & remap_fixed) ? Placement::fixed : Placement::hint;
  return map_locked(request);
}

Result<void> MemoryMap::check_remap_growth_locked(uint64_t growth, uint32_t flags,
                                                  uint64_t new_address, uint64_t new_length) const {
  if (flags & remap_fixed) {
    // MREMAP_FIXED first unmaps whatever the new range covers.
    growth -= std::min(growth, mapped_bytes_locked(new_address, new_address + new_length));
  }
  return check_growth_locked(growth);
}

void MemoryMap::clear() {
  sync::LockGuard guard(lock_);
  for (const auto& [start, area] : areas_) {
    (void)pages().release(host_pointer(start), area.length());
  }
  areas_.clear();
}

void MemoryMap::release_writable_mappings() {
  sync::LockGuard guard(lock_);
  for (auto& [start, area] : areas_) {
    area.writable_mapping.reset();
  }
}

void MemoryMap::copy_areas_from(MemoryMap& source) {
  sync::LockGuard source_guard(source.lock_);
  sync::LockGuard guard(lock_);
  layout_ = source.layout_;
  areas_ = source.areas_;
  size_limit_ = source.size_limit_;
}

bool MemoryMap::is_mapped(uint64_t address, uint64_t length) {
  sync::LockGuard guard(lock_);
  return is_mapped_locked(address, length);
}

const Vma* MemoryMap::area_containing_locked(uint64_t address) const {
  auto it = areas_.upper_bound(address);
  if (it == areas_.begin()) {
    return nullptr;
  }
  --it;
  return address < it->second.end ? &it->second : nullptr;
}

std::optional<Vma> MemoryMap::find(uint64_t address) {
  sync::LockGuard guard(lock_);
  const Vma* area = area_containing_locked(address);
  if (area == nullptr) {
    return std::nullopt;
  }
  return *area;
}

bool MemoryMap::holds_rewritable_code(uint64_t address) {
  const std::optional<Vma> area = find(address);
  return area && is_rewritable_code(*area);
}

Result<bool> MemoryMap::rewrite_code(uint64_t address, const std::array<std::byte, 16>& expected,
                                     const std::array<std::byte, 16>& replacement) {
  if ((address & 15) != 0) {
    return fail(Errno::einval);
  }
  sync::LockGuard guard(lock_);
  const Vma* area = area_containing_locked(address);
  if (area == nullptr || !is_rewritable_code(*area)) {
    return false;
  }

  // The page becomes writable only for the store. It stays executable, so
  // other threads running code on it do not fault.
  const uint64_t page = page_round_down(address);
  TRY_VOID(pages().protect(host_pointer(page), page_size, area->protection | platform::prot_write));
  Result<bool> stored = pages().exchange_code(host_pointer(address), expected, replacement);
  TRY_VOID(pages().protect(host_pointer(page), page_size, area->protection));
  return stored;
}

std::vector<Vma> MemoryMap::areas() {
  sync::LockGuard guard(lock_);
  std::vector<Vma> result;
  result.reserve(areas_.size());
  for (const auto& [start, area] : areas_) {
    result.push_back(area);
  }
  return result;
}

bool MemoryMap::is_mapped_locked(uint64_t address, uint64_t length) const {
  const uint64_t end = address + length;
  if (end < address) {
    return false;
  }
  auto it = areas_.upper_bound(address);
  if (it == areas_.begin()) {
    return false;
  }
  --it;
  uint64_t covered = address;
  for (; it != areas_.end() && covered < end; ++it) {
    if (it->second.start > covered || it->second.end <= covered) {
      return false;
    }
    covered = it->second.end;
  }
  return covered >= end;
}

Result<void> MemoryMap::protect_locked(uint64_t address, uint64_t length, uint32_t protection) {
  const uint64_t end = address + length;
  if (protection & platform::prot_write) {
    // A shared mapping of a file opened without write access never becomes
    // writable (Linux's VM_MAYWRITE).
    for (auto it = areas_.upper_bound(address); it != areas_.begin();) {
      --it;
      if (it->second.end <= address) {
        break;
      }
      if (!it->second.write_allowed) {
        return fail(Errno::eacces);
      }
    }
    for (auto it = areas_.lower_bound(address); it != areas_.end() && it->first < end; ++it) {
      if (!it->second.write_allowed) {
        return fail(Errno::eacces);
      }
    }
  }
  split_at(address);
  split_at(end);
  for (auto it = areas_.lower_bound(address); it != areas_.end() && it->first < end; ++it) {
    TRY_VOID(pages().protect(host_pointer(it->second.start), it->second.length(), protection));
    it->second.protection = protection;
  }
  merge_range(address, end);
  return {};
}

void MemoryMap::merge_range(uint64_t start, uint64_t end) {
  auto it = areas_.lower_bound(start);
  if (it != areas_.begin()) {
    --it;
  }
  while (it != areas_.end() && it->first <= end) {
    auto next = std::next(it);
    if (next == areas_.end() || it->second.end != next->first ||
        !same_backing(it->second, next->second)) {
      it = next;
      continue;
    }
    // Keep `it` and absorb `next`, then try the area after it.
    it->second.end = next->second.end;
    for (PageRun& run : next->second.shared_pages) {
      append_run(it->second.shared_pages, std::move(run));
    }
    areas_.erase(next);
  }
}

Result<uint64_t> MemoryMap::choose_address(uint64_t hint, uint64_t length) {
  // Linux rounds a hint up to a page boundary and uses it when the range is free.
  const uint64_t wanted = page_round_up(hint);
  if (wanted != 0 && wanted >= layout_.lowest && wanted <= layout_.highest - length &&
      !overlaps(wanted, wanted + length) && claim(wanted, wanted + length)) {
    return wanted;
  }

  uint64_t limit = layout_.mmap_base;
  for (int attempt = 0; attempt < max_placement_attempts; ++attempt) {
    std::optional<uint64_t> candidate = find_gap_below(limit, length);
    if (!candidate) {
      break;
    }
    if (claim(*candidate, *candidate + length)) {
      return *candidate;
    }
    // The host uses part of this gap: look further down.
    limit = *candidate;
  }
  return fail(Errno::enomem);
}

std::optional<uint64_t> MemoryMap::find_gap_below(uint64_t limit, uint64_t length) const {
  uint64_t gap_end = std::min(limit, layout_.highest);
  auto it = areas_.lower_bound(gap_end);
  while (true) {
    uint64_t gap_start = layout_.lowest;
    if (it != areas_.begin()) {
      auto below = std::prev(it);
      gap_start = std::max(below->second.end, layout_.lowest);
      if (below->second.end > gap_end) {
        // `limit` falls inside this area: the gap ends at its start.
        gap_end = below->second.start;
        it = below;
        continue;
      }
    }
    if (gap_end >= gap_start && gap_end - gap_start >= length) {
      return gap_end - length;
    }
    if (it == areas_.begin()) {
      return std::nullopt;
    }
    --it;
    gap_end = it->second.start;
  }
}

bool MemoryMap::overlaps(uint64_t start, uint64_t end) const {
  auto it = areas_.lower_bound(end);
  if (it == areas_.begin()) {
    return false;
  }
  --it;
  return it->second.end > start;
}

Result<void> MemoryMap::claim(uint64_t start, uint64_t end) {
  // Split [start, end) into pieces the guest already owns and free gaps.
  struct Piece {
    uint64_t start;
    uint64_t end;
    bool owned;
    bool shared;
  };
  std::vector<Piece> pieces;
  uint64_t cursor = start;
  auto it = areas_.upper_bound(start);
  if (it != areas_.begin() && std::prev(it)->second.end > start) {
    --it;
  }
  for (; it != areas_.end() && it->second.start < end; ++it) {
    const uint64_t owned_start = std::max(it->second.start, start);
    const uint64_t owned_end = std::min(it->second.end, end);
    if (owned_start > cursor) {
      pieces.push_back({cursor, owned_start, false, false});
    }
    pieces.push_back({owned_start, owned_end, true, it->second.shared});
    cursor = owned_end;
  }
  if (cursor < end) {
    pieces.push_back({cursor, end, false, false});
  }

  // Reserve the gaps at their exact address first, so a collision with the
  // libOS's memory leaves the guest's existing mappings untouched.
  std::vector<Piece> reserved;
  for (const Piece& piece : pieces) {
    if (piece.owned) {
      continue;
    }
    auto placed = pages().reserve(host_pointer(piece.start), piece.end - piece.start, false);
    if (placed && *placed == host_pointer(piece.start)) {
      reserved.push_back(piece);
      continue;
    }
    if (placed) {
      (void)pages().release(*placed, piece.end - piece.start);
    }
    for (const Piece& undo : reserved) {
      (void)pages().release(host_pointer(undo.start), undo.end - undo.start);
    }
    return fail(Errno::enomem);
  }

  // Replace the old shared mappings before their VMAs go, because dropping
  // a shared VMA may free the pages that the old mapping still aliases. The
  // caller maps over old private pages directly.
  for (const Piece& piece : pieces) {
    if (piece.owned && piece.shared) {
      TRY_VOID(pages().reserve(host_pointer(piece.start), piece.end - piece.start, true));
    }
  }
  remove_range(start, end, false);
  return {};
}

Result<void> MemoryMap::populate(const Vma& area, platform::Replace replace) {
  if (area.stream) {
    return pages().map_stream(host_pointer(area.start), area.length(), *area.stream,
                              area.file_offset, area.protection, area.shared, replace);
  }
  if (!area.shared_pages.empty()) {
    uint64_t address = area.start;
    for (const PageRun& run : area.shared_pages) {
      TRY_VOID(pages().alias(host_pointer(address), run.length, run.data(), area.protection));
      address += run.length;
    }
    return {};
  }
  if (area.inode == nullptr) {
    return pages().commit(host_pointer(area.start), area.length(), area.protection, replace,
                          accounting_of(area));
  }

  // Whole pages of an unchanging file are mapped copy-on-write; the rest
  // (a partial last page, pages past the end) is a copy.
  const uint64_t mapped = TRY(map_file_pages(area, replace));
  if (mapped == area.length()) {
    return {};
  }
  auto copied = copy_file_pages(area, area.start + mapped, replace);
  if (!copied && replace == platform::Replace::nothing && mapped != 0) {
    // The range was free, and stays free when the mapping fails.
    (void)pages().release(host_pointer(area.start), mapped);
  }
  return copied;
}

// Maps a copy of the file pages of `area` from `start` to its end.
Result<void> MemoryMap::copy_file_pages(const Vma& area, uint64_t start,
                                        platform::Replace replace) {
  const uint64_t length = area.end - start;
  TRY_VOID(pages().commit(host_pointer(start), length, area.protection | platform::prot_write,
                          replace, accounting_of(area)));

  // Safety: the range was committed writable just above.
  std::span<std::byte> destination(static_cast<std::byte*>(host_pointer(start)), length);
  Result<void> filled =
      copy_file(*area.inode, area.file_offset + (start - area.start), destination);
  if (filled && !(area.protection & platform::prot_write)) {
    filled = pages().protect(host_pointer(start), length, area.protection);
  }
  if (!filled && replace == platform::Replace::nothing) {
    (void)pages().release(host_pointer(start), length);
  }
  return filled;
}

// Maps the whole pages of the file that the private file mapping `area`
// covers copy-on-write, when the file's contents never change and the host
// can map them. Returns how many bytes from the area's start it mapped; 0
// means the caller copies everything.
Result<uint64_t> MemoryMap::map_file_pages(const Vma& area, platform::Replace replace) {
  std::optional<std::span<const std::byte>> contents = area.inode->immutable_contents();
  if (!contents || area.file_offset >= contents->size()) {
    return 0;
  }
  const std::byte* source = contents->data() + area.file_offset;
  // Safety: only the numeric value of the address is tested.
  if (!page_aligned(reinterpret_cast<uintptr_t>(source))) {
    return 0;
  }
  const uint64_t length =
      std::min(area.length(), page_round_down(contents->size() - area.file_offset));
  if (length == 0) {
    return 0;
  }

  auto mapped =
      pages().map_copy_on_write(host_pointer(area.start), length, source, area.protection, replace);
  if (!mapped) {
    if (mapped.error() == Errno::enodev) {
      return 0;
    }
    return fail(mapped.error());
  }
  return length;
}

Result<PageRuns> MemoryMap::shared_pages_for(const MapRequest& request, uint64_t length) {
  const uint64_t known = std::min(runs_length(request.shared_pages), length);
  PageRuns runs = slice_runs(request.shared_pages, 0, known);
  uint64_t missing = length - known;
  if (missing == 0) {
    return runs;
  }

  if (request.inode != nullptr) {
    const uint64_t offset = request.file_offset + known;
    auto file_pages = request.inode->share_pages(offset, missing);
    if (file_pages) {
      for (PageRun& run : *file_pages) {
        append_run(runs, std::move(run));
      }
      return runs;
    }
    if (file_pages.error() != Errno::enodev) {
      return fail(file_pages.error());
    }
    // The file system shares no pages: map a copy of the file, which at
    // least stays shared with forked processes.
    PageRuns copy = TRY(allocate_runs(missing));
    uint64_t copied = 0;
    for (PageRun& run : copy) {
      TRY_VOID(copy_file(*request.inode, offset + copied, std::span(run.data(), run.length)));
      copied += run.length;
      append_run(runs, std::move(run));
    }
    return runs;
  }

  // Anonymous shared memory continues in the block of its last page, as
  // Linux maps further pages of the same shared memory object.
  if (!runs.empty()) {
    const PageRun& last = runs.back();
    const uint64_t next = last.offset + last.length;
    const uint64_t continued = std::min(missing, last.memory->length() - next);
    append_run(runs, PageRun{last.memory, next, continued});
    missing -= continued;
  }
  if (missing != 0) {
    // NOTE: Linux raises SIGBUS on access past the end of the object, but
    // here those pages are new shared memory.
    PageRuns added = TRY(allocate_runs(missing));
    for (PageRun& run : added) {
      append_run(runs, std::move(run));
    }
  }
  return runs;
}

void MemoryMap::split_at(uint64_t address) {
  auto it = areas_.upper_bound(address);
  if (it == areas_.begin()) {
    return;
  }
  --it;
  Vma& area = it->second;
  if (address <= area.start || address >= area.end) {
    return;
  }
  Vma upper = area;
  upper.start = address;
  upper.file_offset = area.file_offset + (address - area.start);
  if (!area.shared_pages.empty()) {
    upper.shared_pages = slice_runs(area.shared_pages, address - area.start, area.end - address);
    area.shared_pages = slice_runs(area.shared_pages, 0, address - area.start);
  }
  area.end = address;
  areas_.emplace(address, std::move(upper));
}

void MemoryMap::remove_range(uint64_t start, uint64_t end, bool release_pages) {
  split_at(start);
  split_at(end);
  auto it = areas_.lower_bound(start);
  while (it != areas_.end() && it->first < end) {
    if (release_pages) {
      (void)pages().release(host_pointer(it->second.start), it->second.length());
    }
    it = areas_.erase(it);
  }
}

void MemoryMap::insert(Vma area) {
  auto next = areas_.lower_bound(area.start);
  if (next != areas_.end() && next->second.start == area.end && same_backing(area, next->second)) {
    area.end = next->second.end;
    for (PageRun& run : next->second.shared_pages) {
      append_run(area.shared_pages, std::move(run));
    }
    next = areas_.erase(next);
  }
  if (next != areas_.begin()) {
    auto previous = std::prev(next);
    if (previous->second.end == area.start && same_backing(previous->second, area)) {
      previous->second.end = area.end;
      for (PageRun& run : area.shared_pages) {
        append_run(previous->second.shared_pages, std::move(run));
      }
      return;
    }
  }
  areas_.emplace(area.start, std::move(area));
}

}  // namespace litebox::mm
