/* Measurement harness shared by the guest benchmark programs.
 *
 * The programs are plain C linked statically so they run under any sandbox
 * without a root file system image. Debian's libbenchmark-dev ships only a
 * shared libbenchmark, so Google Benchmark cannot be linked statically and
 * this harness takes its place: it calibrates an operation count, takes
 * several timed samples and prints one JSON line per benchmark. */
#ifndef LITEBOX_BENCH_HARNESS_H
#define LITEBOX_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_options {
  /* Directory where benchmarks create their fixtures (default /tmp). */
  const char* dir;

  /* Run each benchmark once with one operation and shrunken fixtures, to
   * check that it works, not how fast. */
  bool self_check;
};

/* Result of one call of a benchmark's run function. */
struct bench_measurement {
  uint64_t elapsed_ns;

  /* Bytes moved; nonzero makes the harness report MiB/s instead of ns/op. */
  uint64_t bytes;
};

struct bench_case {
  const char* name;

  /* Prepares fixtures and stores them in *state. Returns 0 or an errno value. */
  int (*setup)(const struct bench_options* options, void** state);

  /* Performs `ops` operations and times the part that is measured.
   * Returns 0 or an errno value. */
  int (*run)(void* state, uint64_t ops, struct bench_measurement* out);

  /* Releases what setup created; may be NULL. */
  void (*teardown)(void* state);
};

/* Parses the command line, runs the requested cases and prints their results.
 * Returns the process exit status. */
int bench_main(int argc, char** argv, const struct bench_case* cases, size_t case_count);

/* Reads CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* A setup function for benchmarks without fixtures. */
int bench_setup_nothing(const struct bench_options* options, void** state);

/* Writes all of data, retrying after short writes and EINTR. Returns 0 or an
 * errno value. */
int bench_write_all(int fd, const void* data, size_t size);

/* Joins dir and name into a buffer owned by the caller; returns 0 or ENAMETOOLONG. */
int bench_path(char* buffer, size_t size, const char* dir, const char* name);

#endif
