/* Faults become signals with the faulting context: a SIGSEGV handler sees
 * si_addr and si_code for a NULL write (SEGV_MAPERR) and for a write to a
 * read-only page (SEGV_ACCERR), and leaves with siglongjmp; integer
 * division by zero raises SIGFPE, int3 SIGTRAP, ud2 SIGILL; and a fault
 * without a handler ends the process with the signal's status. */
#include "abi.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

static sigjmp_buf recovery;
static volatile sig_atomic_t caught_signal;
static volatile sig_atomic_t caught_code;
static void* volatile caught_address;

static void on_fault(int signal, siginfo_t* info, void* context) {
  (void)context;
  caught_signal = signal;
  caught_code = info->si_code;
  caught_address = info->si_addr;
  siglongjmp(recovery, 1);
}

static const char* code_name(int signal, int code) {
  if (signal == SIGSEGV && code == SEGV_MAPERR) return "SEGV_MAPERR";
  if (signal == SIGSEGV && code == SEGV_ACCERR) return "SEGV_ACCERR";
  if (signal == SIGFPE && code == FPE_INTDIV) return "FPE_INTDIV";
  if (signal == SIGILL && code == ILL_ILLOPN) return "ILL_ILLOPN";
  if (code == SI_KERNEL) return "SI_KERNEL";
  return "other";
}

static void report(const char* label, const void* expected_address) {
  printf("%s: signal %d, si_code %s, si_addr as expected: %s\n", label, (int)caught_signal,
         code_name(caught_signal, caught_code), caught_address == expected_address ? "yes" : "no");
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  struct sigaction action = {0};
  action.sa_sigaction = on_fault;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  CALL(sigaction(SIGSEGV, &action, NULL));
  CALL(sigaction(SIGFPE, &action, NULL));
  CALL(sigaction(SIGTRAP, &action, NULL));
  CALL(sigaction(SIGILL, &action, NULL));

  if (sigsetjmp(recovery, 1) == 0) {
    *(volatile int*)0 = 1;
    printf("NULL write did not fault\n");
  }
  report("NULL write", NULL);

  char* page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  FACT("mapped a read-only page", page != MAP_FAILED);
  if (sigsetjmp(recovery, 1) == 0) {
    ((volatile char*)page)[8] = 1;
    printf("read-only write did not fault\n");
  }
  report("read-only write", page + 8);

  /* siglongjmp restored the mask, so the same fault is caught again. */
  caught_signal = 0;
  if (sigsetjmp(recovery, 1) == 0) {
    ((volatile char*)page)[16] = 1;
  }
  report("second read-only write", page + 16);

  /* Neither operand is a constant, so the compiler emits idiv. */
  volatile int dividend = 7;
  volatile int zero = 0;
  if (sigsetjmp(recovery, 1) == 0) {
    printf("quotient %d\n", dividend / zero);
  }
  printf("division by zero: signal %d, si_code %s\n", (int)caught_signal,
         code_name(caught_signal, caught_code));

  if (sigsetjmp(recovery, 1) == 0) {
    __asm__ volatile("int3");
  }
  printf("int3: signal %d, si_code %s\n", (int)caught_signal,
         code_name(caught_signal, caught_code));

  if (sigsetjmp(recovery, 1) == 0) {
    __asm__ volatile("ud2");
  }
  printf("ud2: signal %d, si_code %s\n", (int)caught_signal, code_name(caught_signal, caught_code));

  /* Without a handler the fault ends the process: exit status 139. */
  CALL(signal(SIGSEGV, SIG_DFL) == SIG_ERR);
  fflush(stdout);
  ((volatile char*)page)[24] = 1;
  printf("not reached\n");
  return 0;
}
