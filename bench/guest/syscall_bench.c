/* Cost of the cheapest system calls: the per-call entry and exit overhead. */
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Keeps the compiler from dropping calls whose results are unused. */
static volatile long sink;

static int run_getppid(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    sink = getppid();
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static int run_getpid(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    sink = getpid();
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

/* NOTE: glibc serves clock_gettime from the vDSO when the kernel maps one, so
 * natively this measures no system call at all. */
static int run_clock_gettime(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  struct timespec now;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    sink = now.tv_nsec;
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static const struct bench_case cases[] = {
    {"getppid", bench_setup_nothing, run_getppid, NULL},
    {"getpid", bench_setup_nothing, run_getpid, NULL},
    {"clock_gettime", bench_setup_nothing, run_clock_gettime, NULL},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
