/* open(2) of /proc/self/fd/N, /dev/fd/N and /proc/<pid>/fd/N follows the
 * magic link to the open file itself, not to the path readlink shows: a
 * pipe gets a new reader or writer that counts for EOF and EPIPE, an
 * unlinked file opens again with its own offset, and sockets and anonymous
 * inodes fail with ENXIO. stat(2) through the link reports the file. Inode
 * numbers differ between the runs, so they are compared, not printed. */
#include "abi.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/vfs.h>

static char link_path[64];

/* Returns "/proc/self/fd/N" (or another prefix) in a static buffer. */
static const char* fd_path(const char* prefix, int number) {
  snprintf(link_path, sizeof link_path, "%s/%d", prefix, number);
  return link_path;
}

/* Opens `prefix`/N with `flags` and prints the result under `label`. */
static int open_link(const char* label, const char* prefix, int number, int flags) {
  errno = 0;
  int reopened = open(fd_path(prefix, number), flags);
  if (reopened < 0) {
    printf("%s -> %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s -> a descriptor\n", label);
  }
  return reopened;
}

/* Prints the target of /proc/self/fd/N with the working directory shown
 * as "." and an inode number in brackets shown as whether it is the
 * st_ino of `original`. */
static void print_link(const char* label, int descriptor, int original) {
  char target[4096];
  char cwd[4096];
  ssize_t length = readlink(fd_path("/proc/self/fd", descriptor), target, sizeof target - 1);
  target[length > 0 ? length : 0] = '\0';
  size_t cwd_length = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
  char* bracket = strchr(target, '[');
  struct stat status;
  fstat(original, &status);
  if (cwd_length > 0 && strncmp(target, cwd, cwd_length) == 0) {
    printf("%s: readlink -> .%s\n", label, target + cwd_length);
  } else if (bracket && bracket[1] >= '0' && bracket[1] <= '9') {
    int same = strtoull(bracket + 1, NULL, 10) == (unsigned long long)status.st_ino;
    bracket[1] = '\0';
    printf("%s: readlink -> %sINODE] (INODE is the original's st_ino: %s)\n", label, target,
           same ? "yes" : "no");
  } else {
    printf("%s: readlink -> %s\n", label, target);
  }
}

static void print_read(const char* label, int descriptor) {
  char buffer[64] = {0};
  errno = 0;
  ssize_t count = read(descriptor, buffer, sizeof buffer - 1);
  if (count < 0) {
    printf("%s: read -> %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s: read %zd \"%s\"\n", label, count, buffer);
  }
}

static void print_write(const char* label, int descriptor, const char* text) {
  errno = 0;
  ssize_t count = write(descriptor, text, strlen(text));
  if (count < 0) {
    printf("%s: write -> %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s: write %zd\n", label, count);
  }
}

/* Prints whether fstat of both descriptors and stat of the link name one
 * inode, and the file type and access mode of the new descriptor. */
static void compare_files(const char* label, int original, int reopened) {
  struct stat first;
  struct stat second;
  struct stat through_link;
  fstat(original, &first);
  fstat(reopened, &second);
  int linked = stat(fd_path("/proc/self/fd", original), &through_link);
  FACT(label, first.st_ino == second.st_ino && first.st_dev == second.st_dev);
  printf("  stat through the link is the file: %s\n",
         linked == 0 && through_link.st_ino == first.st_ino && through_link.st_dev == first.st_dev
             ? "yes"
             : "no");
  printf("  mode %o, access mode %d\n", (unsigned)second.st_mode,
         fcntl(reopened, F_GETFL) & O_ACCMODE);
}

static void pipe_read_through_link(void) {
  printf("-- read a pipe through /proc/self/fd\n");
  int ends[2];
  pipe(ends);
  write(ends[1], "hello", 5);
  int reader = open_link("open read end O_RDONLY", "/proc/self/fd", ends[0], O_RDONLY);
  compare_files("same pipe", ends[0], reader);
  struct stat status;
  fstat(ends[0], &status);
  FACT("pipe belongs to the caller's uid and gid",
       status.st_uid == geteuid() && status.st_gid == getegid());
  print_link("new reader", reader, ends[0]);
  print_read("new reader", reader);
  close(reader);

  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", getpid(), ends[1]);
  errno = 0;
  reader = open(path, O_RDONLY);
  printf("open /proc/<pid>/fd/<write end> O_RDONLY -> %s\n",
         reader < 0 ? strerrorname_np(errno) : "a descriptor");
  write(ends[1], "again", 5);
  print_read("reader from the write end's link", reader);
  close(reader);
  close(ends[0]);
  close(ends[1]);
}

static void pipe_write_through_link(void) {
  printf("-- write a pipe through /dev/fd\n");
  int ends[2];
  pipe(ends);
  int writer = open_link("open write end O_WRONLY", "/dev/fd", ends[1], O_WRONLY);
  compare_files("same pipe", ends[1], writer);
  print_write("new writer", writer, "world");
  print_read("original reader", ends[0]);

  /* The tee >(cmd) case: O_CREAT and O_TRUNC on a pipe. */
  int created =
      open_link("open O_WRONLY|O_CREAT|O_TRUNC", "/dev/fd", ends[1], O_WRONLY | O_CREAT | O_TRUNC);
  print_write("created writer", created, "tee");
  print_read("original reader", ends[0]);
  close(created);
  close(writer);
  close(ends[0]);
  close(ends[1]);
}

static void pipe_end_of_file(void) {
  printf("-- EOF once every writer is closed\n");
  int ends[2];
  pipe(ends);
  int writer = open_link("open write end O_WRONLY", "/proc/self/fd", ends[1], O_WRONLY);
  close(ends[1]);
  fcntl(ends[0], F_SETFL, O_NONBLOCK);
  print_read("reader with the reopened writer left", ends[0]);
  struct pollfd request = {.fd = ends[0], .events = POLLIN};
  int ready = poll(&request, 1, 0);
  printf("poll with the reopened writer left: %d revents %#x\n", ready, request.revents);
  close(writer);
  print_read("reader with no writer left", ends[0]);
  ready = poll(&request, 1, 0);
  printf("poll with no writer left: %d revents %#x\n", ready, request.revents);
  close(ends[0]);

  /* An O_PATH descriptor of the pipe is no writer. */
  pipe(ends);
  fcntl(ends[0], F_SETFL, O_NONBLOCK);
  int path_only = open_link("open write end O_PATH", "/proc/self/fd", ends[1], O_PATH);
  close(ends[1]);
  print_read("reader with only an O_PATH descriptor left", ends[0]);
  close(path_only);
  close(ends[0]);
}

static void pipe_broken(void) {
  printf("-- EPIPE once every reader is closed\n");
  signal(SIGPIPE, SIG_IGN);
  int ends[2];
  pipe(ends);
  int reader = open_link("open read end O_RDONLY", "/proc/self/fd", ends[0], O_RDONLY);
  close(ends[0]);
  print_write("writer with the reopened reader left", ends[1], "x");
  close(reader);
  print_write("writer with no reader left", ends[1], "x");

  /* An anonymous pipe never waits for a peer, unlike a named fifo. */
  int lonely =
      open_link("open the write end O_RDONLY with no reader", "/proc/self/fd", ends[1], O_RDONLY);
  close(ends[1]);
  print_read("reader after the last writer closed", lonely);
  print_read("reader after the last writer closed", lonely);
  close(lonely);

  pipe(ends);
  close(ends[0]);
  int writer = open_link("open O_WRONLY|O_NONBLOCK with no reader", "/proc/self/fd", ends[1],
                         O_WRONLY | O_NONBLOCK);
  print_write("that writer", writer, "x");
  close(writer);
  int both = open_link("open O_RDWR", "/proc/self/fd", ends[1], O_RDWR);
  print_write("read-write end", both, "loop");
  print_read("read-write end", both);
  close(both);
  close(ends[1]);
  signal(SIGPIPE, SIG_DFL);
}

static void named_fifo(void) {
  printf("-- a named fifo\n");
  unlink("fifo");
  CALL(mkfifo("fifo", 0600));
  int both = open("fifo", O_RDWR);
  int reader = open_link("open fifo O_RDONLY", "/proc/self/fd", both, O_RDONLY);
  compare_files("same fifo", both, reader);
  print_write("fifo", both, "named");
  print_read("reopened fifo reader", reader);
  close(reader);
  close(both);
  unlink("fifo");
}

static void unlinked_file(void) {
  printf("-- an unlinked regular file\n");
  int file = open("data.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(file, "contents", 8);
  CALL(unlink("data.txt"));
  int reopened = open_link("open unlinked file O_RDONLY", "/proc/self/fd", file, O_RDONLY);
  compare_files("same file", file, reopened);
  print_link("reopened file", reopened, file);
  print_read("reopened file from offset 0", reopened);
  printf("original offset: %ld\n", (long)lseek(file, 0, SEEK_CUR));
  close(reopened);

  int appender =
      open_link("open unlinked file O_WRONLY|O_APPEND", "/dev/fd", file, O_WRONLY | O_APPEND);
  print_write("appender", appender, "+more");
  lseek(file, 0, SEEK_SET);
  print_read("original after the append", file);
  struct stat status;
  fstat(appender, &status);
  printf("link count %ld size %ld\n", (long)status.st_nlink, (long)status.st_size);
  close(appender);
  close(file);

  printf("-- a renamed regular file\n");
  file = open("old.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(file, "renamed", 7);
  CALL(rename("old.txt", "new.txt"));
  reopened = open_link("open renamed file O_RDONLY", "/proc/self/fd", file, O_RDONLY);
  print_read("reopened renamed file", reopened);
  close(reopened);
  close(file);
  unlink("new.txt");
}

static void directory_through_link(void) {
  printf("-- a directory descriptor in the middle of a path\n");
  mkdir("sub", 0755);
  int child = open("sub/child.txt", O_CREAT | O_WRONLY | O_TRUNC, 0600);
  write(child, "inside", 6);
  close(child);
  int directory = open("sub", O_RDONLY | O_DIRECTORY);
  char path[96];
  snprintf(path, sizeof path, "/proc/self/fd/%d/child.txt", directory);
  int opened = open(path, O_RDONLY);
  printf("open /proc/self/fd/<dir>/child.txt -> %s\n",
         opened < 0 ? strerrorname_np(errno) : "a descriptor");
  print_read("child through the directory link", opened);
  close(opened);
  close(directory);
  unlink("sub/child.txt");
  rmdir("sub");
}

static void unopenable(const char* label, int descriptor) {
  printf("-- %s\n", label);
  int modes[] = {O_RDONLY, O_WRONLY, O_RDWR};
  const char* names[] = {"O_RDONLY", "O_WRONLY", "O_RDWR"};
  for (int index = 0; index < 3; ++index) {
    char text[64];
    snprintf(text, sizeof text, "open %s", names[index]);
    int opened = open_link(text, "/proc/self/fd", descriptor, modes[index]);
    if (opened >= 0) {
      close(opened);
    }
  }
  int path_only = open_link("open O_PATH", "/proc/self/fd", descriptor, O_PATH);
  print_link("  O_PATH descriptor", path_only, descriptor);
  struct stat original;
  struct stat through_path;
  struct stat through_link;
  fstat(descriptor, &original);
  fstat(path_only, &through_path);
  int linked = stat(fd_path("/proc/self/fd", descriptor), &through_link);
  FACT("  O_PATH descriptor is the file", path_only >= 0 &&
                                              through_path.st_ino == original.st_ino &&
                                              through_path.st_mode == original.st_mode);
  FACT("  stat through the link is the file", linked == 0 &&
                                                  through_link.st_ino == original.st_ino &&
                                                  through_link.st_mode == original.st_mode);
  printf("  mode %o\n", (unsigned)original.st_mode);
  close(path_only);
}

/* Other path calls through a pipe's link reach the pipe. Only results are
 * printed, because chmod of a pipe has no effect in the sandbox. */
static void path_calls_on_pipe(void) {
  printf("-- path calls through a pipe's link\n");
  int ends[2];
  pipe(ends);
  char path[96];
  snprintf(path, sizeof path, "/proc/self/fd/%d", ends[0]);
  CALL(access(path, R_OK | W_OK));
  CALL(chmod(path, 0640));
  CALL(truncate(path, 0));
  CALL(chdir(path));
  struct statfs file_system;
  CALL(statfs(path, &file_system));
  snprintf(path, sizeof path, "/proc/self/fd/%d/child", ends[0]);
  CALL(mkdir(path, 0755));
  CALL(open(path, O_RDONLY));
  close(ends[0]);
  close(ends[1]);
}

static void link_errors(void) {
  printf("-- flags that stop at the link itself\n");
  int ends[2];
  pipe(ends);
  int opened = open_link("open O_NOFOLLOW", "/proc/self/fd", ends[0], O_RDONLY | O_NOFOLLOW);
  opened = open_link("open O_CREAT|O_EXCL", "/proc/self/fd", ends[1], O_WRONLY | O_CREAT | O_EXCL);
  opened = open_link("open a closed descriptor", "/proc/self/fd", 99, O_RDONLY);
  opened = open_link("open a closed descriptor O_CREAT", "/proc/self/fd", 99, O_WRONLY | O_CREAT);
  CALL(mkdir("/proc/self/fd/99", 0700));
  CALL(mknod("/proc/self/fd/99", S_IFIFO | 0600, 0));
  CALL(symlink("target", "/proc/self/fd/99"));
  (void)opened;
  close(ends[0]);
  close(ends[1]);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  setvbuf(stdout, NULL, _IONBF, 0);

  pipe_read_through_link();
  pipe_write_through_link();
  pipe_end_of_file();
  pipe_broken();
  named_fifo();
  unlinked_file();
  directory_through_link();

  int sockets[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sockets);
  unopenable("a socketpair end", sockets[0]);
  close(sockets[0]);
  close(sockets[1]);
  int counter = eventfd(0, 0);
  unopenable("an eventfd", counter);
  close(counter);
  int poller = epoll_create1(0);
  unopenable("an epoll instance", poller);
  close(poller);

  path_calls_on_pipe();
  link_errors();
  return 0;
}
