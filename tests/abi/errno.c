/* The errno of bad calls: ENOENT, EEXIST, ENOTDIR, EISDIR, EBADF, EFAULT
 * from a bad pointer, EINVAL from bad flags, ESPIPE, ESRCH and ENAMETOOLONG. */
#include "abi.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* An address that is never mapped in a user-space process on x86-64: the
 * first page, and a non-canonical one. */
#define BAD_POINTER ((void*)16)
#define NON_CANONICAL_POINTER ((void*)0x8000000000000000ull)

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char buffer[16];
  struct stat status;

  int descriptor = CALL(open("file", O_CREAT | O_RDWR, 0644));
  CALL(write(descriptor, "content", 7));
  CALL(mkdir("directory", 0755));

  /* ENOENT */
  CALL(open("missing", O_RDONLY));
  CALL(open("missing/file", O_RDONLY));
  CALL(unlink("missing"));
  CALL(rmdir("missing"));
  CALL(stat("", &status));
  CALL(open("", O_RDONLY));

  /* EEXIST */
  CALL(mkdir("file", 0755));
  CALL(mkdir("directory", 0755));
  CALL(symlink("x", "file"));
  CALL(link("file", "directory"));

  /* ENOTDIR */
  CALL(open("file/inside", O_RDONLY));
  CALL(mkdir("file/inside", 0755));
  CALL(rmdir("file"));
  CALL(open("file", O_RDONLY | O_DIRECTORY));
  CALL(chdir("file"));

  /* EISDIR */
  CALL(open("directory", O_WRONLY));
  CALL(open("directory", O_RDWR));
  CALL(unlink("directory"));
  int directory = CALL(open("directory", O_RDONLY));
  CALL(read(directory, buffer, sizeof buffer));
  CALL(close(directory));

  /* EBADF */
  CALL(read(-1, buffer, sizeof buffer));
  CALL(write(999, buffer, 1));
  CALL(close(999));
  CALL(fstat(-5, &status));
  CALL(lseek(1000, 0, SEEK_SET));
  CALL(dup(777));
  CALL(openat(555, "file", O_RDONLY));
  CALL(openat(555, "/", O_RDONLY));

  /* EFAULT: the kernel checks the pointer and fails instead of crashing.
   * Raw system calls keep libc from touching the pointer first. */
  CALL(lseek(descriptor, 0, SEEK_SET));
  CALL(syscall(SYS_read, descriptor, BAD_POINTER, 4));
  CALL(syscall(SYS_write, descriptor, BAD_POINTER, 4));
  CALL(syscall(SYS_write, descriptor, NON_CANONICAL_POINTER, 4));
  CALL(syscall(SYS_open, BAD_POINTER, O_RDONLY));
  CALL(syscall(SYS_stat, "file", BAD_POINTER));
  CALL(syscall(SYS_fstat, descriptor, BAD_POINTER));
  CALL(syscall(SYS_pipe, BAD_POINTER));
  CALL(syscall(SYS_getcwd, BAD_POINTER, 100));
  struct iovec bad_vector[1] = {{BAD_POINTER, 4}};
  CALL(syscall(SYS_writev, descriptor, bad_vector, 1));
  CALL(syscall(SYS_readv, descriptor, BAD_POINTER, 1));

  /* EINVAL */
  CALL(lseek(descriptor, 0, 17));
  CALL(syscall(SYS_readv, descriptor, bad_vector, -1));
  CALL(syscall(SYS_pipe2, buffer, 0x12345678));
  CALL(syscall(SYS_dup3, descriptor, descriptor, 0));
  CALL(fcntl(descriptor, 0x7fff));
  CALL(syscall(SYS_openat, AT_FDCWD, "file", O_RDONLY | O_CREAT | O_TMPFILE, 0644));
  /* The length is checked before the thread is looked up. */
  CALL(syscall(SYS_sched_getaffinity, -1, 0, NULL));
  CALL(syscall(SYS_sched_getaffinity, 0, 4, NULL));

  /* ESRCH: a pid that no process has (pid_max is at most 2^22). */
  CALL(syscall(SYS_sched_getaffinity, 0x7fffffff, 128, NULL));

  /* ESPIPE */
  int pipe_ends[2];
  CALL(pipe(pipe_ends));
  CALL(lseek(pipe_ends[0], 0, SEEK_SET));
  CALL(pread(pipe_ends[0], buffer, 1, 0));
  CALL(close(pipe_ends[0]));
  CALL(close(pipe_ends[1]));

  /* ENAMETOOLONG */
  char long_name[300];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  CALL(open(long_name, O_RDONLY));

  CALL(close(descriptor));
  CALL(unlink("file"));
  CALL(rmdir("directory"));
  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
