#include "linux_execution.hpp"

#include <cpuid.h>
#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "litebox/platform/pages.hpp"
#include "raw_syscall.hpp"
#include "seccomp_filter.hpp"
#include "signal_handlers.hpp"

// Read by entry.S: 1 when the CPU and kernel allow rdfsbase/wrfsbase.
__attribute__((visibility("hidden"))) uint8_t litebox_have_fsgsbase = 0;
// Read by entry.S: 1 when the CPU has XSAVEOPT.
__attribute__((visibility("hidden"))) uint8_t litebox_have_xsaveopt = 0;

namespace litebox::platform::linux_userland {

namespace {

// HWCAP2_FSGSBASE from <asm/hwcap2.h>.
constexpr unsigned long hwcap2_fsgsbase = 1UL << 1;

// Syscall User Dispatch prctl arguments (<linux/prctl.h>).
constexpr int sys_dispatch_off = 0;
constexpr int sys_dispatch_on = 1;

// Up to this many guest threads at once; the region is only reserved
// address space until a block is committed.
constexpr uint64_t max_thread_blocks = 4096;

// The default MXCSR (all exceptions masked), as a fresh Linux thread has it.
constexpr uint32_t default_mxcsr = 0x1f80;
constexpr size_t xsave_mxcsr_offset = 24;

// rflags bits a guest may set (CF PF AF ZF SF IF DF OF AC ID) plus the
// always-one bit 1. TF stays clear: single-stepping is not emulated.
constexpr uint64_t guest_rflags_mask = 0x240ed5;
constexpr uint64_t rflags_fixed_one = 0x2;

// The handler and XSAVE size that litebox_dispatch_syscall passes on; set
// once before sealing.
SyscallHandler* installed_handler = nullptr;
size_t installed_xsave_size = 0;
uint64_t installed_xsave_features = 0;

// The block of the calling thread while it runs guest code. Read only in
// libOS context, where fs base is the libOS's.
thread_local ThreadBlock* current_block = nullptr;

// One bit per thread block of the region, set while the block is in use.
// They describe this process's own thread blocks, so they live in private
// static memory, not in the kernel heap that operator new may allocate
// from: a forked child keeps its copy, with the blocks the host copied.
// One array serves because a process has one thread block region.
std::atomic<uint64_t> thread_block_slots[max_thread_blocks / 64];

// glibc's malloc (2.36) leaves its arena limit unset until a process has
// more arenas than M_ARENA_TEST (8 on x86-64). It then reads
// /sys/devices/system/cpu/online to set the limit, a host open that the
// sealed process may not make, and the libOS threads that serve a guest's
// thread pool (Node's libuv workers) reach that point. Setting glibc's
// default of 8 arenas per CPU before the seal avoids the open. The CPUs
// counted are those the process may run on (allowed_processor_count), from
// one sched_getaffinity call instead of a file read.
Result<void> fix_malloc_arena_limit() {
  constexpr int arenas_per_cpu = 8;
  const auto cpus = static_cast<int>(allowed_processor_count());
  if (mallopt(M_ARENA_MAX, arenas_per_cpu * cpus) != 1) {
    return fail(Errno::einval);
  }
  return {};
}

uint64_t read_fs_base() {
  uint64_t base = 0;
  if (litebox_have_fsgsbase != 0) {
    // Safety: rdfsbase is enabled (HWCAP2_FSGSBASE) and only reads a register.
    asm volatile("rdfsbase %0" : "=r"(base));
  } else {
    raw_syscall(SYS_arch_prctl, LB_ARCH_GET_FS, reinterpret_cast<uint64_t>(&base));
  }
  return base;
}

int write_gs_base(uint64_t base) {
  if (litebox_have_fsgsbase != 0) {
    // Safety: wrgsbase is enabled; glibc and the libOS never use %gs.
    asm volatile("wrgsbase %0" : : "r"(base) : "memory");
    return 0;
  }
  return static_cast<int>(raw_syscall(SYS_arch_prctl, LB_ARCH_SET_GS, base));
}

}  // namespace

}  // namespace litebox::platform::linux_userland

// glibc's copy of a CPUID leaf, made at start-up: the registers EAX, EBX,
// ECX and EDX, then which of their feature bits glibc uses. The function
// comes with glibc 2.33 and later. Its header, <sys/platform/x86.h>, is C
// only, so it is declared here.
struct GlibcCpuidLeaf {
  unsigned int registers[4];
  unsigned int active[4];
};
extern "C" const GlibcCpuidLeaf* __x86_get_cpuid_feature_leaf(unsigned int index);

namespace litebox::platform::linux_userland {

namespace {

// Reads the OSXSAVE bit (CPUID leaf 1, ECX bit 27) from glibc's copy,
// because CPUID traps to the hypervisor in a virtual machine and costs
// microseconds there.
bool cpu_has_osxsave() {
  constexpr unsigned int glibc_leaf_1 = 0;  // CPUID_INDEX_1
  constexpr unsigned int ecx = 2;
  return (__x86_get_cpuid_feature_leaf(glibc_leaf_1)->registers[ecx] & bit_OSXSAVE) != 0;
}

}  // namespace

bool cpu_has_cmpxchg16b() {
  constexpr unsigned int glibc_leaf_1 = 0;  // CPUID_INDEX_1
  constexpr unsigned int ecx = 2;
  return (__x86_get_cpuid_feature_leaf(glibc_leaf_1)->registers[ecx] & bit_CMPXCHG16B) != 0;
}

namespace {

// The XSAVEOPT bit (CPUID leaf 0xD, sub-leaf 1, EAX bit 0), from glibc's
// copy for the same reason.
bool cpu_has_xsaveopt() {
  constexpr unsigned int glibc_leaf_d_1 = 3;  // CPUID_INDEX_D_ECX_1
  constexpr unsigned int eax = 0;
  return (__x86_get_cpuid_feature_leaf(glibc_leaf_d_1)->registers[eax] & bit_XSAVEOPT) != 0;
}

// XCR0: the state components the kernel enables for XSAVE.
uint64_t read_xcr0() {
  uint32_t low = 0;
  uint32_t high = 0;
  // Safety: xgetbv with ecx = 0 only reads XCR0; OSXSAVE is checked first.
  asm volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}

// Size of the standard-format XSAVE image for the features enabled in XCR0
// (CPUID leaf 0xD, sub-leaf 0, EBX).
size_t probe_xsave_size() {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  __cpuid_count(0xd, 0, eax, ebx, ecx, edx);
  return ebx;
}

}  // namespace

uint32_t allowed_processor_count() {
  static const uint32_t count = [] {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
      return static_cast<uint32_t>(std::max(get_nprocs(), 1));
    }
    return static_cast<uint32_t>(std::max(CPU_COUNT(&allowed), 1));
  }();
  return count;
}

ThreadBlock* current_thread_block() { return current_block; }

// Called by litebox_syscall_entry on the libOS stack with the libOS's fs
// base installed. An exception escaping the handler is a libOS bug, and
// noexcept turns it into std::terminate.
extern "C" __attribute__((visibility("hidden"))) void litebox_dispatch_syscall(
    ThreadBlock* block) noexcept {
  current_block = block;
  const ExtendedState extended_state{block->xsave_area(), installed_xsave_size,
                                     installed_xsave_features};
  const EntryReason reason = block->entry_reason;
  block->entry_reason = EntryReason::system_call;
  switch (reason) {
    case EntryReason::system_call:
      block->serving_trapped_call = block->trapped_call;
      block->trapped_call = false;
      installed_handler->handle_syscall(block->registers, extended_state);
      break;
    case EntryReason::fault:
      if (!installed_handler->handle_fault(block->registers, extended_state, block->fault)) {
        report_unhandled_fault(block->fault, block->registers.rip);
      }
      break;
    case EntryReason::interrupt:
      // The handler takes the interrupt now, so no later wait needs to.
      __atomic_store_n(&block->interrupt_pending, 0, __ATOMIC_RELEASE);
      installed_handler->handle_interrupt(block->registers, extended_state);
      break;
  }
  block->registers.rflags = (block->registers.rflags & guest_rflags_mask) | rflags_fixed_one;
}

struct LinuxExecution::GuestThreadStart {
  LinuxExecution* execution;
  GuestRegisters registers;
  // The spawning thread's XSAVE image, which the new thread starts with,
  // or null for a thread that starts in the initial state.
  const std::byte* extended_state;
  // 0 until the new thread has its block; then its tid, or -errno.
  std::atomic<int64_t> outcome{0};
};

LinuxExecution::LinuxExecution(DebugLog& log) : log_(log) {}

Result<void> LinuxExecution::initialize() {
  if (!cpu_has_osxsave()) {
    log_.write(LogLevel::error, "the CPU or kernel does not enable XSAVE; guest code cannot run");
    return fail(Errno::enosys);
  }
  xsave_size_ = probe_xsave_size();
  if (xsave_size_ == 0 || xsave_size_ > LB_XSAVE_AREA_MAX) {
    log_.write(LogLevel::error,
               fmt::format("XSAVE image of {} bytes does not fit the thread block", xsave_size_));
    return fail(Errno::enosys);
  }
  installed_xsave_size = xsave_size_;
  signal_state.xsave_size = xsave_size_;
  installed_xsave_features = read_xcr0();
  litebox_have_fsgsbase = (getauxval(AT_HWCAP2) & hwcap2_fsgsbase) != 0 ? 1 : 0;
  litebox_have_xsaveopt = cpu_has_xsaveopt() ? 1 : 0;

  const unsigned long minimum_signal_stack = getauxval(AT_MINSIGSTKSZ);
  if (minimum_signal_stack > LB_ALTSTACK_SIZE / 2) {
    log_.write(LogLevel::error, fmt::format("signal frames of {} bytes do not fit the alternate "
                                            "signal stack",
                                            minimum_signal_stack));
    return fail(Errno::enosys);
  }

  // Reserve twice the size so the region can start on a block boundary.
  const uint64_t region_size = max_thread_blocks * thread_block_size;
  void* reservation = mmap(nullptr, region_size + thread_block_size, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reservation == MAP_FAILED) {
    return fail(static_cast<Errno>(errno));
  }
  // Safety: converts the reservation address to an integer for alignment.
  const auto raw_start = reinterpret_cast<uint64_t>(reservation);
  const uint64_t start = (raw_start + thread_block_size - 1) & ~(thread_block_size - 1);
  signal_state.block_region_start = start;
  signal_state.block_region_end = start + region_size;
  block_count_ = max_thread_blocks;
  block_slots_ = thread_block_slots;
  return {};
}

Result<ThreadBlock*> LinuxExecution::allocate_block() {
  for (uint64_t word = 0; word < block_count_ / 64; ++word) {
    uint64_t bits = block_slots_[word].load(std::memory_order_relaxed);
    while (bits != ~uint64_t{0}) {
      const int bit = __builtin_ctzll(~bits);
      if (!block_slots_[word].compare_exchange_weak(bits, bits | (uint64_t{1} << bit))) {
        continue;
      }
      const uint64_t address = signal_state.block_region_start +
                               (word * 64 + static_cast<uint64_t>(bit)) * thread_block_size;
      // Safety: the address lies in the reserved region and the slot is ours.
      auto* memory = reinterpret_cast<std::byte*>(address);
      if (mmap(memory, thread_block_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
          mprotect(memory + LB_ALTSTACK_GUARD, platform::page_size, PROT_NONE) != 0 ||
          mprotect(memory + LB_STACK_GUARD, platform::page_size, PROT_NONE) != 0) {
        const Errno error = static_cast<Errno>(errno);
        block_slots_[word].fetch_and(~(uint64_t{1} << bit));
        return fail(error);
      }

      // Safety: the block memory is fresh, zeroed and large enough.
      auto* block = new (memory) ThreadBlock{};
      block->libos_stack_top = address + thread_block_size - 64;
      block->selector = LB_SELECTOR_ALLOW;
      // An XSAVE header of zeros puts every component in its initial state
      // on XRSTOR; MXCSR is loaded regardless, so it needs its default.
      std::memcpy(block->xsave_area() + xsave_mxcsr_offset, &default_mxcsr, sizeof(default_mxcsr));
      return block;
    }
  }
  return fail(Errno::eagain);
}

void LinuxExecution::release_block(ThreadBlock* block) {
  // Safety: converts the block address to an integer to find its slot.
  const auto address = reinterpret_cast<uint64_t>(block);
  const uint64_t index = (address - signal_state.block_region_start) / thread_block_size;
  // Replacing the mapping drops its pages and restores the reservation. If
  // that fails the pages stay committed, which costs memory but no safety,
  // because the slot is reused only through attach_block.
  void* replaced = mmap(block, thread_block_size, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  (void)replaced;
  block_slots_[index / 64].fetch_and(~(uint64_t{1} << (index % 64)));
}

Result<void> LinuxExecution::attach_block(ThreadBlock* block) {
  stack_t altstack = {};
  altstack.ss_sp = block->altstack();
  altstack.ss_size = LB_ALTSTACK_SIZE;
  if (sigaltstack(&altstack, nullptr) != 0) {
    return fail(static_cast<Errno>(errno));
  }

  block->libos_fs_base = read_fs_base();
  // Safety: converts the block address to the integer gs base.
  if (int result = write_gs_base(reinterpret_cast<uint64_t>(block)); result < 0) {
    return fail(static_cast<Errno>(-result));
  }

  if (mode_ == InterceptionMode::syscall_user_dispatch) {
    // Safety: converts code addresses to the integers prctl expects.
    const auto restorer = reinterpret_cast<uint64_t>(&litebox_signal_restorer);
    const auto restorer_end = reinterpret_cast<uint64_t>(litebox_signal_restorer_end);
    // The kernel compares the address after the syscall instruction, so the
    // exempt range reaches one byte past it.
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, sys_dispatch_on, restorer, restorer_end + 1 - restorer,
              &block->selector) != 0) {
      return fail(static_cast<Errno>(errno));
    }
  }
  current_block = block;
  return {};
}

void LinuxExecution::detach_block(ThreadBlock* block) {
  if (mode_ == InterceptionMode::syscall_user_dispatch) {
    prctl(PR_SET_SYSCALL_USER_DISPATCH, sys_dispatch_off, 0, 0, 0);
  }
  stack_t altstack = {};
  altstack.ss_flags = SS_DISABLE;
  sigaltstack(&altstack, nullptr);
  write_gs_base(0);
  current_block = nullptr;
  release_block(block);
}

void LinuxExecution::fail_fatally(const char* operation, Errno error) {
  log_.write(LogLevel::error, fmt::format("{} failed: {}", operation, errno_name(error)));
  raw_syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

Result<void> LinuxExecution::start_interception(SyscallHandler& handler, InterceptionMode mode) {
  if (sealed_) {
    return fail(Errno::ebusy);
  }
  if (block_slots_ == nullptr) {
    return fail(Errno::enosys);
  }
  if (mode == InterceptionMode::syscall_user_dispatch &&
      prctl(PR_SET_SYSCALL_USER_DISPATCH, sys_dispatch_off, 0, 0, 0) != 0) {
    log_.write(LogLevel::error,
               "the host kernel lacks Syscall User Dispatch (Linux 5.11 or later)");
    return fail(Errno::enosys);
  }

  const std::vector<AddressRange> ranges = TRY(read_executable_ranges());
  if (ranges.size() > max_trusted_ranges) {
    log_.write(LogLevel::error, fmt::format("{} executable ranges exceed the limit of {}",
                                            ranges.size(), max_trusted_ranges));
    return fail(Errno::e2big);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    signal_state.trusted_ranges[i] = ranges[i];
  }
  signal_state.trusted_range_count = ranges.size();
  installed_handler = &handler;
  mode_ = mode;

  // Forked guest processes report their exit status through the kernel
  // heap, but one that the host kills cannot, so every process reaps its
  // host children (reap_children) when SIGCHLD reports that one has ended. The
  // first process adopts orphans, as guest pid 1 does.
  signal_state.first_process = getpid();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return fail(static_cast<Errno>(errno));
  }
  if (int result = install_child_exit_handler(); result < 0) {
    return fail(static_cast<Errno>(-result));
  }

  TRY_VOID(fix_malloc_arena_limit());
  TRY_VOID(install_filter(ranges, signal_state.interrupt_signal, signal_state.lifeline_signal));
  sealed_ = true;
  log_.write(LogLevel::debug,
             fmt::format("sealed with {} trusted executable ranges", ranges.size()));
  return {};
}

void LinuxExecution::enter_guest(const GuestRegisters& registers) {
  if (!sealed_) {
    // Unsealed, guest system calls would reach the host directly.
    fail_fatally("enter_guest before start_interception", Errno::eperm);
  }
  Result<ThreadBlock*> block = allocate_block();
  if (!block) {
    fail_fatally("allocating a thread block", block.error());
  }
  if (Result<void> attached = attach_block(*block); !attached) {
    fail_fatally("attaching a thread block", attached.error());
  }
  (*block)->registers = registers;

  litebox_enter_guest_from_host(*block);

  // exit_thread ran on this thread. pthread_exit would unwind through
  // glibc's dlopen of libgcc_s, whose file system calls the allowlist
  // rejects, so the thread ends with exit(2) directly.
  // NOTE: glibc keeps this thread's descriptor, and for a thread other than
  // the initial one also its stack. enter_guest is therefore meant for the
  // initial thread, and other guest threads come from spawn_guest_thread.
  detach_block(*block);
  raw_syscall(SYS_exit, 0);
  __builtin_unreachable();
}

void* LinuxExecution::run_guest_thread(void* argument) {
  auto* start = static_cast<GuestThreadStart*>(argument);
  LinuxExecution& execution = *start->execution;

  Result<ThreadBlock*> block = execution.allocate_block();
  if (!block) {
    start->outcome.store(-static_cast<int64_t>(block.error()));
    raw_syscall(SYS_futex, reinterpret_cast<uint64_t>(&start->outcome), FUTEX_WAKE_PRIVATE, 1);
    return nullptr;
  }
  if (Result<void> attached = execution.attach_block(*block); !attached) {
    execution.release_block(*block);
    start->outcome.store(-static_cast<int64_t>(attached.error()));
    raw_syscall(SYS_futex, reinterpret_cast<uint64_t>(&start->outcome), FUTEX_WAKE_PRIVATE, 1);
    return nullptr;
  }
  (*block)->registers = start->registers;
  // The spawning thread waits in spawn_guest_thread, so its image does not
  // change during the copy.
  if (start->extended_state != nullptr) {
    std::memcpy((*block)->xsave_area(), start->extended_state, installed_xsave_size);
  }

  // After this store the spawning thread may free `start`.
  start->outcome.store(gettid());
  raw_syscall(SYS_futex, reinterpret_cast<uint64_t>(&start->outcome), FUTEX_WAKE_PRIVATE, 1);

  litebox_enter_guest_from_host(*block);

  execution.detach_block(*block);
  return nullptr;
}

Result<ThreadId> LinuxExecution::spawn_guest_thread(const GuestRegisters& registers) {
  if (!sealed_) {
    return fail(Errno::eperm);
  }
  // As clone(2) does, the new thread gets a copy of the caller's floating
  // point and vector state, MXCSR and the x87 control word included.
  GuestThreadStart start{this, registers,
                         current_block != nullptr ? current_block->xsave_area() : nullptr};

  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  // The host stack runs only thread setup and teardown; the libOS runs on
  // the block's stack.
  pthread_attr_setstacksize(&attributes, 256 * 1024);
  pthread_t thread;
  const int result =
      pthread_create(&thread, &attributes, &LinuxExecution::run_guest_thread, &start);
  pthread_attr_destroy(&attributes);
  if (result != 0) {
    return fail(Errno::eagain);
  }

  // Safety: std::atomic<int64_t> has the layout of int64_t, and the futex
  // compares its low 32 bits, which are 0 until the thread reports.
  while (start.outcome.load() == 0) {
    raw_syscall(SYS_futex, reinterpret_cast<uint64_t>(&start.outcome), FUTEX_WAIT_PRIVATE, 0, 0);
  }
  const int64_t outcome = start.outcome.load();
  if (outcome < 0) {
    return fail(static_cast<Errno>(-outcome));
  }
  return static_cast<ThreadId>(outcome);
}

Result<Fork> LinuxExecution::fork_process() {
  if (!sealed_ || current_block == nullptr) {
    return fail(Errno::eperm);
  }
  // glibc's fork keeps its own state (malloc, stdio, the cached tid)
  // consistent in the child; its clone flags are the ones the allowlist
  // accepts.
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    return fail(static_cast<Errno>(errno));
  }
  if (child > 0) {
    return Fork{ForkSide::parent, static_cast<ProcessId>(child)};
  }
  // An interrupt that the parent's thread had not consumed is the parent's.
  __atomic_store_n(&current_block->interrupt_pending, 0, __ATOMIC_RELEASE);

  // No guest process outlives the sandbox's first process, even when the
  // host kills that one with SIGKILL. The check after prctl covers a parent
  // that ended before it.
  signal_state.parent_process = parent;
  if (prctl(PR_SET_PDEATHSIG, signal_state.lifeline_signal, 0, 0, 0) != 0) {
    fail_fatally("setting the parent-death signal after fork", static_cast<Errno>(errno));
  }
  end_if_sandbox_ended();

  // The child inherits the thread block (private memory, copied), the gs
  // base, the alternate signal stack and the seccomp filter, but not
  // Syscall User Dispatch, which Linux switches off in a new process.
  if (mode_ == InterceptionMode::syscall_user_dispatch) {
    // Safety: converts code addresses to the integers prctl expects.
    const auto restorer = reinterpret_cast<uint64_t>(&litebox_signal_restorer);
    const auto restorer_end = reinterpret_cast<uint64_t>(litebox_signal_restorer_end);
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, sys_dispatch_on, restorer, restorer_end + 1 - restorer,
              &current_block->selector) != 0) {
      fail_fatally("re-arming Syscall User Dispatch after fork", static_cast<Errno>(errno));
    }
  }
  return Fork{ForkSide::child};
}

void LinuxExecution::complete_extended_state(ExtendedState state) {
  litebox_complete_xsave_image(state.data);
}

uint64_t LinuxExecution::rewritten_call_entry() const {
  // Safety: converts a code symbol to the integer a trampoline jumps to.
  return reinterpret_cast<uint64_t>(&litebox_rewritten_call_entry);
}

bool LinuxExecution::serving_trapped_call() const {
  return current_block != nullptr && current_block->serving_trapped_call;
}

uint64_t LinuxExecution::take_relayed_signals() {
  if (__atomic_load_n(&relayed_signals_pending, __ATOMIC_ACQUIRE) == 0) {
    return 0;
  }
  return __atomic_exchange_n(&relayed_signals_pending, 0, __ATOMIC_ACQ_REL);
}

bool LinuxExecution::children_may_have_ended() const {
  return __atomic_load_n(&child_exit_pending, __ATOMIC_ACQUIRE) != 0;
}

ResourceUsage usage_from_host(const rusage& host) {
  ResourceUsage usage;
  usage.user_time =
      std::chrono::seconds(host.ru_utime.tv_sec) + std::chrono::microseconds(host.ru_utime.tv_usec);
  usage.system_time =
      std::chrono::seconds(host.ru_stime.tv_sec) + std::chrono::microseconds(host.ru_stime.tv_usec);
  usage.max_resident_kib = host.ru_maxrss;
  usage.minor_faults = host.ru_minflt;
  usage.major_faults = host.ru_majflt;
  usage.input_blocks = host.ru_inblock;
  usage.output_blocks = host.ru_oublock;
  usage.voluntary_switches = host.ru_nvcsw;
  usage.involuntary_switches = host.ru_nivcsw;
  return usage;
}

std::vector<EndedChild> LinuxExecution::reap_children() {
  std::vector<EndedChild> ended;
  if (__atomic_exchange_n(&child_exit_pending, 0, __ATOMIC_ACQ_REL) == 0) {
    return ended;
  }
  // A child that ends after the last waitid sets the flag again.
  while (true) {
    siginfo_t info = {};
    rusage usage = {};
    // The glibc wrapper has no rusage argument.
    if (syscall(SYS_waitid, P_ALL, 0, &info, WEXITED | WNOHANG, &usage) != 0 || info.si_pid == 0) {
      break;
    }
    EndedChild child;
    child.process = static_cast<ProcessId>(info.si_pid);
    child.usage = usage_from_host(usage);
    if (info.si_code == CLD_EXITED) {
      child.exit_code = info.si_status;
    } else {
      child.signal = info.si_status;
    }
    ended.push_back(child);
  }
  return ended;
}

void LinuxExecution::exit_thread() {
  // NOTE: objects on the libOS stack are abandoned without running their
  // destructors; callers release what they own first.
  litebox_return_to_host(current_block);
}

void LinuxExecution::exit_process(int status) {
  raw_syscall(SYS_exit_group, static_cast<uint64_t>(status));
  __builtin_unreachable();
}

namespace {

// The last guest address plus one; higher addresses are not canonical user
// addresses.
constexpr uint64_t guest_address_limit = 0x0000'8000'0000'0000;

bool is_guest_range(uint64_t address, size_t length) {
  return address <= guest_address_limit && length <= guest_address_limit - address;
}

}  // namespace

Result<void> LinuxExecution::copy_from_guest(void* destination, uint64_t guest_address,
                                             size_t length) {
  if (!is_guest_range(guest_address, length)) {
    return fail(Errno::efault);
  }
  // Safety: a fault while reading the guest address is caught by the fault
  // handler and returned as -1.
  if (litebox_guest_copy(destination, reinterpret_cast<const void*>(guest_address), length) != 0) {
    return fail(Errno::efault);
  }
  return {};
}

Result<void> LinuxExecution::copy_to_guest(uint64_t guest_address, const void* source,
                                           size_t length) {
  if (!is_guest_range(guest_address, length)) {
    return fail(Errno::efault);
  }
  // Safety: as in copy_from_guest, for writes.
  if (litebox_guest_copy(reinterpret_cast<void*>(guest_address), source, length) != 0) {
    return fail(Errno::efault);
  }
  return {};
}

Result<std::string> LinuxExecution::copy_string_from_guest(uint64_t guest_address,
                                                           size_t max_length) {
  if (guest_address >= guest_address_limit) {
    return fail(Errno::efault);
  }
  // Scan one byte past the limit to tell "exactly max_length" from "longer".
  const size_t scan_limit = std::min<uint64_t>(max_length + 1, guest_address_limit - guest_address);
  // Safety: faults during the scan are caught and returned as -1.
  const int64_t length =
      litebox_guest_strnlen(reinterpret_cast<const char*>(guest_address), scan_limit);
  if (length < 0) {
    return fail(Errno::efault);
  }
  if (static_cast<size_t>(length) > max_length) {
    return fail(Errno::enametoolong);
  }
  if (static_cast<size_t>(length) == scan_limit) {
    // The string runs into the end of the user address space.
    return fail(Errno::efault);
  }

  std::string result(static_cast<size_t>(length), '\0');
  TRY_VOID(copy_from_guest(result.data(), guest_address, result.size()));
  return result;
}

std::vector<AddressRange> LinuxExecution::trusted_ranges() const {
  return {signal_state.trusted_ranges,
          signal_state.trusted_ranges + signal_state.trusted_range_count};
}

}  // namespace litebox::platform::linux_userland
