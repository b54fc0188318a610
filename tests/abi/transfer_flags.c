/* The RWF_* flags of preadv2 and pwritev2 on each kind of file. The files
 * are one in the scratch directory, a tmpfs file under /dev/shm, a memfd,
 * /dev/null, /dev/zero and a pipe. Reads with RWF_NOWAIT return the data of
 * a disk file, tmpfs rejects the flag, and a pipe without data fails with
 * EAGAIN. RWF_NOSIGNAL keeps SIGPIPE away from a write to a pipe without
 * readers. Unknown bits fail with EOPNOTSUPP.
 * NOTE: natively the scratch directory is under /tmp, which is on ext4 on
 * the test hosts, and the sandbox's root acts as ext4. A host whose /tmp is
 * tmpfs or XFS gives other results for the scratch file. */
#include "abi.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* The RWF_* values of Linux 6.18, some missing from older headers. */
#define FLAG_HIPRI 0x01
#define FLAG_DSYNC 0x02
#define FLAG_SYNC 0x04
#define FLAG_NOWAIT 0x08
#define FLAG_APPEND 0x10
#define FLAG_ATOMIC 0x40
#define FLAG_DONTCACHE 0x80
#define FLAG_NOSIGNAL 0x100

static long preadv2_call(int fd, const struct iovec* vectors, long count, long offset, int flags) {
  return syscall(SYS_preadv2, fd, vectors, count, offset, 0L, flags);
}

static long pwritev2_call(int fd, const struct iovec* vectors, long count, long offset, int flags) {
  return syscall(SYS_pwritev2, fd, vectors, count, offset, 0L, flags);
}

static const struct {
  const char* name;
  int value;
} flags[] = {
    {"none", 0},
    {"RWF_HIPRI", FLAG_HIPRI},
    {"RWF_DSYNC", FLAG_DSYNC},
    {"RWF_SYNC", FLAG_SYNC},
    {"RWF_NOWAIT", FLAG_NOWAIT},
    {"RWF_APPEND", FLAG_APPEND},
    {"RWF_ATOMIC", FLAG_ATOMIC},
    {"RWF_DONTCACHE", FLAG_DONTCACHE},
    {"RWF_NOSIGNAL", FLAG_NOSIGNAL},
    {"RWF_NOWAIT|RWF_DSYNC", FLAG_NOWAIT | FLAG_DSYNC},
    {"unknown 0x200", 0x200},
    {"unknown 0x40000000", 0x40000000},
};

/* Prints the result of each flag on a read and a write of `fd`. Regular
 * files are read and written at offset 0; the rest at the file offset. */
static void try_flags(const char* label, int fd, long offset) {
  printf("%s:\n", label);
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; ++i) {
    char buffer[8] = {0};
    struct iovec into = {buffer, 4};
    errno = 0;
    long count = preadv2_call(fd, &into, 1, offset, flags[i].value);
    if (count < 0) {
      printf("  read %s -> %s\n", flags[i].name, strerrorname_np(errno));
    } else {
      printf("  read %s -> %ld \"%.*s\"\n", flags[i].name, count, (int)count, buffer);
    }
    struct iovec from = {"WXYZ", 4};
    errno = 0;
    count = pwritev2_call(fd, &from, 1, offset, flags[i].value);
    if (count < 0) {
      printf("  write %s -> %s\n", flags[i].name, strerrorname_np(errno));
    } else {
      printf("  write %s -> %ld\n", flags[i].name, count);
    }
  }
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  int disk = open("transfer-flags", O_RDWR | O_CREAT | O_TRUNC, 0600);
  write(disk, "disk file", 9);
  try_flags("scratch file", disk, 0);
  close(disk);
  unlink("transfer-flags");

  char path[256];
  int shm = abi_create_shm_file(path, sizeof path, "litebox-transfer-flags", argv[1]);
  unlink(path);
  write(shm, "tmpfs file", 10);
  try_flags("/dev/shm file", shm, 0);
  close(shm);

  int memfd = memfd_create("flags", 0);
  write(memfd, "memfd", 5);
  try_flags("memfd", memfd, 0);
  close(memfd);

  const char* devices[] = {"/dev/null", "/dev/zero"};
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; ++i) {
    int device = open(devices[i], O_RDWR);
    try_flags(devices[i], device, -1);
    close(device);
  }

  int ends[2];
  pipe(ends);
  char buffer[8];
  struct iovec into = {buffer, sizeof buffer};
  struct iovec from = {"pipe", 4};
  printf("pipe:\n");
  CALL(preadv2_call(ends[0], &into, 1, -1, FLAG_NOWAIT));
  CALL(pwritev2_call(ends[1], &from, 1, -1, FLAG_NOWAIT));
  CALL(preadv2_call(ends[0], &into, 1, -1, FLAG_NOWAIT));
  CALL(pwritev2_call(ends[1], &from, 1, -1, FLAG_DONTCACHE));
  CALL(pwritev2_call(ends[1], &from, 1, -1, FLAG_NOSIGNAL));
  close(ends[0]);
  /* SIGPIPE keeps its default action, which would end the program. */
  signal(SIGPIPE, SIG_DFL);
  CALL(pwritev2_call(ends[1], &from, 1, -1, FLAG_NOSIGNAL));
  printf("no SIGPIPE ended the program\n");
  close(ends[1]);
  return 0;
}
