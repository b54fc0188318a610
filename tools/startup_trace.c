/* startup_trace: runs a program under ptrace, one instruction at a time.
 * The first time an instruction of the program's own executable runs, it
 * writes that instruction's offset from the executable's load address to
 * OUTPUT, in hexadecimal, one per line.
 *
 *   startup_trace OUTPUT PROGRAM [ARGS...]
 *
 * scripts/startup-order turns these offsets into the function order that
 * the linker follows for litebox (src/cli/startup-order.txt). Only the
 * thread that execs is traced; threads and processes it starts run freely.
 * Signals the program receives (SIGSYS from litebox's seccomp filter) are
 * passed on unchanged. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* Finds the lowest and highest address of the mappings of `executable` in
 * process `pid`. The lowest is its load address, because a static PIE maps
 * its first segment at file offset 0. */
static int find_executable(pid_t pid, const char* executable, unsigned long* low,
                           unsigned long* high) {
  char maps_path[64];
  snprintf(maps_path, sizeof maps_path, "/proc/%d/maps", (int)pid);
  FILE* maps = fopen(maps_path, "r");
  if (maps == NULL) {
    return -1;
  }

  *low = ULONG_MAX;
  *high = 0;
  char line[PATH_MAX + 128];
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start = 0;
    unsigned long end = 0;
    char path[PATH_MAX] = "";
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095s", &start, &end, path) == 3 &&
        strcmp(path, executable) == 0) {
      *low = start < *low ? start : *low;
      *high = end > *high ? end : *high;
    }
  }
  fclose(maps);
  return *high == 0 ? -1 : 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: startup_trace OUTPUT PROGRAM [ARGS...]\n");
    return 2;
  }
  FILE* output = fopen(argv[1], "w");
  if (output == NULL) {
    fprintf(stderr, "startup_trace: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  char executable[PATH_MAX];
  if (realpath(argv[2], executable) == NULL) {
    fprintf(stderr, "startup_trace: %s: %s\n", argv[2], strerror(errno));
    return 2;
  }

  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    raise(SIGSTOP);
    execv(executable, argv + 2);
    _exit(127);
  }

  /* Stop at the SIGSTOP, then at the exec, where the new image is mapped
   * but has not run an instruction. */
  int status = 0;
  waitpid(pid, &status, 0);
  ptrace(PTRACE_SETOPTIONS, pid, NULL, (void*)(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
  ptrace(PTRACE_CONT, pid, NULL, NULL);
  waitpid(pid, &status, 0);
  if (!WIFSTOPPED(status) || status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
    fprintf(stderr, "startup_trace: %s failed to start under ptrace\n", executable);
    return 1;
  }

  unsigned long low = 0;
  unsigned long high = 0;
  if (find_executable(pid, executable, &low, &high) != 0) {
    fprintf(stderr, "startup_trace: no mapping of %s in process %d\n", executable, (int)pid);
    return 1;
  }
  unsigned char* seen = calloc(high - low, 1);
  if (seen == NULL) {
    return 1;
  }

  /* Step until the program ends. A stop for any signal other than the
   * single-step trap is a signal for the program: deliver it on the next
   * step. */
  long steps = 0;
  int pending_signal = 0;
  for (;;) {
    if (ptrace(PTRACE_SINGLESTEP, pid, NULL, (void*)(long)pending_signal) != 0 ||
        waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
      break;
    }
    pending_signal = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
    steps++;

    struct user_regs_struct registers;
    ptrace(PTRACE_GETREGS, pid, NULL, &registers);
    if (registers.rip >= low && registers.rip < high && !seen[registers.rip - low]) {
      seen[registers.rip - low] = 1;
      fprintf(output, "%llx\n", registers.rip - low);
    }
  }

  fprintf(stderr, "startup_trace: %ld instructions\n", steps);
  return fclose(output) == 0 ? 0 : 1;
}
