// LinuxExecution: runs guest code on host threads of this process and routes
// its system calls to a SyscallHandler (see execution.hpp for the contract
// and thread_block.hpp for the per-thread memory it uses).
//
// A guest system call raises SIGSYS (seccomp or Syscall User Dispatch). The
// handler copies the guest registers into the thread block and returns into
// litebox_syscall_entry, which saves the extended state, switches fs base
// to the libOS's and calls the SyscallHandler on the libOS stack, in an
// ordinary context. The exit path restores everything and jumps back.
//
// %gs base belongs to the platform: it points at the thread block while
// guest code runs. A guest that rewrites gs with wrgsbase loses its value at
// its next system call and breaks only itself.
#pragma once

#include <sys/resource.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "litebox/platform/debug_log.hpp"
#include "litebox/platform/execution.hpp"
#include "thread_block.hpp"

namespace litebox::platform::linux_userland {

// The number of CPUs this process may run on, counted as nproc(1) counts
// them, at least 1. Computed on the first call and kept. On a host with more
// CPUs than a cpu_set_t can represent (1024), sched_getaffinity fails and
// get_nprocs() counts the online ones instead.
uint32_t allowed_processor_count();

// Whether the CPU has CMPXCHG16B (CPUID leaf 1, ECX bit 13), from glibc's
// copy of the leaf, because CPUID traps to the hypervisor in a virtual
// machine.
bool cpu_has_cmpxchg16b();

// The fields of a host struct rusage that ResourceUsage carries.
ResourceUsage usage_from_host(const rusage& host);

class LinuxExecution final : public Execution {
 public:
  explicit LinuxExecution(DebugLog& log);
  LinuxExecution(const LinuxExecution&) = delete;
  LinuxExecution& operator=(const LinuxExecution&) = delete;

  // Reserves the thread-block region and probes the CPU. Call once per
  // process, before installing the signal handlers.
  Result<void> initialize();

  Result<void> start_interception(SyscallHandler& handler, InterceptionMode mode) override;
  [[noreturn]] void enter_guest(const GuestRegisters& registers) override;
  Result<ThreadId> spawn_guest_thread(const GuestRegisters& registers) override;
  Result<Fork> fork_process() override;
  std::vector<EndedChild> reap_children() override;
  bool children_may_have_ended() const override;
  uint64_t take_relayed_signals() override;
  uint64_t rewritten_call_entry() const override;
  bool serving_trapped_call() const override;
  void complete_extended_state(ExtendedState state) override;
  [[noreturn]] void exit_thread() override;
  [[noreturn]] void exit_process(int status) override;
  Result<void> copy_from_guest(void* destination, uint64_t guest_address, size_t length) override;
  Result<void> copy_to_guest(uint64_t guest_address, const void* source, size_t length) override;
  Result<std::string> copy_string_from_guest(uint64_t guest_address, size_t max_length) override;
  size_t extended_state_size() const override { return xsave_size_; }

  // The executable ranges trusted when the process was sealed.
  std::vector<AddressRange> trusted_ranges() const;

 private:
  struct GuestThreadStart;

  static void* run_guest_thread(void* argument);

  Result<ThreadBlock*> allocate_block();
  void release_block(ThreadBlock* block);
  Result<void> attach_block(ThreadBlock* block);
  void detach_block(ThreadBlock* block);
  [[noreturn]] void fail_fatally(const char* operation, Errno error);

  DebugLog& log_;
  size_t xsave_size_ = 0;
  uint64_t block_count_ = 0;
  std::atomic<uint64_t>* block_slots_ = nullptr;
  bool sealed_ = false;
  InterceptionMode mode_ = InterceptionMode::seccomp;
};

}  // namespace litebox::platform::linux_userland
