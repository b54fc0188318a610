/* Thread lifecycle: pthread_create followed by pthread_join. */
#define _GNU_SOURCE
#include <pthread.h>

#include "harness.h"

static void* return_argument(void* argument) { return argument; }

static int run_create_join(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    pthread_t thread;
    int error = pthread_create(&thread, NULL, return_argument, NULL);
    if (error != 0) {
      return error;
    }
    error = pthread_join(thread, NULL);
    if (error != 0) {
      return error;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

static const struct bench_case cases[] = {
    {"thread_create_join", bench_setup_nothing, run_create_join, NULL},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
