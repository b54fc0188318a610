/* A small program for the `litebox run` tests. The first argument picks
 * what it does:
 *   args STATUS ARG...  prints its arguments on stdout, one line on stderr,
 *                       and exits with STATUS
 *   env NAME...         prints the value of each environment variable
 *   abort               ends with SIGABRT
 *   memory              exercises brk, mmap, mprotect, mremap and munmap
 *   threads             four threads add under a mutex, then are joined
 *   clock               reads CLOCK_MONOTONIC, sleeps 20 ms, reads it again and
 *                       prints whether it has a vDSO
 *   clock_steps         reads CLOCK_MONOTONIC for 30 ms from the start and
 *                       prints how often it went back
 *   wait_child          forks a child that sleeps, prints "ready", and
 *                       reports how the child ended once someone kills it
 *   process_tree        forks a child from a thread that ends at once;
 *                       the child forks a grandchild, and all three
 *                       sleep after the first prints "ready"
 *   dev_tty             opens /dev/tty, writes a line to it and prints
 *                       what fstat, isatty and the terminal ioctls report
 *   wait_signal HOW     catches SIGINT and SIGTERM without SA_RESTART,
 *                       prints "ready", then waits in read(0) (HOW =
 *                       read) or pause() and reports the signal
 *   foreground_group    sets and reads the terminal's foreground process
 *                       group on standard input, as a shell with job
 *                       control does, and prints how each call ends
 *   kill_all            forks two children that sleep, sends SIGTERM with
 *                       kill(-1) and reports how they ended; run it only in
 *                       the sandbox, since natively kill(-1) reaches every
 *                       process of the user
 *   stream_status       prints on stderr what fstat, lseek and F_GETFL
 *                       report for descriptors 0 and 1
 *   nonblocking_stdout  sets O_NONBLOCK on standard output (a pipe that no
 *                       one reads) and writes until a write fails, printing
 *                       on stderr how the writes ended
 *   output_file         uses standard output, a regular file open for
 *                       reading and writing, with pread, pwrite, ftruncate,
 *                       fallocate, fsync and poll, and prints its
 *                       /proc/self/fd link, reporting on stderr
 *   change_output       reports on stderr how fchmod, fchown and futimens
 *                       of standard output end
 *   input_stream        reports on stderr how pread, pwrite, ftruncate,
 *                       fallocate and fsync fail on standard input
 *   writable_stdout     fills standard output, a pipe, then waits until it
 *                       is writable with poll, select and epoll, printing
 *                       "full" on stderr before the waits without timeout
 *   terminal_name       prints ttyname(3) of the standard streams (the
 *                       number of /dev/pts/N as N), compares fstat and stat
 *                       of the terminal and /dev/tty, and what TIOCGSID,
 *                       TIOCGPGRP and open("/dev/tty") do before and
 *                       after setsid() in a child
 *   rewritten_site      calls getppid(), syscall(SYS_getppid) and read() 20 times
 *                       each and prints whether the first 16 and 48 bytes
 *                       of their code changed in between
 *   trace_calls         makes open, pipe2 and access calls whose flags a
 *                       trace decodes
 *   trace_decoders      makes calls whose arguments and results a trace
 *                       decodes, in a new directory under /tmp, between
 *                       access() calls on the marker paths "trace-begin"
 *                       and "trace-end"; it ends by executing itself with
 *                       trace_end DIR, which calls access() on
 *                       "trace-begin" again and "trace-end", then removes
 *                       DIR
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int print_arguments(int argc, char** argv) {
  for (int index = 0; index < argc; ++index) {
    printf("argv[%d] = %s\n", index, index == 0 ? "(program)" : argv[index]);
  }
  fprintf(stderr, "probe: %d arguments\n", argc);
  return argc > 2 ? atoi(argv[2]) : 0;
}

static int print_environment(int argc, char** argv) {
  for (int index = 2; index < argc; ++index) {
    const char* value = getenv(argv[index]);
    printf("%s=%s\n", argv[index], value ? value : "(unset)");
  }
  return 0;
}

static int exercise_memory(void) {
  const size_t page = 4096;
  char* start = sbrk(0);
  printf("sbrk grows: %s\n", sbrk(3 * page) == start ? "yes" : "no");
  memset(start, 'b', 3 * page);
  printf("heap holds data: %s\n", start[3 * page - 1] == 'b' ? "yes" : "no");

  char* map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap: %s\n", map == MAP_FAILED ? "failed" : "ok");
  printf("fresh page is zero: %s\n", map[page + 7] == 0 ? "yes" : "no");
  strcpy(map, "kept across mremap");
  char* moved = mremap(map, 4 * page, 64 * page, MREMAP_MAYMOVE);
  printf("mremap: %s\n", moved == MAP_FAILED ? "failed" : "ok");
  printf("contents kept: %s\n", strcmp(moved, "kept across mremap") == 0 ? "yes" : "no");
  moved[63 * page] = 'x';
  printf("mprotect read-only: %d\n", mprotect(moved, page, PROT_READ));
  printf("madvise dontneed: %d\n", madvise(moved + page, page, MADV_DONTNEED));
  printf("munmap: %d\n", munmap(moved, 64 * page));
  printf("unaligned munmap: %d\n", munmap(moved + 1, page));
  char* fixed = mmap(start + 64 * page * 1024, page, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("fixed_noreplace: %s\n", fixed == MAP_FAILED ? "failed" : "ok");
  char* again =
      mmap(fixed, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("fixed_noreplace over it: %s\n", again == MAP_FAILED ? "failed" : "ok");
  return 0;
}

static int counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static void* add_to_counter(void* argument) {
  for (int round = 0; round < 100000; ++round) {
    pthread_mutex_lock(&counter_lock);
    ++counter;
    pthread_mutex_unlock(&counter_lock);
  }
  return argument;
}

static int run_threads(void) {
  pthread_t threads[4];
  for (long index = 0; index < 4; ++index) {
    if (pthread_create(&threads[index], NULL, add_to_counter, (void*)index) != 0) {
      printf("pthread_create failed\n");
      return 1;
    }
  }
  long results = 0;
  for (int index = 0; index < 4; ++index) {
    void* result;
    pthread_join(threads[index], &result);
    results += (long)result;
  }
  printf("counter: %d, joined results: %ld\n", counter, results);
  return 0;
}

// Reads CLOCK_MONOTONIC through libc and reports whether the process got a
// vDSO, so that the trace shows whether the read was a system call.
static int read_clock(void) {
  /* LiteBox's vDSO makes the system call until its data page contains the
   * calibrated TSC values. LiteBox writes them after the first system call
   * that follows both a clock system call and the end of the calibration
   * (5 ms after start-up). So under LiteBox only the first read is a
   * system call. */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  clock_gettime(CLOCK_MONOTONIC, &now);
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("vdso: %s\n", getauxval(AT_SYSINFO_EHDR) != 0 ? "yes" : "no");
  return 0;
}

// Forks a child that sleeps until a signal ends it, then waits for it and
// reports how it ended and whether SIGCHLD arrived.
static volatile sig_atomic_t child_signals;

static void count_child_signal(int signal) {
  (void)signal;
  child_signals++;
}

static int wait_for_child(void) {
  signal(SIGCHLD, count_child_signal);
  pid_t child = fork();
  if (child == 0) {
    for (;;) {
      pause();
    }
  }
  printf("ready\n");
  fflush(stdout);
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(child, &status, 0);
  } while (waited < 0 && errno == EINTR);
  printf("waitpid returned the child: %s\n", waited == child ? "yes" : "no");
  if (WIFSIGNALED(status)) {
    printf("child killed by signal %d\n", WTERMSIG(status));
  } else {
    printf("child status %#x\n", status);
  }
  printf("SIGCHLD arrived: %s\n", child_signals > 0 ? "yes" : "no");
  return 0;
}

static int use_dev_tty(void) {
  int terminal = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (terminal < 0) {
    printf("open /dev/tty: %s\n", strerror(errno));
    return 0;
  }
  const char line[] = "written to /dev/tty\n";
  printf("write: %zd\n", write(terminal, line, sizeof line - 1));
  struct stat status;
  if (fstat(terminal, &status) == 0) {
    printf("character device %d, rdev %u:%u\n", S_ISCHR(status.st_mode) ? 1 : 0,
           major(status.st_rdev), minor(status.st_rdev));
  }
  printf("isatty: %d\n", isatty(terminal));
  struct winsize size;
  if (ioctl(terminal, TIOCGWINSZ, &size) == 0) {
    printf("window: %u rows, %u columns\n", size.ws_row, size.ws_col);
  }
  struct termios modes;
  if (tcgetattr(terminal, &modes) == 0) {
    printf("echo: %d\n", (modes.c_lflag & ECHO) != 0);
  }
  int write_only = open("/dev/tty", O_WRONLY | O_NOCTTY);
  char byte;
  ssize_t count = read(write_only, &byte, 1);
  printf("read of a write-only /dev/tty: %zd (%s)\n", count, strerror(errno));
  close(write_only);
  close(terminal);
  return 0;
}

static void report_call(const char* label, int result) {
  printf("%s: %s\n", label, result == 0 ? "ok" : strerror(errno));
}

static int use_foreground_group(void) {
  // A shell in a new group makes it the foreground group, then gives the
  // terminal to a job's group and takes it back.
  signal(SIGTTOU, SIG_IGN);
  report_call("tcsetpgrp to the own group", tcsetpgrp(STDIN_FILENO, getpgrp()));
  printf("foreground is the own group: %d\n", tcgetpgrp(STDIN_FILENO) == getpgrp());
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);
    pause();
    _exit(0);
  }
  setpgid(child, child);
  report_call("tcsetpgrp to the child's group", tcsetpgrp(STDIN_FILENO, child));
  printf("foreground is the child's group: %d\n", tcgetpgrp(STDIN_FILENO) == child);
  report_call("tcsetpgrp back", tcsetpgrp(STDIN_FILENO, getpgrp()));
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  report_call("tcsetpgrp to a negative group", tcsetpgrp(STDIN_FILENO, -1));
  report_call("tcsetpgrp to a group that does not exist", tcsetpgrp(STDIN_FILENO, 999999));
  return 0;
}

static volatile sig_atomic_t caught_signal;

static void catch_signal(int signal) { caught_signal = signal; }

static int wait_for_signal(const char* blocking_call) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = catch_signal;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  printf("ready\n");
  fflush(stdout);
  if (strcmp(blocking_call, "read") == 0) {
    char byte;
    ssize_t count = read(STDIN_FILENO, &byte, 1);
    printf("read: %zd (%s)\n", count, count < 0 ? strerror(errno) : "no error");
  } else {
    pause();
  }
  printf("caught signal %d\n", (int)caught_signal);
  return 3;
}

static int tree_ready[2];

static _Noreturn void sleep_forever(void) {
  for (;;) {
    pause();
  }
}

// The child of process_tree: it forks the grandchild, reports, and sleeps.
static void* fork_tree_child(void* unused) {
  (void)unused;
  if (fork() == 0) {
    if (fork() == 0) {
      (void)!write(tree_ready[1], "g", 1);
      sleep_forever();
    }
    sleep_forever();
  }
  return NULL;
}

// A process tree whose middle process was forked by a thread that has
// ended, which must not end the process it forked.
static int process_tree(void) {
  if (pipe(tree_ready) != 0) {
    return 2;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, fork_tree_child, NULL) != 0) {
    return 2;
  }
  pthread_join(thread, NULL);
  char byte;
  if (read(tree_ready[0], &byte, 1) != 1) {
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  sleep_forever();
}

// kill(-1) reaches every process but init and the caller: both children
// end, and the caller goes on.
static int kill_all(void) {
  pid_t children[2];
  int ends[2];
  if (pipe(ends) != 0) {
    return 2;
  }
  for (int index = 0; index < 2; ++index) {
    children[index] = fork();
    if (children[index] == 0) {
      close(ends[0]);
      (void)!write(ends[1], "r", 1);
      for (;;) {
        pause();
      }
    }
  }
  close(ends[1]);
  char ready[2];
  if (read(ends[0], ready, 1) != 1 || read(ends[0], ready + 1, 1) != 1) {
    return 2;
  }
  printf("kill(-1, SIGTERM) = %d\n", kill(-1, SIGTERM));
  for (int index = 0; index < 2; ++index) {
    int status = 0;
    const pid_t waited = waitpid(children[index], &status, 0);
    printf("child %d: %s, killed by signal %d\n", index,
           waited == children[index] ? "reaped" : "lost",
           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  return 0;
}

static int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Under LiteBox the reads cross the switch from the system call to the
 * vDSO's TSC clock, which happens at the first read 5 ms or more after
 * start-up. */
static int count_clock_steps_back(void) {
  const int64_t start = monotonic_ns();
  int64_t previous = start;
  long steps_back = 0;
  while (previous - start < 30 * 1000 * 1000) {
    const int64_t now = monotonic_ns();
    if (now < previous) {
      ++steps_back;
    }
    previous = now;
  }
  printf("CLOCK_MONOTONIC went back %ld times\n", steps_back);
  return 0;
}

/* Reports, for descriptors 0, 1 and 2, whether each is open, and what a
 * one-byte read of descriptor 0 returns. */
static int report_standard_descriptors(void) {
  for (int fd = 0; fd < 3; ++fd) {
    errno = 0;
    const int flags = fcntl(fd, F_GETFD);
    fprintf(stderr, "fd %d: %s\n", fd, flags >= 0 ? "open" : strerrorname_np(errno));
  }
  char byte = 0;
  errno = 0;
  const ssize_t count = read(0, &byte, 1);
  fprintf(stderr, "read(0) = %zd %s\n", count, count < 0 ? strerrorname_np(errno) : "");
  return 0;
}

/* Reads three bytes of standard input, reports the offset, rewinds and
 * reads them again, then leaves the offset after the first byte, so the
 * caller can check where the host's file offset ends up. */
static int seek_standard_input(void) {
  char first[4] = {0};
  char again[4] = {0};
  const ssize_t count = read(0, first, 3);
  errno = 0;
  const off_t offset = lseek(0, 0, SEEK_CUR);
  printf("read %zd, offset %lld %s\n", count, (long long)offset,
         offset < 0 ? strerrorname_np(errno) : "");
  if (offset >= 0) {
    lseek(0, 0, SEEK_SET);
    printf("again: %s\n",
           read(0, again, 3) == 3 && strcmp(first, again) == 0 ? "same" : "different");
    printf("end: %lld\n", (long long)lseek(0, 0, SEEK_END));
    lseek(0, 1, SEEK_SET);
  }
  return 0;
}

static const char* file_type_name(mode_t mode) {
  if (S_ISREG(mode)) {
    return "regular file";
  }
  if (S_ISFIFO(mode)) {
    return "fifo";
  }
  if (S_ISCHR(mode)) {
    return "character device";
  }
  return "other";
}

static void report_flags(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    fprintf(stderr, "fd %d: F_GETFL %s\n", fd, strerrorname_np(errno));
    return;
  }
  fprintf(stderr, "fd %d: F_GETFL 0%o: access mode %d, O_APPEND %d, O_NONBLOCK %d\n", fd,
          (unsigned)flags, flags & O_ACCMODE, (flags & O_APPEND) != 0, (flags & O_NONBLOCK) != 0);
}

/* Reports the file type, size and offset of descriptors 0 and 1, whether
 * they are the same file, and their status flags. */
static int report_stream_status(void) {
  struct stat streams[2];
  for (int fd = 0; fd < 2; ++fd) {
    if (fstat(fd, &streams[fd]) != 0) {
      fprintf(stderr, "fd %d: fstat %s\n", fd, strerrorname_np(errno));
      return 1;
    }
    errno = 0;
    const off_t offset = lseek(fd, 0, SEEK_CUR);
    fprintf(stderr, "fd %d: %s, size %lld, offset %lld %s\n", fd,
            file_type_name(streams[fd].st_mode), (long long)streams[fd].st_size, (long long)offset,
            offset < 0 ? strerrorname_np(errno) : "");
    report_flags(fd);
  }
  fprintf(stderr, "same file: %d\n",
          streams[0].st_dev == streams[1].st_dev && streams[0].st_ino == streams[1].st_ino);
  const char line[] = "appended\n";
  fprintf(stderr, "write: %zd\n", write(1, line, sizeof line - 1));
  struct stat after;
  fstat(1, &after);
  fprintf(stderr, "fd 1: size after the write %lld, offset %lld\n", (long long)after.st_size,
          (long long)lseek(1, 0, SEEK_CUR));
  return 0;
}

/* Fills standard output, a pipe that no one reads, with non-blocking
 * writes until one fails. */
static int fill_nonblocking_stdout(void) {
  const int flags = fcntl(1, F_GETFL);
  fprintf(stderr, "F_SETFL: %d\n", fcntl(1, F_SETFL, flags | O_NONBLOCK));
  report_flags(1);
  static char chunk[10000];
  memset(chunk, 'x', sizeof chunk);
  long long total = 0;
  int short_writes = 0;
  while (1) {
    const ssize_t count = write(1, chunk, sizeof chunk);
    if (count < 0) {
      fprintf(stderr, "write failed: %s\n", strerrorname_np(errno));
      break;
    }
    short_writes += count < (ssize_t)sizeof chunk;
    total += count;
  }
  fprintf(stderr, "written: %lld, short writes: %d\n", total, short_writes);
  fprintf(stderr, "F_SETFL back: %d\n", fcntl(1, F_SETFL, flags));
  report_flags(1);
  return 0;
}

static void report_result(const char* call, long result) {
  fprintf(stderr, "%s: %ld %s\n", call, result, result < 0 ? strerrorname_np(errno) : "");
}

static void report_size(const char* when) {
  struct stat status;
  fstat(1, &status);
  fprintf(stderr, "%s: size %lld, offset %lld\n", when, (long long)status.st_size,
          (long long)lseek(1, 0, SEEK_CUR));
}

/* Returns whether a line of /proc/self/maps ends with `path`. */
static int maps_name(const char* path) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) {
    return 0;
  }
  char line[4352];
  int found = 0;
  while (!found && fgets(line, sizeof line, maps) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    const size_t length = strlen(line);
    found = length >= strlen(path) && strcmp(line + length - strlen(path), path) == 0;
  }
  fclose(maps);
  return found;
}

/* Maps standard output, a regular file, shared and private, and reports
 * what stores through each do to the file. `path` is its name. */
static void map_output_file(const char* path) {
  errno = 0;
  char* shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 1, 0);
  fprintf(stderr, "mmap shared: %s\n", shared == MAP_FAILED ? strerrorname_np(errno) : "ok");
  errno = 0;
  char* private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 1, 0);
  fprintf(stderr, "mmap private: %s\n", private == MAP_FAILED ? strerrorname_np(errno) : "ok");
  if (shared == MAP_FAILED || private == MAP_FAILED) {
    return;
  }
  fprintf(stderr, "named in /proc/self/maps: %d\n", maps_name(path));

  memcpy(shared, "MM", 2);
  private[2] = 'P';
  char buffer[8] = {0};
  pread(1, buffer, 4, 0);
  fprintf(stderr, "file after stores: %.4s, private sees %.4s, shared sees %.4s\n", buffer, private,
          shared);

  const pid_t child = fork();
  if (child == 0) {
    shared[4] = 'C';
    private[4] = 'c';
    _exit(0);
  }
  waitpid(child, NULL, 0);
  memset(buffer, 0, sizeof buffer);
  pread(1, buffer, 5, 0);
  fprintf(stderr, "after a child's stores: file %.5s, private sees %.5s\n", buffer, private);

  errno = 0;
  report_result("msync", msync(shared, 4096, MS_SYNC));
  errno = 0;
  char* grown = mremap(shared, 4096, 8192, MREMAP_MAYMOVE);
  fprintf(stderr, "mremap shared: %s, sees %.2s\n",
          grown == MAP_FAILED ? strerrorname_np(errno) : "ok", grown == MAP_FAILED ? "" : grown);
  munmap(grown == MAP_FAILED ? shared : grown, grown == MAP_FAILED ? 4096 : 8192);

  // A move to a fixed address keeps the pages the process wrote.
  char* target = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = 0;
  char* moved = mremap(private, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  fprintf(stderr, "mremap private to a fixed address: %s, sees %.4s\n",
          moved == MAP_FAILED ? strerrorname_np(errno) : "ok", moved == MAP_FAILED ? "" : moved);
  munmap(moved == MAP_FAILED ? private : moved, moved == MAP_FAILED ? 4096 : 8192);

  errno = 0;
  void* read_only = mmap(NULL, 4096, PROT_READ, MAP_SHARED, 2, 0);
  fprintf(stderr, "mmap of stderr: %s\n", read_only == MAP_FAILED ? strerrorname_np(errno) : "ok");
}

/* Uses standard output, a regular file open for reading and writing, with
 * the calls that need a file: its name in /proc/self/fd, pread, pwrite,
 * ftruncate, fallocate, fsync and poll. Reports on stderr. */
static int use_output_file(void) {
  char link[4096] = {0};
  const ssize_t length = readlink("/proc/self/fd/1", link, sizeof link - 1);
  fprintf(stderr, "/proc/self/fd/1: %s\n", length > 0 ? link : strerrorname_np(errno));
  report_size("start");

  errno = 0;
  report_result("pwrite at 2", pwrite(1, "XY", 2, 2));
  char buffer[16] = {0};
  errno = 0;
  const ssize_t count = pread(1, buffer, 6, 1);
  fprintf(stderr, "pread at 1: %zd %s %s\n", count, count < 0 ? strerrorname_np(errno) : "",
          count > 0 ? buffer : "");
  struct iovec vectors[2] = {{.iov_base = "ab", .iov_len = 2}, {.iov_base = "cd", .iov_len = 2}};
  errno = 0;
  report_result("pwritev at 8", pwritev(1, vectors, 2, 8));
  report_size("after pwrite");

  errno = 0;
  report_result("ftruncate 5", ftruncate(1, 5));
  report_size("after ftruncate");
  errno = 0;
  report_result("fallocate 8192", fallocate(1, 0, 0, 8192));
  report_size("after fallocate");
  errno = 0;
  report_result("fallocate punch hole",
                fallocate(1, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
  errno = 0;
  report_result("fallocate punch hole without keep size",
                fallocate(1, FALLOC_FL_PUNCH_HOLE, 0, 4096));
  errno = 0;
  report_result("ftruncate 7", ftruncate(1, 7));
  map_output_file(link);
  errno = 0;
  report_result("fsync", fsync(1));
  errno = 0;
  report_result("fdatasync", fdatasync(1));
  errno = 0;
  report_result("pread at -1", pread(1, buffer, 1, -1));

  struct pollfd entry = {.fd = 1, .events = POLLOUT};
  errno = 0;
  report_result("poll POLLOUT", poll(&entry, 1, 0));
  fprintf(stderr, "revents 0x%x\n", (unsigned)entry.revents);
  report_size("end");
  return 0;
}

/* Tries to change the mode, owner and times of standard output and
 * reports on stderr how each call ends. */
static int change_output_attributes(void) {
  errno = 0;
  report_result("fchmod 0600", fchmod(1, 0600));
  errno = 0;
  report_result("fchown -1 -1", fchown(1, (uid_t)-1, (gid_t)-1));
  errno = 0;
  report_result("fchown to the own ids", fchown(1, getuid(), getgid()));
  errno = 0;
  report_result("futimens now", futimens(1, NULL));
  const struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
  errno = 0;
  report_result("futimens 2001", futimens(1, times));
  return 0;
}

/* Uses standard input, a pipe or a terminal, with the calls that need a
 * file, and reports how each fails. */
static int use_input_stream(void) {
  char buffer[4];
  errno = 0;
  report_result("pread", pread(0, buffer, 1, 0));
  errno = 0;
  report_result("pwrite", pwrite(0, "x", 1, 0));
  errno = 0;
  report_result("ftruncate", ftruncate(0, 0));
  errno = 0;
  report_result("fallocate", fallocate(0, 0, 0, 1));
  errno = 0;
  report_result("fsync", fsync(0));
  errno = 0;
  const void* mapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0);
  fprintf(stderr, "mmap: %s\n", mapped == MAP_FAILED ? strerrorname_np(errno) : "ok");
  return 0;
}

/* Fills standard output, a pipe that the caller reads only once this
 * prints "full" on stderr, then waits for it to become writable with
 * poll, select and epoll, first with a timeout and then without. */
static int wait_for_writable_stdout(void) {
  const int flags = fcntl(1, F_GETFL);
  fcntl(1, F_SETFL, flags | O_NONBLOCK);
  static char chunk[4096];
  memset(chunk, 'x', sizeof chunk);
  while (write(1, chunk, sizeof chunk) > 0) {
  }
  fcntl(1, F_SETFL, flags);

  struct pollfd entry = {.fd = 1, .events = POLLOUT};
  fprintf(stderr, "full pipe: poll %d, revents 0x%x\n", poll(&entry, 1, 100),
          (unsigned)entry.revents);
  fd_set writable;
  FD_ZERO(&writable);
  FD_SET(1, &writable);
  struct timeval timeout = {.tv_sec = 0, .tv_usec = 100000};
  fprintf(stderr, "full pipe: select %d\n", select(2, NULL, &writable, NULL, &timeout));
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event interest = {.events = EPOLLOUT};
  epoll_ctl(epoll, EPOLL_CTL_ADD, 1, &interest);
  struct epoll_event event;
  fprintf(stderr, "full pipe: epoll_wait %d\n", epoll_wait(epoll, &event, 1, 100));

  fprintf(stderr, "full\n");
  entry.revents = 0;
  fprintf(stderr, "drained: poll %d, revents 0x%x\n", poll(&entry, 1, -1), (unsigned)entry.revents);
  fprintf(stderr, "drained: epoll_wait %d, events 0x%x\n", epoll_wait(epoll, &event, 1, -1),
          event.events);
  close(epoll);
  return 0;
}

/* Prints N of /dev/pts/N that ttyname(3) returns for `fd`, or the error,
 * and whether the name's node is the descriptor's terminal. */
static void report_terminal_name(int fd) {
  errno = 0;
  const char* name = ttyname(fd);
  if (name == NULL) {
    printf("ttyname(%d): %s\n", fd, strerrorname_np(errno));
    return;
  }
  struct stat by_name;
  struct stat by_descriptor;
  const int same = stat(name, &by_name) == 0 && fstat(fd, &by_descriptor) == 0 &&
                   by_name.st_dev == by_descriptor.st_dev &&
                   by_name.st_ino == by_descriptor.st_ino &&
                   by_name.st_rdev == by_descriptor.st_rdev;
  unsigned index = 0;
  const int pseudo_terminal = sscanf(name, "/dev/pts/%u", &index) == 1;
  printf("ttyname(%d): /dev/pts/N %d, N is the minor %d, same node %d, mode 0%o\n", fd,
         pseudo_terminal, pseudo_terminal && index == minor(by_descriptor.st_rdev), same,
         (unsigned)by_descriptor.st_mode);
}

static void report_session_requests(const char* caller) {
  pid_t session = -1;
  errno = 0;
  const int sid_result = ioctl(0, TIOCGSID, &session);
  printf("%s: TIOCGSID %s, is the own session %d\n", caller,
         sid_result == 0 ? "ok" : strerrorname_np(errno), session == getsid(0));
  pid_t group = -1;
  errno = 0;
  const int group_result = ioctl(0, TIOCGPGRP, &group);
  printf("%s: TIOCGPGRP %s\n", caller, group_result == 0 ? "ok" : strerrorname_np(errno));
  errno = 0;
  const int terminal = open("/dev/tty", O_RDWR | O_NOCTTY);
  printf("%s: open /dev/tty %s\n", caller, terminal >= 0 ? "ok" : strerrorname_np(errno));
  if (terminal >= 0) {
    struct stat by_descriptor;
    struct stat by_path;
    fstat(terminal, &by_descriptor);
    stat("/dev/tty", &by_path);
    printf("%s: /dev/tty fstat matches stat: %d\n", caller,
           by_descriptor.st_dev == by_path.st_dev && by_descriptor.st_ino == by_path.st_ino &&
               by_descriptor.st_rdev == by_path.st_rdev &&
               by_descriptor.st_mode == by_path.st_mode);
    close(terminal);
  }
}

static int report_terminal_names(void) {
  for (int fd = 0; fd < 3; ++fd) {
    report_terminal_name(fd);
  }
  char link[64] = {0};
  const ssize_t length = readlink("/proc/self/fd/0", link, sizeof link - 1);
  printf("/proc/self/fd/0 is /dev/pts/N: %d\n", length > 0 && strncmp(link, "/dev/pts/", 9) == 0);
  report_session_requests("parent");
  fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    printf("setsid: %s\n", setsid() >= 0 ? "ok" : strerrorname_np(errno));
    report_session_requests("new session");
    report_terminal_name(0);
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  return 0;
}

static int make_traced_calls(void) {
  int pipe_descriptors[2];
  int directory = open("/", O_RDONLY | O_DIRECTORY);
  int null = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0640);
  if (directory < 0 || null < 0 || pipe2(pipe_descriptors, O_CLOEXEC | O_NONBLOCK) != 0) {
    return 1;
  }
  close(pipe_descriptors[0]);
  close(pipe_descriptors[1]);
  if (pipe2(pipe_descriptors, 0) != 0 || access("/", R_OK | X_OK) != 0) {
    return 1;
  }
  return access("/no-such-file", F_OK) == -1 ? 0 : 1;
}

static void ignore_signal(int signal) { (void)signal; }

/* struct sched_attr of SCHED_ATTR_SIZE_VER1. */
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

/* Process settings whose arguments and results the trace names: the
 * personality, memory locking, scheduling, I/O priorities, the
 * preadv2/pwritev2 flags and the set*id calls. Each starts from a value it
 * sets itself, because the host's may differ from the sandbox's. */
static void make_process_setting_calls(void) {
  personality(PER_LINUX | ADDR_NO_RANDOMIZE);
  personality(0xffffffff);
  personality(PER_LINUX);
  syscall(SYS_personality, PER_LINUX32 | UNAME26 | 0x100);
  personality(PER_LINUX);
  mlockall(0x10);
  mlockall(MCL_FUTURE | 0x10);
  mlockall(0);
  munlockall();

  const int best_effort_4 = (2 << 13) | 4;
  syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, best_effort_4);
  syscall(SYS_ioprio_get, 1, 0);
  syscall(SYS_ioprio_set, 7, 0, (5 << 13) | 1);
  syscall(SYS_ioprio_get, 2 /* IOPRIO_WHO_PGRP */, 0x3fffffff);

  struct sched_param parameter = {0};
  sched_setscheduler(0, SCHED_OTHER, &parameter);
  sched_getscheduler(0);
  sched_getparam(0, &parameter);
  sched_setparam(0, &parameter);
  syscall(SYS_sched_setscheduler, 0, SCHED_BATCH | 0x40000000, NULL);
  sched_get_priority_max(SCHED_FIFO);
  sched_get_priority_min(7);
  struct scheduler_attributes attributes = {.size = 48, .policy = SCHED_OTHER, .nice = 5};
  syscall(SYS_sched_setattr, 0, &attributes, 0);
  attributes.flags = 0x18; /* SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS */
  syscall(SYS_sched_setattr, 0, &attributes, 0);
  attributes.flags = 0x1000;
  attributes.size = sizeof attributes;
  syscall(SYS_sched_setattr, 0, &attributes, 1);
  memset(&attributes, 0xff, sizeof attributes);
  syscall(SYS_sched_getattr, 0, &attributes, sizeof attributes, 0);
  syscall(SYS_sched_getattr, 0, &attributes, 48, 0);
  syscall(SYS_sched_getattr, 0, NULL, sizeof attributes, 0);

  char bytes[4] = "abcd";
  struct iovec vector = {bytes, sizeof bytes};
  preadv2(-1, &vector, 1, 0, RWF_HIPRI | RWF_NOWAIT);
  pwritev2(-1, &vector, 1, -1, RWF_DSYNC | RWF_APPEND);
  syscall(SYS_preadv2, -1, &vector, 1, 0, 0, 0x40);
  syscall(SYS_setresuid, -1, -1, -1);
  syscall(SYS_setresgid, -1, -1, -1);
  syscall(SYS_creat, "/no-such-directory/file", 0644);
}

/* mknod, the xattr calls, close_range and epoll_pwait2, which only fail
 * here, the POSIX timer calls and select. */
static void make_file_and_timer_calls(void) {
  syscall(SYS_mknod, "/no-such-directory/fifo", S_IFIFO | 0644, 0);
  syscall(SYS_mknod, "/no-such-directory/file", 0644, 0);
  syscall(SYS_mknodat, AT_FDCWD, "/no-such-directory/null", S_IFCHR | 0600, makedev(1, 3));
  syscall(SYS_mknodat, AT_FDCWD, "/no-such-directory/disk", S_IFBLK | S_ISUID | 0600,
          makedev(259, 0x12345));
  syscall(SYS_setxattr, "/no-such-file", "user.name", "value", 5, 1 /* XATTR_CREATE */);
  syscall(SYS_lsetxattr, "/no-such-file", "user.name", "value", 5, 0);
  syscall(SYS_fsetxattr, -1, "user.name", "value", 5, 2 /* XATTR_REPLACE */ | 4);
  char names[64];
  syscall(SYS_listxattr, "/no-such-file", names, sizeof names);
  syscall(SYS_llistxattr, "/no-such-file", NULL, 0);
  syscall(SYS_flistxattr, -1, names, sizeof names);
  syscall(SYS_removexattr, "/no-such-file", "user.name");
  syscall(SYS_lremovexattr, "/no-such-file", "trusted.name");
  syscall(SYS_fremovexattr, -1, "user.name");
  syscall(SYS_close_range, 1000, 1001, 0);
  syscall(SYS_close_range, 5, 3, 0);
  syscall(SYS_close_range, 1000, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  syscall(SYS_close_range, 1000, ~0U, 8);
  struct epoll_event events[1];
  struct timespec no_wait = {0, 0};
  syscall(SYS_epoll_pwait2, -1, events, 1, &no_wait, NULL, 8);
  int timer = -1;
  syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &timer);
  syscall(SYS_timer_getoverrun, timer);
  struct itimerspec setting;
  syscall(SYS_timer_gettime, timer, &setting);
  syscall(SYS_timer_delete, timer);
  syscall(SYS_timer_delete, timer);

  /* select with a readable pipe: the result names the ready sets. */
  int ready[2];
  pipe(ready);
  write(ready[1], "x", 1);
  fd_set readable;
  fd_set writable;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_SET(ready[0], &readable);
  FD_SET(ready[1], &readable);
  FD_SET(ready[1], &writable);
  struct timeval wait = {5, 0};
  syscall(SYS_select, ready[1] + 1, &readable, &writable, NULL, &wait);
  FD_ZERO(&readable);
  FD_SET(ready[0], &readable);
  syscall(SYS_select, ready[1] + 1, &readable, NULL, NULL, NULL);
  syscall(SYS_select, -1, NULL, NULL, NULL, NULL);
  close(ready[0]);
  close(ready[1]);
}

/* Signals queued and taken synchronously, and waitid: the calls whose
 * siginfo_t the trace decodes. */
static void make_siginfo_calls(void) {
  sigset_t user_signal;
  sigemptyset(&user_signal);
  sigaddset(&user_signal, SIGUSR1);
  sigprocmask(SIG_BLOCK, &user_signal, NULL);
  siginfo_t queued;
  memset(&queued, 0, sizeof queued);
  queued.si_signo = SIGUSR1;
  queued.si_code = SI_QUEUE;
  queued.si_pid = getpid();
  queued.si_value.sival_int = 42;
  syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &queued);
  siginfo_t taken;
  struct timespec second = {1, 0};
  syscall(SYS_rt_sigtimedwait, &user_signal, &taken, &second, 8);
  struct timespec no_wait = {0, 0};
  syscall(SYS_rt_sigtimedwait, &user_signal, &taken, &no_wait, 8);
  syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGUSR1, &queued);
  syscall(SYS_rt_sigtimedwait, &user_signal, NULL, NULL, 8);
  kill(getpid(), SIGUSR1);
  syscall(SYS_rt_sigtimedwait, &user_signal, &taken, NULL, 8);
  sigprocmask(SIG_UNBLOCK, &user_signal, NULL);

  siginfo_t waited;
  memset(&waited, 0, sizeof waited);
  pid_t child = fork();
  if (child == 0) {
    _exit(3);
  }
  syscall(SYS_waitid, P_PID, child, &waited, WEXITED, NULL);
  syscall(SYS_waitid, P_ALL, 0, &waited, WEXITED | WNOHANG, NULL);
  syscall(SYS_waitid, 7, 0, &waited, WEXITED, NULL);
}

/* Each call's result is ignored: the trace of the call is what is compared. */
static int make_decoded_calls(void) {
  char directory[] = "/tmp/litebox-trace-XXXXXX";
  if (mkdtemp(directory) == NULL || chdir(directory) != 0) {
    return 1;
  }
  umask(022);
  access("trace-begin", F_OK);

  /* Descriptors: fcntl commands, dup3, pipes, lseek, ioctl requests. */
  int pipe_descriptors[2];
  pipe(pipe_descriptors);
  fcntl(pipe_descriptors[0], F_GETFD);
  fcntl(pipe_descriptors[0], F_SETFD, FD_CLOEXEC);
  fcntl(pipe_descriptors[0], F_GETFD);
  fcntl(pipe_descriptors[0], F_GETFL);
  fcntl(pipe_descriptors[1], F_GETFL);
  fcntl(pipe_descriptors[1], F_SETFL, O_NONBLOCK);
  fcntl(pipe_descriptors[1], F_GETFL);
  int duplicate = fcntl(1, F_DUPFD_CLOEXEC, 30);
  close(duplicate);
  duplicate = fcntl(1, F_DUPFD, 40);
  dup3(duplicate, 41, O_CLOEXEC);
  close(41);
  close(duplicate);
  write(pipe_descriptors[1], "\1\0023\t\n\"\\ok\377\177 x", 14);
  int available = 0;
  ioctl(pipe_descriptors[0], FIONREAD, &available);
  struct winsize window;
  ioctl(pipe_descriptors[0], TIOCGWINSZ, &window);
  /* struct termios as the kernel reads it: four flag words, the line
   * discipline and 19 control characters. */
  struct {
    unsigned int flags[4];
    unsigned char line;
    unsigned char characters[19];
  } terminal;
  ioctl(pipe_descriptors[0], TCGETS, &terminal);
  memset(&terminal, 0xff, sizeof terminal);
  ioctl(pipe_descriptors[0], TCSETS, &terminal);
  memset(&terminal, 0, sizeof terminal);
  terminal.flags[2] = 010002 | 020 | 0200; /* B115200, CS6, CREAD */
  ioctl(pipe_descriptors[0], TCSETSW, &terminal);
  ioctl(pipe_descriptors[0], TCFLSH, 2 /* TCIOFLUSH */);
  ioctl(pipe_descriptors[0], TCXONC, 1 /* TCOON */);
  ioctl(pipe_descriptors[0], _IOC(_IOC_READ, 0x12, 0x34, 8), 0);
  ioctl(pipe_descriptors[0], FIOCLEX);
  ioctl(pipe_descriptors[0], FIONCLEX);
  int enabled = 1;
  ioctl(pipe_descriptors[1], FIONBIO, &enabled);
  char buffer[64];
  read(pipe_descriptors[0], buffer, sizeof buffer);
  umask(027);
  umask(022);
  struct pollfd poll_descriptors[2] = {{pipe_descriptors[0], POLLIN, 0},
                                       {pipe_descriptors[1], POLLOUT, 0}};
  poll(poll_descriptors, 2, 0);
  poll_descriptors[0].fd = -1;
  poll(poll_descriptors, 1, 0);
  /* strace shows the first 32 entries; descriptors from 100 on are closed. */
  struct pollfd many_descriptors[40];
  for (int index = 0; index < 40; ++index) {
    many_descriptors[index] = (struct pollfd){100 + index, POLLIN, 0};
  }
  poll(many_descriptors, 40, 0);
  close(pipe_descriptors[0]);
  close(pipe_descriptors[1]);

  /* Files: stat structures, AT_ flags, seeks. */
  int file = openat(AT_FDCWD, "file", O_RDWR | O_CREAT | O_EXCL, 0640);
  write(file, "hello", 5);
  lseek(file, 0, SEEK_END);
  lseek(file, -2, SEEK_CUR);
  struct stat status;
  struct statx extended_status;
  fstat(file, &status);
  fchmod(file, 04755);
  close(file);
  stat("file", &status);
  fstatat(AT_FDCWD, "file", &status, AT_SYMLINK_NOFOLLOW);
  stat("/dev/null", &status);
  stat(".", &status);
  symlink("file", "link");
  lstat("link", &status);
  readlink("link", buffer, sizeof buffer);
  access("file", R_OK | W_OK);
  faccessat(AT_FDCWD, "file", X_OK, AT_EACCESS);
  struct timespec file_times[2] = {{1796462000, 0}, {0, UTIME_OMIT}};
  utimensat(AT_FDCWD, "file", file_times, AT_SYMLINK_NOFOLLOW);
  file_times[0] = (struct timespec){-1, 5};
  file_times[1] = (struct timespec){2000000000, 999999999};
  utimensat(AT_FDCWD, "file", file_times, 0);
  mkdir("subdirectory", 0700);
  unlinkat(AT_FDCWD, "subdirectory", AT_REMOVEDIR);
  unlinkat(AT_FDCWD, "link", 0);
  statx(AT_FDCWD, "file", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &extended_status);
  int directory_descriptor = openat(AT_FDCWD, ".", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY);
  char entries[4096];
  syscall(SYS_getdents64, directory_descriptor, entries, sizeof entries);
  syscall(SYS_getdents64, directory_descriptor, entries, sizeof entries);
  close(directory_descriptor);
  getcwd(buffer, sizeof buffer);
  unlinkat(AT_FDCWD, "file", 0);

  /* Memory: protections, map flags, advice. */
  char* memory = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(memory, 4096, PROT_READ);
  madvise(memory, 8192, MADV_DONTNEED);
  madvise(memory, 8192, MADV_WILLNEED);
  mprotect(memory, 4096, PROT_READ | PROT_WRITE);
  memory = mremap(memory, 8192, 16384, MREMAP_MAYMOVE);
  munmap(memory, 16384);

  /* Signals: actions, masks and names. */
  struct sigaction action = {0};
  action.sa_handler = ignore_signal;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGUSR1);
  sigaddset(&action.sa_mask, SIGTERM);
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  struct sigaction previous;
  sigaction(SIGCHLD, &action, &previous);
  sigaction(SIGCHLD, NULL, &previous);
  action.sa_handler = SIG_IGN;
  action.sa_flags = SA_NODEFER | SA_RESETHAND | SA_ONSTACK | SA_SIGINFO;
  sigaction(SIGUSR2, &action, NULL);
  sigset_t mask;
  sigset_t old_mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGRTMIN + 2);
  sigprocmask(SIG_BLOCK, &mask, &old_mask);
  sigfillset(&mask);
  sigdelset(&mask, SIGINT);
  sigprocmask(SIG_SETMASK, &mask, NULL);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);

  /* Processes: clone flags, wait4 status and options, kill. */
  pid_t child = fork();
  if (child == 0) {
    _exit(3);
  }
  int wait_status;
  waitpid(child, &wait_status, 0);
  /* struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal,
   * stack, stack_size, tls. CLONE_THREAD without CLONE_VM is invalid, so
   * no thread starts. */
  uint64_t clone_arguments[8] = {CLONE_THREAD | CLONE_SIGHAND | CLONE_SETTLS | CLONE_PARENT_SETTID,
                                 0,
                                 0,
                                 (uintptr_t)&wait_status,
                                 0,
                                 0,
                                 0,
                                 0};
  syscall(SYS_clone3, clone_arguments, sizeof clone_arguments);
  waitpid(-1, &wait_status, WNOHANG | WUNTRACED | WCONTINUED);
  kill(getpid(), 0);

  /* Event descriptors, select, the alternate signal stack, timers. */
  int poller = epoll_create1(EPOLL_CLOEXEC);
  int counter = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
  struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = 0x100000005};
  epoll_ctl(poller, EPOLL_CTL_ADD, counter, &event);
  struct epoll_event events[4];
  epoll_wait(poller, events, 4, 0);
  epoll_ctl(poller, EPOLL_CTL_DEL, counter, NULL);
  epoll_pwait(poller, events, 4, 0, NULL);
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(counter, &readable);
  struct timeval no_wait = {0, 0};
  select(counter + 1, &readable, NULL, NULL, &no_wait);
  close(counter);
  close(poller);
  /* Timerfds and memfds; the timer stays disarmed, so every value that
   * the trace shows is the same in both runs. */
  int timer_file = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  struct itimerspec timer_setting = {.it_interval = {1, 0}, .it_value = {0, 0}};
  struct itimerspec old_timer_setting;
  timerfd_settime(timer_file, 0, &timer_setting, NULL);
  timerfd_settime(timer_file, TFD_TIMER_ABSTIME, &timer_setting, &old_timer_setting);
  timerfd_gettime(timer_file, &old_timer_setting);
  close(timer_file);
  timerfd_create(CLOCK_BOOTTIME, 0x4);
  int memory_file = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  fcntl(memory_file, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
  fcntl(memory_file, F_GET_SEALS);
  fcntl(memory_file, F_ADD_SEALS, 0x100);
  close(memory_file);
  static char alternate_stack[16384];
  stack_t signal_stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
  stack_t old_signal_stack;
  sigaltstack(&signal_stack, &old_signal_stack);
  signal_stack.ss_flags = SS_DISABLE;
  sigaltstack(&signal_stack, NULL);
  struct itimerval timer = {{0, 0}, {100, 0}};
  setitimer(ITIMER_REAL, &timer, NULL);
  timer.it_value.tv_sec = 0;
  struct itimerval old_timer;
  setitimer(ITIMER_REAL, &timer, &old_timer);
  alarm(0);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);

  /* Limits, names, randomness, time. */
  /* The limits are set first, since the host's differ from the sandbox's.
   * Any host allows lowering the stack limit to these; a soft limit above
   * the hard one is invalid everywhere. */
  struct rlimit limit = {2 << 20, 4 << 20};
  setrlimit(RLIMIT_STACK, &limit);
  prlimit(0, RLIMIT_STACK, NULL, &limit);
  limit.rlim_cur = RLIM_INFINITY;
  limit.rlim_max = 1024;
  setrlimit(RLIMIT_CORE, &limit);
  prctl(PR_SET_NAME, "probe-name");
  char name[16];
  prctl(PR_GET_NAME, name);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_GET_DUMPABLE);
  char random_bytes[8];
  getrandom(random_bytes, sizeof random_bytes, GRND_NONBLOCK);
  struct timeval now;
  struct timezone zone;
  syscall(SYS_gettimeofday, &now, &zone);
  struct timespec delay = {0, 1000};
  nanosleep(&delay, NULL);
  clock_nanosleep(CLOCK_MONOTONIC, 0, &delay, NULL);
  int futex_word = 0;
  syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, NULL, NULL,
          FUTEX_BITSET_MATCH_ANY);
  syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
  syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &delay, NULL, 0);
  unsigned long fs_base = 0;
  syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs_base);
  struct utsname system;
  uname(&system);

  make_process_setting_calls();
  make_file_and_timer_calls();
  make_siginfo_calls();

  /* Sockets: families, types, flags, addresses and options. They stay open
   * until the exit. The calls on descriptor -1 only show their arguments. */
  int stream[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, stream);
  struct iovec parts[2] = {{"hel", 3}, {"lo", 2}};
  struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
  sendmsg(stream[0], &message, MSG_NOSIGNAL);
  char received[16];
  struct iovec into = {received, sizeof received};
  struct msghdr reply = {.msg_iov = &into, .msg_iovlen = 1};
  recvmsg(stream[1], &reply, 0);
  write(stream[0], "again", 5);
  readv(stream[1], &into, 1);
  close(stream[0]);
  close(stream[1]);
  socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
  int socket_descriptors[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, socket_descriptors);
  struct sockaddr_un local_address = {.sun_family = AF_UNIX};
  strcpy(local_address.sun_path, "/tmp/no-such-socket");
  connect(-1, (struct sockaddr*)&local_address, sizeof local_address);
  memcpy(local_address.sun_path, "\0abstract", 9);
  bind(-1, (struct sockaddr*)&local_address, offsetof(struct sockaddr_un, sun_path) + 9);
  struct sockaddr_in inet_address = {.sin_family = AF_INET, .sin_port = htons(8080)};
  inet_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(-1, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr*)&inet_address,
         sizeof inet_address);
  struct sockaddr_in6 inet6_address = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
  inet_pton(AF_INET6, "2001:db8::1:0:0:2", &inet6_address.sin6_addr);
  connect(-1, (struct sockaddr*)&inet6_address, sizeof inet6_address);
  inet_pton(AF_INET6, "::ffff:10.0.0.1", &inet6_address.sin6_addr);
  connect(-1, (struct sockaddr*)&inet6_address, sizeof inet6_address);
  socklen_t address_length = sizeof inet_address;
  getsockname(-1, (struct sockaddr*)&inet_address, &address_length);
  accept4(-1, NULL, NULL, SOCK_CLOEXEC);
  setsockopt(-1, SOL_SOCKET, SO_REUSEADDR, &enabled, sizeof enabled);
  address_length = sizeof enabled;
  getsockopt(-1, IPPROTO_TCP, TCP_NODELAY, &enabled, &address_length);
  shutdown(-1, SHUT_WR);
  recvfrom(-1, buffer, 4, MSG_PEEK | MSG_WAITALL | MSG_TRUNC, NULL, NULL);

  /* The new image's start-up calls are not compared: they depend on the
   * sandbox's features. It marks where the comparison resumes. */
  char* arguments[] = {"probe", "trace_end", directory, NULL};
  char* environment[] = {"A=1", "B=2", NULL};
  execve("/proc/self/exe", arguments, environment);
  return 1;
}

static int end_decoded_calls(const char* directory) {
  access("trace-begin", F_OK);
  access("trace-end", F_OK);
  return rmdir(directory) == 0 ? 0 : 1;
}

/* Calls getppid(), syscall(SYS_getppid) and read() 20 times each and
 * prints whether the first bytes of their code changed in between. LiteBox
 * rewrites a system call site that keeps trapping, unless --no-rewrite:
 * glibc's getppid starts with `mov $nr, %eax; syscall`, its syscall()
 * ends its first 48 bytes with `mov 0x8(%rsp), %r9; syscall`, and its
 * read() has `xor %eax, %eax; syscall` and padding within 48 bytes. */
static int report_rewritten_site(void) {
  unsigned char getppid_before[16];
  unsigned char getppid_after[16];
  unsigned char syscall_before[48];
  unsigned char syscall_after[48];
  unsigned char read_before[48];
  unsigned char read_after[48];
  memcpy(getppid_before, (const void*)getppid, sizeof(getppid_before));
  memcpy(syscall_before, (const void*)syscall, sizeof(syscall_before));
  memcpy(read_before, (const void*)read, sizeof(read_before));
  const pid_t first = getppid();
  const int zero = open("/dev/zero", O_RDONLY);
  int agree = 1;
  int reads_agree = zero >= 0;
  for (int i = 0; i < 20; i++) {
    char bytes[4] = {1};
    agree = agree && getppid() == first && syscall(SYS_getppid) == first;
    reads_agree = reads_agree && read(zero, bytes, sizeof(bytes)) == 4 && bytes[0] == 0;
  }
  memcpy(getppid_after, (const void*)getppid, sizeof(getppid_after));
  memcpy(syscall_after, (const void*)syscall, sizeof(syscall_after));
  memcpy(read_after, (const void*)read, sizeof(read_after));
  printf("getppid agrees: %s\n", agree ? "yes" : "no");
  printf("read agrees: %s\n", reads_agree ? "yes" : "no");
  printf("code changed: %s\n",
         memcmp(getppid_before, getppid_after, sizeof(getppid_before)) != 0 ? "yes" : "no");
  printf("syscall() code changed: %s\n",
         memcmp(syscall_before, syscall_after, sizeof(syscall_before)) != 0 ? "yes" : "no");
  printf("read() code changed: %s\n",
         memcmp(read_before, read_after, sizeof(read_before)) != 0 ? "yes" : "no");
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "args";
  if (strcmp(mode, "seek_stdin") == 0) {
    return seek_standard_input();
  }
  if (strcmp(mode, "stdio") == 0) {
    return report_standard_descriptors();
  }
  if (strcmp(mode, "stream_status") == 0) {
    return report_stream_status();
  }
  if (strcmp(mode, "nonblocking_stdout") == 0) {
    return fill_nonblocking_stdout();
  }
  if (strcmp(mode, "output_file") == 0) {
    return use_output_file();
  }
  if (strcmp(mode, "change_output") == 0) {
    return change_output_attributes();
  }
  if (strcmp(mode, "input_stream") == 0) {
    return use_input_stream();
  }
  if (strcmp(mode, "writable_stdout") == 0) {
    return wait_for_writable_stdout();
  }
  if (strcmp(mode, "terminal_name") == 0) {
    return report_terminal_names();
  }
  if (strcmp(mode, "clock") == 0) {
    return read_clock();
  }
  if (strcmp(mode, "clock_steps") == 0) {
    return count_clock_steps_back();
  }
  if (strcmp(mode, "env") == 0) {
    return print_environment(argc, argv);
  }
  if (strcmp(mode, "abort") == 0) {
    fflush(stdout);
    abort();
  }
  if (strcmp(mode, "memory") == 0) {
    return exercise_memory();
  }
  if (strcmp(mode, "threads") == 0) {
    return run_threads();
  }
  if (strcmp(mode, "wait_child") == 0) {
    return wait_for_child();
  }
  if (strcmp(mode, "kill_all") == 0) {
    return kill_all();
  }
  if (strcmp(mode, "foreground_group") == 0) {
    return use_foreground_group();
  }
  if (strcmp(mode, "wait_signal") == 0 && argc > 2) {
    return wait_for_signal(argv[2]);
  }
  if (strcmp(mode, "dev_tty") == 0) {
    return use_dev_tty();
  }
  if (strcmp(mode, "process_tree") == 0) {
    return process_tree();
  }
  if (strcmp(mode, "trace_calls") == 0) {
    return make_traced_calls();
  }
  if (strcmp(mode, "trace_decoders") == 0) {
    return make_decoded_calls();
  }
  if (strcmp(mode, "rewritten_site") == 0) {
    return report_rewritten_site();
  }
  if (strcmp(mode, "trace_end") == 0 && argc > 2) {
    return end_decoded_calls(argv[2]);
  }
  return print_arguments(argc, argv);
}
