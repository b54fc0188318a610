// Memory system calls: mmap, munmap, mprotect, mremap, madvise, msync and
// brk, on the process's MemoryMap.
#include <optional>

#include "litebox/fd/stdio_file.hpp"
#include "litebox/platform/pages.hpp"
#include "litebox/platform/platform.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

// mmap(2) flags (MAP_*).
enum MapFlag : uint32_t {
  map_shared = 0x01,
  map_private = 0x02,
  map_shared_validate = 0x03,
  map_type_mask = 0x0f,
  map_fixed = 0x10,
  map_anonymous = 0x20,
  map_32bit = 0x40,
  map_grows_down = 0x100,
  map_deny_write = 0x800,
  map_executable = 0x1000,
  map_locked = 0x2000,
  map_no_reserve = 0x4000,
  map_populate = 0x8000,
  map_non_block = 0x10000,
  map_stack = 0x20000,
  map_huge_tlb = 0x40000,
  map_sync = 0x80000,
  map_fixed_noreplace = 0x100000,
};

// The flags MAP_SHARED_VALIDATE accepts; others fail with EOPNOTSUPP. The
// huge page size bits (26..31) belong to MAP_HUGETLB.
constexpr uint32_t map_known_flags = map_type_mask | map_fixed | map_anonymous | map_32bit |
                                     map_grows_down | map_deny_write | map_executable | map_locked |
                                     map_no_reserve | map_populate | map_non_block | map_stack |
                                     map_huge_tlb | map_sync | map_fixed_noreplace | (0x3fu << 26);

constexpr uint32_t protection_bits =
    platform::prot_read | platform::prot_write | platform::prot_exec;
constexpr uint32_t prot_grows_down = 0x01000000;
constexpr uint32_t prot_grows_up = 0x02000000;

// madvise(2) advice values that are accepted as hints and change nothing.
bool is_harmless_advice(int32_t advice) {
  switch (advice) {
    case 0:   // MADV_NORMAL
    case 1:   // MADV_RANDOM
    case 2:   // MADV_SEQUENTIAL
    case 3:   // MADV_WILLNEED
    case 8:   // MADV_FREE: the pages may keep their contents
    case 10:  // MADV_DONTFORK
    case 11:  // MADV_DOFORK
    case 12:  // MADV_MERGEABLE
    case 13:  // MADV_UNMERGEABLE
    case 14:  // MADV_HUGEPAGE
    case 15:  // MADV_NOHUGEPAGE
    case 16:  // MADV_DONTDUMP
    case 17:  // MADV_DODUMP
    case 18:  // MADV_WIPEONFORK
    case 19:  // MADV_KEEPONFORK
    case 20:  // MADV_COLD
    case 21:  // MADV_PAGEOUT
    case 22:  // MADV_POPULATE_READ
    case 23:  // MADV_POPULATE_WRITE
      return true;
    default:
      return false;
  }
}
constexpr int32_t madv_dontneed = 4;

// The name of a file mapping in /proc/<pid>/maps: the path the file was
// opened by, with " (deleted)" once its last link is gone, as Linux shows
// a memfd ("/memfd:NAME (deleted)").
// NOTE: Linux follows renames of the file; this keeps the path it was
// opened by, as /proc/<pid>/fd does.
std::string mapping_name(const fd::File& file, const fs::Stat& status) {
  std::string path = file.opened_path();
  if (path.empty() || status.link_count != 0) {
    return path;
  }
  return path + " (deleted)";
}

// Completes `request` to map the host file of a standard stream, a regular
// file redirected to the sandbox, from `offset` on. The host maps the file
// itself, so that shared stores reach it. The checks come in Linux's
// order: the access mode (`eacces`), then the file type, where a pipe or
// terminal fails with `enodev`.
Result<void> request_stream_mapping(fd::StdioFile& stream, uint64_t offset,
                                    mm::MapRequest& request) {
  if (request.shared && !fd::writable(stream.flags())) {
    if (request.protection & platform::prot_write) {
      return fail(Errno::eacces);
    }
    request.write_allowed = false;
  }
  if (!fd::readable(stream.flags())) {
    return fail(Errno::eacces);
  }
  const fs::Stat status = TRY(stream.stat());
  if (fs::file_type_of(status.mode) != fs::FileType::regular) {
    return fail(Errno::enodev);
  }
  request.stream = stream.stream();
  request.file_offset = offset;
  request.name = platform::current().stdio.stream_path(stream.stream());
  return {};
}

Result<uint64_t> sys_mmap(Task& task, const SyscallArguments& arguments) {
  const uint64_t address = arguments[0];
  const uint64_t length = arguments[1];
  const uint32_t protection = arguments.as_uint(2);
  const uint32_t flags = arguments.as_uint(3);
  const int32_t descriptor = arguments.as_int(4);
  const uint64_t offset = arguments[5];

  const uint32_t type = flags & map_type_mask;
  if (type != map_shared && type != map_private && type != map_shared_validate) {
    return fail(Errno::einval);
  }
  if (type == map_shared_validate && (flags & ~map_known_flags) != 0) {
    return fail(Errno::eopnotsupp);
  }
  if (length == 0 || !mm::page_aligned(offset) || (protection & ~protection_bits) != 0) {
    return fail(Errno::einval);
  }
  if (mm::page_round_up(length) < length || offset + mm::page_round_up(length) < offset) {
    return fail(Errno::eoverflow);
  }

  mm::MapRequest request;
  request.address = address;
  request.length = length;
  request.protection = protection;
  request.shared = type != map_private;
  request.no_reserve = (flags & map_no_reserve) != 0;
  if (flags & map_fixed_noreplace) {
    request.placement = mm::Placement::fixed_noreplace;
  } else if (flags & map_fixed) {
    request.placement = mm::Placement::fixed;
  }
  // TODO: MAP_32BIT (an address below 2 GiB) is taken as a plain hint.

  if (!(flags & map_anonymous)) {
    auto file = TRY(task.process().descriptors().get(descriptor));
    if (auto* stream = dynamic_cast<fd::StdioFile*>(file.get())) {
      TRY_VOID(request_stream_mapping(*stream, offset, request));
      return task.process().memory.map(request);
    }
    std::shared_ptr<fs::Inode> inode = file->inode();
    if (inode == nullptr) {
      return fail(Errno::enodev);
    }
    fs::Stat status = TRY(inode->stat());
    const fs::FileType file_type = fs::file_type_of(status.mode);
    if (file_type != fs::FileType::regular && file_type != fs::FileType::character_device) {
      return fail(Errno::enodev);
    }
    if (!fd::readable(file->flags())) {
      return fail(Errno::eacces);
    }
    if (request.shared && !fd::writable(file->flags())) {
      if (protection & platform::prot_write) {
        return fail(Errno::eacces);
      }
      request.write_allowed = false;
    }
    if (request.shared && request.write_allowed && file_type == fs::FileType::regular) {
      auto writable_mapping = inode->register_writable_mapping();
      if (!writable_mapping) {
        // A file sealed against writes maps shared only read-only, for good.
        if (protection & platform::prot_write) {
          return fail(writable_mapping.error());
        }
        request.write_allowed = false;
      } else {
        request.writable_mapping = std::move(*writable_mapping);
      }
    }
    // NOTE: a character device (/dev/zero) maps as anonymous memory.
    if (file_type == fs::FileType::regular) {
      request.inode = std::move(inode);
      request.file_offset = offset;
      request.name = mapping_name(*file, status);
    }
  }

  return task.process().memory.map(request);
}

Result<uint64_t> sys_munmap(Task& task, const SyscallArguments& arguments) {
  TRY_VOID(task.process().memory.unmap(arguments[0], arguments[1]));
  return 0;
}

Result<uint64_t> sys_mprotect(Task& task, const SyscallArguments& arguments) {
  const uint32_t protection = arguments.as_uint(2);
  if ((protection & ~(protection_bits | prot_grows_down | prot_grows_up)) != 0 ||
      (protection & prot_grows_down && protection & prot_grows_up)) {
    return fail(Errno::einval);
  }
  // TODO: PROT_GROWSDOWN/PROT_GROWSUP extend the change to the whole stack
  // VMA on Linux; here they only apply to the given range.
  TRY_VOID(task.process().memory.protect(arguments[0], arguments[1], protection & protection_bits));
  return 0;
}

Result<uint64_t> sys_mremap(Task& task, const SyscallArguments& arguments) {
  Process& process = task.process();
  const uint64_t old_address = arguments[0];
  const uint64_t old_length = arguments[1];
  const std::optional<mm::Vma> area = process.memory.find(old_address);
  if (area && (area->protection & platform::prot_exec) != 0 &&
      old_address + old_length > old_address) {
    process.syscall_sites.restore_sites(process, old_address, old_address + old_length);
  }
  return process.memory.remap(old_address, old_length, arguments[2], arguments.as_uint(3),
                              arguments[4]);
}

Result<uint64_t> sys_madvise(Task& task, const SyscallArguments& arguments) {
  const uint64_t address = arguments[0];
  const uint64_t length = arguments[1];
  const int32_t advice = arguments.as_int(2);
  if (!mm::page_aligned(address)) {
    return fail(Errno::einval);
  }
  if (advice != madv_dontneed && !is_harmless_advice(advice)) {
    return fail(Errno::einval);
  }
  if (length == 0) {
    return 0;
  }

  if (advice == madv_dontneed) {
    TRY_VOID(task.process().memory.discard(address, length));
    return 0;
  }
  if (!task.process().memory.is_mapped(address, mm::page_round_up(length))) {
    return fail(Errno::enomem);
  }
  return 0;
}

Result<uint64_t> sys_msync(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t ms_async = 1;
  constexpr uint32_t ms_invalidate = 2;
  constexpr uint32_t ms_sync = 4;
  const uint64_t address = arguments[0];
  const uint32_t flags = arguments.as_uint(2);
  if (!mm::page_aligned(address) || (flags & ~(ms_async | ms_invalidate | ms_sync)) != 0 ||
      ((flags & ms_async) && (flags & ms_sync))) {
    return fail(Errno::einval);
  }
  if (arguments[1] != 0 &&
      !task.process().memory.is_mapped(address, mm::page_round_up(arguments[1]))) {
    return fail(Errno::enomem);
  }
  // Nothing to write back: a shared file mapping aliases the pages that hold
  // the file's data, so read(2) already returns every store, and MS_INVALIDATE
  // has no other copies to drop.
  // NOTE: a shared mapping of a host file redirected to a standard stream is
  // the host's page cache too, but reaches the disk only at fsync(2).
  return 0;
}

Result<uint64_t> sys_mlock(Task& task, const SyscallArguments& arguments) {
  const uint64_t start = mm::page_round_down(arguments[0]);
  const uint64_t end = mm::page_round_up(arguments[0] + arguments[1]);
  if (arguments[1] != 0 && !task.process().memory.is_mapped(start, end - start)) {
    return fail(Errno::enomem);
  }
  // Guest pages are never swapped out by the libOS, so locking changes nothing.
  return 0;
}

// mlockall(2). Guest pages are never swapped out, so locking changes
// nothing, but the flags and RLIMIT_MEMLOCK are checked as on Linux. Without
// CAP_IPC_LOCK (an effective uid other than 0), a limit of 0 fails with
// `eperm`, and MCL_CURRENT with more mapped memory than the limit fails
// with `enomem`.
// TODO: MCL_FUTURE does not lock later mappings, so they never count
// against RLIMIT_MEMLOCK.
Result<uint64_t> sys_mlockall(Task& task, const SyscallArguments& arguments) {
  constexpr uint32_t mcl_current = 1;
  constexpr uint32_t mcl_future = 2;
  constexpr uint32_t mcl_onfault = 4;
  const uint32_t flags = arguments.as_uint(0);
  if (flags == 0 || (flags & ~(mcl_current | mcl_future | mcl_onfault)) != 0 ||
      flags == mcl_onfault) {
    return fail(Errno::einval);
  }

  Process& process = task.process();
  uint64_t limit = 0;
  bool privileged = false;
  {
    sync::LockGuard guard(process.lock);
    limit = process.limits[static_cast<size_t>(Resource::locked_memory)].current;
    privileged = process.credentials.euid == 0;
  }
  if (privileged) {
    return 0;
  }
  if (limit == 0) {
    return fail(Errno::eperm);
  }
  if ((flags & mcl_current) != 0 &&
      process.mapped_bytes() / mm::page_size > limit / mm::page_size) {
    return fail(Errno::enomem);
  }
  return 0;
}

Result<uint64_t> sys_munlockall(Task&, const SyscallArguments&) { return 0; }

Result<uint64_t> sys_brk(Task& task, const SyscallArguments& arguments) {
  Process& process = task.process();
  const uint64_t requested = arguments[0];

  sync::LockGuard guard(process.lock);
  // Linux answers any request it cannot meet with the current break.
  if (requested < process.break_start) {
    return process.break_end;
  }

  const uint64_t old_top = mm::page_round_up(process.break_end);
  const uint64_t new_top = mm::page_round_up(requested);
  if (new_top > old_top) {
    mm::MapRequest request;
    request.address = old_top;
    request.length = new_top - old_top;
    request.protection = platform::prot_read | platform::prot_write;
    request.placement = mm::Placement::fixed_noreplace;
    request.name = "[heap]";
    if (!process.memory.map(request)) {
      return process.break_end;
    }
  } else if (new_top < old_top) {
    if (!process.memory.unmap(new_top, old_top - new_top)) {
      return process.break_end;
    }
  }
  process.break_end = requested;
  return requested;
}

}  // namespace

void register_memory_syscalls(SyscallTable& table) {
  table.add(nr::mmap, sys_mmap);
  table.add(nr::munmap, sys_munmap);
  table.add(nr::mprotect, sys_mprotect);
  table.add(nr::mremap, sys_mremap);
  table.add(nr::madvise, sys_madvise);
  table.add(nr::msync, sys_msync);
  table.add(nr::mlock, sys_mlock);
  table.add(nr::munlock, sys_mlock);
  table.add(nr::mlockall, sys_mlockall);
  table.add(nr::munlockall, sys_munlockall);
  table.add(nr::brk, sys_brk);
}

}  // namespace litebox::shim::linux_abi
