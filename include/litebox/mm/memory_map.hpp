// MemoryMap: the virtual memory areas (VMAs) of one guest address space, and
// the page operations behind mmap(2), munmap(2), mprotect(2), mremap(2),
// madvise(MADV_DONTNEED) and brk(2).
//
// Guest memory lives in the host process that runs the libOS, so a guest
// mapping is host address space reserved and committed through
// platform::Pages. The map only ever claims address space that the host had
// free: a range that neither the guest nor the libOS uses is mapped or
// reserved at its exact address or not at all (Replace::nothing), so no
// guest request can replace libOS memory. A private mapping over a free
// range is mapped there at once; the other mappings reserve their range
// first.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "litebox/fs/inode.hpp"
#include "litebox/mm/shared_memory.hpp"
#include "litebox/platform/pages.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::mm {

inline constexpr uint64_t page_size = 4096;

constexpr uint64_t page_round_down(uint64_t address) { return address & ~(page_size - 1); }
constexpr uint64_t page_round_up(uint64_t address) {
  return (address + page_size - 1) & ~(page_size - 1);
}
constexpr bool page_aligned(uint64_t address) { return (address & (page_size - 1)) == 0; }

// The address-space geometry of a guest process.
struct Layout {
  // Nothing is mapped below this address (Linux's vm.mmap_min_addr).
  uint64_t lowest = 0x10000;
  // One past the highest usable address (Linux's TASK_SIZE on x86-64, 47 bits).
  uint64_t highest = 0x7fff'ffff'f000;
  // The top of the initial stack: above the guest's mmap area and below the
  // host's own mappings near the top of the address space.
  uint64_t stack_top = 0x3000'0000'0000;
  // Mappings without an address go top-down from here, as Linux's mmap_base:
  // 128 MiB (Linux's smallest stack gap) below `stack_top`, so the vDSO, the
  // interpreter and the libraries share page tables with the stack. A stack
  // larger than the gap is mapped first and pushes them below itself.
  uint64_t mmap_base = 0x2fff'f800'0000;
};

// One virtual memory area: a page-aligned range with uniform attributes.
struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;         // exclusive
  uint32_t protection = 0;  // platform::Protection bits
  bool shared = false;      // MAP_SHARED
  bool no_reserve = false;  // MAP_NORESERVE, as Linux's VM_NORESERVE
  // False for a shared mapping of a file opened without write access, which
  // mprotect(2) never makes writable (`eacces`), as Linux's VM_MAYWRITE.
  bool write_allowed = true;
  std::shared_ptr<fs::Inode> inode;  // the mapped file; null for anonymous memory
  // The standard stream whose host file the host maps here, a regular file
  // redirected to the sandbox. `inode` is then null.
  std::optional<platform::StdioStream> stream;
  uint64_t file_offset = 0;  // file offset of `start`
  std::string name;          // "[heap]", "[stack]", the file's path, or empty
  // For a shared mapping, the shared memory that the range aliases, in
  // address order and exactly `length()` bytes. Empty for private mappings,
  // and for shared mappings of files whose file system shares no pages:
  // those hold a copy of the file.
  PageRuns shared_pages;
  // For a shared mapping that may write its file, the handle from
  // Inode::register_writable_mapping(), which file seals wait for.
  std::shared_ptr<void> writable_mapping;

  uint64_t length() const { return end - start; }
};

// The address-selection rule of MemoryMap::map.
enum class Placement {
  hint,             // use the address if free, otherwise pick one
  fixed,            // MAP_FIXED: replace whatever guest mapping is there
  fixed_noreplace,  // MAP_FIXED_NOREPLACE: `eexist` if anything is there
};

struct MapRequest {
  uint64_t address = 0;  // page-aligned for the fixed placements
  uint64_t length = 0;   // rounded up to whole pages
  uint32_t protection = 0;
  Placement placement = Placement::hint;
  bool shared = false;
  bool no_reserve = false;    // Vma::no_reserve
  bool write_allowed = true;  // Vma::write_allowed
  // The mapped file. A private mapping shows the file's bytes from
  // `file_offset` on, pages past the end of the file read as zeros, and
  // stores stay private. Whole pages of a file whose contents never change
  // (Inode::immutable_contents) map the file copy-on-write; the rest is a
  // copy. A shared mapping aliases the file's pages.
  // NOTE: Linux shows later changes to the file in private pages that the
  // process has not written yet. The copy does not.
  std::shared_ptr<fs::Inode> inode;
  // Instead of `inode`: the standard stream whose host file the platform
  // maps (Pages::map_stream), shared or private, so that the mapping is
  // the host's own, as on Linux.
  std::optional<platform::StdioStream> stream;
  uint64_t file_offset = 0;
  std::string name;
  // For a shared mapping, the first pages to map (mremap passes the pages of
  // the old range). The rest are the file's own pages (Inode::share_pages)
  // or, for anonymous memory, new shared memory.
  PageRuns shared_pages;
  std::shared_ptr<void> writable_mapping;  // Vma::writable_mapping
};

// mremap(2) flags, the Linux MREMAP_* values.
enum RemapFlags : uint32_t {
  remap_may_move = 1,
  remap_fixed = 2,
  remap_dont_unmap = 4,
};

class MemoryMap {
 public:
  explicit MemoryMap(Layout layout = {});
  // Releases every guest page back to the host.
  ~MemoryMap();

  MemoryMap(const MemoryMap&) = delete;
  MemoryMap& operator=(const MemoryMap&) = delete;

  const Layout& layout() const { return layout_; }

  // Sets the maximum number of bytes the areas may cover together
  // (RLIMIT_AS). map() and remap() fail with `enomem` when they would grow
  // the total past it, but areas already past it stay. ~0 sets no limit.
  void set_size_limit(uint64_t bytes);

  // Maps `request.length` bytes and returns the start address. Errors as
  // mmap(2): `einval` for a zero length or an unaligned fixed address,
  // `enomem` when no room is left or a fixed range reaches outside the guest
  // address space, `eexist` for fixed_noreplace over an existing mapping.
  // NOTE: a fixed range that overlaps memory the libOS itself uses fails
  // with `enomem` instead of replacing it.
  Result<uint64_t> map(const MapRequest& request);

  // Unmaps every page in the range; pages that are not mapped are skipped,
  // as munmap(2) does. `einval` for an unaligned start or a zero length.
  Result<void> unmap(uint64_t address, uint64_t length);

  // mprotect(2): `enomem` if part of the range is not mapped.
  Result<void> protect(uint64_t address, uint64_t length, uint32_t protection);

  // mremap(2) with RemapFlags; returns the new address. An `old_length` of 0
  // maps the pages of a shared mapping a second time, as on Linux.
  Result<uint64_t> remap(uint64_t old_address, uint64_t old_length, uint64_t new_length,
                         uint32_t flags, uint64_t new_address);

  // madvise(MADV_DONTNEED): anonymous private pages read as zeros again,
  // file-backed private pages as the file's contents, and shared pages keep
  // their data. `enomem` if part of the range is not mapped.
  Result<void> discard(uint64_t address, uint64_t length);

  // Returns whether every byte of [address, address + length) is mapped.
  bool is_mapped(uint64_t address, uint64_t length);

  // Whether `address` lies in a mapping whose code rewrite_code may change.
  bool holds_rewritable_code(uint64_t address);

  // Stores `replacement` over the 16 bytes at `address` (16-byte aligned)
  // if they equal `expected`, in one atomic store, to rewrite guest code in
  // place. Only a private mapping that is executable and not writable
  // qualifies, and it keeps its protection. Returns whether it stored.
  Result<bool> rewrite_code(uint64_t address, const std::array<std::byte, 16>& expected,
                            const std::array<std::byte, 16>& replacement);

  // Unmaps everything, as execve(2) does before mapping the new program.
  void clear();

  // Drops every Vma::writable_mapping handle, for a process that exits
  // without unmapping, so that file seals no longer wait for its mappings.
  void release_writable_mappings();

  // For fork(2): takes the layout, the size limit and every VMA of `source`, whose pages
  // the host has already copied into this process (private ones copy-on-write,
  // shared ones still aliased). This map must be empty.
  void copy_areas_from(MemoryMap& source);

  // The VMA containing `address`, if any.
  std::optional<Vma> find(uint64_t address);

  // A copy of every VMA in address order, for /proc/self/maps and tests.
  std::vector<Vma> areas();

 private:
  Result<uint64_t> map_locked(const MapRequest& request);
  // Fails with `enomem` when `growth` more bytes of areas would pass
  // size_limit_.
  Result<void> check_growth_locked(uint64_t growth) const;
  // The same for a remap(2) that adds `growth` bytes: with remap_fixed, the
  // areas it replaces in [new_address, new_address + new_length) do not
  // count.
  Result<void> check_remap_growth_locked(uint64_t growth, uint32_t flags, uint64_t new_address,
                                         uint64_t new_length) const;
  // The bytes of areas inside [start, end).
  uint64_t mapped_bytes_locked(uint64_t start, uint64_t end) const;
  Result<void> protect_locked(uint64_t address, uint64_t length, uint32_t protection);
  Result<void> discard_locked(uint64_t address, uint64_t length);
  bool is_mapped_locked(uint64_t address, uint64_t length) const;
  // The area that contains `address`, or null. `lock_` held.
  const Vma* area_containing_locked(uint64_t address) const;
  Result<uint64_t> choose_address(uint64_t hint, uint64_t length);
  std::optional<uint64_t> find_gap_below(uint64_t limit, uint64_t length) const;
  bool overlaps(uint64_t start, uint64_t end) const;
  Result<void> claim(uint64_t start, uint64_t end);
  Result<uint64_t> map_unreserved(const MapRequest& request, uint64_t length);
  Result<void> populate(const Vma& area, platform::Replace replace);
  Result<uint64_t> map_file_pages(const Vma& area, platform::Replace replace);
  Result<void> copy_file_pages(const Vma& area, uint64_t start, platform::Replace replace);
  Result<PageRuns> shared_pages_for(const MapRequest& request, uint64_t length);
  Result<uint64_t> move_stream_pages(const Vma& old_area, uint64_t old_address, uint64_t old_length,
                                     uint64_t new_length, uint32_t flags, uint64_t new_address);
  Result<void> grow_in_place(const Vma& old_area, uint64_t old_address, uint64_t old_length,
                             uint64_t new_length);
  Result<uint64_t> duplicate(uint64_t old_address, uint64_t new_length, uint32_t flags,
                             uint64_t new_address);
  void split_at(uint64_t address);
  // Merges the areas touching [start, end) with their neighbours where the
  // backing allows, as Linux merges VMAs after mprotect(2).
  void merge_range(uint64_t start, uint64_t end);
  void remove_range(uint64_t start, uint64_t end, bool release_pages);
  void insert(Vma area);

  Layout layout_;
  sync::Mutex lock_;
  // Keyed by start address; the areas never overlap.
  std::map<uint64_t, Vma> areas_;
  uint64_t size_limit_ = ~uint64_t{0};
};

}  // namespace litebox::mm
