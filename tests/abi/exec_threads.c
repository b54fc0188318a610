/* execve from a multithreaded process. The other threads end first (one
 * blocked in a pipe read, one spinning in user code), and the new image
 * runs with one thread under the same pid. Its x87/SSE state (rounding
 * modes in MXCSR and the x87 control word, an XMM register) starts from
 * the initial values. Mode "main" runs execve on the main thread, mode "thread"
 * on a second thread, which then takes the pid as its thread id. */
#include "abi.h"

#include <fenv.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

static int ends[2];
static volatile int spinning;

static void* block_in_read(void* unused) {
  (void)unused;
  char byte;
  (void)!read(ends[0], &byte, 1);
  return NULL;
}

static void* spin(void* unused) {
  (void)unused;
  spinning = 1;
  for (;;) {
    __asm__ volatile("" ::: "memory");
  }
  return NULL;
}

static char self_path[4096];
static char pid_text[32];
static char* new_argv[6];

static void run_exec(void) {
  /* Round toward zero in both units, and leave a value in xmm7. */
  fesetround(FE_TOWARDZERO);
  const double marker = 42.5;
  __asm__ volatile("movsd %0, %%xmm7" : : "m"(marker) : "xmm7");
  execv(self_path, new_argv);
  printf("execv failed: %s\n", strerrorname_np(errno));
  exit(1);
}

static void* exec_from_thread(void* unused) {
  (void)unused;
  run_exec();
  return NULL;
}

static void print_thread_count(void) {
  FILE* status = fopen("/proc/self/status", "r");
  if (status == NULL) {
    printf("/proc/self/status: %s\n", strerrorname_np(errno));
    return;
  }
  char line[256];
  while (fgets(line, sizeof line, status) != NULL) {
    if (strncmp(line, "Threads:", 8) == 0) {
      printf("%s", line);
    }
  }
  fclose(status);
}

static int after_exec(const char* mode, const char* old_pid) {
  printf("after execve, mode %s\n", mode);
  print_thread_count();
  FACT("pid unchanged", getpid() == atoi(old_pid));
  FACT("thread id is the pid", syscall(SYS_gettid) == getpid());

  uint32_t mxcsr = 0;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  uint16_t control_word = 0;
  __asm__ volatile("fnstcw %0" : "=m"(control_word));
  double xmm7 = 1.0;
  __asm__ volatile("movsd %%xmm7, %0" : "=m"(xmm7));
  printf("MXCSR %#x, x87 control word %#x, xmm7 %g\n", mxcsr, control_word, xmm7);
  FACT("rounding to nearest", fegetround() == FE_TONEAREST);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 5 && strcmp(argv[3], "after") == 0) {
    return after_exec(argv[2], argv[4]);
  }
  abi_enter_scratch_directory(argc, argv);
  if (argc < 3) {
    fprintf(stderr, "usage: %s SCRATCH main|thread\n", argv[0]);
    return 2;
  }
  alarm(20);

  ssize_t length = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (length <= 0) {
    printf("readlink /proc/self/exe failed\n");
    return 1;
  }
  self_path[length] = '\0';
  snprintf(pid_text, sizeof pid_text, "%d", getpid());
  /* The new image gets the same scratch directory and mode, then "after"
   * and the pid from before. */
  new_argv[0] = argv[0];
  new_argv[1] = argv[1];
  new_argv[2] = argv[2];
  new_argv[3] = "after";
  new_argv[4] = pid_text;
  new_argv[5] = NULL;

  CALL(pipe(ends));
  pthread_t reader;
  pthread_t spinner;
  CALL(pthread_create(&reader, NULL, block_in_read, NULL));
  CALL(pthread_create(&spinner, NULL, spin, NULL));
  while (!spinning) {
    sched_yield();
  }
  fflush(stdout);

  if (strcmp(argv[2], "thread") == 0) {
    pthread_t runner;
    CALL(pthread_create(&runner, NULL, exec_from_thread, NULL));
    pthread_join(runner, NULL);
    printf("the exec thread returned\n");
    return 1;
  }
  run_exec();
  return 1;
}
