// Advisory file locks: fcntl(2) F_GETLK, F_SETLK, F_SETLKW and their OFD
// forms, and flock(2). The locks themselves live in the inode's
// fs::FileLocks, which every process of the sandbox shares.
#include "shim/linux/syscalls/lock.hpp"

#include "litebox/fs/file_locks.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// struct flock on x86-64 (struct flock64 is the same).
struct LinuxFlock {
  int16_t type;
  int16_t whence;
  int32_t padding0;
  int64_t start;
  int64_t length;
  int32_t pid;
  int32_t padding1;
};
static_assert(sizeof(LinuxFlock) == 32);

// l_type values.
constexpr int16_t lock_read = 0;
constexpr int16_t lock_write = 1;
constexpr int16_t lock_unlocked = 2;

// l_whence values.
constexpr int16_t seek_set = 0;
constexpr int16_t seek_current = 1;
constexpr int16_t seek_end = 2;

// flock(2) operations.
enum FlockOperation : uint32_t {
  flock_shared = 1,
  flock_exclusive = 2,
  flock_non_blocking = 4,
  flock_unlock = 8,
  flock_mandatory = 32,
};

bool is_ofd_command(uint32_t command) {
  return command == f_ofd_getlk || command == f_ofd_setlk || command == f_ofd_setlkw;
}

// The byte range [start, end] that a struct flock names, computed as Linux
// does: `einval` for a range that starts before offset 0, `eoverflow` for
// one that ends past the largest offset.
Result<std::pair<int64_t, int64_t>> byte_range_of(fd::File& file, const LinuxFlock& lock) {
  int64_t base = 0;
  switch (lock.whence) {
    case seek_set:
      break;
    case seek_current:
      base = static_cast<int64_t>(TRY(file.seek(0, fd::SeekOrigin::current)));
      break;
    case seek_end:
      base = TRY(file.stat()).size;
      break;
    default:
      return fail(Errno::einval);
  }

  int64_t start = 0;
  if (__builtin_add_overflow(base, lock.start, &start) || start < 0) {
    return fail(Errno::einval);
  }
  if (lock.length > 0) {
    if (lock.length - 1 > fs::lock_offset_max - start) {
      return fail(Errno::eoverflow);
    }
    return std::pair{start, start + lock.length - 1};
  }
  if (lock.length < 0) {
    if (start + lock.length < 0) {
      return fail(Errno::einval);
    }
    return std::pair{start + lock.length, start - 1};
  }
  return std::pair{start, fs::lock_offset_max};
}

Result<void> check_lock_type(int16_t type) {
  if (type != lock_read && type != lock_write && type != lock_unlocked) {
    return fail(Errno::einval);
  }
  return {};
}

// F_GETLK: rewrites the guest's struct flock to describe the first
// conflicting lock, or sets only l_type to F_UNLCK when there is none.
Result<uint64_t> get_record_lock(fs::FileLocks* locks, const fs::RecordLock& request,
                                 LinuxFlock lock, uint64_t address) {
  std::optional<fs::RecordLock> conflict;
  if (locks != nullptr) {
    conflict = locks->find_conflict(request);
  }

  if (!conflict) {
    lock.type = lock_unlocked;
  } else {
    lock.type = conflict->type == fs::LockType::write ? lock_write : lock_read;
    lock.whence = seek_set;
    lock.start = conflict->start;
    lock.length = conflict->end == fs::lock_offset_max ? 0 : conflict->end - conflict->start + 1;
    lock.pid = conflict->pid;
  }
  TRY_VOID(GuestPtr<LinuxFlock>(address).write(lock));
  return 0;
}

}  // namespace

Result<uint64_t> fcntl_record_lock(Task& task, int32_t descriptor, uint32_t command,
                                   uint64_t address) {
  auto file = TRY(file_of(task, descriptor));
  if (file->flags() & fd::open_path) {
    return fail(Errno::ebadf);
  }
  LinuxFlock lock = TRY(GuestPtr<LinuxFlock>(address).read());
  const bool get = command == f_getlk || command == f_ofd_getlk;
  const bool ofd = is_ofd_command(command);

  // Linux checks in this order: the type (F_GETLK takes no F_UNLCK), the
  // range, the access mode, then l_pid of OFD requests.
  TRY_VOID(check_lock_type(lock.type));
  if (get && lock.type == lock_unlocked) {
    return fail(Errno::einval);
  }
  auto [start, end] = TRY(byte_range_of(*file, lock));
  if (!get && lock.type == lock_read && !fd::readable(file->flags())) {
    return fail(Errno::ebadf);
  }
  if (!get && lock.type == lock_write && !fd::writable(file->flags())) {
    return fail(Errno::ebadf);
  }
  if (ofd && lock.pid != 0) {
    return fail(Errno::einval);
  }

  const int32_t pid = task.process().pid();
  fs::RecordLock request{
      .owner = ofd ? fs::LockOwner{fs::LockOwner::Kind::description, file->lock_owner_id()}
                   : fs::LockOwner{fs::LockOwner::Kind::process, static_cast<uint64_t>(pid)},
      .type = lock.type == lock_write ? fs::LockType::write : fs::LockType::read,
      .start = start,
      .end = end,
      .pid = ofd ? -1 : pid,
  };

  // TODO: a description without an inode (a socket), and for OFD locks one
  // that is not a regular file or directory (a fifo end), keeps no locks:
  // F_GETLK reports unlocked and F_SETLK succeeds.
  std::shared_ptr<fs::Inode> inode = file->inode();
  if (inode == nullptr || (ofd && !file->releases_description_locks())) {
    return get ? get_record_lock(nullptr, request, lock, address) : 0;
  }

  // Testing and unlocking need no lock table where no lock was ever taken.
  if (get) {
    return get_record_lock(inode->existing_file_locks(), request, lock, address);
  }
  if (lock.type == lock_unlocked) {
    if (fs::FileLocks* locks = inode->existing_file_locks(); locks != nullptr) {
      locks->unlock(request.owner, start, end);
    }
    return 0;
  }
  const bool wait = command == f_setlkw || command == f_ofd_setlkw;
  TRY_VOID(inode->file_locks().lock(request, wait));
  return 0;
}

namespace {

Result<uint64_t> sys_flock(Task& task, const SyscallArguments& arguments) {
  const int32_t descriptor = arguments.as_int(0);
  const uint32_t operation = arguments.as_uint(1);

  // NOTE: Linux 6.18 (tests/abi/file_locks.c runs it natively) returns 0
  // for LOCK_MAND before it looks at the descriptor, and it checks the
  // operation before the descriptor too.
  if (operation & flock_mandatory) {
    return 0;
  }
  const uint32_t kind = operation & ~uint32_t{flock_non_blocking};
  if (kind != flock_shared && kind != flock_exclusive && kind != flock_unlock) {
    return fail(Errno::einval);
  }
  auto file = TRY(file_of(task, descriptor));
  if (file->flags() & fd::open_path) {
    return fail(Errno::ebadf);
  }

  // TODO: flock on a description that is not a regular file or directory
  // (a fifo end, a socket) keeps no lock and always succeeds.
  std::shared_ptr<fs::Inode> inode = file->inode();
  if (inode == nullptr || !file->releases_description_locks()) {
    return 0;
  }
  if (kind == flock_unlock) {
    if (fs::FileLocks* locks = inode->existing_file_locks(); locks != nullptr) {
      locks->release_flock(file->lock_owner_id());
    }
    return 0;
  }
  fs::FileLocks& locks = inode->file_locks();
  const fs::LockType type = kind == flock_exclusive ? fs::LockType::write : fs::LockType::read;
  TRY_VOID(locks.flock(file->lock_owner_id(), type, (operation & flock_non_blocking) == 0));
  return 0;
}

}  // namespace

void register_lock_syscalls(SyscallTable& table) { table.add(nr::flock, sys_flock); }

}  // namespace litebox::shim::linux_abi
