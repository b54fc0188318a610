/* System calls from several threads at once, interrupted by signals, and
 * from a forked child. Under LiteBox the first call from each site traps
 * and rewrites the site while other threads run the same code. Later calls
 * enter through the rewritten site, and their results must stay those of
 * the system calls. */
#include "abi.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

enum { thread_count = 4, rounds = 20000 };

static pid_t process_id;
static pid_t parent_id;
static pthread_barrier_t start_line;
static volatile sig_atomic_t signals_caught;

static void count_signal(int signal) {
  (void)signal;
  signals_caught = signals_caught + 1;
}

static int zero_device;

/* Returns the number of calls whose result was wrong. syscall() traps
 * until its site is rewritten, as the others. read() runs glibc's wrapper
 * for more than one thread, whose site differs from the one that main()
 * rewrites before the threads start. */
static void* call_repeatedly(void* unused) {
  (void)unused;
  long wrong = 0;
  char bytes[8] = {1};
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < rounds; i++) {
    wrong += getpid() != process_id;
    wrong += getppid() != parent_id;
    wrong += syscall(SYS_getpid) != process_id;
    wrong += read(zero_device, bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes) || bytes[7] != 0;
  }
  return (void*)wrong;
}

int main(void) {
  /* The reference values come from syscall(), so that the first getpid()
   * and getppid() calls happen in the threads, at the same time. */
  process_id = (pid_t)syscall(SYS_getpid);
  parent_id = (pid_t)syscall(SYS_getppid);

  struct sigaction action = {0};
  action.sa_handler = count_signal;
  action.sa_flags = SA_RESTART;
  CALL(sigaction(SIGUSR1, &action, NULL));
  CALL(sigaction(SIGALRM, &action, NULL));

  zero_device = open("/dev/zero", O_RDONLY);
  CALL(zero_device);
  long wrong_reads = 0;
  for (int i = 0; i < 100; i++) {
    char bytes[8] = {1};
    wrong_reads += read(zero_device, bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes) || bytes[0];
  }
  FACT("every read before the threads started returned zeros", wrong_reads == 0);

  pthread_barrier_init(&start_line, NULL, thread_count + 1);
  pthread_t threads[thread_count];
  for (int i = 0; i < thread_count; i++) {
    pthread_create(&threads[i], NULL, call_repeatedly, NULL);
  }
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < 100; i++) {
    kill(process_id, SIGUSR1);
  }
  long wrong = 0;
  for (int i = 0; i < thread_count; i++) {
    void* result = NULL;
    pthread_join(threads[i], &result);
    wrong += (long)result;
  }
  FACT("every call from every thread returned the right id", wrong == 0);

  /* A blocked wait4 that a signal interrupts restarts through its site,
   * which the first waitpid rewrote. */
  fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    const int right_parent = getppid() == process_id;
    const struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    _exit(right_parent ? 0 : 1);
  }
  int status = 0;
  FACT("waitpid with WNOHANG finds no ended child", waitpid(child, &status, WNOHANG) == 0);
  const struct itimerval every_5_ms = {{0, 5000}, {0, 5000}};
  CALL(setitimer(ITIMER_REAL, &every_5_ms, NULL));
  const pid_t ended = waitpid(child, &status, 0);
  const struct itimerval stop = {{0, 0}, {0, 0}};
  CALL(setitimer(ITIMER_REAL, &stop, NULL));
  FACT("the restarted waitpid returned the child", ended == child);
  FACT("the child saw its parent's id", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  FACT("signals arrived", signals_caught > 0);
  return 0;
}
