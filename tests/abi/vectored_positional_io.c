/* preadv, pwritev, preadv2 and pwritev2 on a tmpfs file, a pipe and a
 * socket: positional transfers leave the file offset alone, offset -1 of
 * the v2 calls means the file offset, the RWF_* flags that tmpfs accepts
 * behave as there, and bad descriptors, offsets, flags and iovec arrays
 * fail with Linux's errno. The file is under /dev/shm, which is tmpfs
 * natively and in the sandbox. */
#include "abi.h"

#include <limits.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_NOWAIT 0x08
#define RWF_APPEND 0x10
#endif

/* The raw calls, so the C library neither checks the arguments nor falls
 * back to other calls. */
static long preadv_call(int fd, const struct iovec* vectors, long count, long offset) {
  return syscall(SYS_preadv, fd, vectors, count, offset, 0L);
}

static long pwritev_call(int fd, const struct iovec* vectors, long count, long offset) {
  return syscall(SYS_pwritev, fd, vectors, count, offset, 0L);
}

static long preadv2_call(int fd, const struct iovec* vectors, long count, long offset, int flags) {
  return syscall(SYS_preadv2, fd, vectors, count, offset, 0L, flags);
}

static long pwritev2_call(int fd, const struct iovec* vectors, long count, long offset, int flags) {
  return syscall(SYS_pwritev2, fd, vectors, count, offset, 0L, flags);
}

static long current_offset(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

static void show_contents(int fd) {
  char buffer[64];
  ssize_t count = pread(fd, buffer, sizeof buffer, 0);
  printf("contents: \"%.*s\"\n", count < 0 ? 0 : (int)count, buffer);
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char path[256];
  int fd = abi_create_shm_file(path, sizeof path, "litebox-vectored-io", argv[1]);
  CALL(write(fd, "0123456789abcdef", 16));

  char first[3] = {0};
  char second[5] = {0};
  struct iovec into[2] = {{first, 2}, {second, 4}};
  printf("preadv:\n");
  CALL(preadv_call(fd, into, 2, 4));
  printf("read \"%s\" and \"%s\", offset %ld\n", first, second, current_offset(fd));
  CALL(preadv_call(fd, into, 2, 14));
  CALL(preadv_call(fd, into, 2, 100));
  CALL(preadv_call(fd, into, 0, 0));

  struct iovec from[2] = {{"AB", 2}, {"CDE", 3}};
  printf("pwritev:\n");
  CALL(pwritev_call(fd, from, 2, 2));
  show_contents(fd);
  printf("offset %ld\n", current_offset(fd));

  printf("offset -1 means the file offset:\n");
  CALL(lseek(fd, 10, SEEK_SET));
  memset(first, 0, sizeof first);
  memset(second, 0, sizeof second);
  CALL(preadv2_call(fd, into, 2, -1, 0));
  printf("read \"%s\" and \"%s\", offset %ld\n", first, second, current_offset(fd));
  CALL(pwritev2_call(fd, from, 2, -1, 0));
  show_contents(fd);
  printf("offset %ld\n", current_offset(fd));
  CALL(preadv2_call(fd, into, 2, 0, 0));
  printf("offset %ld\n", current_offset(fd));

  printf("flags that tmpfs accepts:\n");
  static const int flags[] = {RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_HIPRI | RWF_SYNC};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i) {
    printf("flags %#x\n", flags[i]);
    CALL(preadv2_call(fd, into, 2, 0, flags[i]));
    CALL(pwritev2_call(fd, from, 1, 0, flags[i]));
  }
  show_contents(fd);

  printf("RWF_APPEND writes at the end:\n");
  CALL(lseek(fd, 3, SEEK_SET));
  CALL(pwritev2_call(fd, from, 1, 0, RWF_APPEND));
  show_contents(fd);
  printf("offset %ld\n", current_offset(fd));
  CALL(pwritev2_call(fd, from, 1, -1, RWF_APPEND));
  show_contents(fd);
  printf("offset %ld\n", current_offset(fd));
  CALL(ftruncate(fd, 16));

  printf("bad flags:\n");
  CALL(preadv2_call(fd, into, 2, 0, 0x40000000));
  CALL(pwritev2_call(fd, from, 2, 0, 0x40000000));
  CALL(preadv2_call(fd, into, 2, 0, -1));

  printf("bad offsets:\n");
  CALL(preadv_call(fd, into, 2, -1));
  CALL(pwritev_call(fd, from, 2, -2));
  CALL(preadv2_call(fd, into, 2, -2, 0));
  CALL(pwritev2_call(fd, from, 2, -5, 0));
  CALL(preadv_call(-1, into, 2, -1));

  printf("bad iovec arrays:\n");
  CALL(preadv_call(fd, into, -1, 0));
  CALL(preadv_call(fd, into, 1025, 0));
  CALL(pwritev_call(fd, from, 1025, 0));
  CALL(preadv_call(fd, (struct iovec*)8, 2, 0));
  CALL(pwritev_call(fd, (struct iovec*)8, 2, 0));
  struct iovec huge[2] = {{first, 2}, {second, (size_t)-1}};
  CALL(preadv_call(fd, huge, 2, 0));
  struct iovec unmapped[1] = {{(void*)8, 4}};
  CALL(preadv_call(fd, unmapped, 1, 0));
  CALL(pwritev_call(fd, unmapped, 1, 0));
  struct iovec empty[2] = {{NULL, 0}, {NULL, 0}};
  CALL(preadv2_call(fd, empty, 2, 0, 0));
  CALL(pwritev2_call(fd, empty, 2, 0, 0));

  printf("bad descriptors:\n");
  CALL(preadv_call(-1, into, 2, 0));
  CALL(pwritev_call(99, from, 2, 0));
  CALL(preadv2_call(99, into, 2, -1, 0));
  int read_only = open(path, O_RDONLY);
  CALL(pwritev_call(read_only, from, 2, 0));
  CALL(pwritev2_call(read_only, from, 2, -1, 0));
  close(read_only);
  int write_only = open(path, O_WRONLY);
  CALL(preadv_call(write_only, into, 2, 0));
  close(write_only);
  mkdir("directory", 0700);
  int directory = open("directory", O_RDONLY | O_DIRECTORY);
  CALL(preadv_call(directory, into, 2, 0));
  close(directory);
  rmdir("directory");
  close(fd);
  CALL(unlink(path));

  printf("pipe:\n");
  int pipe_ends[2];
  CALL(pipe(pipe_ends));
  CALL(pwritev_call(pipe_ends[1], from, 2, 0));
  CALL(pwritev2_call(pipe_ends[1], from, 2, 0, 0));
  CALL(pwritev2_call(pipe_ends[1], from, 2, -1, 0));
  CALL(preadv_call(pipe_ends[0], into, 2, 0));
  CALL(preadv_call(pipe_ends[0], into, 0, 0));
  memset(first, 0, sizeof first);
  memset(second, 0, sizeof second);
  CALL(preadv2_call(pipe_ends[0], into, 2, -1, 0));
  printf("read \"%s\" and \"%s\"\n", first, second);
  CALL(preadv2_call(pipe_ends[0], into, 2, -1, RWF_NOWAIT));
  CALL(pwritev2_call(pipe_ends[1], from, 2, -1, RWF_NOWAIT | RWF_APPEND));
  CALL(preadv2_call(pipe_ends[0], into, 2, -1, RWF_NOWAIT));
  close(pipe_ends[0]);
  close(pipe_ends[1]);

  /* A length above SSIZE_MAX fails with EINVAL before any buffer is
   * checked; a buffer past the end of the user address space, even an
   * empty one, fails with EFAULT. */
  printf("iovec lengths and addresses:\n");
  int checked = memfd_create("iovec-checks", 0);
  CALL(write(checked, "data", 4));
  struct iovec too_long[2] = {{first, 2}, {second, (size_t)SSIZE_MAX + 1}};
  struct iovec past_end[2] = {{first, 2}, {second, SSIZE_MAX}};
  struct iovec beyond[2] = {{first, 2}, {(void*)0x800000000000, 0}};
  CALL(preadv_call(checked, too_long, 2, 0));
  CALL(pwritev_call(checked, too_long, 2, 0));
  CALL(readv(checked, too_long, 2));
  CALL(writev(checked, too_long, 2));
  CALL(preadv_call(checked, past_end, 2, 0));
  CALL(pwritev_call(checked, past_end, 2, 0));
  CALL(preadv_call(checked, beyond, 2, 0));
  CALL(writev(checked, beyond, 2));
  show_contents(checked);
  close(checked);

  printf("socket:\n");
  int sockets[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, sockets));
  CALL(pwritev_call(sockets[0], from, 2, 0));
  CALL(pwritev2_call(sockets[0], from, 2, -1, 0));
  CALL(preadv_call(sockets[1], into, 2, 0));
  CALL(preadv2_call(sockets[1], into, 2, -1, 0));
  close(sockets[0]);
  close(sockets[1]);
  return 0;
}
