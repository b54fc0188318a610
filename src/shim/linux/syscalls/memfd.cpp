// Anonymous memory files: memfd_create, and the file seals of fcntl(2)
// F_ADD_SEALS and F_GET_SEALS.
#include "shim/linux/syscalls/memfd.hpp"
#include "litebox/fs/memfs.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/syscalls/file_support.hpp"

namespace litebox::shim::linux_abi {

namespace {

// memfd_create(2) flags (MFD_*).
enum MemfdFlag : uint32_t {
  mfd_close_on_exec = 0x01,
  mfd_allow_sealing = 0x02,
  mfd_huge_tlb = 0x04,
  mfd_no_exec_seal = 0x08,
  mfd_exec = 0x10,
};
constexpr uint32_t mfd_known_flags =
    mfd_close_on_exec | mfd_allow_sealing | mfd_huge_tlb | mfd_no_exec_seal | mfd_exec;

// With MFD_HUGETLB, bits 26..31 hold the log2 of the huge page size; 0
// selects the default size. x86-64 has 2 MiB and 1 GiB huge pages.
constexpr uint32_t mfd_huge_shift = 26;
constexpr uint32_t mfd_huge_mask = 0x3fu << mfd_huge_shift;
constexpr uint32_t huge_page_2m_log2 = 21;
constexpr uint32_t huge_page_1g_log2 = 30;

// The maximum name length, without the NUL: NAME_MAX less the "memfd:" prefix.
constexpr size_t memfd_name_max = 249;

Result<void> check_memfd_flags(uint32_t flags) {
  const uint32_t allowed =
      (flags & mfd_huge_tlb) ? mfd_known_flags | mfd_huge_mask : mfd_known_flags;
  if (flags & ~allowed) {
    return fail(Errno::einval);
  }
  const uint32_t huge_page_log2 = (flags & mfd_huge_mask) >> mfd_huge_shift;
  // NOTE: Linux takes the sizes the host has huge pages of; 1 GiB needs a
  // processor with pdpe1gb.
  if (huge_page_log2 != 0 && huge_page_log2 != huge_page_2m_log2 &&
      huge_page_log2 != huge_page_1g_log2) {
    return fail(Errno::einval);
  }
  if ((flags & mfd_exec) && (flags & mfd_no_exec_seal)) {
    return fail(Errno::einval);
  }
  return {};
}

// The seals a new memfd carries: MFD_NOEXEC_SEAL seals the execute bits and
// allows more seals, MFD_ALLOW_SEALING only allows them, and without either
// F_SEAL_SEAL forbids every seal.
uint32_t initial_seals(uint32_t flags) {
  if (flags & mfd_no_exec_seal) {
    return fs::seal_exec;
  }
  if (flags & mfd_allow_sealing) {
    return 0;
  }
  return fs::seal_seal;
}

Result<uint64_t> sys_memfd_create(Task& task, const SyscallArguments& arguments) {
  const uint64_t name_address = arguments[0];
  const uint32_t flags = arguments.as_uint(1);
  TRY_VOID(check_memfd_flags(flags));

  auto name = read_guest_string(name_address, memfd_name_max);
  if (!name) {
    return fail(name.error() == Errno::enametoolong ? Errno::einval : name.error());
  }

  // Without MFD_EXEC or MFD_NOEXEC_SEAL the file is executable, as Linux
  // makes it under the default vm.memfd_noexec = 0.
  const uint32_t permissions = (flags & mfd_no_exec_seal) ? 0666 : 0777;
  fs::Credentials owner;
  {
    Process& process = task.process();
    sync::LockGuard guard(process.lock);
    owner = process.credentials.file_system();
  }
  // TODO: MFD_HUGETLB makes an ordinary memfd with 4 KiB pages, where Linux
  // makes a hugetlbfs file whose size is a multiple of the huge page size
  // and that write(2) cannot fill.
  auto inode = fs::memfs::create_unlinked_file(task.kernel().memfd_file_system(), permissions,
                                               owner.uid, owner.gid, initial_seals(flags));

  auto file = TRY(inode->open(fd::open_read_write | fd::open_large_file));
  file->set_mount(task.kernel().memfd_mount());
  file->set_opened_path("/memfd:" + *name);
  const bool close_on_exec = (flags & mfd_close_on_exec) != 0;
  return TRY(task.process().descriptors().allocate(std::move(file), close_on_exec));
}

}  // namespace

Result<uint64_t> fcntl_seals(Task& task, int32_t descriptor, uint32_t command, uint32_t seals) {
  auto file = TRY(file_of(task, descriptor));
  std::shared_ptr<fs::Inode> inode = file->inode();
  if (command == f_get_seals) {
    if (inode == nullptr) {
      return fail(Errno::einval);
    }
    return TRY(inode->seals());
  }

  // Linux checks the access mode before it looks at the file's type.
  if (!fd::writable(file->flags())) {
    return fail(Errno::eperm);
  }
  if ((seals & ~fs::all_file_seals) != 0 || inode == nullptr) {
    return fail(Errno::einval);
  }
  TRY_VOID(inode->add_seals(seals));
  return 0;
}

void register_memfd_syscalls(SyscallTable& table) { table.add(nr::memfd_create, sys_memfd_create); }

}  // namespace litebox::shim::linux_abi
