/* A pool of 24 threads, more than the 8 malloc arenas glibc creates before
 * it reads the number of online CPUs. All wait on one barrier, each
 * allocates and sums its share, and the main thread joins them in order. */
#include "abi.h"

#include <pthread.h>

enum { thread_count = 24, numbers_per_thread = 1000 };

static pthread_barrier_t start_line;

struct share {
  int index;
  long sum;
};

static void* sum_share(void* argument) {
  struct share* share = argument;
  pthread_barrier_wait(&start_line);

  long* numbers = malloc(numbers_per_thread * sizeof *numbers);
  if (numbers == NULL) {
    return NULL;
  }
  for (int i = 0; i < numbers_per_thread; ++i) {
    numbers[i] = (long)share->index * numbers_per_thread + i;
  }
  for (int i = 0; i < numbers_per_thread; ++i) {
    share->sum += numbers[i];
  }
  free(numbers);
  return share;
}

int main(void) {
  static pthread_t threads[thread_count];
  static struct share shares[thread_count];
  printf("pthread_barrier_init -> %d\n", pthread_barrier_init(&start_line, NULL, thread_count));

  for (int i = 0; i < thread_count; ++i) {
    shares[i].index = i;
    int error = pthread_create(&threads[i], NULL, sum_share, &shares[i]);
    if (error != 0) {
      printf("pthread_create %d -> %s\n", i, strerrorname_np(error));
      return 1;
    }
  }

  long total = 0;
  for (int i = 0; i < thread_count; ++i) {
    void* result = NULL;
    int error = pthread_join(threads[i], &result);
    printf("thread %d: join -> %d, sum %ld, returned its share: %s\n", i, error, shares[i].sum,
           result == &shares[i] ? "yes" : "no");
    total += shares[i].sum;
  }
  printf("total: %ld\n", total);
  return 0;
}
