/* The alternate signal stack: sigaltstack rejects small stacks (ENOMEM) and
 * bad flags (EINVAL), a SA_ONSTACK handler runs on the alternate stack and
 * sees SS_ONSTACK there, changing the stack from that handler fails with
 * EPERM, a handler without SA_ONSTACK stays on the thread's stack,
 * SS_AUTODISARM disarms the stack while the handler runs, and SS_DISABLE
 * turns it off. */
#include "abi.h"

#include <signal.h>
#include <stdint.h>

/* <linux/signal.h> defines it, but conflicts with glibc's <signal.h>. */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static char alternate[64 * 1024] __attribute__((aligned(16)));

static volatile sig_atomic_t on_alternate;
static volatile sig_atomic_t reported_on_stack;
static volatile sig_atomic_t reported_disabled;
static volatile int change_errno;

static int within_alternate(const void* address) {
  uintptr_t value = (uintptr_t)address;
  return value >= (uintptr_t)alternate && value < (uintptr_t)alternate + sizeof alternate;
}

static void handler(int signal) {
  (void)signal;
  int local = 0;
  on_alternate = within_alternate(&local);
  stack_t current;
  sigaltstack(NULL, &current);
  reported_on_stack = (current.ss_flags & SS_ONSTACK) != 0;
  reported_disabled = (current.ss_flags & SS_DISABLE) != 0;
  stack_t replacement = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0};
  change_errno = sigaltstack(&replacement, NULL) == 0 ? 0 : errno;
}

static void run_handler(const char* label) {
  on_alternate = reported_on_stack = reported_disabled = 0;
  change_errno = -1;
  raise(SIGUSR1);
  printf(
      "%s: on the alternate stack %s, SS_ONSTACK %s, SS_DISABLE %s, sigaltstack from the "
      "handler %s\n",
      label, on_alternate ? "yes" : "no", reported_on_stack ? "yes" : "no",
      reported_disabled ? "yes" : "no",
      change_errno == 0 ? "succeeds" : strerrorname_np(change_errno));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  stack_t old;
  CALL(sigaltstack(NULL, &old));
  FACT("initially disabled", (old.ss_flags & SS_DISABLE) != 0);

  stack_t small = {.ss_sp = alternate, .ss_size = 1024, .ss_flags = 0};
  CALL(sigaltstack(&small, NULL));
  stack_t bad_flags = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0x10};
  CALL(sigaltstack(&bad_flags, NULL));

  stack_t stack = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0};
  CALL(sigaltstack(&stack, NULL));
  CALL(sigaltstack(NULL, &old));
  FACT("reported base matches", old.ss_sp == alternate);
  printf("reported size %zu, flags %d\n", old.ss_size, old.ss_flags);

  struct sigaction action = {0};
  action.sa_handler = handler;
  action.sa_flags = SA_ONSTACK;
  CALL(sigaction(SIGUSR1, &action, NULL));
  run_handler("SA_ONSTACK");

  action.sa_flags = 0;
  CALL(sigaction(SIGUSR1, &action, NULL));
  run_handler("without SA_ONSTACK");

  stack.ss_flags = SS_AUTODISARM;
  CALL(sigaltstack(&stack, NULL));
  action.sa_flags = SA_ONSTACK;
  CALL(sigaction(SIGUSR1, &action, NULL));
  run_handler("SS_AUTODISARM");
  CALL(sigaltstack(NULL, &old));
  printf("flags after the SS_AUTODISARM handler: %#x\n", (unsigned)old.ss_flags);

  stack_t disable = {.ss_flags = SS_DISABLE};
  CALL(sigaltstack(&disable, NULL));
  CALL(sigaltstack(NULL, &old));
  FACT("disabled", (old.ss_flags & SS_DISABLE) != 0);
  run_handler("SA_ONSTACK with the stack disabled");
  return 0;
}
