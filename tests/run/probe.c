/* A small program for the `litebox run` tests. The first argument picks
 * what it does:
 *   args STATUS ARG...  prints its arguments on stdout, one line on stderr,
 *                       and exits with STATUS
 *   env NAME...         prints the value of each environment variable
 *   abort               ends with SIGABRT
 *   memory              exercises brk, mmap, mprotect, mremap and munmap
 *   threads             four threads add under a mutex, then are joined
 *   clock               sleeps 20 ms, reads CLOCK_MONOTONIC and prints whether
 *                       it has a vDSO
 *   clock_steps         reads CLOCK_MONOTONIC for 30 ms from the start and
 *                       prints how often it went back
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int print_arguments(int argc, char** argv) {
  for (int index = 0; index < argc; ++index) {
    printf("argv[%d] = %s\n", index, index == 0 ? "(program)" : argv[index]);
  }
  fprintf(stderr, "probe: %d arguments\n", argc);
  return argc > 2 ? atoi(argv[2]) : 0;
}

static int print_environment(int argc, char** argv) {
  for (int index = 2; index < argc; ++index) {
    const char* value = getenv(argv[index]);
    printf("%s=%s\n", argv[index], value ? value : "(unset)");
  }
  return 0;
}

static int exercise_memory(void) {
  const size_t page = 4096;
  char* start = sbrk(0);
  printf("sbrk grows: %s\n", sbrk(3 * page) == start ? "yes" : "no");
  memset(start, 'b', 3 * page);
  printf("heap holds data: %s\n", start[3 * page - 1] == 'b' ? "yes" : "no");

  char* map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap: %s\n", map == MAP_FAILED ? "failed" : "ok");
  printf("fresh page is zero: %s\n", map[page + 7] == 0 ? "yes" : "no");
  strcpy(map, "kept across mremap");
  char* moved = mremap(map, 4 * page, 64 * page, MREMAP_MAYMOVE);
  printf("mremap: %s\n", moved == MAP_FAILED ? "failed" : "ok");
  printf("contents kept: %s\n", strcmp(moved, "kept across mremap") == 0 ? "yes" : "no");
  moved[63 * page] = 'x';
  printf("mprotect read-only: %d\n", mprotect(moved, page, PROT_READ));
  printf("madvise dontneed: %d\n", madvise(moved + page, page, MADV_DONTNEED));
  printf("munmap: %d\n", munmap(moved, 64 * page));
  printf("unaligned munmap: %d\n", munmap(moved + 1, page));
  char* fixed = mmap(start + 64 * page * 1024, page, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("fixed_noreplace: %s\n", fixed == MAP_FAILED ? "failed" : "ok");
  char* again =
      mmap(fixed, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("fixed_noreplace over it: %s\n", again == MAP_FAILED ? "failed" : "ok");
  return 0;
}

static int counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static void* add_to_counter(void* argument) {
  for (int round = 0; round < 100000; ++round) {
    pthread_mutex_lock(&counter_lock);
    ++counter;
    pthread_mutex_unlock(&counter_lock);
  }
  return argument;
}

static int run_threads(void) {
  pthread_t threads[4];
  for (long index = 0; index < 4; ++index) {
    if (pthread_create(&threads[index], NULL, add_to_counter, (void*)index) != 0) {
      printf("pthread_create failed\n");
      return 1;
    }
  }
  long results = 0;
  for (int index = 0; index < 4; ++index) {
    void* result;
    pthread_join(threads[index], &result);
    results += (long)result;
  }
  printf("counter: %d, joined results: %ld\n", counter, results);
  return 0;
}

// Reads CLOCK_MONOTONIC through libc and reports whether the process got a
// vDSO, so that the trace shows whether the read was a system call.
static int read_clock(void) {
  /* LiteBox's vDSO reads the TSC only once the TSC calibration has ended,
   * 5 ms after start-up; until then it makes the system call. */
  const struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("vdso: %s\n", getauxval(AT_SYSINFO_EHDR) != 0 ? "yes" : "no");
  return 0;
}

static int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Under LiteBox the reads cross the switch from the system call to the
 * vDSO's TSC clock, which happens 5 ms after start-up. */
static int count_clock_steps_back(void) {
  const int64_t start = monotonic_ns();
  int64_t previous = start;
  long steps_back = 0;
  while (previous - start < 30 * 1000 * 1000) {
    const int64_t now = monotonic_ns();
    if (now < previous) {
      ++steps_back;
    }
    previous = now;
  }
  printf("CLOCK_MONOTONIC went back %ld times\n", steps_back);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "args";
  if (strcmp(mode, "clock") == 0) {
    return read_clock();
  }
  if (strcmp(mode, "clock_steps") == 0) {
    return count_clock_steps_back();
  }
  if (strcmp(mode, "env") == 0) {
    return print_environment(argc, argv);
  }
  if (strcmp(mode, "abort") == 0) {
    fflush(stdout);
    abort();
  }
  if (strcmp(mode, "memory") == 0) {
    return exercise_memory();
  }
  if (strcmp(mode, "threads") == 0) {
    return run_threads();
  }
  return print_arguments(argc, argv);
}
