/* Helpers shared by the ABI programs. Each program prints one line per
 * system call it makes, with the result and, on failure, the errno name, so
 * the native run and the sandboxed run can be compared line by line. */
#ifndef LITEBOX_TESTS_ABI_H
#define LITEBOX_TESTS_ABI_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strerrorname_np, statx, pipe2, dup3 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads up to `size - 1` bytes of the file at `path` into `buffer` and
 * terminates them with a NUL. Returns the count, or -1 if open fails. */
static inline int abi_read_file(const char* path, char* buffer, size_t size) {
  int file = open(path, O_RDONLY);
  if (file < 0) {
    return -1;
  }
  int total = 0;
  int count;
  while (total < (int)size - 1 && (count = read(file, buffer + total, size - 1 - total)) > 0) {
    total += count;
  }
  buffer[total] = '\0';
  close(file);
  return total;
}

/* Prints "label -> result" and the errno name when the result is negative. */
static inline long abi_report(const char* label, long result) {
  if (result < 0) {
    printf("%s -> %ld %s\n", label, result, strerrorname_np(errno));
  } else {
    printf("%s -> %ld\n", label, result);
  }
  return result;
}

/* Prints how a child's wait status reads: "label: exited with N", killed
 * by, stopped by, or continued. */
static inline void abi_report_wait_status(const char* label, int status) {
  if (WIFEXITED(status)) {
    printf("%s: exited with %d\n", label, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    printf("%s: killed by signal %d\n", label, WTERMSIG(status));
  } else if (WIFSTOPPED(status)) {
    printf("%s: stopped by signal %d\n", label, WSTOPSIG(status));
  } else if (WIFCONTINUED(status)) {
    printf("%s: continued\n", label);
  } else {
    printf("%s: status %#x\n", label, status);
  }
}

/* Evaluates a call with errno cleared and reports it under its own text. */
#define CALL(expression) (errno = 0, abi_report(#expression, (long)(expression)))

/* Prints a boolean fact: "label: yes" or "label: no". */
#define FACT(label, condition) printf("%s: %s\n", (label), (condition) ? "yes" : "no")

/* Creates the scratch directory named by argv[1], with its missing parents,
 * and makes it the working directory, so every path the program uses is
 * relative to it. The driver gives both runs the same absolute path. */
static inline void abi_enter_scratch_directory(int argc, char** argv) {
  if (argc < 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: %s ABSOLUTE_SCRATCH_DIRECTORY\n", argv[0]);
    exit(2);
  }
  char path[4096];
  snprintf(path, sizeof path, "%s", argv[1]);
  for (char* slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
    if (slash != NULL) {
      *slash = '\0';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
      perror(path);
      exit(2);
    }
    if (slash == NULL) {
      break;
    }
    *slash = '/';
  }
  if (chdir(argv[1]) != 0) {
    perror(argv[1]);
    exit(2);
  }
}

/* Writes to `path` a name under /dev/shm, which is tmpfs natively and in
 * the sandbox, made of `prefix` and a hash of the scratch directory
 * `scratch`. Runs with different scratch directories get different names,
 * and a native run and its sandboxed twin get the same one. */
static inline void abi_shm_path(char* path, size_t size, const char* prefix, const char* scratch) {
  unsigned hash = 5381;
  for (const char* c = scratch; *c != '\0'; ++c) {
    hash = hash * 33 + (unsigned char)*c;
  }
  snprintf(path, size, "/dev/shm/%s-%08x", prefix, hash);
}

/* Creates the empty file abi_shm_path names for `prefix` and `scratch`,
 * opened read-write, and writes its path to `path`. Exits with status 1 if
 * open fails. */
static inline int abi_create_shm_file(char* path, size_t size, const char* prefix,
                                      const char* scratch) {
  abi_shm_path(path, size, prefix, scratch);
  unlink(path);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    printf("open failed: %s\n", strerrorname_np(errno));
    exit(1);
  }
  return fd;
}

/* Runs `function` in a forked child and waits for it. Standard output is
 * flushed before the fork and in the child, so every line appears once and
 * in order. */
static inline void abi_run_in_child(void (*function)(void)) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    function();
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
}

#endif
