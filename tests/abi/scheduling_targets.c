/* The scheduling calls acting on threads and processes other than the
 * caller, as renice -p, chrt -p, taskset -p and ionice -p do: forked
 * children and a second thread are found by id, process groups and a user
 * id by PRIO_PGRP/IOPRIO_WHO_PGRP and PRIO_USER/IOPRIO_WHO_USER, and the
 * affinity mask that sched_setaffinity stores is what sched_getaffinity
 * reports. Missing ids fail with ESRCH, and a child that gives up root
 * fails with EPERM where Linux requires the same owner. The user id
 * 54321 is assumed to run no other process on the host. */
#include "abi.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define IOPRIO_BEST_EFFORT(level) ((2 << 13) | (level))

enum { other_user = 54321, missing_id = 0x3fffffff };

static long get_io_priority(int which, int who) { return syscall(SYS_ioprio_get, which, who); }

static long set_io_priority(int which, int who, int value) {
  return syscall(SYS_ioprio_set, which, who, value);
}

static long set_scheduler(int pid, int policy, int priority) {
  struct sched_param parameter = {.sched_priority = priority};
  return syscall(SYS_sched_setscheduler, pid, policy, &parameter);
}

static long get_parameter(int pid) {
  struct sched_param parameter = {.sched_priority = -1};
  long result = syscall(SYS_sched_getparam, pid, &parameter);
  return result < 0 ? result : parameter.sched_priority;
}

/* The CPU count of the affinity mask of `pid`, or -1. */
static long affinity_count(int pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(pid, sizeof set, &set) != 0) {
    return -1;
  }
  return CPU_COUNT(&set);
}

static long set_single_processor(int pid, int processor) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(processor, &set);
  return sched_setaffinity(pid, sizeof set, &set);
}

/* The lowest CPU the caller may run on. */
static int first_processor(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  for (int processor = 0; processor < CPU_SETSIZE; ++processor) {
    if (CPU_ISSET(processor, &set)) {
      return processor;
    }
  }
  return -1;
}

/* A child that blocks until `release` closes, after it has joined
 * `group` (0: stays in its parent's, -1: leads a group of its own) and
 * taken `user` as its ids (0: stays root). */
static pid_t start_waiting_child(int release[2], pid_t group, uid_t user) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(release[1]);
    if (user != 0 && setresuid(user, user, user) != 0) {
      _exit(3);
    }
    char byte;
    while (read(release[0], &byte, 1) > 0) {
    }
    _exit(0);
  }
  if (group != 0) {
    setpgid(child, group == -1 ? child : group);
  }
  return child;
}

static void wait_for_children(int release[2], const pid_t* children, int count) {
  close(release[0]);
  close(release[1]);
  for (int index = 0; index < count; ++index) {
    int status = 0;
    waitpid(children[index], &status, 0);
    printf("child %d exit status: %d\n", index, WEXITSTATUS(status));
  }
}

static void act_on_child(pid_t child, int processor, long own_affinity) {
  printf("one child by its pid:\n");
  CALL(setpriority(PRIO_PROCESS, child, 12));
  CALL(getpriority(PRIO_PROCESS, child));
  CALL(getpriority(PRIO_PROCESS, 0));
  CALL(set_scheduler(child, SCHED_BATCH, 0));
  CALL(syscall(SYS_sched_getscheduler, child));
  CALL(syscall(SYS_sched_getscheduler, 0));
  CALL(get_parameter(child));
  CALL(set_scheduler(child, SCHED_FIFO, 100));
  CALL(set_io_priority(IOPRIO_WHO_PROCESS, child, IOPRIO_BEST_EFFORT(3)));
  CALL(get_io_priority(IOPRIO_WHO_PROCESS, child));
  CALL(get_io_priority(IOPRIO_WHO_PROCESS, 0));
  CALL(set_single_processor(child, processor));
  CALL(affinity_count(child));
  FACT("own affinity unchanged", affinity_count(0) == own_affinity);
  if (geteuid() == 0) {
    CALL(set_scheduler(child, SCHED_RR, 5));
    CALL(get_parameter(child));
    struct timespec interval = {-1, -1};
    CALL(syscall(SYS_sched_rr_get_interval, child, &interval));
    printf("round-robin interval: %ld.%09ld\n", (long)interval.tv_sec, interval.tv_nsec);
    CALL(set_scheduler(child, SCHED_OTHER, 0));
  }
}

static void act_on_group(pid_t group) {
  printf("a process group of two children:\n");
  CALL(setpriority(PRIO_PGRP, group, 9));
  CALL(getpriority(PRIO_PGRP, group));
  CALL(setpriority(PRIO_PROCESS, group, 14));
  CALL(getpriority(PRIO_PGRP, group));
  CALL(getpriority(PRIO_PROCESS, group));
  CALL(set_io_priority(IOPRIO_WHO_PGRP, group, IOPRIO_BEST_EFFORT(5)));
  CALL(get_io_priority(IOPRIO_WHO_PGRP, group));
  CALL(set_io_priority(IOPRIO_WHO_PROCESS, group, IOPRIO_BEST_EFFORT(6)));
  CALL(get_io_priority(IOPRIO_WHO_PGRP, group));
  CALL(get_io_priority(IOPRIO_WHO_PROCESS, group));
}

static void act_on_user(void) {
  printf("the processes of one user:\n");
  CALL(setpriority(PRIO_USER, other_user, 11));
  CALL(getpriority(PRIO_USER, other_user));
  CALL(set_io_priority(IOPRIO_WHO_USER, other_user, IOPRIO_BEST_EFFORT(1)));
  CALL(get_io_priority(IOPRIO_WHO_USER, other_user));
}

/* Run by a child that gave up root: changes to its root parent need the
 * same owner, reading needs nothing. */
static void act_on_root_parent(pid_t parent, int processor) {
  printf("an unprivileged child on its parent:\n");
  CALL(getpriority(PRIO_PROCESS, parent));
  CALL(setpriority(PRIO_PROCESS, parent, 15));
  CALL(syscall(SYS_sched_getscheduler, parent));
  CALL(set_scheduler(parent, SCHED_BATCH, 0));
  CALL(affinity_count(parent) > 0);
  CALL(set_single_processor(parent, processor));
  CALL(get_io_priority(IOPRIO_WHO_PROCESS, parent));
  CALL(set_io_priority(IOPRIO_WHO_PROCESS, parent, IOPRIO_BEST_EFFORT(7)));
  CALL(setpriority(PRIO_PROCESS, 0, 16));
}

static void act_on_missing(pid_t reaped) {
  printf("ids that name no thread:\n");
  const int ids[] = {missing_id, reaped};
  for (size_t index = 0; index < sizeof ids / sizeof ids[0]; ++index) {
    const int id = ids[index];
    CALL(getpriority(PRIO_PROCESS, id));
    CALL(setpriority(PRIO_PROCESS, id, 1));
    CALL(getpriority(PRIO_PGRP, id));
    CALL(syscall(SYS_sched_getscheduler, id));
    CALL(set_scheduler(id, SCHED_OTHER, 0));
    CALL(get_parameter(id));
    CALL(affinity_count(id));
    CALL(set_single_processor(id, 0));
    CALL(get_io_priority(IOPRIO_WHO_PROCESS, id));
    CALL(set_io_priority(IOPRIO_WHO_PGRP, id, IOPRIO_BEST_EFFORT(2)));
  }
  CALL(getpriority(PRIO_USER, other_user + 1));
  CALL(get_io_priority(IOPRIO_WHO_USER, other_user + 1));
}

static void act_on_affinity(int processor, long own_affinity) {
  printf("the caller's own affinity mask:\n");
  CALL(set_single_processor(0, processor));
  CALL(affinity_count(0));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    printf("forked child's count: %ld\n", affinity_count(0));
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);

  /* A mask that names only a CPU the machine lacks. */
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(CPU_SETSIZE - 1, &set);
  CALL(sched_setaffinity(0, sizeof set, &set));
  CALL(affinity_count(0));

  CPU_ZERO(&set);
  for (int index = 0; index < CPU_SETSIZE; ++index) {
    CPU_SET(index, &set);
  }
  CALL(sched_setaffinity(0, sizeof set, &set));
  FACT("full affinity restored", affinity_count(0) == own_affinity);
}

static int thread_id;
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thread_changed = PTHREAD_COND_INITIALIZER;
static int thread_stage;

static void* waiting_thread(void* argument) {
  (void)argument;
  pthread_mutex_lock(&thread_lock);
  thread_id = (int)syscall(SYS_gettid);
  thread_stage = 1;
  pthread_cond_broadcast(&thread_changed);
  while (thread_stage != 2) {
    pthread_cond_wait(&thread_changed, &thread_lock);
  }
  pthread_mutex_unlock(&thread_lock);
  printf("the thread sees:\n");
  CALL(getpriority(PRIO_PROCESS, 0));
  CALL(syscall(SYS_sched_getscheduler, 0));
  CALL(get_io_priority(IOPRIO_WHO_PROCESS, 0));
  return NULL;
}

static void act_on_thread(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, waiting_thread, NULL);
  pthread_mutex_lock(&thread_lock);
  while (thread_stage != 1) {
    pthread_cond_wait(&thread_changed, &thread_lock);
  }
  pthread_mutex_unlock(&thread_lock);

  printf("another thread by its id:\n");
  CALL(setpriority(PRIO_PROCESS, thread_id, 13));
  CALL(set_scheduler(thread_id, SCHED_IDLE, 0));
  CALL(set_io_priority(IOPRIO_WHO_PROCESS, thread_id, IOPRIO_BEST_EFFORT(4)));
  CALL(getpriority(PRIO_PROCESS, 0));
  CALL(syscall(SYS_sched_getscheduler, 0));
  fflush(stdout);

  pthread_mutex_lock(&thread_lock);
  thread_stage = 2;
  pthread_cond_broadcast(&thread_changed);
  pthread_mutex_unlock(&thread_lock);
  pthread_join(thread, NULL);
}

int main(void) {
  /* Known starting values, so the output does not depend on the host's. */
  CALL(setpriority(PRIO_PROCESS, 0, 10));
  CALL(set_io_priority(IOPRIO_WHO_PROCESS, 0, 0));
  const int processor = first_processor();
  const long own_affinity = affinity_count(0);

  act_on_thread();

  int release[2];
  pipe(release);
  pid_t children[4];
  children[0] = start_waiting_child(release, 0, 0);
  children[1] = start_waiting_child(release, -1, 0);
  children[2] = start_waiting_child(release, children[1], 0);
  act_on_child(children[0], processor, own_affinity);
  act_on_group(children[1]);
  int count = 3;
  if (geteuid() == 0) {
    children[3] = start_waiting_child(release, 0, other_user);
    count = 4;
    /* Until the child has given up root, PRIO_USER may not find it. */
    while (getpriority(PRIO_USER, other_user) == -1 && errno == ESRCH) {
      usleep(1000);
    }
    act_on_user();

    fflush(stdout);
    const pid_t parent = getpid();
    pid_t unprivileged = fork();
    if (unprivileged == 0) {
      if (setresuid(other_user + 2, other_user + 2, other_user + 2) != 0) {
        _exit(3);
      }
      act_on_root_parent(parent, processor);
      fflush(stdout);
      _exit(0);
    }
    waitpid(unprivileged, NULL, 0);
  }
  wait_for_children(release, children, count);

  act_on_missing(children[0]);
  act_on_affinity(processor, own_affinity);
  return 0;
}
