/* Anonymous memory: map, fault in and unmap. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

enum {
  page_size = 4096,
  map_size = 1024 * 1024,
  /* The page-fault benchmark maps at most this much at once. */
  fault_chunk_pages = 16384,
};

/* Transparent huge pages would turn 512 small faults into one, so both
 * benchmarks ask for 4 KiB pages. A kernel without THP rejects the advice,
 * which is harmless. */
static void* map_anonymous(size_t size) {
  void* memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    return NULL;
  }
  madvise(memory, size, MADV_NOHUGEPAGE);
  return memory;
}

static void touch_pages(volatile char* memory, size_t size) {
  for (size_t offset = 0; offset < size; offset += page_size) {
    memory[offset] = 1;
  }
}

/* One operation: mmap 1 MiB, write one byte to each of its 256 pages, munmap. */
static int run_mmap_touch_munmap(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < ops; i++) {
    char* memory = map_anonymous(map_size);
    if (memory == NULL) {
      return errno;
    }
    touch_pages(memory, map_size);
    if (munmap(memory, map_size) != 0) {
      return errno;
    }
  }
  out->elapsed_ns = bench_now_ns() - start;
  return 0;
}

/* One operation is one first-touch page fault; mmap and munmap stay outside
 * the timed part. */
static int run_page_fault(void* state, uint64_t ops, struct bench_measurement* out) {
  (void)state;
  uint64_t elapsed = 0;
  for (uint64_t done = 0; done < ops;) {
    uint64_t pages = ops - done < fault_chunk_pages ? ops - done : fault_chunk_pages;
    size_t size = (size_t)pages * page_size;
    char* memory = map_anonymous(size);
    if (memory == NULL) {
      return errno;
    }

    uint64_t start = bench_now_ns();
    touch_pages(memory, size);
    elapsed += bench_now_ns() - start;

    if (munmap(memory, size) != 0) {
      return errno;
    }
    done += pages;
  }
  out->elapsed_ns = elapsed;
  return 0;
}

static const struct bench_case cases[] = {
    {"mmap_touch_munmap_1m", bench_setup_nothing, run_mmap_touch_munmap, NULL},
    {"page_fault", bench_setup_nothing, run_page_fault, NULL},
};

int main(int argc, char** argv) {
  return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
