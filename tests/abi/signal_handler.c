/* Signal handlers: a handler runs for raise() and kill(getpid()), with the
 * siginfo fields Linux fills in, SA_RESETHAND restores the default action,
 * rt_sigaction returns the old action and rejects SIGKILL, SIGSTOP and bad
 * numbers, kill rejects bad signals and unknown processes, and a handler
 * can change the interrupted context through its ucontext. */
#include "abi.h"

#include <limits.h>
#include <signal.h>
#include <ucontext.h>

static volatile sig_atomic_t handled_signal;
static volatile sig_atomic_t handled_code;
static volatile sig_atomic_t sender_is_self;
static volatile sig_atomic_t handler_count;

static void record(int signal, siginfo_t* info, void* context) {
  (void)context;
  handled_signal = signal;
  handled_code = info->si_code;
  sender_is_self = info->si_pid == getpid() && info->si_uid == getuid();
  handler_count++;
}

static void count(int signal) {
  (void)signal;
  handler_count++;
}

/* Skips the 2-byte `ud2` that raised SIGILL by moving the saved rip. */
static void skip_instruction(int signal, siginfo_t* info, void* context) {
  (void)signal;
  (void)info;
  ucontext_t* ucontext = context;
  ucontext->uc_mcontext.gregs[REG_RIP] += 2;
  ucontext->uc_mcontext.gregs[REG_RBX] = 42;
  handler_count++;
}

static void report_info(const char* label) {
  printf("%s: signal %d, si_code %s, sent by this process: %s\n", label, (int)handled_signal,
         handled_code == SI_USER    ? "SI_USER"
         : handled_code == SI_TKILL ? "SI_TKILL"
                                    : "other",
         sender_is_self ? "yes" : "no");
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  struct sigaction action = {0};
  action.sa_sigaction = record;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  CALL(sigaction(SIGUSR1, &action, NULL));

  CALL(raise(SIGUSR1));
  report_info("raise");
  CALL(kill(getpid(), SIGUSR1));
  report_info("kill(getpid())");
  printf("handler runs: %d\n", (int)handler_count);

  struct sigaction old = {0};
  CALL(sigaction(SIGUSR1, NULL, &old));
  FACT("old action is the handler", old.sa_sigaction == record);
  FACT("old action has SA_SIGINFO", (old.sa_flags & SA_SIGINFO) != 0);

  /* SA_RESETHAND: the first delivery restores SIG_DFL. */
  handler_count = 0;
  struct sigaction once = {0};
  once.sa_handler = count;
  once.sa_flags = SA_RESETHAND;
  CALL(sigaction(SIGUSR2, &once, NULL));
  CALL(raise(SIGUSR2));
  CALL(sigaction(SIGUSR2, NULL, &old));
  FACT("SA_RESETHAND handler ran", handler_count == 1);
  FACT("SA_RESETHAND left SIG_DFL", old.sa_handler == SIG_DFL);

  /* An ignored signal does nothing. */
  CALL(signal(SIGUSR2, SIG_IGN) == SIG_ERR);
  CALL(raise(SIGUSR2));

  /* Argument checks. */
  CALL(sigaction(SIGKILL, &action, NULL));
  CALL(sigaction(SIGSTOP, &action, NULL));
  CALL(sigaction(SIGKILL, NULL, &old));
  CALL(sigaction(0, &action, NULL));
  CALL(sigaction(65, &action, NULL));
  CALL(kill(getpid(), 0));
  CALL(kill(getpid(), 65));
  CALL(kill(getpid(), -1));
  CALL(kill(INT_MAX, SIGUSR1));
  CALL(kill(INT_MAX, 0));

  /* A handler that rewrites the interrupted context. */
  struct sigaction skip = {0};
  skip.sa_sigaction = skip_instruction;
  skip.sa_flags = SA_SIGINFO;
  CALL(sigaction(SIGILL, &skip, NULL));
  long rbx = 0;
  __asm__ volatile("xor %%ebx, %%ebx\n\tud2\n\tmov %%rbx, %0" : "=r"(rbx) : : "rbx");
  printf("after ud2: rbx %ld\n", rbx);
  return 0;
}
