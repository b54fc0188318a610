/* The floor for seccomp-trap interception on this machine: a seccomp filter
 * traps getppid with SECCOMP_RET_TRAP, and a SIGSYS handler that does nothing
 * but set the return value lets the call return. One operation is one
 * trapped getppid: kernel entry, filter, signal delivery, handler,
 * rt_sigreturn. A sandbox's null system call under seccomp is compared with
 * this number. Runs natively only: it installs a filter of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "harness.h"

/* The value the handler returns for getppid, which no real parent pid
 * lookup returns in this process. */
static const long trapped_result = -4242;

static void handle_sigsys(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)info;
  /* Safety: the kernel passes a ucontext_t for SA_SIGINFO handlers, and the
   * register it holds for RAX becomes the system call's result on return. */
  ucontext_t* user_context = context;
  user_context->uc_mcontext.gregs[REG_RAX] = trapped_result;
}

static int install_trap_filter(void) {
  struct sock_filter instructions[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {
      .len = sizeof(instructions) / sizeof(instructions[0]),
      .filter = instructions,
  };

  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = handle_sigsys;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, NULL) != 0) {
    return errno;
  }

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return errno;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
    return errno;
  }
  return 0;
}

static int setup_filter(const struct bench_options* options, void** state) {
  (void)options;
  *state = NULL;
  int error = install_trap_filter();
  if (error != 0) {
    return error;
  }

  /* A filter that does not trap would make this benchmark measure a plain
   * system call. */
  return syscall(SYS_getppid) == trapped_result ? 0 : ENOTSUP;
}

static int run_trapped_getppid(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    if (syscall(SYS_getppid) != trapped_result) {
      return ENOTSUP;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static const struct bench_case cases[] = {
    {"sigsys_round_trip", setup_filter, run_trapped_getppid, NULL},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
