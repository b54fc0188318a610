// Builds the host allowlist with libseccomp and writes it, as a BPF
// program, into a C++ header that seccomp_filter.cpp embeds:
//   litebox-allowlist-generator OUTPUT
// It runs at build time, on the build host, because building the filter
// with libseccomp at every start (rule database, BPF generation and the
// library's kernel probes) cost about 110 us of each `litebox run`.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "host_request_limits.hpp"
#include "thread_block_layout.h"

namespace {

// Adds the rules: every host request the libOS makes after sealing.
// docs/security.md lists them with their reasons. Returns 0 or -errno.
int add_rules(scmp_filter_ctx filter, int interrupt_signal, int lifeline_signal) {
  int result = 0;
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
  // A terminal's settings and size, which the guest reads and changes as any
  // program in that terminal may (stty, password prompts, full-screen
  // programs). TIOCSTI, which injects input, and every other request stay
  // out.
  for (unsigned long request : {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ}) {
    allow(SCMP_SYS(ioctl), standard_stream,
          SCMP_A1_32(SCMP_CMP_EQ, static_cast<uint32_t>(request)));
  }
  allow(SCMP_SYS(lseek), standard_stream);
  // The real file type, size and device number of a stream (a redirected
  // file, a terminal), and its host open file description's flags: the
  // guest reads them and may set O_APPEND and O_NONBLOCK, as any program
  // sharing that description may.
  allow(SCMP_SYS(fstat), standard_stream);
  allow(SCMP_SYS(fcntl), standard_stream, SCMP_A1_32(SCMP_CMP_EQ, F_GETFL));
  allow(SCMP_SYS(fcntl), standard_stream, SCMP_A1_32(SCMP_CMP_EQ, F_SETFL),
        SCMP_A2_64(SCMP_CMP_MASKED_EQ, ~static_cast<uint64_t>(O_APPEND | O_NONBLOCK), 0));
  // A regular file redirected to a stream: reads and writes at an offset,
  // its size, its allocation and writing it back to disk, all of which
  // change no more than writing the file could.
  allow(SCMP_SYS(pread64), standard_stream);
  allow(SCMP_SYS(pwrite64), standard_stream);
  allow(SCMP_SYS(ftruncate), standard_stream);
  allow(SCMP_SYS(fallocate), standard_stream,
        SCMP_A1_32(SCMP_CMP_MASKED_EQ, ~litebox::platform::linux_userland::allowed_allocate_modes,
                   0));
  allow(SCMP_SYS(fsync), standard_stream);
  allow(SCMP_SYS(fdatasync), standard_stream);
  // Stdio::stream_events (timeout 0) and Stdio::wait_for_events (timeout
  // -1) poll a standard stream. The descriptor lies in memory, out of the filter's
  // reach, so the rule limits the call to one descriptor and these timeouts.
  for (uint32_t timeout : {0u, static_cast<uint32_t>(-1)}) {
    allow(SCMP_SYS(poll), SCMP_A1_64(SCMP_CMP_EQ, 1), SCMP_A2_32(SCMP_CMP_EQ, timeout));
  }

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
  // A forked process ends with the sandbox's first process: it requests
  // the parent-death signal and, when that comes, checks its parent.
  allow(SCMP_SYS(prctl), SCMP_A0_32(SCMP_CMP_EQ, PR_SET_PDEATHSIG),
        SCMP_A1_32(SCMP_CMP_EQ, static_cast<uint32_t>(lifeline_signal)));
  allow(SCMP_SYS(getppid));
  allow(SCMP_SYS(exit));
  allow(SCMP_SYS(exit_group));

  // glibc tries clone3 first and falls back to clone, whose flags a filter
  // can inspect.
  if (result == 0) {
    result = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  }
  return result;
}

int fail(const char* step, int error) {
  std::fprintf(stderr, "litebox-allowlist-generator: %s failed: %s\n", step, std::strerror(error));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: litebox-allowlist-generator OUTPUT\n");
    return 2;
  }
  // SIGRTMIN is glibc's first real-time signal after the two it reserves;
  // the runner checks at start-up that its interrupt and parent-death
  // signals are these.
  const int interrupt_signal = SIGRTMIN;
  const int lifeline_signal = SIGRTMIN + 1;

  // Anything not allowed traps; the SIGSYS handler reports it as a libOS
  // bug and ends the process. A foreign architecture (int 0x80) traps too,
  // so that a guest using it gets ENOSYS instead of a dead sandbox.
  std::unique_ptr<void, decltype(&seccomp_release)> context(seccomp_init(SCMP_ACT_TRAP),
                                                            &seccomp_release);
  if (!context) {
    return fail("seccomp_init", ENOMEM);
  }
  if (int result = seccomp_attr_set(context.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
      result != 0) {
    return fail("setting the bad-architecture action", -result);
  }
  if (int result = add_rules(context.get(), interrupt_signal, lifeline_signal); result != 0) {
    return fail("adding the rules", -result);
  }

  // libseccomp 2.5 exports the program only to a file descriptor.
  std::unique_ptr<std::FILE, decltype(&std::fclose)> raw(std::tmpfile(), &std::fclose);
  if (!raw) {
    return fail("creating a temporary file", errno);
  }
  if (int result = seccomp_export_bpf(context.get(), fileno(raw.get())); result != 0) {
    return fail("seccomp_export_bpf", -result);
  }
  if (std::fseek(raw.get(), 0, SEEK_SET) != 0) {
    return fail("rewinding the temporary file", errno);
  }
  std::vector<sock_filter> program;
  sock_filter instruction{};
  while (std::fread(&instruction, sizeof(instruction), 1, raw.get()) == 1) {
    program.push_back(instruction);
  }
  if (program.empty()) {
    return fail("reading the exported program", EINVAL);
  }

  std::unique_ptr<std::FILE, decltype(&std::fclose)> output(std::fopen(argv[1], "w"), &std::fclose);
  if (!output) {
    return fail(argv[1], errno);
  }
  std::fprintf(output.get(),
               "// Generated by litebox-allowlist-generator from its rules; do not edit.\n"
               "#pragma once\n\n"
               "#include <linux/filter.h>\n\n"
               "inline constexpr int allowlist_interrupt_signal = %d;\n"
               "inline constexpr int allowlist_lifeline_signal = %d;\n\n"
               "inline constexpr sock_filter allowlist_program[] = {\n",
               interrupt_signal, lifeline_signal);
  for (const sock_filter& entry : program) {
    std::fprintf(output.get(), "    {0x%04x, %u, %u, 0x%08x},\n", entry.code, entry.jt, entry.jf,
                 entry.k);
  }
  std::fprintf(output.get(), "};\n");
  if (std::fflush(output.get()) != 0) {
    return fail(argv[1], errno);
  }
  return 0;
}
