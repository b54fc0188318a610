#include "signal_handlers.hpp"

#include <linux/audit.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "raw_syscall.hpp"
#include "thread_block.hpp"

// The first byte of the executable's image, defined by the GNU linkers.
extern "C" const char __executable_start[];

namespace litebox::platform::linux_userland {

SignalState signal_state;
uint64_t relayed_signals_pending = 0;

namespace {

// si_code values of SIGSYS (<asm-generic/siginfo.h>).
constexpr int sys_seccomp = 1;
constexpr int sys_user_dispatch = 2;

// sa_flags bit telling the kernel that sa_restorer is set (<asm/signal.h>).
constexpr uint64_t sa_restorer = 0x04000000;

// The kernel's struct sigaction for rt_sigaction(2), which glibc's
// sigaction() would rewrite with its own sa_restorer.
struct KernelSigaction {
  void (*handler)(int, siginfo_t*, void*);
  uint64_t flags;
  void (*restorer)();
  uint64_t mask;
};

// A fixed-size message assembled without libc.
class Diagnostic {
 public:
  Diagnostic& text(const char* string) {
    while (*string != '\0' && length_ < sizeof(buffer_) - 1) {
      buffer_[length_++] = *string++;
    }
    return *this;
  }

  Diagnostic& hex(uint64_t value) {
    text("0x");
    char digits[16];
    int count = 0;
    do {
      digits[count++] = "0123456789abcdef"[value & 0xf];
      value >>= 4;
    } while (value != 0);
    while (count > 0 && length_ < sizeof(buffer_) - 1) {
      buffer_[length_++] = digits[--count];
    }
    return *this;
  }

  Diagnostic& decimal(int64_t value) {
    if (value < 0) {
      text("-");
      value = -value;
    }
    char digits[20];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (count > 0 && length_ < sizeof(buffer_) - 1) {
      buffer_[length_++] = digits[--count];
    }
    return *this;
  }

  [[noreturn]] void exit_process(int status) {
    buffer_[length_] = '\0';
    write_diagnostic(buffer_);
    raw_syscall(SYS_exit_group, static_cast<uint64_t>(status));
    __builtin_unreachable();
  }

 private:
  char buffer_[256];
  size_t length_ = 0;
};

uint64_t current_stack_pointer() {
  // Safety: only the numeric value of the frame address is used.
  return reinterpret_cast<uint64_t>(__builtin_frame_address(0));
}

bool in_range(uint64_t address, const void* start, const void* end) {
  // Safety: compares code addresses as integers; nothing is dereferenced.
  return address >= reinterpret_cast<uint64_t>(start) && address < reinterpret_cast<uint64_t>(end);
}

uint64_t code_address(const void* symbol) {
  // Safety: converts a code symbol to the integer the ucontext holds.
  return reinterpret_cast<uint64_t>(symbol);
}

// Copies the general registers of the interrupted guest context into the
// thread block's GuestRegisters.
void save_guest_registers(GuestRegisters& registers, const greg_t* gregs) {
  registers.r15 = static_cast<uint64_t>(gregs[REG_R15]);
  registers.r14 = static_cast<uint64_t>(gregs[REG_R14]);
  registers.r13 = static_cast<uint64_t>(gregs[REG_R13]);
  registers.r12 = static_cast<uint64_t>(gregs[REG_R12]);
  registers.r11 = static_cast<uint64_t>(gregs[REG_R11]);
  registers.r10 = static_cast<uint64_t>(gregs[REG_R10]);
  registers.r9 = static_cast<uint64_t>(gregs[REG_R9]);
  registers.r8 = static_cast<uint64_t>(gregs[REG_R8]);
  registers.rdi = static_cast<uint64_t>(gregs[REG_RDI]);
  registers.rsi = static_cast<uint64_t>(gregs[REG_RSI]);
  registers.rbp = static_cast<uint64_t>(gregs[REG_RBP]);
  registers.rbx = static_cast<uint64_t>(gregs[REG_RBX]);
  registers.rdx = static_cast<uint64_t>(gregs[REG_RDX]);
  registers.rax = static_cast<uint64_t>(gregs[REG_RAX]);
  registers.rcx = static_cast<uint64_t>(gregs[REG_RCX]);
  registers.rsp = static_cast<uint64_t>(gregs[REG_RSP]);
  registers.rip = static_cast<uint64_t>(gregs[REG_RIP]);
  registers.rflags = static_cast<uint64_t>(gregs[REG_EFL]);
}

// Copies the guest's extended state from the signal frame into `block`'s
// XSAVE area, which costs less than a second XSAVE in the entry path.
// Returns false, copying nothing, when the frame has no image that fits.
// NOTE: the frame holds only the components that the kernel shows to
// signal handlers (not AMX tile data unless the process asked for it), and
// its header marks the others absent, so XRSTOR initializes them.
__attribute__((no_stack_protector)) bool copy_frame_extended_state(ThreadBlock& block,
                                                                   const ucontext_t& context) {
  // struct _fpx_sw_bytes, which the kernel puts into the unused bytes
  // 464 to 511 of the legacy FXSAVE region.
  constexpr size_t software_bytes_offset = 464;
  constexpr uint32_t fp_xstate_magic1 = 0x46505853;
  struct SoftwareBytes {
    uint32_t magic1;
    uint32_t extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size;
  };
  // The legacy region and the XSAVE header; XCOMP_BV is 0 in the standard
  // format.
  constexpr size_t xsave_header_end = 576;
  constexpr size_t xcomp_bv_offset = 520;

  const auto* image = reinterpret_cast<const std::byte*>(context.uc_mcontext.fpregs);
  if (image == nullptr || signal_state.xsave_size == 0) {
    return false;
  }
  SoftwareBytes software{};
  std::memcpy(&software, image + software_bytes_offset, sizeof(software));
  uint64_t compaction = 0;
  std::memcpy(&compaction, image + xcomp_bv_offset, sizeof(compaction));
  if (software.magic1 != fp_xstate_magic1 || software.xstate_size < xsave_header_end ||
      software.xstate_size > signal_state.xsave_size || compaction != 0) {
    return false;
  }
  std::memcpy(block.xsave_area(), image, software.xstate_size);
  return true;
}

// Stores the guest registers of a trapped system call in the thread block and
// sends the thread to litebox_syscall_entry when the handler returns.
__attribute__((no_stack_protector)) void handle_sigsys(int, siginfo_t* info, void* context) {
  auto* ucontext = static_cast<ucontext_t*>(context);
  greg_t* gregs = ucontext->uc_mcontext.gregs;
  const auto rip = static_cast<uint64_t>(gregs[REG_RIP]);

  if (info->si_code != sys_seccomp && info->si_code != sys_user_dispatch) {
    // A SIGSYS that some thread sent with kill(2); there is nothing to serve.
    return;
  }

  // The instruction pointer is past the 2-byte syscall instruction, so its
  // last byte decides where it lies.
  if (is_trusted_address(rip - 1)) {
    Diagnostic()
        .text("host system call ")
        .decimal(info->si_syscall)
        .text(" at ")
        .hex(rip - 2)
        .text(" is not in the sandbox allowlist (libOS bug)")
        .exit_process(128 + SIGSYS);
  }

  ThreadBlock* block = thread_block_containing(current_stack_pointer());
  if (block == nullptr) {
    Diagnostic()
        .text("guest system call ")
        .decimal(info->si_syscall)
        .text(" at ")
        .hex(rip - 2)
        .text(" on a thread without a thread block (libOS bug)")
        .exit_process(128 + SIGSYS);
  }

  if (info->si_arch != AUDIT_ARCH_X86_64) {
    // TODO: serve 32-bit system calls (int 0x80); they fail with ENOSYS.
    gregs[REG_RAX] = -ENOSYS;
    return;
  }

  GuestRegisters& registers = block->registers;
  save_guest_registers(registers, gregs);
  // What the syscall instruction leaves behind, as the kernel returns it.
  registers.rcx = rip;
  registers.r11 = registers.rflags;

  // The entry path and the libOS make host system calls of their own.
  block->selector = LB_SELECTOR_ALLOW;
  block->trapped_call = true;
  block->extended_state_copied = copy_frame_extended_state(*block, *ucontext) ? 1 : 0;

  gregs[REG_RIP] =
      static_cast<greg_t>(code_address(reinterpret_cast<const void*>(&litebox_syscall_entry)));
  gregs[REG_RSP] = static_cast<greg_t>(block->libos_stack_top);
}

// Turns a fault inside a guest copy routine into its failure return, and
// sends a fault of guest code into the entry path; a fault of the libOS
// ends the process with a diagnostic.
__attribute__((no_stack_protector)) void handle_fault(int signal, siginfo_t* info, void* context) {
  auto* ucontext = static_cast<ucontext_t*>(context);
  greg_t* gregs = ucontext->uc_mcontext.gregs;
  const auto rip = static_cast<uint64_t>(gregs[REG_RIP]);

  if (signal == SIGSEGV || signal == SIGBUS) {
    if (in_range(rip, reinterpret_cast<const void*>(&litebox_guest_copy), litebox_guest_copy_end)) {
      gregs[REG_RIP] = static_cast<greg_t>(code_address(litebox_guest_copy_fault));
      return;
    }
    if (in_range(rip, reinterpret_cast<const void*>(&litebox_guest_strnlen),
                 litebox_guest_strnlen_end)) {
      gregs[REG_RIP] = static_cast<greg_t>(code_address(litebox_guest_strnlen_fault));
      return;
    }
  }

  // The diagnostic below and the entry path make system calls, which must
  // not be dispatched back to the guest path.
  if (ThreadBlock* block = thread_block_containing(current_stack_pointer()); block != nullptr) {
    block->selector = LB_SELECTOR_ALLOW;
  }

  // Safety: only the numeric value of the fault address is used.
  const auto fault_address = reinterpret_cast<uint64_t>(info->si_addr);
  if (is_trusted_address(rip)) {
    // The offset from the executable's start is what `addr2line -e litebox`
    // takes, whatever address the loader chose for the executable.
    Diagnostic()
        .text("signal ")
        .decimal(signal)
        .text(" in the libOS at ")
        .hex(rip)
        .text(" (litebox+")
        .hex(rip - reinterpret_cast<uint64_t>(__executable_start))
        .text("), fault address ")
        .hex(fault_address)
        .text(" (libOS bug)")
        .exit_process(128 + signal);
  }
  ThreadBlock* block = thread_block_containing(current_stack_pointer());
  if (block == nullptr) {
    Diagnostic()
        .text("signal ")
        .decimal(signal)
        .text(" at ")
        .hex(rip)
        .text(" on a thread without a thread block (libOS bug)")
        .exit_process(128 + signal);
  }

  // Guest code faulted: the SyscallHandler takes the fault on the libOS
  // stack, through the same entry path as a system call, with every
  // register as the faulting instruction left it.
  save_guest_registers(block->registers, gregs);

  block->fault.signal = signal;
  block->fault.code = info->si_code;
  block->fault.address = fault_address;
  block->fault.trap_number = static_cast<uint64_t>(gregs[REG_TRAPNO]);
  block->fault.error_code = static_cast<uint64_t>(gregs[REG_ERR]);
  block->entry_reason = EntryReason::fault;

  gregs[REG_RIP] =
      static_cast<greg_t>(code_address(reinterpret_cast<const void*>(&litebox_syscall_entry)));
  gregs[REG_RSP] = static_cast<greg_t>(block->libos_stack_top);
}

// Sends a guest thread (one with a thread block, whose alternate stack the
// handler runs on) that runs untrusted code into the entry path, with
// EntryReason::interrupt. Does nothing for other threads.
__attribute__((no_stack_protector)) void enter_libos_from_guest(ThreadBlock* block, greg_t* gregs) {
  const auto rip = static_cast<uint64_t>(gregs[REG_RIP]);
  if (block == nullptr || is_trusted_address(rip)) {
    return;
  }
  block->selector = LB_SELECTOR_ALLOW;
  save_guest_registers(block->registers, gregs);
  block->entry_reason = EntryReason::interrupt;
  gregs[REG_RIP] =
      static_cast<greg_t>(code_address(reinterpret_cast<const void*>(&litebox_syscall_entry)));
  gregs[REG_RSP] = static_cast<greg_t>(block->libos_stack_top);
}

// Makes an interruptible futex wait return EINTR when the interrupt signal
// lands between its check of the pending flag and its syscall instruction.
// A blocked futex wait returns EINTR from the delivery alone. When the
// signal interrupts guest code, the thread goes through the entry path so
// the SyscallHandler can act on it (deliver a guest signal) at once.
__attribute__((no_stack_protector)) void handle_interrupt(int, siginfo_t*, void* context) {
  auto* ucontext = static_cast<ucontext_t*>(context);
  greg_t* gregs = ucontext->uc_mcontext.gregs;
  const auto rip = static_cast<uint64_t>(gregs[REG_RIP]);
  ThreadBlock* block = thread_block_containing(current_stack_pointer());
  if (block != nullptr) {
    // The next interruptible wait of this guest thread returns EINTR, also
    // when the interrupt came from another process and set no flag.
    __atomic_store_n(&block->interrupt_pending, 1, __ATOMIC_RELEASE);
  }

  if (rip >= code_address(litebox_futex_wait_window_start) &&
      rip <= code_address(litebox_futex_wait_syscall)) {
    // Safety: inside the window r8 holds the interrupt_pending argument of
    // litebox_interruptible_futex_wait, a live per-thread flag.
    const auto* pending = reinterpret_cast<const uint32_t*>(gregs[REG_R8]);
    if (__atomic_load_n(pending, __ATOMIC_ACQUIRE) != 0) {
      gregs[REG_RIP] = static_cast<greg_t>(code_address(litebox_futex_wait_interrupted));
    }
    return;
  }

  enter_libos_from_guest(block, gregs);
}

// Notes for reap_children that a child process has ended. A thread in guest
// code enters the libOS, which reaps the child. A libOS wait is not
// interrupted, because an EINTR without a guest signal would end a guest
// call early; a futex wait that the signal lands in only wakes spuriously.
__attribute__((no_stack_protector)) void handle_child_exit(int, siginfo_t*, void* context) {
  __atomic_store_n(&child_exit_pending, 1, __ATOMIC_RELEASE);
  auto* ucontext = static_cast<ucontext_t*>(context);
  enter_libos_from_guest(thread_block_containing(current_stack_pointer()),
                         ucontext->uc_mcontext.gregs);
}

// Notes a relayed signal for the SyscallHandler and interrupts this guest
// thread as the interrupt signal does, so the guest gets it at once. The
// libOS's own threads block these signals, so one of the process's guest
// threads takes them.
__attribute__((no_stack_protector)) void handle_relayed(int signal, siginfo_t* info,
                                                        void* context) {
  __atomic_fetch_or(&relayed_signals_pending, uint64_t{1} << (signal - 1), __ATOMIC_RELEASE);
  handle_interrupt(signal, info, context);
}

// The parent-death signal arrives when the thread that forked this process
// ends, and again each time the process is handed to a new parent.
__attribute__((no_stack_protector)) void handle_lifeline(int, siginfo_t*, void*) {
  end_if_sandbox_ended();
}

int install_handler(int signal, void (*handler)(int, siginfo_t*, void*), uint64_t mask) {
  KernelSigaction action = {};
  action.handler = handler;
  // No SA_RESTART: an interrupted blocking call must return EINTR.
  action.flags = SA_SIGINFO | SA_ONSTACK | sa_restorer;
  action.restorer = &litebox_signal_restorer;
  action.mask = mask;
  return static_cast<int>(raw_syscall(SYS_rt_sigaction, static_cast<uint64_t>(signal),
                                      reinterpret_cast<uint64_t>(&action), 0, sizeof(action.mask)));
}

uint64_t signal_bit(int signal) { return uint64_t{1} << (signal - 1); }

}  // namespace

uint32_t child_exit_pending = 0;

void write_diagnostic(const char* message) {
  char line[300];
  size_t length = 0;
  for (const char* prefix = "litebox: "; *prefix != '\0'; ++prefix) {
    line[length++] = *prefix;
  }
  while (*message != '\0' && length < sizeof(line) - 1) {
    line[length++] = *message++;
  }
  line[length++] = '\n';
  raw_syscall(SYS_write, 2, reinterpret_cast<uint64_t>(line), length);
}

void report_unhandled_fault(const GuestFault& fault, uint64_t instruction_pointer) {
  Diagnostic()
      .text("guest received signal ")
      .decimal(fault.signal)
      .text(" at ")
      .hex(instruction_pointer)
      .text(", fault address ")
      .hex(fault.address)
      .exit_process(128 + fault.signal);
}

void end_if_sandbox_ended() {
  const auto parent = static_cast<int>(raw_syscall(SYS_getppid));
  if (parent == signal_state.parent_process || parent == signal_state.first_process) {
    return;
  }
  // The host adopted this process, so the first process of the sandbox,
  // which adopts every orphan inside it, has ended.
  raw_syscall(SYS_exit_group, 128 + SIGKILL);
}

int install_signal_handlers() {
  // SIGSYS and the fault handlers run with every other signal blocked, so an
  // interrupt cannot land while they rewrite the ucontext.
  const uint64_t all_signals = ~uint64_t{0};
  if (int result = install_handler(SIGSYS, handle_sigsys, all_signals); result < 0) {
    return result;
  }
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) {
    if (int result = install_handler(signal, handle_fault, all_signals); result < 0) {
      return result;
    }
  }
  if (int result = install_handler(signal_state.lifeline_signal, handle_lifeline, 0); result < 0) {
    return result;
  }
  for (int signal : relayed_signals) {
    const uint64_t mask = signal_bit(signal_state.interrupt_signal) | signal_bit(SIGCHLD);
    if (int result = install_handler(signal, handle_relayed, mask); result < 0) {
      return result;
    }
  }
  return install_handler(signal_state.interrupt_signal, handle_interrupt,
                         signal_bit(signal_state.interrupt_signal) | signal_bit(SIGCHLD));
}

int install_child_exit_handler() {
  return install_handler(SIGCHLD, handle_child_exit,
                         signal_bit(signal_state.interrupt_signal) | signal_bit(SIGCHLD));
}

}  // namespace litebox::platform::linux_userland
