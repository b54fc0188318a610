/* RLIMIT_FSIZE: writes that would grow a regular file past the limit are
 * cut short at it, and writes that start at or past it fail with EFBIG and
 * raise SIGXFSZ, as do truncate, ftruncate and fallocate that grow a file
 * past it. SIGXFSZ ignored or handled leaves only EFBIG; its default
 * action ends the process. Pipes and standard output are not limited, and
 * the limit survives fork and execve. The files are under /dev/shm, which
 * is tmpfs natively and in the sandbox, because fallocate checks the limit
 * differently on other file systems. */
#include "abi.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#define LIMIT 1000

static volatile sig_atomic_t signals_caught;

static void count_signal(int signal) {
  (void)signal;
  signals_caught++;
}

static void report_size(int fd) {
  struct stat status;
  fstat(fd, &status);
  printf("size %lld\n", (long long)status.st_size);
}

static void show_limit(const char* label) {
  struct rlimit limit;
  getrlimit(RLIMIT_FSIZE, &limit);
  printf("%s: RLIMIT_FSIZE soft %lld\n", label, (long long)limit.rlim_cur);
}

static void check_writes(const char* path) {
  char data[1500];
  memset(data, 'w', sizeof data);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CALL(write(fd, data, 600));
  CALL(write(fd, data, 600));
  CALL(write(fd, data, 1));
  CALL(write(fd, data, 0));
  report_size(fd);
  CALL(pwrite(fd, data, 10, 995));
  CALL(pwrite(fd, data, 10, LIMIT));
  CALL(pwrite(fd, data, 10, 5000));
  CALL(ftruncate(fd, 100));
  struct iovec vectors[] = {{data, 800}, {data, 800}};
  CALL(pwritev(fd, vectors, 2, 0));
  CALL(pwritev(fd, vectors, 2, LIMIT));
  close(fd);

  fd = open(path, O_WRONLY | O_APPEND);
  CALL(write(fd, data, 1));
  close(fd);
}

static void check_size_changes(const char* path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CALL(ftruncate(fd, LIMIT + 1));
  CALL(ftruncate(fd, LIMIT));
  CALL(ftruncate(fd, 500));
  CALL(truncate(path, 5000));
  CALL(truncate(path, 200));
  report_size(fd);
  CALL(fallocate(fd, 0, 0, LIMIT + 1));
  CALL(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, LIMIT + 1));
  CALL(fallocate(fd, 0, 0, LIMIT));
  CALL(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 5000));
  report_size(fd);
  close(fd);
}

/* copy_file_range works only within one file system, so the source is a
 * second file under /dev/shm. */
static void check_copies(const char* path, const char* source_path) {
  char data[1500];
  memset(data, 'c', sizeof data);
  int source = open(source_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink(source_path);
  CALL(write(source, data, sizeof data));
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  off_t from = 0;
  CALL(sendfile(fd, source, &from, sizeof data));
  printf("sendfile moved the input offset to %lld\n", (long long)from);
  loff_t input = 0;
  loff_t output = 900;
  CALL(copy_file_range(source, &input, fd, &output, 500, 0));
  output = LIMIT;
  CALL(copy_file_range(source, &input, fd, &output, 500, 0));
  report_size(fd);
  close(fd);
  close(source);
}

static void check_unlimited_files(void) {
  char data[3000];
  memset(data, 'p', sizeof data);
  int ends[2];
  pipe(ends);
  CALL(write(ends[1], data, sizeof data));
  CALL(read(ends[0], data, sizeof data));
  close(ends[0]);
  close(ends[1]);
  /* Standard output is a pipe or a terminal, which the limit skips. */
  char line[1200];
  memset(line, '-', sizeof line - 1);
  line[sizeof line - 1] = '\0';
  puts(line);
  fflush(stdout);
}

/* Runs after execve: the limit and the ignored SIGXFSZ stay. */
static int run_after_exec(const char* path) {
  show_limit("after execve");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CALL(pwrite(fd, "x", 1, LIMIT));
  close(fd);
  unlink(path);
  return 0;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char path[256];
  abi_shm_path(path, sizeof path, "litebox-file-size-limit", argv[1]);
  if (argc > 2 && strcmp(argv[2], "exec") == 0) {
    return run_after_exec(path);
  }

  struct rlimit limit;
  getrlimit(RLIMIT_FSIZE, &limit);
  limit.rlim_cur = LIMIT;
  CALL(setrlimit(RLIMIT_FSIZE, &limit));
  show_limit("set");

  printf("SIGXFSZ ignored:\n");
  signal(SIGXFSZ, SIG_IGN);
  check_writes(path);
  check_size_changes(path);
  char source_path[256];
  abi_shm_path(source_path, sizeof source_path, "litebox-file-size-source", argv[1]);
  check_copies(path, source_path);
  check_unlimited_files();

  printf("SIGXFSZ handled:\n");
  signal(SIGXFSZ, count_signal);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CALL(pwrite(fd, "x", 1, LIMIT));
  printf("signals caught: %d\n", (int)signals_caught);
  CALL(pwrite(fd, "xy", 2, LIMIT - 1));
  printf("signals caught: %d\n", (int)signals_caught);
  CALL(ftruncate(fd, LIMIT + 1));
  printf("signals caught: %d\n", (int)signals_caught);
  CALL(fallocate(fd, 0, 0, LIMIT + 1));
  printf("signals caught: %d\n", (int)signals_caught);
  close(fd);

  printf("SIGXFSZ default:\n");
  signal(SIGXFSZ, SIG_DFL);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    show_limit("child");
    fflush(stdout);
    int child_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pwrite(child_fd, "x", 1, LIMIT);
    printf("child survived the write\n");
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child signaled: %d, signal %d\n", WIFSIGNALED(status),
         WIFSIGNALED(status) ? WTERMSIG(status) : 0);

  signal(SIGXFSZ, SIG_IGN);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    execl(argv[0], argv[0], argv[1], "exec", (char*)NULL);
    printf("execl failed: %s\n", strerrorname_np(errno));
    _exit(1);
  }
  waitpid(child, &status, 0);
  printf("exec child exited %d\n", WEXITSTATUS(status));
  unlink(path);
  return 0;
}
