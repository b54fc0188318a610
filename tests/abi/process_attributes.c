/* Small per-process and per-thread attributes: mlockall and munlockall
 * with their flags and RLIMIT_MEMLOCK rules, personality, the robust futex
 * list that get_robust_list reports back, and the I/O priority of
 * ioprio_get and ioprio_set. Bad flags, values, pointers and ids fail with
 * Linux's errno. A child that gives up root shows which calls need
 * privilege, with memory lock limits small enough that the sandbox's larger
 * mappings (its 8 MiB stack) make no difference. I/O priorities of process
 * groups and users are left out: natively they cover other processes of the
 * host. */
#include "abi.h"

#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

/* ioprio_set(2) and ioprio_get(2) values, from linux/ioprio.h. */
enum {
  who_process = 1,
  who_process_group = 2,
  who_user = 3,
  class_none = 0,
  class_realtime = 1,
  class_best_effort = 2,
  class_idle = 3,
};

static int io_priority(int class, int data) { return class << 13 | data; }

static long get_io_priority(int which, int who) { return syscall(SYS_ioprio_get, which, who); }

static long set_io_priority(int which, int who, int priority) {
  return syscall(SYS_ioprio_set, which, who, priority);
}

static long set_personality(unsigned long persona) { return syscall(SYS_personality, persona); }

/* struct robust_list_head of x86-64: the list, the futex offset and the
 * pending entry. */
struct robust_head {
  void* next;
  long futex_offset;
  void* pending;
};

static void set_memory_lock_limit(rlim_t limit) {
  struct rlimit value = {limit, limit};
  if (setrlimit(RLIMIT_MEMLOCK, &value) != 0) {
    printf("setrlimit failed: %s\n", strerrorname_np(errno));
  }
}

static void report_memory_locks(void) {
  printf("mlockall:\n");
  CALL(mlockall(0));
  CALL(mlockall(8));
  CALL(mlockall(MCL_ONFAULT));
  CALL(mlockall(MCL_ONFAULT | 8));
  CALL(mlockall(MCL_CURRENT));
  CALL(mlockall(MCL_FUTURE));
  CALL(mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT));
  CALL(munlockall());
}

static void report_robust_list(void) {
  printf("get_robust_list:\n");
  static struct robust_head head = {&head, 0, NULL};
  CALL(syscall(SYS_set_robust_list, &head, sizeof head));
  struct robust_head* found = NULL;
  size_t length = 0;
  CALL(syscall(SYS_get_robust_list, 0, &found, &length));
  FACT("the head set is the head found", found == &head);
  printf("length %zu\n", length);
  found = NULL;
  CALL(syscall(SYS_get_robust_list, gettid(), &found, &length));
  FACT("the head found by thread id is the same", found == &head);
  CALL(syscall(SYS_get_robust_list, 0x3fffffff, &found, &length));
  CALL(syscall(SYS_get_robust_list, -1, &found, &length));
  CALL(syscall(SYS_get_robust_list, 0, (void*)8, &length));
  length = 0;
  CALL(syscall(SYS_get_robust_list, 0, &found, (void*)8));
}

static void report_child_personality(void) {
  printf("forked child: ");
  CALL(set_personality(0xffffffff));
}

/* /proc/self/personality: the value in 8 hex digits, readable by the owner
 * only. */
static void report_personality_file(void) {
  char text[64];
  if (abi_read_file("/proc/self/personality", text, sizeof text) < 0) {
    printf("/proc/self/personality: %s\n", strerrorname_np(errno));
    return;
  }
  printf("/proc/self/personality: %s", text);
  struct stat status;
  if (stat("/proc/self/personality", &status) == 0) {
    printf("mode %o size %lld\n", status.st_mode, (long long)status.st_size);
  }
}

static void report_personality(void) {
  printf("personality:\n");
  CALL(set_personality(0xffffffff));
  CALL(set_personality(PER_LINUX | ADDR_NO_RANDOMIZE));
  CALL(set_personality(0xffffffff));
  report_personality_file();
  abi_run_in_child(report_child_personality);
  CALL(set_personality(PER_BSD));
  report_personality_file();
  CALL(set_personality(PER_LINUX));
  CALL(set_personality(0xffffffff));
  report_personality_file();
}

static void report_child_io_priority(void) {
  printf("forked child: ");
  CALL(get_io_priority(who_process, 0));
}

static void report_io_priority(void) {
  printf("ioprio:\n");
  CALL(get_io_priority(who_process, 0));
  CALL(set_io_priority(who_process, 0, io_priority(class_best_effort, 3)));
  CALL(get_io_priority(who_process, 0));
  CALL(get_io_priority(who_process, getpid()));
  abi_run_in_child(report_child_io_priority);

  static const int priorities[][2] = {
      {class_best_effort, 0},
      {class_best_effort, 7},
      {class_best_effort, 8},
      {class_best_effort, 0x1f},
      {class_idle, 0},
      {class_idle, 5},
      {class_realtime, 0},
      {class_realtime, 7},
      {class_none, 0},
      {class_none, 1},
      {class_none, 8},
      {class_idle, 0x1fff},
      {class_best_effort, 0x1ff8},
      {4, 0},
      {5, 0},
      {7, 0},
  };
  for (size_t i = 0; i < sizeof priorities / sizeof priorities[0]; ++i) {
    printf("class %d, data %d: ", priorities[i][0], priorities[i][1]);
    CALL(set_io_priority(who_process, 0, io_priority(priorities[i][0], priorities[i][1])));
    CALL(get_io_priority(who_process, 0));
  }
  CALL(set_io_priority(who_process, 0, -1));
  CALL(set_io_priority(who_process, 0, 0x10000 | io_priority(class_best_effort, 1)));
  CALL(get_io_priority(who_process, 0));

  printf("bad which and who:\n");
  CALL(get_io_priority(0, 0));
  CALL(get_io_priority(4, 0));
  CALL(get_io_priority(-1, 0));
  CALL(set_io_priority(0, 0, io_priority(class_best_effort, 0)));
  CALL(set_io_priority(4, 0, io_priority(class_best_effort, 0)));
  CALL(set_io_priority(4, 0, io_priority(7, 0)));
  CALL(get_io_priority(who_process, 0x3fffffff));
  CALL(get_io_priority(who_process, -1));
  CALL(set_io_priority(who_process, 0x3fffffff, io_priority(class_best_effort, 0)));
  CALL(set_io_priority(who_process, 0, io_priority(class_none, 0)));
}

static void run_unprivileged(void) {
  if (setuid(65534) != 0) {
    printf("setuid failed: %s\n", strerrorname_np(errno));
    return;
  }
  printf("unprivileged:\n");
  CALL(set_io_priority(who_process, 0, io_priority(class_realtime, 0)));
  CALL(set_io_priority(who_process, 0, io_priority(class_best_effort, 6)));
  CALL(get_io_priority(who_process, 0));
  CALL(set_io_priority(who_process, 0, io_priority(class_idle, 0)));
  CALL(get_io_priority(who_process, 0));
  CALL(set_personality(ADDR_NO_RANDOMIZE));
  CALL(set_personality(0xffffffff));

  printf("RLIMIT_MEMLOCK of one page:\n");
  set_memory_lock_limit(4096);
  CALL(mlockall(MCL_CURRENT));
  CALL(mlockall(MCL_FUTURE));
  CALL(munlockall());
  printf("RLIMIT_MEMLOCK of 0:\n");
  set_memory_lock_limit(0);
  CALL(mlockall(MCL_CURRENT));
  CALL(mlockall(MCL_FUTURE));
  CALL(mlockall(0));
  CALL(munlockall());
}

int main(void) {
  report_memory_locks();
  report_robust_list();
  report_personality();
  report_io_priority();
  abi_run_in_child(run_unprivileged);
  return 0;
}
