// System call sites that skip the trap. After a guest system call traps
// (SIGSYS), the shim rewrites its site when the instruction before the
// `syscall` has one of the forms that libcs emit there (syscall_sites.cpp
// lists them), such as glibc's `mov $number, %eax`:
//
//   site:        b8 <number>      mov $number, %eax   ->  e9 <rel32>  jmp slot
//   site + 5:    0f 05            syscall                 0f 05       (kept)
//
// The slot, in a trampoline page within 2 GiB of the site, runs the
// replaced instruction, sets rcx as the syscall would and enters the libOS
// directly:
//
//   slot:        mov $number, %eax
//                lea site + 7(%rip), %rcx      the syscall's return address
//                jmp *entry(%rip)              Execution::rewritten_call_entry
//
// glibc's read(2) sets eax with `xor %eax, %eax`, 2 bytes, too short for
// the jmp. Such a short site becomes a jmp rel8 to padding after a `ret`
// of its wrapper, which then contains the jmp rel32 to the slot:
//
//   site:        31 c0            xor %eax, %eax   ->  eb <rel8>   jmp padding
//   site + 2:    0f 05            syscall              0f 05       (kept)
//   ...          c3               ret                  c3
//   padding:     0f 1f 44 00 00   nop                  e9 <rel32>  jmp slot
//
// The slot keeps the padding's original bytes after its code.
//
// Later calls from the site cost a jump instead of a signal and its return.
// The syscall instruction stays, so a thread that had executed the replaced
// instruction before the rewrite, or that restarts the call (rip - 2),
// still traps and is served. Only code in private mappings that are
// executable and not writable is rewritten, and only with one atomic
// 16-byte store (MemoryMap::rewrite_code), so a thread running the site at
// that moment executes either the old or the new bytes.
//
// A rewrite costs a few microseconds (four mprotect calls), several traps'
// worth, so only a site that keeps trapping is rewritten: most sites of a
// short run, its start-up calls, run once or twice.
//
// mremap(2) of code restores its rewritten sites first (restore_sites),
// because a moved jmp would lead to a slot that returns to the old address.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "litebox/platform/execution.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::shim::linux_abi {

class Process;

class SyscallSites {
 public:
  SyscallSites() = default;
  SyscallSites(const SyscallSites&) = delete;
  SyscallSites& operator=(const SyscallSites&) = delete;

  // Counts a trap of the system call that trapped with `registers` and
  // rewrites its site, as the file comment describes, once the site has
  // trapped `traps_before_rewrite` times, has that form, and the platform
  // and the mapping allow it. Does nothing otherwise. Thread-safe.
  void note_trap(Process& process, const platform::GuestRegisters& registers);

  // For fork(2): stops rewrites until the host fork is done, so that the
  // child's copy of the memory map, of the trampoline pages and of their
  // used slots matches the memory that it inherits. Only the parent calls
  // end_fork, because the lock belongs to its process.
  void begin_fork();
  void end_fork();

  // For fork(2), between `source.begin_fork()` and the host fork: the
  // child's memory contains copies of `source`'s trampoline pages, so it
  // may fill their free slots.
  void copy_from(SyscallSites& source);

  // For mremap(2) of the code in [start, end): puts the original instruction
  // back at each rewritten site there, because the rel32 operand of its jmp
  // and the return address in its slot would stay with the old address.
  void restore_sites(Process& process, uint64_t start, uint64_t end);

  // For execve(2): the trampoline pages and the counted sites went with the
  // old image.
  void clear();

 private:
  struct TrampolinePage {
    uint64_t address = 0;
    uint32_t used_slots = 0;
  };

  // Returns the address of a free slot within 2 GiB of `site`, mapping a
  // new trampoline page when no page has one. `lock_` held.
  std::optional<uint64_t> take_slot_locked(Process& process, uint64_t site, uint64_t entry);

  // Returns `slot`, the last one that take_slot_locked took, to its page
  // when no site jumps to it. `lock_` held.
  void give_back_slot_locked(uint64_t slot);

  // Puts the original instruction back at the site that jumps to `slot`, when
  // that site lies in [start, end). `lock_` held.
  void restore_site_locked(Process& process, uint64_t slot, uint64_t start, uint64_t end);

  sync::Mutex lock_;
  std::vector<TrampolinePage> pages_;
  // Traps so far of each site that has the form but is not rewritten yet.
  std::unordered_map<uint64_t, uint32_t> trap_counts_;
};

}  // namespace litebox::shim::linux_abi
