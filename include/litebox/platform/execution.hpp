// Guest execution: running guest code on host threads, intercepting its
// system calls, and copying to and from guest memory without trusting guest
// pointers. Only hosts that run guest code natively implement it (Linux
// userland today); the mock platform does not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "litebox/platform/clock.hpp"
#include "litebox/platform/threads.hpp"
#include "litebox/result.hpp"

namespace litebox::platform {

// The general-purpose register file of a guest thread at a system call. On
// entry `rax` holds the system call number, `rdi rsi rdx r10 r8 r9` the
// arguments and `rip` the address after the `syscall` instruction. The
// handler stores the result in `rax`; every other change (for example to
// `rip` and `rsp` by execve or rt_sigreturn) takes effect when the thread
// returns to the guest. As after the syscall instruction, `rcx` holds the
// return address and `r11` the rflags on entry, and the guest gets them back
// unless the handler changes them. `fs_base` is the guest's and takes effect
// on return. `gs_base` is informational: on Linux userland the platform keeps
// gs for itself. Extended (x87/SSE/AVX) state is saved and restored by the
// platform and survives the call unchanged unless `extended_state` is
// rewritten (a rewritten image must keep a valid XSAVE header).
struct GuestRegisters {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
  uint64_t rip, rflags;
  uint64_t fs_base, gs_base;
};

// The XSAVE image of a guest thread's extended state (64-byte aligned,
// extended_state_size() bytes, standard format). Signal delivery copies it
// into the guest's signal frame. A component whose bit in the header's
// XSTATE_BV is clear is in its initial state, and its bytes in the image
// may be stale until Execution::complete_extended_state writes them.
struct ExtendedState {
  std::byte* data = nullptr;
  size_t size = 0;
  // XCR0: the state components the host enables, which a rewritten image
  // may set in its XSAVE header and no others.
  uint64_t enabled_features = 0;
};

// A hardware exception that guest code raised, as the host reported it.
// `signal` and `code` are the Linux values (SIGSEGV and SEGV_MAPERR, ...),
// `address` the faulting address (si_addr), `trap_number` and
// `error_code` the CPU's exception vector and error code where known.
struct GuestFault {
  int signal = 0;
  int code = 0;
  uint64_t address = 0;
  uint64_t trap_number = 0;
  uint64_t error_code = 0;
};

class SyscallHandler {
 public:
  virtual ~SyscallHandler() = default;

  // Serves one guest system call on the calling host thread, in an ordinary
  // (not signal-handler) context on a libOS stack.
  virtual void handle_syscall(GuestRegisters& registers, ExtendedState extended_state) = 0;

  // Takes a fault of guest code in the same kind of context: `registers`
  // hold the faulting instruction's context (rcx and r11 included), and any
  // change takes effect when the thread returns to the guest. Returns false
  // when the handler does not take faults; the platform then ends the
  // process with status 128 + signal.
  virtual bool handle_fault(GuestRegisters&, ExtendedState, const GuestFault&) { return false; }

  // Runs when Threads::interrupt reached the thread while it ran guest
  // code, in the same kind of context, so that a guest signal sent by
  // another thread takes effect without waiting for a system call.
  // `registers` hold the interrupted context. The default does nothing.
  virtual void handle_interrupt(GuestRegisters&, ExtendedState) {}
};

enum class InterceptionMode { seccomp, syscall_user_dispatch };

// The side of fork_process that a caller returns on.
enum class ForkSide { parent, child };

// The outcome of fork_process: the side, and on the parent's side the new
// child's process id.
struct Fork {
  ForkSide side;
  ProcessId child = 0;
};

// A child process that reap_children collected: `signal` is the signal that
// ended it, or 0 when it exited with `exit_code`. `usage` is what the host
// counted for it, the children that it collected on the host included.
struct EndedChild {
  ProcessId process = 0;
  int exit_code = 0;
  int signal = 0;
  ResourceUsage usage;
};

class Execution {
 public:
  virtual ~Execution() = default;

  // Seals the process: every executable mapping present now is trusted and
  // may issue only the allowlisted host requests; system calls from anywhere
  // else are routed to `handler`. Call once, before the first enter_guest.
  // Returns `enosys` with a logged reason when the host lacks the mechanism.
  virtual Result<void> start_interception(SyscallHandler& handler, InterceptionMode mode) = 0;

  // Switches the calling thread into the guest with `registers` (rax, rip,
  // rsp and fs_base matter most). Does not return.
  [[noreturn]] virtual void enter_guest(const GuestRegisters& registers) = 0;

  // Starts a new host thread that enters the guest with `registers` and a
  // copy of the calling guest thread's extended state, as
  // clone(CLONE_THREAD) does. Returns its thread id.
  virtual Result<ThreadId> spawn_guest_thread(const GuestRegisters& registers) = 0;

  // Copies the calling process into a new host process, as fork(2) does:
  // private memory is copied on write, memory mapped shared (the kernel
  // heap) stays shared, and only the calling thread goes on in the child,
  // returning `child`; the original returns `parent` and the child's id.
  // Exit statuses travel through shared memory; reap_children reports only
  // how the host saw a child end. Call only from a system call handler.
  // Hosts without processes return `enosys`.
  virtual Result<Fork> fork_process() { return fail(Errno::enosys); }

  // Collects the child processes of the calling process that have ended
  // (and on Linux the orphans that the first process adopts), so that one
  // the host killed is not waited for forever. Makes no host request unless
  // a child has ended since the last call; returns nothing on hosts without
  // processes. Thread-safe.
  virtual std::vector<EndedChild> reap_children() { return {}; }

  // Writes the initial values of the components that `state` marks as
  // unused, as XSAVE does, so the image can be shown to the guest. The
  // default leaves an image that is complete already.
  virtual void complete_extended_state(ExtendedState /*state*/) {}

  // Returns and clears the signals (bit n - 1 for signal n) that reached
  // this process from outside the sandbox, from a terminal or the host's
  // kill(2), so the shim can pass them to the guest. Lock-free.
  virtual uint64_t take_relayed_signals() { return 0; }

  // Whether reap_children may find an ended child: a lock-free check that a
  // caller makes before it takes the locks that reaping needs.
  virtual bool children_may_have_ended() const { return false; }

  // The address that a rewritten system call site jumps to, or 0 when the
  // platform has none. The site jumps there with the system call number in
  // eax, the address after its syscall instruction in rcx and every other
  // register as the guest left it, and the call is then served as if it
  // had trapped there.
  virtual uint64_t rewritten_call_entry() const { return 0; }

  // Whether the system call that the calling thread serves trapped, rather
  // than arriving from a rewritten site. Only valid inside handle_syscall.
  virtual bool serving_trapped_call() const { return false; }

  // Ends the calling thread (exit(2)) or the whole process (exit_group(2)).
  [[noreturn]] virtual void exit_thread() = 0;
  [[noreturn]] virtual void exit_process(int status) = 0;

  // Copies between libOS memory and guest addresses. A guest address that is
  // unmapped or lacks the needed access returns `efault`; nothing crashes.
  virtual Result<void> copy_from_guest(void* destination, uint64_t guest_address,
                                       size_t length) = 0;
  virtual Result<void> copy_to_guest(uint64_t guest_address, const void* source, size_t length) = 0;
  // Reads a NUL-terminated string of at most `max_length` bytes (without
  // the NUL); `enametoolong` if no NUL comes within the limit.
  virtual Result<std::string> copy_string_from_guest(uint64_t guest_address, size_t max_length) = 0;

  // Size in bytes of the XSAVE image on this CPU.
  virtual size_t extended_state_size() const = 0;
};

}  // namespace litebox::platform
