/* /proc/self/fd, /proc/self/fdinfo and /proc/self/task as Python's
 * subprocess, `ls -l /proc/self/fd` and `readlink /proc/self/fd/1` read
 * them. Descriptors are moved to fixed numbers so both runs list the same
 * names. Inode numbers, pids and mount ids differ between the runs, so
 * they are checked against fstat, getpid and gettid instead of printed. */
#include "abi.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* Moves `descriptor` to `number`, keeping close-on-exec as requested. */
static void move_to(int descriptor, int number, int flags) {
  if (dup3(descriptor, number, flags) != number) {
    perror("dup3");
    exit(2);
  }
  close(descriptor);
}

static void print_link(const char* path) {
  char target[4096];
  ssize_t length = readlink(path, target, sizeof target - 1);
  if (length < 0) {
    printf("readlink %s -> %s\n", path, strerrorname_np(errno));
    return;
  }
  target[length] = '\0';
  printf("readlink %s -> %s\n", path, target);
}

/* Prints the link of /proc/self/fd/N with the inode number in brackets
 * replaced by whether it equals fstat's st_ino. */
static void print_anonymous_link(int number) {
  char path[64];
  char target[256];
  snprintf(path, sizeof path, "/proc/self/fd/%d", number);
  ssize_t length = readlink(path, target, sizeof target - 1);
  target[length > 0 ? length : 0] = '\0';
  char* open_bracket = strchr(target, '[');
  struct stat status;
  fstat(number, &status);
  if (open_bracket && open_bracket[1] >= '0' && open_bracket[1] <= '9') {
    unsigned long long inode = strtoull(open_bracket + 1, NULL, 10);
    open_bracket[1] = '\0';
    printf("readlink %s -> %sINODE] (INODE is st_ino: %s)\n", path, target,
           inode == (unsigned long long)status.st_ino ? "yes" : "no");
  } else {
    printf("readlink %s -> %s\n", path, target);
  }
}

/* Prints the pos and flags lines of /proc/self/fdinfo/N; mnt_id and ino
 * differ between the runs. */
static void print_fdinfo(int number) {
  char path[64];
  char buffer[4096];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", number);
  if (abi_read_file(path, buffer, sizeof buffer) < 0) {
    printf("%s -> %s\n", path, strerrorname_np(errno));
    return;
  }
  int has_mount_id = 0;
  int has_inode = 0;
  for (char* line = strtok(buffer, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "pos:", 4) == 0 || strncmp(line, "flags:", 6) == 0) {
      printf("fdinfo %d %s\n", number, line);
    }
    has_mount_id |= strncmp(line, "mnt_id:\t", 8) == 0;
    has_inode |= strncmp(line, "ino:\t", 5) == 0;
  }
  printf("fdinfo %d has mnt_id and ino: %s\n", number, has_mount_id && has_inode ? "yes" : "no");
}

/* Prints the names in /proc/self/fd from 3 up, in increasing order. */
static void print_descriptor_listing(void) {
  DIR* directory = opendir("/proc/self/fd");
  if (!directory) {
    printf("opendir /proc/self/fd -> %s\n", strerrorname_np(errno));
    return;
  }
  int present[64] = {0};
  struct dirent* entry;
  while ((entry = readdir(directory)) != NULL) {
    int number = atoi(entry->d_name);
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9' && number < 64) {
      present[number] = 1;
      if (entry->d_type != DT_LNK) {
        printf("fd entry %s is not DT_LNK\n", entry->d_name);
      }
    }
  }
  printf("/proc/self/fd lists (from 3, the listing's own descriptor included):");
  for (int number = 3; number < 64; ++number) {
    if (present[number]) {
      printf(" %d", number);
    }
  }
  printf("\n");
  closedir(directory);
}

static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thread_done = PTHREAD_COND_INITIALIZER;
static int thread_may_exit = 0;
static pid_t thread_id = 0;

static void* wait_for_exit(void* argument) {
  (void)argument;
  pthread_mutex_lock(&thread_lock);
  thread_id = gettid();
  pthread_cond_broadcast(&thread_done);
  while (!thread_may_exit) {
    pthread_cond_wait(&thread_done, &thread_lock);
  }
  pthread_mutex_unlock(&thread_lock);
  return NULL;
}

static void check_tasks(const char* program) {
  pthread_t thread;
  pthread_create(&thread, NULL, wait_for_exit, NULL);
  pthread_mutex_lock(&thread_lock);
  while (thread_id == 0) {
    pthread_cond_wait(&thread_done, &thread_lock);
  }
  pthread_mutex_unlock(&thread_lock);

  int tasks = 0;
  int found_leader = 0;
  int found_thread = 0;
  DIR* directory = opendir("/proc/self/task");
  struct dirent* entry;
  while (directory && (entry = readdir(directory)) != NULL) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    ++tasks;
    found_leader |= atoi(entry->d_name) == getpid();
    found_thread |= atoi(entry->d_name) == thread_id;
  }
  if (directory) {
    closedir(directory);
  }
  printf("task entries: %d\n", tasks);
  FACT("task lists the leader", found_leader);
  FACT("task lists the thread", found_thread);

  char path[128];
  static char buffer[8192];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", thread_id);
  abi_read_file(path, buffer, sizeof buffer);
  FACT("thread stat starts with the tid", atoi(buffer) == thread_id);

  snprintf(path, sizeof path, "/proc/self/task/%d/status", thread_id);
  abi_read_file(path, buffer, sizeof buffer);
  char* pid_line = strstr(buffer, "\nPid:\t");
  char* tgid_line = strstr(buffer, "\nTgid:\t");
  FACT("thread status Pid is the tid", pid_line && atoi(pid_line + 6) == thread_id);
  FACT("thread status Tgid is the pid", tgid_line && atoi(tgid_line + 7) == getpid());

  snprintf(path, sizeof path, "/proc/self/task/%d/comm", thread_id);
  abi_read_file(path, buffer, sizeof buffer);
  FACT("thread comm is the program name", strncmp(buffer, program, 15) == 0);

  char target[256];
  ssize_t length = readlink("/proc/thread-self", target, sizeof target - 1);
  target[length > 0 ? length : 0] = '\0';
  char expected[64];
  snprintf(expected, sizeof expected, "%d/task/%d", getpid(), gettid());
  FACT("/proc/thread-self is pid/task/tid", strcmp(target, expected) == 0);

  pthread_mutex_lock(&thread_lock);
  thread_may_exit = 1;
  pthread_cond_broadcast(&thread_done);
  pthread_mutex_unlock(&thread_lock);
  pthread_join(thread, NULL);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  const char* program = strrchr(argv[0], '/');
  program = program ? program + 1 : argv[0];

  int file = open("file.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  move_to(file, 10, 0);
  int null = open("/dev/null", O_WRONLY);
  move_to(null, 11, O_CLOEXEC);
  int ends[2];
  pipe(ends);
  move_to(ends[0], 12, 0);
  move_to(ends[1], 13, O_CLOEXEC);
  move_to(eventfd(0, EFD_NONBLOCK), 14, 0);
  move_to(epoll_create1(0), 15, 0);
  int directory = open(".", O_RDONLY | O_DIRECTORY);
  move_to(directory, 16, 0);
  CALL(write(10, "hello", 5));

  print_descriptor_listing();

  char scratch[4096];
  char* cwd = getcwd(scratch, sizeof scratch);
  char link[4096];
  ssize_t length = readlink("/proc/self/fd/10", link, sizeof link - 1);
  link[length > 0 ? length : 0] = '\0';
  FACT("fd 10 links to the file's absolute path",
       cwd && strncmp(link, cwd, strlen(cwd)) == 0 && strcmp(link + strlen(cwd), "/file.txt") == 0);
  length = readlink("/proc/self/fd/16", link, sizeof link - 1);
  link[length > 0 ? length : 0] = '\0';
  FACT("fd 16 links to the working directory", cwd && strcmp(link, cwd) == 0);
  print_link("/proc/self/fd/11");
  print_anonymous_link(12);
  print_anonymous_link(13);
  print_anonymous_link(14);
  print_anonymous_link(15);
  print_link("/proc/self/fd/9");
  print_link("/proc/self/fd/nonsense");
  print_link("/dev/fd/11");

  struct stat status;
  for (int number = 10; number <= 13; ++number) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", number);
    if (lstat(path, &status) == 0) {
      printf("lstat %s mode %o size %lld\n", path, (unsigned)status.st_mode,
             (long long)status.st_size);
    } else {
      printf("lstat %s -> %s\n", path, strerrorname_np(errno));
    }
  }

  for (int number = 10; number <= 16; ++number) {
    print_fdinfo(number);
  }
  print_fdinfo(9);

  /* Opening the link opens the file itself, a new open file description. */
  char contents[16] = {0};
  int again = open("/proc/self/fd/10", O_RDONLY);
  CALL(read(again, contents, sizeof contents - 1));
  printf("read through /proc/self/fd/10: %s\n", contents);
  close(again);

  check_tasks(program);
  return 0;
}
