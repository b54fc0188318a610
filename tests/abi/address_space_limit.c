/* RLIMIT_AS: mmap, mremap and brk fail with ENOMEM when they would grow
 * the mapped total past the limit, whatever the protection. MAP_FIXED over
 * a mapping and a shrinking mremap add nothing, so they still work, and
 * munmap makes room again. A forked child keeps the limit. The limit is
 * set 100 MiB above the total that /proc/self/maps lists, so both runs
 * have the same room whatever their start-up mapped. */
#include "abi.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define MIB (UINT64_C(1) << 20)

/* Sums the ranges of /proc/self/maps but [vsyscall], which Linux lists
 * but does not count. */
static uint64_t mapped_total(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) {
    printf("cannot open /proc/self/maps: %s\n", strerrorname_np(errno));
    exit(1);
  }
  uint64_t total = 0;
  char line[512];
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long long start = 0;
    unsigned long long end = 0;
    if (sscanf(line, "%llx-%llx", &start, &end) == 2 && strstr(line, "[vsyscall]") == NULL) {
      total += end - start;
    }
  }
  fclose(maps);
  return total;
}

static void* map_anonymous(uint64_t length, int protection) {
  return mmap(NULL, length, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void report_map(const char* label, void* address) {
  if (address == MAP_FAILED) {
    printf("%s -> %s\n", label, strerrorname_np(errno));
  } else {
    printf("%s -> mapped\n", label);
  }
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  printf("RLIMIT_AS:\n");
  fflush(stdout);

  struct rlimit limit;
  getrlimit(RLIMIT_AS, &limit);
  const rlim_t original = limit.rlim_cur;
  limit.rlim_cur = mapped_total() + 100 * MIB;
  CALL(setrlimit(RLIMIT_AS, &limit));

  char* area = map_anonymous(40 * MIB, PROT_READ | PROT_WRITE);
  report_map("mmap 40 MiB", area);
  errno = 0;
  report_map("mmap 80 MiB more", map_anonymous(80 * MIB, PROT_READ | PROT_WRITE));
  errno = 0;
  report_map("mmap 80 MiB PROT_NONE", map_anonymous(80 * MIB, PROT_NONE));
  errno = 0;
  report_map("MAP_FIXED over the 40 MiB",
             mmap(area, 40 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));

  errno = 0;
  report_map("mremap 40 to 120 MiB", mremap(area, 40 * MIB, 120 * MIB, MREMAP_MAYMOVE));
  errno = 0;
  report_map("mremap 40 to 20 MiB", mremap(area, 40 * MIB, 20 * MIB, 0));
  errno = 0;
  char* grown = mremap(area, 20 * MIB, 60 * MIB, MREMAP_MAYMOVE);
  report_map("mremap 20 to 60 MiB", grown);
  if (grown != MAP_FAILED) {
    area = grown;
  }

  void* old_break = sbrk(0);
  errno = 0;
  void* moved = sbrk((intptr_t)(64 * MIB));
  printf("sbrk 64 MiB -> %s\n", moved == (void*)-1 ? strerrorname_np(errno) : "grown");
  FACT("break unchanged", sbrk(0) == old_break);

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    struct rlimit inherited;
    getrlimit(RLIMIT_AS, &inherited);
    FACT("child has the limit", inherited.rlim_cur == limit.rlim_cur);
    errno = 0;
    report_map("child mmap 80 MiB", map_anonymous(80 * MIB, PROT_READ | PROT_WRITE));
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);

  CALL(munmap(area, 60 * MIB));
  errno = 0;
  report_map("mmap 80 MiB after munmap", map_anonymous(80 * MIB, PROT_READ | PROT_WRITE));

  limit.rlim_cur = original;
  CALL(setrlimit(RLIMIT_AS, &limit));
  errno = 0;
  report_map("mmap 200 MiB without the limit", map_anonymous(200 * MIB, PROT_READ | PROT_WRITE));
  return 0;
}
