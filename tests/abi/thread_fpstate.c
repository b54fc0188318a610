/* A new thread starts with a copy of its creator's floating-point control
 * state (MXCSR and the x87 control word), as clone(2) copies it, and a
 * forked child keeps the state of the thread that forked. */
#include "abi.h"

#include <pthread.h>
#include <sys/wait.h>

static unsigned read_mxcsr(void) {
  unsigned value;
  __asm__ volatile("stmxcsr %0" : "=m"(value));
  return value;
}

static unsigned read_control_word(void) {
  unsigned short word;
  __asm__ volatile("fnstcw %0" : "=m"(word));
  return word;
}

static void write_controls(unsigned mxcsr, unsigned short control_word) {
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  __asm__ volatile("fldcw %0" : : "m"(control_word));
}

static void* report_thread(void* label) {
  printf("%s: mxcsr %#x fcw %#x\n", (const char*)label, read_mxcsr(), read_control_word());
  return NULL;
}

static void run_thread(const char* label) {
  pthread_t thread;
  int error = pthread_create(&thread, NULL, report_thread, (void*)label);
  if (error != 0) {
    printf("pthread_create -> %s\n", strerrorname_np(error));
    return;
  }
  pthread_join(thread, NULL);
}

int main(void) {
  run_thread("thread with default controls");

  /* SSE rounds toward zero, and x87 computes with 53-bit precision. */
  write_controls(0x1f80 | 0x6000, 0x027f);
  run_thread("thread after the creator changed them");
  printf("creator: mxcsr %#x fcw %#x\n", read_mxcsr(), read_control_word());

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    report_thread("forked child");
    run_thread("thread of the forked child");
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  abi_report("waitpid", waitpid(child, &status, 0) == child ? 0 : -1);
  return 0;
}
