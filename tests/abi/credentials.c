/* Credential changes: setuid, setreuid, setresuid, setfsuid, their group
 * versions and setgroups, with the saved-id rules and the EPERM of an
 * unprivileged process. A second thread checks that glibc applies a change
 * to every thread. The program must start as root, as the test machines
 * run it, so that the native run can drop privileges the same way. */
#include "abi.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>

static void print_ids(const char* label) {
  uid_t real, effective, saved;
  gid_t group_real, group_effective, group_saved;
  getresuid(&real, &effective, &saved);
  getresgid(&group_real, &group_effective, &group_saved);
  printf("%s: uid %u %u %u, gid %u %u %u\n", label, real, effective, saved, group_real,
         group_effective, group_saved);
}

static void print_groups(void) {
  gid_t groups[16];
  int count = getgroups(16, groups);
  printf("groups (%d):", count);
  for (int index = 0; index < count; index++) {
    printf(" %u", groups[index]);
  }
  printf("\n");
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int stage = 0;

/* Waits until the main thread has changed its ids, then reports the
 * effective uid that the kernel gives this thread. */
static void* report_from_thread(void* argument) {
  (void)argument;
  pthread_mutex_lock(&lock);
  while (stage == 0) {
    pthread_cond_wait(&changed, &lock);
  }
  pthread_mutex_unlock(&lock);
  return (void*)(long)syscall(SYS_geteuid);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  if (getuid() != 0) {
    printf("this program must start as root\n");
    return 1;
  }
  print_ids("start");

  /* Bad values. */
  CALL(setuid(-1));
  CALL(setgid(-1));
  CALL(syscall(SYS_setgroups, 65537, NULL));
  CALL(syscall(SYS_setgroups, 1, (void*)16));

  /* Root may set any group list; the kernel keeps it sorted. */
  gid_t list[] = {60, 50, 60};
  CALL(setgroups(3, list));
  print_groups();
  CALL(getgroups(1, list));

  /* Root may set every id; setreuid moves the saved id along. */
  CALL(setresgid(-1, 100, -1));
  print_ids("setresgid(-1, 100, -1)");
  CALL(setregid(200, -1));
  print_ids("setregid(200, -1)");
  CALL(setreuid(-1, 1000));
  print_ids("setreuid(-1, 1000)");

  /* Effective uid 1000: unprivileged, but 0 is still the real uid. */
  CALL(setgroups(0, NULL));
  CALL(setresuid(-1, -1, 5));
  CALL(setfsuid(7));
  CALL(setfsuid(1000));
  CALL(setreuid(-1, 0));
  print_ids("setreuid(-1, 0)");

  /* Root again; drop every uid while a second thread exists. */
  pthread_t thread;
  pthread_create(&thread, NULL, report_from_thread, NULL);
  CALL(setresuid(2000, 2000, 2000));
  print_ids("setresuid(2000, 2000, 2000)");
  pthread_mutex_lock(&lock);
  stage = 1;
  pthread_cond_signal(&changed);
  pthread_mutex_unlock(&lock);
  void* thread_uid = NULL;
  pthread_join(thread, &thread_uid);
  printf("the other thread's effective uid: %ld\n", (long)thread_uid);

  /* Fully unprivileged now. */
  CALL(setuid(0));
  CALL(setresuid(-1, 0, -1));
  CALL(setreuid(0, -1));
  CALL(setgid(0));
  CALL(setuid(2000));
  CALL(setfsuid(0));
  CALL(setfsgid(0));
  CALL(open("created-by-2000", O_WRONLY | O_CREAT, 0644));
  print_ids("end");
  return 0;
}
