/* The sched_* policy calls on the calling thread. A new process runs
 * SCHED_OTHER with priority 0, and the policies an unprivileged process may
 * choose are set and reported back. Forks inherit them unless
 * SCHED_RESET_ON_FORK is set. Bad policies, priorities, sizes, flags,
 * pointers and process ids fail with Linux's errno. Root may choose a
 * real-time policy, which the test keeps only for a few calls that never
 * spin. A child that gives up root shows which changes need privilege. */
#include "abi.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1. */
struct scheduler_attributes {
  unsigned size;
  unsigned policy;
  unsigned long long flags;
  int nice;
  unsigned priority;
  unsigned long long runtime;
  unsigned long long deadline;
  unsigned long long period;
  unsigned util_min;
  unsigned util_max;
};

/* The raw calls: sched_setscheduler and sched_setparam of the C library
 * may reject a policy before the kernel receives it. */
static long set_scheduler(int pid, int policy, int priority) {
  struct sched_param parameter = {.sched_priority = priority};
  return syscall(SYS_sched_setscheduler, pid, policy, &parameter);
}

static long set_param(int pid, int priority) {
  struct sched_param parameter = {.sched_priority = priority};
  return syscall(SYS_sched_setparam, pid, &parameter);
}

static long get_scheduler(int pid) { return syscall(SYS_sched_getscheduler, pid); }

static long set_attributes(int pid, struct scheduler_attributes* attributes, unsigned flags) {
  return syscall(SYS_sched_setattr, pid, attributes, flags);
}

static long get_attributes(int pid, void* attributes, unsigned size, unsigned flags) {
  return syscall(SYS_sched_getattr, pid, attributes, size, flags);
}

/* Prints the policy, the priority and the sched_getattr view of the caller. */
static void show_scheduling(const char* label) {
  struct sched_param parameter = {.sched_priority = -1};
  long priority = syscall(SYS_sched_getparam, 0, &parameter) == 0 ? parameter.sched_priority : -1;
  struct scheduler_attributes attributes;
  memset(&attributes, 0xff, sizeof attributes);
  long result = get_attributes(0, &attributes, sizeof attributes, 0);
  printf("%s: policy %#lx, priority %ld, nice %d\n", label, get_scheduler(0), priority,
         getpriority(PRIO_PROCESS, 0));
  if (result == 0) {
    printf(
        "  attributes: size %u, policy %u, flags %#llx, nice %d, priority %u, runtime %llu, "
        "deadline %llu, period %llu, util %u to %u\n",
        attributes.size, attributes.policy, attributes.flags, attributes.nice, attributes.priority,
        attributes.runtime, attributes.deadline, attributes.period, attributes.util_min,
        attributes.util_max);
  } else {
    printf("  sched_getattr failed: %s\n", strerrorname_np(errno));
  }
}

static void show_forked_child_scheduling(void) { show_scheduling("forked child"); }

static void show_child_scheduling(void) { abi_run_in_child(show_forked_child_scheduling); }

static void run_unprivileged(void) {
  if (setuid(65534) != 0) {
    printf("setuid failed: %s\n", strerrorname_np(errno));
    return;
  }
  printf("unprivileged:\n");
  show_scheduling("start");

  CALL(set_scheduler(0, SCHED_FIFO, 1));
  CALL(set_scheduler(0, SCHED_RR, 1));
  CALL(set_scheduler(0, SCHED_FIFO, 0));
  CALL(set_scheduler(0, SCHED_BATCH, 0));
  show_scheduling("batch");

  CALL(setpriority(PRIO_PROCESS, 0, 5));
  struct scheduler_attributes attributes = {.size = sizeof attributes, .policy = SCHED_OTHER};
  attributes.nice = 3;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("nice 3 through sched_setattr");
  attributes.nice = 8;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("nice 8 through sched_setattr");

  attributes.policy = SCHED_DEADLINE;
  attributes.runtime = 10000000;
  attributes.deadline = 30000000;
  attributes.period = 30000000;
  CALL(set_attributes(0, &attributes, 0));

  CALL(set_scheduler(0, SCHED_IDLE, 0));
  show_scheduling("idle");
  CALL(set_scheduler(0, SCHED_OTHER, 0));
  CALL(set_param(0, 0));
  show_scheduling("still idle");
  CALL(set_scheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, 0));
  CALL(set_scheduler(0, SCHED_IDLE, 0));
  show_scheduling("idle with reset-on-fork");
  show_child_scheduling();
}

/* Real-time policies as root: kept for a few calls, then given up. */
static void run_realtime(void) {
  printf("real-time policies:\n");
  CALL(set_scheduler(0, SCHED_FIFO, 1));
  show_scheduling("fifo");
  struct timespec interval = {-1, -1};
  CALL(sched_rr_get_interval(0, &interval));
  printf("interval %lld.%09ld\n", (long long)interval.tv_sec, interval.tv_nsec);
  CALL(set_param(0, 0));
  CALL(set_param(0, 5));
  CALL(set_scheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, 7));
  show_scheduling("round-robin");
  CALL(sched_rr_get_interval(0, &interval));
  printf("interval %lld.%09ld\n", (long long)interval.tv_sec, interval.tv_nsec);
  show_child_scheduling();
  struct scheduler_attributes attributes = {.size = sizeof attributes, .policy = SCHED_FIFO};
  attributes.priority = 3;
  attributes.nice = -7;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("fifo through sched_setattr");
  CALL(set_scheduler(0, SCHED_OTHER, 0));
  show_scheduling("other");
}

int main(void) {
  show_scheduling("start");

  printf("priority ranges:\n");
  for (int policy = -1; policy <= 8; ++policy) {
    printf("policy %d: ", policy);
    CALL(sched_get_priority_min(policy));
    printf("policy %d: ", policy);
    CALL(sched_get_priority_max(policy));
  }

  printf("round-robin interval:\n");
  struct timespec interval = {-1, -1};
  CALL(sched_rr_get_interval(0, &interval));
  CALL(sched_rr_get_interval(-1, &interval));
  CALL(sched_rr_get_interval(0x3fffffff, &interval));
  CALL(syscall(SYS_sched_rr_get_interval, 0, (struct timespec*)8));

  printf("policies without privilege:\n");
  CALL(set_scheduler(0, SCHED_BATCH, 0));
  show_scheduling("batch");
  show_child_scheduling();
  CALL(set_scheduler(getpid(), SCHED_IDLE, 0));
  show_scheduling("idle");
  CALL(set_param(0, 0));
  show_scheduling("idle after sched_setparam");
  CALL(set_scheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, 0));
  CALL(setpriority(PRIO_PROCESS, 0, -5));
  show_scheduling("reset-on-fork");
  show_child_scheduling();
  CALL(set_scheduler(0, SCHED_OTHER, 0));
  CALL(setpriority(PRIO_PROCESS, 0, 0));
  show_scheduling("other");

  printf("bad policies and priorities:\n");
  CALL(set_scheduler(0, -1, 0));
  CALL(set_scheduler(0, 4, 0));
  CALL(set_scheduler(0, 8, 0));
  CALL(set_scheduler(0, SCHED_OTHER, 1));
  CALL(set_scheduler(0, SCHED_BATCH, -1));
  CALL(set_scheduler(0, SCHED_FIFO, 0));
  CALL(set_scheduler(0, SCHED_FIFO, 100));
  CALL(set_scheduler(0, SCHED_RR, -1));
  CALL(set_scheduler(0, SCHED_DEADLINE, 0));
  CALL(set_param(0, 1));
  CALL(set_param(0, -1));

  printf("bad pointers and process ids:\n");
  CALL(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
  CALL(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void*)8));
  CALL(syscall(SYS_sched_setparam, 0, NULL));
  CALL(syscall(SYS_sched_setparam, 0, (void*)8));
  CALL(syscall(SYS_sched_getparam, 0, NULL));
  CALL(syscall(SYS_sched_getparam, 0, (void*)8));
  struct sched_param parameter;
  CALL(syscall(SYS_sched_getparam, -1, &parameter));
  CALL(syscall(SYS_sched_getparam, 0x3fffffff, &parameter));
  CALL(get_scheduler(-1));
  CALL(get_scheduler(0x3fffffff));
  CALL(set_scheduler(-1, SCHED_OTHER, 0));
  CALL(set_scheduler(0x3fffffff, SCHED_OTHER, 0));
  CALL(set_param(0x3fffffff, 0));

  printf("sched_getattr sizes and flags:\n");
  unsigned char buffer[128];
  memset(buffer, 0xee, sizeof buffer);
  CALL(get_attributes(0, buffer, 48, 0));
  printf("size field %u, byte 48 %#x\n", ((struct scheduler_attributes*)buffer)->size, buffer[48]);
  memset(buffer, 0xee, sizeof buffer);
  CALL(get_attributes(0, buffer, 128, 0));
  printf("size field %u, byte 56 %#x\n", ((struct scheduler_attributes*)buffer)->size, buffer[56]);
  CALL(get_attributes(0, buffer, 47, 0));
  CALL(get_attributes(0, buffer, 4097, 0));
  CALL(get_attributes(0, buffer, 56, 1));
  CALL(get_attributes(0, NULL, 56, 0));
  CALL(get_attributes(0, (void*)8, 56, 0));
  CALL(get_attributes(-1, buffer, 56, 0));
  CALL(get_attributes(0x3fffffff, buffer, 56, 0));

  printf("sched_setattr sizes and flags:\n");
  struct scheduler_attributes attributes = {.size = sizeof attributes, .policy = SCHED_BATCH};
  attributes.nice = 4;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("batch with nice 4");
  attributes.size = 0;
  attributes.policy = SCHED_OTHER;
  attributes.nice = 100;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("size 0, nice 100");
  attributes.size = 47;
  CALL(set_attributes(0, &attributes, 0));
  printf("size field %u\n", attributes.size);
  attributes.size = 4097;
  CALL(set_attributes(0, &attributes, 0));
  printf("size field %u\n", attributes.size);
  memset(buffer, 0, sizeof buffer);
  memcpy(buffer, &attributes, sizeof attributes);
  ((struct scheduler_attributes*)buffer)->size = 64;
  ((struct scheduler_attributes*)buffer)->nice = 0;
  CALL(set_attributes(0, (struct scheduler_attributes*)buffer, 0));
  buffer[60] = 1;
  CALL(set_attributes(0, (struct scheduler_attributes*)buffer, 0));
  printf("size field %u\n", ((struct scheduler_attributes*)buffer)->size);
  attributes.size = sizeof attributes;
  CALL(set_attributes(0, &attributes, 1));
  CALL(set_attributes(-1, &attributes, 0));
  CALL(set_attributes(0x3fffffff, &attributes, 0));
  CALL(set_attributes(0, NULL, 0));
  CALL(set_attributes(0, (struct scheduler_attributes*)8, 0));
  attributes.policy = (unsigned)-1;
  CALL(set_attributes(0, &attributes, 0));
  attributes.policy = SCHED_OTHER;
  attributes.flags = 0x1000;
  CALL(set_attributes(0, &attributes, 0));
  attributes.flags = 0x08; /* SCHED_FLAG_KEEP_POLICY */
  attributes.policy = SCHED_FIFO;
  attributes.nice = 2;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("kept policy, nice 2");
  attributes.flags = 0x18; /* SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS */
  attributes.nice = 9;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("kept policy and parameters");
  attributes.flags = 0;
  attributes.policy = SCHED_OTHER;
  attributes.nice = 0;
  CALL(set_attributes(0, &attributes, 0));
  attributes.policy = SCHED_DEADLINE;
  attributes.runtime = 10;
  attributes.deadline = 5;
  attributes.period = 30;
  CALL(set_attributes(0, &attributes, 0));
  show_scheduling("after the bad calls");

  run_realtime();
  abi_run_in_child(run_unprivileged);
  return 0;
}
