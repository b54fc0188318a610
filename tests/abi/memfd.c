/* memfd_create: flags and names, the file as a regular file (read, write,
 * lseek, ftruncate, fstat, shared and private mappings), /proc/self/fd,
 * sharing across fork and reopening, and file seals with their errors. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Linux 6.3 values, missing from older C library headers. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define PAGE 4096

static void show_file(const char* label, int fd) {
  struct stat status;
  if (fstat(fd, &status) != 0) {
    printf("%s: fstat failed: %s\n", label, strerrorname_np(errno));
    return;
  }
  printf("%s: mode %o nlink %lu size %lld blksize %ld\n", label, status.st_mode,
         (unsigned long)status.st_nlink, (long long)status.st_size, (long)status.st_blksize);
  FACT("  owned by the caller", status.st_uid == getuid() && status.st_gid == getgid());
}

static void show_link(const char* label, int fd) {
  char path[64];
  char target[512];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(path, target, sizeof target - 1);
  if (length < 0) {
    printf("%s: readlink failed: %s\n", label, strerrorname_np(errno));
    return;
  }
  target[length] = '\0';
  printf("%s: %s\n", label, target);
}

static void show_contents(const char* label, int fd, off_t offset, size_t count) {
  char buffer[64] = {0};
  ssize_t length = pread(fd, buffer, count < sizeof buffer ? count : sizeof buffer - 1, offset);
  printf("%s: %zd \"%.*s\"\n", label, length, length > 0 ? (int)length : 0, buffer);
}

/* Prints the path that /proc/self/maps shows for the mapping at `start`. */
static void show_mapping_name(const char* label, const void* start) {
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%lx-", (unsigned long)start);
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
    if (strncmp(line, prefix, strlen(prefix)) == 0) {
      const char* path = strchr(line, '/');
      printf("%s: %s", label, path != NULL ? path : "(none)\n");
    }
  }
  if (maps != NULL) {
    fclose(maps);
  }
}

static int reopen(int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return open(path, flags);
}

static void test_flags_and_names(void) {
  CALL(syscall(SYS_memfd_create, "bad flags", 0x100));
  CALL(syscall(SYS_memfd_create, "exec and noexec", MFD_EXEC | MFD_NOEXEC_SEAL));
  CALL(syscall(SYS_memfd_create, "huge size without hugetlb", 21U << 26));
  CALL(syscall(SYS_memfd_create, NULL, 0));
  CALL(syscall(SYS_memfd_create, (const char*)1, 0));

  char name[300];
  memset(name, 'n', sizeof name);
  name[249] = '\0';
  int longest = syscall(SYS_memfd_create, name, 0);
  FACT("name of 249 bytes accepted", longest >= 0);
  show_link("  link of the longest name", longest);
  close(longest);
  name[249] = 'n';
  name[250] = '\0';
  CALL(syscall(SYS_memfd_create, name, 0));

  int empty = syscall(SYS_memfd_create, "", 0);
  show_link("empty name", empty);
  close(empty);

  int close_on_exec = syscall(SYS_memfd_create, "cloexec", MFD_CLOEXEC);
  CALL(fcntl(close_on_exec, F_GETFD));
  CALL(fcntl(close_on_exec, F_GETFL));
  close(close_on_exec);
}

static void test_regular_file(void) {
  int fd = syscall(SYS_memfd_create, "data", 0);
  FACT("memfd_create", fd >= 0);
  CALL(fcntl(fd, F_GETFD));
  show_file("new file", fd);
  show_link("link", fd);

  CALL(write(fd, "hello world", 11));
  CALL(lseek(fd, 0, SEEK_CUR));
  CALL(lseek(fd, 6, SEEK_SET));
  char buffer[16] = {0};
  CALL(read(fd, buffer, 5));
  printf("read: %s\n", buffer);
  CALL(lseek(fd, 0, SEEK_END));
  CALL(ftruncate(fd, 5));
  show_file("after ftruncate 5", fd);
  CALL(ftruncate(fd, 2 * PAGE));
  show_file("after ftruncate 8192", fd);
  show_contents("bytes 0..8", fd, 0, 8);
  CALL(ftruncate(fd, -1));

  char* shared = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  FACT("shared mapping", shared != MAP_FAILED);
  show_mapping_name("name in /proc/self/maps", shared);
  memcpy(shared + 100, "mapped", 6);
  show_contents("file at 100 after a store", fd, 100, 6);
  CALL(pwrite(fd, "PWRITE", 6, PAGE + 10));
  printf("mapping at 4106: %.6s\n", shared + PAGE + 10);

  char* private = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  FACT("private mapping", private != MAP_FAILED);
  printf("private at 100: %.6s\n", private + 100);
  memcpy(private + 100, "privat", 6);
  show_contents("file at 100 after a private store", fd, 100, 6);
  munmap(private, PAGE);
  munmap(shared, 2 * PAGE);

  int again = reopen(fd, O_RDWR);
  FACT("reopen through /proc/self/fd", again >= 0);
  show_link("link of the reopened file", again);
  CALL(pwrite(again, "REOPEN", 6, 0));
  show_contents("original after a write to the reopened file", fd, 0, 6);
  struct stat first;
  struct stat second;
  fstat(fd, &first);
  fstat(again, &second);
  FACT("same inode", first.st_ino == second.st_ino && first.st_dev == second.st_dev);
  close(again);

  pid_t child = fork();
  if (child == 0) {
    pwrite(fd, "CHILD", 5, 20);
    char* map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(map + 30, "CHMAP", 5);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  show_contents("written by the child", fd, 20, 5);
  show_contents("stored by the child", fd, 30, 5);
  close(fd);
}

static void test_seal_basics(void) {
  int plain = syscall(SYS_memfd_create, "plain", 0);
  CALL(fcntl(plain, F_GET_SEALS));
  CALL(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE));
  close(plain);

  int fd = syscall(SYS_memfd_create, "sealable", MFD_ALLOW_SEALING);
  CALL(fcntl(fd, F_GET_SEALS));
  CALL(fcntl(fd, F_ADD_SEALS, 0x100));
  CALL(fcntl(fd, F_ADD_SEALS, 0));
  int read_only = reopen(fd, O_RDONLY);
  CALL(fcntl(read_only, F_ADD_SEALS, F_SEAL_SHRINK));
  CALL(fcntl(read_only, F_GET_SEALS));
  close(read_only);

  int ends[2];
  pipe(ends);
  CALL(fcntl(ends[0], F_GET_SEALS));
  CALL(fcntl(ends[0], F_ADD_SEALS, F_SEAL_SHRINK));
  CALL(fcntl(ends[1], F_ADD_SEALS, F_SEAL_SHRINK));
  close(ends[0]);
  close(ends[1]);

  CALL(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
  CALL(fcntl(fd, F_GET_SEALS));
  CALL(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
  CALL(fcntl(fd, F_ADD_SEALS, 0));
  close(fd);
}

static void test_size_seals(void) {
  static char block[2 * PAGE];
  memset(block, 'b', sizeof block);

  int shrink = syscall(SYS_memfd_create, "shrink", MFD_ALLOW_SEALING);
  CALL(ftruncate(shrink, 100));
  CALL(fcntl(shrink, F_ADD_SEALS, F_SEAL_SHRINK));
  CALL(ftruncate(shrink, 50));
  CALL(ftruncate(shrink, 100));
  CALL(ftruncate(shrink, 200));
  CALL(write(shrink, "grows", 5));
  int truncating = reopen(shrink, O_RDWR | O_TRUNC);
  FACT("open with O_TRUNC fails", truncating < 0);
  close(truncating);
  show_file("shrink-sealed", shrink);
  close(shrink);

  int grow = syscall(SYS_memfd_create, "grow", MFD_ALLOW_SEALING);
  CALL(ftruncate(grow, PAGE + 100));
  CALL(fcntl(grow, F_ADD_SEALS, F_SEAL_GROW));
  CALL(ftruncate(grow, PAGE + 101));
  CALL(ftruncate(grow, PAGE + 100));
  CALL(pwrite(grow, "inside", 6, 10));
  CALL(pwrite(grow, "across", 6, PAGE + 98));
  CALL(pwrite(grow, block, 5000, 0));
  CALL(pwrite(grow, block, 5000, 100));
  CALL(pwrite(grow, block, 10, 2 * PAGE));
  CALL(fallocate(grow, 0, 0, 50));
  CALL(fallocate(grow, 0, 0, 2 * PAGE));
  CALL(fallocate(grow, FALLOC_FL_KEEP_SIZE, 0, 2 * PAGE));
  CALL(ftruncate(grow, 10));
  CALL(ftruncate(grow, 20));
  show_file("grow-sealed", grow);
  close(grow);
}

static void test_write_seals(void) {
  int fd = syscall(SYS_memfd_create, "write", MFD_ALLOW_SEALING);
  CALL(ftruncate(fd, 2 * PAGE));
  char* writable = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CALL(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CALL(mprotect(writable, PAGE, PROT_READ));
  CALL(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(writable, PAGE);
  char* read_only = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
  CALL(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(read_only, PAGE);
  char* private = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CALL(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CALL(fcntl(fd, F_GET_SEALS));

  private[0] = 'p';
  printf("private store kept: %c\n", private[0]);
  munmap(private, PAGE);
  CALL(write(fd, "x", 1));
  CALL(pwrite(fd, "x", 1, 0));
  CALL(write(fd, "", 0));
  CALL(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE));
  CALL(ftruncate(fd, 3 * PAGE));
  CALL(ftruncate(fd, PAGE));
  void* mapping = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("writable shared mapping: %s\n",
         mapping == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  read_only = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
  FACT("read-only shared mapping", read_only != MAP_FAILED);
  CALL(mprotect(read_only, PAGE, PROT_READ | PROT_WRITE));
  munmap(read_only, PAGE);
  close(fd);

  int future = syscall(SYS_memfd_create, "future", MFD_ALLOW_SEALING);
  CALL(ftruncate(future, PAGE));
  char* before = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, future, 0);
  CALL(fcntl(future, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  memcpy(before, "still", 5);
  show_contents("store through the older mapping", future, 0, 5);
  CALL(write(future, "x", 1));
  mapping = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, future, 0);
  printf("new writable shared mapping: %s\n",
         mapping == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  munmap(before, PAGE);
  close(future);

  /* A child's writable mapping ends with the child. */
  int inherited = syscall(SYS_memfd_create, "child mapping", MFD_ALLOW_SEALING);
  CALL(ftruncate(inherited, PAGE));
  pid_t child = fork();
  if (child == 0) {
    char* map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, inherited, 0);
    map[0] = 'c';
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CALL(fcntl(inherited, F_ADD_SEALS, F_SEAL_WRITE));
  close(inherited);
}

static void test_exec_seals(void) {
  int no_exec = syscall(SYS_memfd_create, "noexec", MFD_NOEXEC_SEAL);
  show_file("MFD_NOEXEC_SEAL", no_exec);
  CALL(fcntl(no_exec, F_GET_SEALS));
  CALL(fchmod(no_exec, 0777));
  CALL(fchmod(no_exec, 0600));
  CALL(write(no_exec, "data", 4));
  CALL(fcntl(no_exec, F_ADD_SEALS, F_SEAL_SHRINK));
  CALL(fcntl(no_exec, F_GET_SEALS));
  close(no_exec);

  int exec = syscall(SYS_memfd_create, "exec", MFD_EXEC);
  show_file("MFD_EXEC", exec);
  CALL(fcntl(exec, F_GET_SEALS));
  close(exec);

  int sealable = syscall(SYS_memfd_create, "exec seal", MFD_ALLOW_SEALING);
  CALL(ftruncate(sealable, PAGE));
  char* writable = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, sealable, 0);
  CALL(fcntl(sealable, F_ADD_SEALS, F_SEAL_EXEC));
  CALL(fcntl(sealable, F_GET_SEALS));
  munmap(writable, PAGE);
  CALL(fcntl(sealable, F_ADD_SEALS, F_SEAL_EXEC));
  CALL(fcntl(sealable, F_GET_SEALS));
  CALL(fchmod(sealable, 0666));
  CALL(fchmod(sealable, 0755));
  CALL(write(sealable, "x", 1));
  close(sealable);
}

static void show_blocks(const char* label, int fd) {
  struct stat status;
  if (fstat(fd, &status) == 0) {
    printf("%s: size %lld blocks %lld\n", label, (long long)status.st_size,
           (long long)status.st_blocks);
  }
}

static void show_seek(const char* label, int fd, off_t offset, int whence) {
  errno = 0;
  const off_t result = lseek(fd, offset, whence);
  if (result < 0) {
    printf("%s -> -1 %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s -> %lld\n", label, (long long)result);
  }
}

/* A memfd grown by ftruncate has no pages yet: no blocks, and SEEK_DATA
 * and SEEK_HOLE see one hole. A write allocates its page, which becomes
 * the data between two holes. */
static void test_sparse_file(void) {
  printf("sparse file:\n");
  int fd = memfd_create("sparse", 0);
  CALL(ftruncate(fd, 100));
  show_blocks("truncated to 100", fd);
  CALL(ftruncate(fd, 1 << 20));
  show_blocks("truncated to 1 MiB", fd);
  show_seek("SEEK_DATA 0", fd, 0, SEEK_DATA);
  show_seek("SEEK_HOLE 0", fd, 0, SEEK_HOLE);

  CALL(pwrite(fd, "x", 1, 200000));
  show_blocks("after one byte at 200000", fd);
  const off_t offsets[] = {0,      196607, 196608,        200000,  200703,
                           200704, 300000, (1 << 20) - 1, 1 << 20, -1};
  for (size_t index = 0; index < sizeof offsets / sizeof offsets[0]; ++index) {
    char label[64];
    snprintf(label, sizeof label, "SEEK_DATA %lld", (long long)offsets[index]);
    show_seek(label, fd, offsets[index], SEEK_DATA);
    snprintf(label, sizeof label, "SEEK_HOLE %lld", (long long)offsets[index]);
    show_seek(label, fd, offsets[index], SEEK_HOLE);
  }

  CALL(ftruncate(fd, 200001));
  show_seek("SEEK_HOLE at the end of the data", fd, 200000, SEEK_HOLE);
  close(fd);

  fd = memfd_create("small", 0);
  CALL(write(fd, "small", 5));
  show_blocks("small file", fd);
  show_seek("small SEEK_DATA 2", fd, 2, SEEK_DATA);
  show_seek("small SEEK_HOLE 2", fd, 2, SEEK_HOLE);
  show_seek("small SEEK_DATA 5", fd, 5, SEEK_DATA);
  close(fd);
}

int main(void) {
  test_sparse_file();
  test_flags_and_names();
  test_regular_file();
  test_seal_basics();
  test_size_seals();
  test_write_seals();
  test_exec_seals();
  return 0;
}
