/* Sequential file throughput: 64 MiB through 64 KiB buffers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum {
  buffer_size = 64 * 1024,
  file_size = 64 * 1024 * 1024,
  self_check_file_size = 1024 * 1024,
};

struct seqio_fixture {
  char path[300];
  size_t file_size;
  char* buffer;
};

static int write_file(const struct seqio_fixture* fixture) {
  int fd = open(fixture->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno;
  }

  int error = 0;
  for (size_t done = 0; error == 0 && done < fixture->file_size;) {
    size_t remaining = fixture->file_size - done;
    size_t chunk = remaining < buffer_size ? remaining : buffer_size;
    ssize_t written = write(fd, fixture->buffer, chunk);
    if (written < 0) {
      error = errno == EINTR ? 0 : errno;
      continue;
    }
    done += (size_t)written;
  }

  if (close(fd) != 0 && error == 0) {
    error = errno;
  }
  return error;
}

static int read_file(const struct seqio_fixture* fixture) {
  int fd = open(fixture->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }

  size_t done = 0;
  int error = 0;
  for (;;) {
    ssize_t got = read(fd, fixture->buffer, buffer_size);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      error = errno;
      break;
    }
    if (got == 0) {
      break;
    }
    done += (size_t)got;
  }
  close(fd);

  if (error == 0 && done != fixture->file_size) {
    error = EIO;
  }
  return error;
}

static int setup_fixture(const struct bench_options* options, void** state) {
  struct seqio_fixture* fixture = calloc(1, sizeof(*fixture));
  if (fixture == NULL) {
    return ENOMEM;
  }
  *state = fixture;

  char name[64];
  snprintf(name, sizeof(name), "litebox-bench-seqio-%d", (int)getpid());
  int error = bench_path(fixture->path, sizeof(fixture->path), options->dir, name);
  if (error != 0) {
    return error;
  }

  fixture->file_size = options->self_check ? self_check_file_size : file_size;
  fixture->buffer = malloc(buffer_size);
  if (fixture->buffer == NULL) {
    return ENOMEM;
  }
  memset(fixture->buffer, 'x', buffer_size);
  return 0;
}

/* The read benchmark needs the file to exist; its contents come from the
 * page cache (or the sandbox's own file system), not from the disk. */
static int setup_read_fixture(const struct bench_options* options, void** state) {
  int error = setup_fixture(options, state);
  if (error != 0) {
    return error;
  }
  return write_file(*state);
}

static void teardown_fixture(void* state) {
  struct seqio_fixture* fixture = state;
  if (fixture == NULL) {
    return;
  }
  unlink(fixture->path);
  free(fixture->buffer);
  free(fixture);
}

static int run_write(void* state, uint64_t ops, struct bench_measurement* out) {
  struct seqio_fixture* fixture = state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    int error = write_file(fixture);
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  out->bytes = ops * fixture->file_size;
  return 0;
}

static int run_read(void* state, uint64_t ops, struct bench_measurement* out) {
  struct seqio_fixture* fixture = state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    int error = read_file(fixture);
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  out->bytes = ops * fixture->file_size;
  return 0;
}

static const struct bench_case cases[] = {
    {"seq_write_64m", setup_fixture, run_write, teardown_fixture},
    {"seq_read_64m", setup_read_fixture, run_read, teardown_fixture},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
