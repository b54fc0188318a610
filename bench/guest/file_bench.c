/* Metadata-heavy file system paths: open, stat and directory listing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

enum {
  small_file_size = 4096,
  directory_entries = 1000,
  getdents_buffer_size = 32768,
};

struct file_fixture {
  char dir[256];
  char file[300];
  char listing_dir[300];
  unsigned entries;
};

static int create_file(const char* path, size_t size) {
  static char contents[small_file_size];
  memset(contents, 'x', sizeof(contents));

  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno;
  }

  int error = bench_write_all(fd, contents, size < sizeof(contents) ? size : sizeof(contents));
  close(fd);
  return error;
}

/* Creates <dir>/litebox-bench-file-<pid>/ with a 4 KiB file and a directory
 * that holds 1,000 empty files (10 under --self-check) if list_directory is
 * set, else none. */
static int create_fixture(const struct bench_options* options, bool list_directory, void** state) {
  struct file_fixture* fixture = calloc(1, sizeof(*fixture));
  if (fixture == NULL) {
    return ENOMEM;
  }
  *state = fixture;

  char name[64];
  snprintf(name, sizeof(name), "litebox-bench-file-%d", (int)getpid());
  int error = bench_path(fixture->dir, sizeof(fixture->dir), options->dir, name);
  if (error != 0) {
    return error;
  }
  if (mkdir(fixture->dir, 0755) != 0) {
    return errno;
  }

  error = bench_path(fixture->file, sizeof(fixture->file), fixture->dir, "small");
  if (error != 0) {
    return error;
  }
  error = create_file(fixture->file, small_file_size);
  if (error != 0) {
    return error;
  }

  error = bench_path(fixture->listing_dir, sizeof(fixture->listing_dir), fixture->dir, "listing");
  if (error != 0) {
    return error;
  }
  if (mkdir(fixture->listing_dir, 0755) != 0) {
    return errno;
  }

  /* Only the listing benchmark needs the directory's entries. */
  fixture->entries = !list_directory ? 0 : options->self_check ? 10 : directory_entries;
  for (unsigned i = 0; i < fixture->entries; i++) {
    char entry[400];
    snprintf(entry, sizeof(entry), "%s/entry-%04u", fixture->listing_dir, i);
    error = create_file(entry, 0);
    if (error != 0) {
      return error;
    }
  }
  return 0;
}

static int setup_file(const struct bench_options* options, void** state) {
  return create_fixture(options, false, state);
}

static int setup_listing(const struct bench_options* options, void** state) {
  return create_fixture(options, true, state);
}

static void teardown_fixture(void* state) {
  struct file_fixture* fixture = state;
  if (fixture == NULL) {
    return;
  }
  for (unsigned i = 0; i < fixture->entries; i++) {
    char entry[400];
    snprintf(entry, sizeof(entry), "%s/entry-%04u", fixture->listing_dir, i);
    unlink(entry);
  }
  rmdir(fixture->listing_dir);
  unlink(fixture->file);
  rmdir(fixture->dir);
  free(fixture);
}

static int run_open_read_close(void* state, uint64_t ops, struct bench_measurement* out) {
  struct file_fixture* fixture = state;
  char buffer[small_file_size];

  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    int fd = open(fixture->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return errno;
    }
    ssize_t got = read(fd, buffer, sizeof(buffer));
    close(fd);
    if (got != (ssize_t)sizeof(buffer)) {
      return got < 0 ? errno : EIO;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static int run_stat(void* state, uint64_t ops, struct bench_measurement* out) {
  struct file_fixture* fixture = state;
  struct stat status;

  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    if (stat(fixture->file, &status) != 0) {
      return errno;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return status.st_size == small_file_size ? 0 : EIO;
}

/* One operation lists the whole directory: open, getdents64 until it
 * returns 0, close. */
static int run_getdents64(void* state, uint64_t ops, struct bench_measurement* out) {
  struct file_fixture* fixture = state;
  static char buffer[getdents_buffer_size];

  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    int fd = open(fixture->listing_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return errno;
    }
    long got;
    while ((got = syscall(SYS_getdents64, fd, buffer, sizeof(buffer))) > 0) {
    }
    int error = got < 0 ? errno : 0;
    close(fd);
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static const struct bench_case cases[] = {
    {"open_read_close_4k", setup_file, run_open_read_close, teardown_fixture},
    {"stat", setup_file, run_stat, teardown_fixture},
    {"getdents64_1000", setup_listing, run_getdents64, teardown_fixture},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
