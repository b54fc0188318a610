/* utime, utimes and futimesat, the older forms of utimensat. Whole seconds
 * and microseconds are stored, and a null times pointer sets the current
 * time. futimesat resolves a relative path from its directory descriptor
 * or, with a null path, changes the descriptor itself. Bad values,
 * pointers, descriptors and permissions fail with Linux's errno. Setting
 * the current time needs only write access, for utimensat with UTIME_NOW
 * too. */
#include "abi.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

/* The raw calls, so the C library does not turn them into utimensat. */
static long utime_call(const char* path, const struct utimbuf* times) {
  return syscall(SYS_utime, path, times);
}

static long utimes_call(const char* path, const struct timeval* times) {
  return syscall(SYS_utimes, path, times);
}

static long futimesat_call(int directory, const char* path, const struct timeval* times) {
  return syscall(SYS_futimesat, directory, path, times);
}

static void show_times(const char* path) {
  struct stat status;
  if (stat(path, &status) != 0) {
    printf("stat %s failed: %s\n", path, strerrorname_np(errno));
    return;
  }
  printf("%s: atime %lld.%09ld, mtime %lld.%09ld\n", path, (long long)status.st_atim.tv_sec,
         status.st_atim.tv_nsec, (long long)status.st_mtim.tv_sec, status.st_mtim.tv_nsec);
}

/* Prints whether both times of `path` are at or after `start`. */
static void show_times_are_recent(const char* path, time_t start) {
  struct stat status;
  stat(path, &status);
  FACT("access and modification time are recent",
       status.st_atime >= start && status.st_mtime >= start);
}

/* The calls of a user that neither owns the files nor may override that. */
static void run_as_other_user(void) {
  if (setuid(65534) != 0) {
    printf("setuid failed: %s\n", strerrorname_np(errno));
    return;
  }
  struct utimbuf times = {1000, 2000};
  struct timeval precise[2] = {{1000, 1}, {2000, 2}};
  printf("as another user:\n");
  CALL(utime_call("file", &times));
  CALL(utime_call("file", NULL));
  CALL(utimes_call("file", precise));
  CALL(utimes_call("file", NULL));
  CALL(futimesat_call(AT_FDCWD, "shared", precise));
  CALL(futimesat_call(AT_FDCWD, "shared", NULL));
  CALL(utime_call("shared", NULL));
  struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  CALL(utimensat(AT_FDCWD, "shared", now, 0));
  now[1].tv_nsec = UTIME_OMIT;
  CALL(utimensat(AT_FDCWD, "shared", now, 0));
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  int fd = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644);
  close(fd);
  const time_t start = time(NULL);

  printf("utime:\n");
  struct utimbuf times = {1000000000, 1100000000};
  CALL(utime_call("file", &times));
  show_times("file");
  struct utimbuf before_1970 = {-1, -86400};
  CALL(utime_call("file", &before_1970));
  show_times("file");
  CALL(utime_call("file", NULL));
  show_times_are_recent("file", start);

  printf("utimes:\n");
  struct timeval precise[2] = {{1200000000, 123456}, {1300000000, 999999}};
  CALL(utimes_call("file", precise));
  show_times("file");
  CALL(utimes_call("file", NULL));
  show_times_are_recent("file", start);

  printf("futimesat:\n");
  mkdir("directory", 0755);
  fd = open("directory/inner", O_RDWR | O_CREAT | O_TRUNC, 0644);
  close(fd);
  int directory = open("directory", O_RDONLY | O_DIRECTORY);
  CALL(futimesat_call(directory, "inner", precise));
  show_times("directory/inner");
  CALL(futimesat_call(AT_FDCWD, "file", precise));
  show_times("file");
  int file = open("file", O_RDONLY);
  struct timeval other[2] = {{1400000000, 1}, {1500000000, 2}};
  CALL(futimesat_call(file, NULL, other));
  show_times("file");
  CALL(futimesat_call(file, NULL, NULL));
  show_times_are_recent("file", start);

  printf("invalid microseconds:\n");
  struct timeval invalid[2] = {{1, 1000000}, {1, 0}};
  CALL(utimes_call("file", invalid));
  invalid[0].tv_usec = -1;
  CALL(futimesat_call(AT_FDCWD, "file", invalid));
  invalid[0].tv_usec = 0;
  invalid[1].tv_usec = (1 << 30) - 1; /* UTIME_NOW in utimensat */
  CALL(utimes_call("file", invalid));

  printf("bad pointers and paths:\n");
  CALL(utime_call("file", (struct utimbuf*)8));
  CALL(utimes_call("file", (struct timeval*)8));
  CALL(futimesat_call(AT_FDCWD, "file", (struct timeval*)8));
  CALL(utime_call((const char*)8, NULL));
  CALL(utimes_call(NULL, precise));
  CALL(futimesat_call(AT_FDCWD, NULL, precise));
  CALL(utime_call("missing", &times));
  CALL(utimes_call("missing/inner", NULL));
  CALL(utime_call("", &times));
  CALL(utime_call("file/inner", &times));

  printf("bad descriptors:\n");
  CALL(futimesat_call(-1, "inner", precise));
  CALL(futimesat_call(99, NULL, precise));
  CALL(futimesat_call(file, "inner", precise));
  CALL(futimesat_call(directory, "/dev/null/x", NULL));
  close(file);
  close(directory);

  fd = open("shared", O_RDWR | O_CREAT | O_TRUNC, 0666);
  fchmod(fd, 0666);
  close(fd);
  abi_run_in_child(run_as_other_user);
  show_times_are_recent("shared", start);

  unlink("directory/inner");
  rmdir("directory");
  unlink("file");
  unlink("shared");
  return 0;
}
