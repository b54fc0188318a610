#include "seccomp_filter.hpp"

#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <memory>

#include "litebox/platform/pages.hpp"

namespace litebox::platform::linux_userland {

namespace {

// Scratch memory slots of the classifier.
constexpr uint32_t slot_ip_low = 0;
constexpr uint32_t slot_ip_high = 1;

sock_filter statement(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }

sock_filter jump(uint16_t code, uint32_t k, uint8_t if_true, uint8_t if_false) {
  return BPF_JUMP(code, k, if_true, if_false);
}

// Emits the test "instruction_pointer - 1 lies in [start, end)", that is,
// the last byte of the syscall instruction is trusted. A match falls through
// to the instruction after the block; a miss skips that instruction.
void emit_range_test(std::vector<sock_filter>& program, AddressRange range) {
  // ip - 1 in [start, end)  <=>  ip in [start + 1, end + 1)
  const uint64_t low = range.start + 1;
  const uint64_t high = range.end + 1;
  const auto low_high = static_cast<uint32_t>(low >> 32);
  const auto low_low = static_cast<uint32_t>(low);
  const auto high_high = static_cast<uint32_t>(high >> 32);
  const auto high_low = static_cast<uint32_t>(high);

  // Jump offsets count from the next instruction. The block is ten
  // instructions long. The caller's jump to the allow path follows at index
  // 10, so a match falls through to it and a miss lands at index 11.
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_high));         // 0
  program.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, low_high, 3, 0));   // 1: above -> 5
  program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, low_high, 0, 8));   // 2: below -> miss
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_low));          // 3
  program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, low_low, 0, 6));    // 4: below -> miss
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_high));         // 5
  program.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, high_high, 4, 0));  // 6: above -> miss
  program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, high_high, 0, 2));  // 7: below -> match
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_low));          // 8
  program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, high_low, 1, 0));   // 9: at/above -> miss
}

Errno last_errno() { return static_cast<Errno>(errno); }

}  // namespace

Result<std::vector<AddressRange>> read_executable_ranges() {
  // The executable PT_LOAD segments of every ELF object the host loader
  // mapped: the runner, its shared libraries and the vDSO. The kernel maps
  // each such segment whole pages at a time, so page-rounding the segment
  // gives the same range that /proc/self/maps lists, without a file read.
  std::vector<AddressRange> ranges;
  const auto collect = [](dl_phdr_info* object, size_t, void* context) {
    auto& collected = *static_cast<std::vector<AddressRange>*>(context);
    for (ElfW(Half) index = 0; index < object->dlpi_phnum; ++index) {
      const ElfW(Phdr)& segment = object->dlpi_phdr[index];
      if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0 || segment.p_memsz == 0) {
        continue;
      }
      const uint64_t start = object->dlpi_addr + segment.p_vaddr;
      const uint64_t end = start + segment.p_memsz;
      collected.push_back({start & ~(page_size - 1), (end + page_size - 1) & ~(page_size - 1)});
    }
    return 0;
  };
  dl_iterate_phdr(collect, &ranges);
  if (ranges.empty()) {
    return fail(Errno::enoent);
  }

  std::sort(ranges.begin(), ranges.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.start < b.start; });
  // Only touching ranges merge: a gap between two libraries may later hold
  // guest code, which must stay untrusted.
  std::vector<AddressRange> merged;
  for (const AddressRange& range : ranges) {
    if (!merged.empty() && merged.back().end == range.start) {
      merged.back().end = range.end;
    } else {
      merged.push_back(range);
    }
  }
  return merged;
}

Result<void> install_classifier(const std::vector<AddressRange>& trusted_ranges) {
  std::vector<sock_filter> program;
  program.push_back(
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer)));
  program.push_back(statement(BPF_ST, slot_ip_low));
  program.push_back(
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer) + 4));
  program.push_back(statement(BPF_ST, slot_ip_high));

  // Each range test is followed by a jump to the allow instruction at the
  // end, whose offset is patched once the program length is known.
  std::vector<size_t> allow_jumps;
  for (const AddressRange& range : trusted_ranges) {
    emit_range_test(program, range);
    allow_jumps.push_back(program.size());
    program.push_back(jump(BPF_JMP | BPF_JA, 0, 0, 0));
  }
  program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
  const size_t allow_index = program.size();
  program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  for (size_t index : allow_jumps) {
    program[index].k = static_cast<uint32_t>(allow_index - index - 1);
  }

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(last_errno());
  }
  sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = program.data();
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) {
    return fail(last_errno());
  }
  return {};
}

Result<void> install_allowlist(int interrupt_signal) {
  // Anything not allowed below traps; the SIGSYS handler reports it as a
  // libOS bug and ends the process. A foreign architecture (int 0x80) traps
  // too, so that a guest using it gets ENOSYS instead of a dead sandbox.
  std::unique_ptr<void, decltype(&seccomp_release)> context(seccomp_init(SCMP_ACT_TRAP),
                                                            &seccomp_release);
  if (!context) {
    return fail(Errno::enomem);
  }
  scmp_filter_ctx filter = context.get();
  int result = seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
  if (result == 0) {
    result = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1);
  }

  const auto allow = [&](int number, auto... conditions) {
    if (result == 0) {
      result = seccomp_rule_add(filter, SCMP_ACT_ALLOW, number,
                                static_cast<unsigned>(sizeof...(conditions)), conditions...);
    }
  };
  const auto standard_stream = SCMP_A0_32(SCMP_CMP_LE, 2);

  // Memory: the libOS heap, guest mappings and thread stacks.
  allow(SCMP_SYS(mmap));
  allow(SCMP_SYS(munmap));
  allow(SCMP_SYS(mprotect));
  allow(SCMP_SYS(mremap));
  allow(SCMP_SYS(madvise));
  allow(SCMP_SYS(brk));

  // Synchronisation, time, randomness, identity.
  allow(SCMP_SYS(futex));
  allow(SCMP_SYS(clock_gettime));
  allow(SCMP_SYS(clock_getres));
  allow(SCMP_SYS(getrandom));
  allow(SCMP_SYS(gettid));
  allow(SCMP_SYS(getpid));
  allow(SCMP_SYS(sched_yield));
  allow(SCMP_SYS(getrusage), SCMP_A0_32(SCMP_CMP_EQ, static_cast<uint32_t>(RUSAGE_SELF)));
  allow(SCMP_SYS(getrusage), SCMP_A0_32(SCMP_CMP_EQ, static_cast<uint32_t>(RUSAGE_THREAD)));

  // Standard streams and the debug log (standard error).
  allow(SCMP_SYS(read), standard_stream);
  allow(SCMP_SYS(write), standard_stream);
  allow(SCMP_SYS(writev), standard_stream);
  allow(SCMP_SYS(ioctl), standard_stream, SCMP_A1_32(SCMP_CMP_EQ, TCGETS));

  // Signals: returning from the platform's handlers, masks, the alternate
  // stack, and interrupting a thread.
  allow(SCMP_SYS(rt_sigreturn));
  allow(SCMP_SYS(rt_sigprocmask));
  // glibc's pthread_create installs handlers for its two internal signals
  // (SIGCANCEL = 32, SIGSETXID = 33) when a single-threaded process makes
  // its first thread.
  for (uint32_t glibc_signal : {32u, 33u}) {
    allow(SCMP_SYS(rt_sigaction), SCMP_A0_32(SCMP_CMP_EQ, glibc_signal));
  }
  allow(SCMP_SYS(sigaltstack));
  allow(SCMP_SYS(restart_syscall));
  allow(SCMP_SYS(tgkill), SCMP_A2_32(SCMP_CMP_EQ, static_cast<uint32_t>(interrupt_signal)));
  allow(SCMP_SYS(tgkill), SCMP_A2_32(SCMP_CMP_EQ, SIGABRT));

  // Threads: pthread_create and thread exit, per-thread fs/gs bases and
  // Syscall User Dispatch.
  allow(SCMP_SYS(clone), SCMP_A0_32(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  // Processes: a guest fork is a host fork (glibc's fork(3), exactly these
  // flags), so the child shares the kernel heap. It creates no new
  // namespace, shares no memory the parent does not already map shared, and
  // keeps this filter.
  allow(SCMP_SYS(clone),
        SCMP_A0_32(SCMP_CMP_EQ, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD));
  // Reaping ended host children without blocking (reap_children).
  allow(SCMP_SYS(waitid), SCMP_A0_32(SCMP_CMP_EQ, P_ALL),
        SCMP_A3_32(SCMP_CMP_EQ, static_cast<uint32_t>(WEXITED | WNOHANG)));
  allow(SCMP_SYS(set_robust_list));
  allow(SCMP_SYS(rseq));
  // libseccomp accepts one comparison per argument and rule.
  for (int code : {LB_ARCH_SET_GS, LB_ARCH_SET_FS, LB_ARCH_GET_FS, LB_ARCH_GET_GS}) {
    allow(SCMP_SYS(arch_prctl), SCMP_A0_32(SCMP_CMP_EQ, static_cast<uint32_t>(code)));
  }
  allow(SCMP_SYS(prctl), SCMP_A0_32(SCMP_CMP_EQ, PR_SET_SYSCALL_USER_DISPATCH));
  allow(SCMP_SYS(exit));
  allow(SCMP_SYS(exit_group));

  // glibc tries clone3 first and falls back to clone, whose flags a filter
  // can inspect.
  if (result == 0) {
    result = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  }

  if (result == 0) {
    result = seccomp_load(filter);
  }
  if (result != 0) {
    return fail(static_cast<Errno>(-result));
  }
  return {};
}

}  // namespace litebox::platform::linux_userland
