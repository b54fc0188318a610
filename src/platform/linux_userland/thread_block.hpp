// The thread block: one aligned, power-of-two-sized region per guest thread
// that holds everything the entry path needs without thread-local storage.
//
//   0x00000  ThreadBlock header (guest registers, libOS fs base, selector)
//   0x00400  XSAVE area of the guest's extended state
//   0x10000  guard page
//   0x11000  alternate signal stack (SIGSYS and fault handlers run here)
//   0x21000  guard page
//   0x22000  libOS stack, growing down from the end of the block
//
// Blocks come from one reserved region, so a signal handler decides whether
// it runs on a block's alternate stack by a range check on its stack pointer
// and finds the block by clearing the low bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "litebox/platform/execution.hpp"
#include "thread_block_layout.h"

namespace litebox::platform::linux_userland {

inline constexpr size_t thread_block_size = LB_BLOCK_SIZE;

// What sent a thread from guest code into the entry path.
enum class EntryReason : uint8_t {
  system_call,
  // Guest code faulted (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP).
  fault,
  // The interrupt signal (Threads::interrupt) arrived while guest code ran.
  interrupt,
};

struct ThreadBlock {
  GuestRegisters registers;
  uint64_t libos_fs_base;
  uint64_t libos_stack_top;
  // Stack pointer of the host context that litebox_return_to_host resumes.
  uint64_t host_rsp;
  // Syscall User Dispatch selector: LB_SELECTOR_BLOCK while guest code runs.
  // The kernel reads it on every system call of this thread.
  volatile uint8_t selector;
  // 1 when the SIGSYS handler has copied the guest's extended state from
  // the signal frame into the XSAVE area, so the entry path skips its
  // XSAVE and clears it.
  uint8_t extended_state_copied;
  // The reason the thread entered the libOS. A fault's details are in `fault`.
  EntryReason entry_reason;
  GuestFault fault;
  // Nonzero once the interrupt signal has arrived and no futex wait has
  // returned EINTR for it yet. The interrupt handler sets it, because a
  // sender in another process cannot.
  uint32_t interrupt_pending;
  // Whether the system call being served trapped (SIGSYS) rather than
  // arriving from a rewritten call site. The SIGSYS handler sets it, and
  // litebox_dispatch_syscall moves it to `serving_trapped_call`.
  bool trapped_call;
  bool serving_trapped_call;

  std::byte* xsave_area() {
    // Safety: a ThreadBlock sits at the start of its block, so the XSAVE area
    // lies inside the same committed mapping.
    return reinterpret_cast<std::byte*>(this) + LB_XSAVE_AREA;
  }
  std::byte* altstack() {
    // Safety: as for xsave_area().
    return reinterpret_cast<std::byte*>(this) + LB_ALTSTACK;
  }
};

static_assert(offsetof(ThreadBlock, registers.r15) == LB_R15);
static_assert(offsetof(ThreadBlock, registers.r14) == LB_R14);
static_assert(offsetof(ThreadBlock, registers.r13) == LB_R13);
static_assert(offsetof(ThreadBlock, registers.r12) == LB_R12);
static_assert(offsetof(ThreadBlock, registers.r11) == LB_R11);
static_assert(offsetof(ThreadBlock, registers.r10) == LB_R10);
static_assert(offsetof(ThreadBlock, registers.r9) == LB_R9);
static_assert(offsetof(ThreadBlock, registers.r8) == LB_R8);
static_assert(offsetof(ThreadBlock, registers.rdi) == LB_RDI);
static_assert(offsetof(ThreadBlock, registers.rsi) == LB_RSI);
static_assert(offsetof(ThreadBlock, registers.rbp) == LB_RBP);
static_assert(offsetof(ThreadBlock, registers.rbx) == LB_RBX);
static_assert(offsetof(ThreadBlock, registers.rdx) == LB_RDX);
static_assert(offsetof(ThreadBlock, registers.rax) == LB_RAX);
static_assert(offsetof(ThreadBlock, registers.rcx) == LB_RCX);
static_assert(offsetof(ThreadBlock, registers.rsp) == LB_RSP);
static_assert(offsetof(ThreadBlock, registers.rip) == LB_RIP);
static_assert(offsetof(ThreadBlock, registers.rflags) == LB_RFLAGS);
static_assert(offsetof(ThreadBlock, registers.fs_base) == LB_FS_BASE);
static_assert(offsetof(ThreadBlock, registers.gs_base) == LB_GS_BASE);
static_assert(offsetof(ThreadBlock, libos_fs_base) == LB_LIBOS_FS_BASE);
static_assert(offsetof(ThreadBlock, libos_stack_top) == LB_LIBOS_STACK_TOP);
static_assert(offsetof(ThreadBlock, host_rsp) == LB_HOST_RSP);
static_assert(offsetof(ThreadBlock, selector) == LB_SELECTOR);
static_assert(offsetof(ThreadBlock, extended_state_copied) == LB_EXTENDED_STATE_COPIED);
static_assert(sizeof(ThreadBlock) <= LB_XSAVE_AREA);
static_assert(LB_XSAVE_AREA + LB_XSAVE_AREA_MAX <= LB_ALTSTACK_GUARD);
static_assert(LB_ALTSTACK + LB_ALTSTACK_SIZE <= LB_STACK_GUARD);
static_assert((thread_block_size & (thread_block_size - 1)) == 0);

// A range of trusted executable addresses, [start, end).
struct AddressRange {
  uint64_t start;
  uint64_t end;
};

inline constexpr size_t max_trusted_ranges = 64;

// Process-wide facts the signal handlers read without locks or thread-local
// storage. Written before the handlers are installed and the process is
// sealed, read-only afterwards.
struct SignalState {
  uint64_t block_region_start = 0;
  uint64_t block_region_end = 0;
  AddressRange trusted_ranges[max_trusted_ranges] = {};
  size_t trusted_range_count = 0;
  int interrupt_signal = 0;
  // The parent-death signal (PR_SET_PDEATHSIG) of every forked process,
  // the first process of the sandbox, which adopts its orphans, and this
  // process's parent at fork. See end_if_sandbox_ended.
  int lifeline_signal = 0;
  int first_process = 0;
  int parent_process = 0;
  // The size of the XSAVE image of the entry path, for the SIGSYS handler.
  size_t xsave_size = 0;
};

extern SignalState signal_state;

// Returns the thread block whose memory contains `address`, or nullptr.
inline ThreadBlock* thread_block_containing(uint64_t address) {
  if (address < signal_state.block_region_start || address >= signal_state.block_region_end) {
    return nullptr;
  }
  // Safety: blocks are aligned to their size inside the reserved region, and
  // a handler running on a block's stack implies the block is committed.
  return reinterpret_cast<ThreadBlock*>(address & ~(uint64_t{thread_block_size} - 1));
}

// Returns the block of the calling guest thread, or nullptr on other
// threads. Only for libOS context, where fs base is the libOS's.
ThreadBlock* current_thread_block();

// Returns whether `address` lies in code that was mapped when the process was
// sealed.
inline bool is_trusted_address(uint64_t address) {
  for (size_t i = 0; i < signal_state.trusted_range_count; ++i) {
    if (address >= signal_state.trusted_ranges[i].start &&
        address < signal_state.trusted_ranges[i].end) {
      return true;
    }
  }
  return false;
}

}  // namespace litebox::platform::linux_userland

// Symbols of entry.S.
extern "C" {
extern uint8_t litebox_have_fsgsbase;
extern uint8_t litebox_have_xsaveopt;
void litebox_syscall_entry();
void litebox_rewritten_call_entry();
[[noreturn]] void litebox_return_to_guest(litebox::platform::linux_userland::ThreadBlock* block);
void litebox_enter_guest_from_host(litebox::platform::linux_userland::ThreadBlock* block);
[[noreturn]] void litebox_return_to_host(litebox::platform::linux_userland::ThreadBlock* block);
void litebox_signal_restorer();
void litebox_complete_xsave_image(std::byte* image);
extern const char litebox_signal_restorer_end[];
int litebox_guest_copy(void* destination, const void* source, size_t length);
extern const char litebox_guest_copy_end[];
extern const char litebox_guest_copy_fault[];
int64_t litebox_guest_strnlen(const char* string, size_t limit);
extern const char litebox_guest_strnlen_end[];
extern const char litebox_guest_strnlen_fault[];
int64_t litebox_interruptible_futex_wait(uint32_t* word, int operation, uint32_t expected,
                                         const void* timeout, const uint32_t* interrupt_pending);
extern const char litebox_futex_wait_window_start[];
extern const char litebox_futex_wait_syscall[];
extern const char litebox_futex_wait_interrupted[];
}
