/* fadvise64, readahead, sync, syncfs, sync_file_range and fsync: file data
 * lives in memory in the sandbox, so these calls change nothing there, but
 * they must accept and reject the same descriptors, ranges, advice values
 * and flags as Linux. The file is under /dev/shm, which is tmpfs natively
 * and in the sandbox. */
#include "abi.h"

#include <sys/socket.h>
#include <sys/syscall.h>

/* The raw calls: the C library's posix_fadvise returns the error number
 * instead of setting errno, and sync has no result. */
static long fadvise_call(int fd, long offset, long length, int advice) {
  return syscall(SYS_fadvise64, fd, offset, length, advice);
}

static long readahead_call(int fd, long offset, unsigned long count) {
  return syscall(SYS_readahead, fd, offset, count);
}

static long sync_file_range_call(int fd, long offset, long count, unsigned flags) {
  return syscall(SYS_sync_file_range, fd, offset, count, flags);
}

/* Runs every call on `fd` with valid arguments. */
static void report_valid_calls(const char* label, int fd) {
  printf("%s:\n", label);
  CALL(fadvise_call(fd, 0, 0, POSIX_FADV_WILLNEED));
  CALL(readahead_call(fd, 0, 4096));
  CALL(syscall(SYS_syncfs, fd));
  CALL(sync_file_range_call(fd, 0, 0, 0));
  CALL(fsync(fd));
  CALL(fdatasync(fd));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char path[256];
  int fd = abi_create_shm_file(path, sizeof path, "litebox-file-advice", argv[1]);
  CALL(write(fd, "0123456789", 10));

  printf("fadvise64:\n");
  for (int advice = -1; advice <= 6; ++advice) {
    printf("advice %d\n", advice);
    CALL(fadvise_call(fd, 0, 10, advice));
  }
  CALL(fadvise_call(fd, 0, -1, POSIX_FADV_NORMAL));
  CALL(fadvise_call(fd, -1, 10, POSIX_FADV_NORMAL));
  CALL(fadvise_call(fd, 100, 0x7fffffffffffffffL, POSIX_FADV_DONTNEED));
  CALL(fadvise_call(-1, 0, 10, POSIX_FADV_NORMAL));
  CALL(fadvise_call(99, 0, 10, 77));

  printf("readahead:\n");
  CALL(readahead_call(fd, 0, 10));
  CALL(readahead_call(fd, 1000, 1 << 20));
  CALL(readahead_call(fd, -1, 10));
  CALL(readahead_call(fd, 0, (unsigned long)-1));
  CALL(readahead_call(-1, 0, 10));
  int write_only = open(path, O_WRONLY);
  CALL(readahead_call(write_only, 0, 10));
  CALL(fadvise_call(write_only, 0, 10, POSIX_FADV_NORMAL));
  close(write_only);

  printf("sync:\n");
  CALL(syscall(SYS_sync));
  CALL(syscall(SYS_syncfs, fd));
  CALL(syscall(SYS_syncfs, -1));
  CALL(syscall(SYS_syncfs, 99));

  printf("sync_file_range:\n");
  for (unsigned flags = 0; flags <= 8; ++flags) {
    printf("flags %u\n", flags);
    CALL(sync_file_range_call(fd, 0, 10, flags));
  }
  CALL(sync_file_range_call(fd, 0, 10, 0x80000000u));
  CALL(sync_file_range_call(fd, -1, 10, 0));
  CALL(sync_file_range_call(fd, 0, -1, 0));
  CALL(sync_file_range_call(fd, 0x7fffffffffffff00L, 0x1000, 0));
  CALL(sync_file_range_call(fd, 0x7fffffffffffff00L, 0xff, 0));
  CALL(sync_file_range_call(fd, 0, 0, 7));
  CALL(sync_file_range_call(-1, 0, 10, 0));
  CALL(sync_file_range_call(-1, 0, 10, 8));
  close(fd);

  int read_only = open(path, O_RDONLY);
  report_valid_calls("read-only file", read_only);
  close(read_only);
  CALL(unlink(path));

  mkdir("directory", 0700);
  int directory = open("directory", O_RDONLY | O_DIRECTORY);
  report_valid_calls("directory", directory);
  close(directory);

  int path_only = open("directory", O_PATH);
  report_valid_calls("O_PATH descriptor", path_only);
  close(path_only);
  rmdir("directory");

  int pipe_ends[2];
  CALL(pipe(pipe_ends));
  report_valid_calls("pipe", pipe_ends[0]);
  CALL(fadvise_call(pipe_ends[0], 0, 10, 77));
  CALL(fadvise_call(pipe_ends[1], 0, -1, POSIX_FADV_NORMAL));
  CALL(sync_file_range_call(pipe_ends[1], 0, 10, 8));
  CALL(sync_file_range_call(pipe_ends[1], -1, 10, 0));
  close(pipe_ends[0]);
  close(pipe_ends[1]);

  mkfifo("fifo", 0600);
  int fifo = open("fifo", O_RDWR);
  report_valid_calls("fifo", fifo);
  close(fifo);
  unlink("fifo");

  int sockets[2];
  CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, sockets));
  report_valid_calls("socket", sockets[0]);
  close(sockets[0]);
  close(sockets[1]);

  int null_device = open("/dev/null", O_RDWR);
  report_valid_calls("/dev/null", null_device);
  close(null_device);
  return 0;
}
