/* Prints the CPU cache parameters that glibc's start-up computed: the
 * sysconf values of every cache, the thresholds that its memcpy and memset
 * derive from them, and how often litebox_cache_parameter ran.
 *
 * The test builds this program twice, with and without
 * tools/patch-glibc-cache-probe, and expects the same parameters from
 * both. With --against-glibc, the patched build instead queries both
 * litebox_cache_parameter and glibc's own probe, through the jump that the
 * patch wrote, for every parameter that glibc's start-up uses. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern unsigned litebox_cache_probe_calls;
long litebox_cache_parameter(int name);
long litebox_glibc_handle_intel(int name);

/* glibc's internal thresholds. Weak, so that another glibc without them
 * still links; both builds then print 0. */
extern long __x86_data_cache_size __attribute__((weak));
extern long __x86_shared_cache_size __attribute__((weak));
extern long __x86_shared_non_temporal_threshold __attribute__((weak));
extern long __x86_rep_movsb_threshold __attribute__((weak));
extern long __x86_rep_stosb_threshold __attribute__((weak));

static long read_weak(const long* variable) { return variable != NULL ? *variable : 0; }

/* Compares the two probes from _SC_LEVEL1_ICACHE_SIZE to
 * _SC_LEVEL4_CACHE_SIZE. glibc's probe asserts for the L4 associativity and
 * line size of a CPU that has an L4 cache, so those two are left out. */
static int compare_with_glibc(void) {
  int status = 0;
  for (int name = _SC_LEVEL1_ICACHE_SIZE; name <= _SC_LEVEL4_CACHE_SIZE; name++) {
    const long glibc = litebox_glibc_handle_intel(name);
    const long litebox = litebox_cache_parameter(name);
    printf("%d glibc %ld litebox %ld\n", name, glibc, litebox);
    if (glibc != litebox) {
      status = 1;
    }
  }
  return status;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--against-glibc") == 0) {
    return compare_with_glibc();
  }

  static const struct {
    const char* name;
    int parameter;
  } parameters[] = {
      {"LEVEL1_ICACHE_SIZE", _SC_LEVEL1_ICACHE_SIZE},
      {"LEVEL1_ICACHE_ASSOC", _SC_LEVEL1_ICACHE_ASSOC},
      {"LEVEL1_ICACHE_LINESIZE", _SC_LEVEL1_ICACHE_LINESIZE},
      {"LEVEL1_DCACHE_SIZE", _SC_LEVEL1_DCACHE_SIZE},
      {"LEVEL1_DCACHE_ASSOC", _SC_LEVEL1_DCACHE_ASSOC},
      {"LEVEL1_DCACHE_LINESIZE", _SC_LEVEL1_DCACHE_LINESIZE},
      {"LEVEL2_CACHE_SIZE", _SC_LEVEL2_CACHE_SIZE},
      {"LEVEL2_CACHE_ASSOC", _SC_LEVEL2_CACHE_ASSOC},
      {"LEVEL2_CACHE_LINESIZE", _SC_LEVEL2_CACHE_LINESIZE},
      {"LEVEL3_CACHE_SIZE", _SC_LEVEL3_CACHE_SIZE},
      {"LEVEL3_CACHE_ASSOC", _SC_LEVEL3_CACHE_ASSOC},
      {"LEVEL3_CACHE_LINESIZE", _SC_LEVEL3_CACHE_LINESIZE},
      {"LEVEL4_CACHE_SIZE", _SC_LEVEL4_CACHE_SIZE},
      {"LEVEL4_CACHE_ASSOC", _SC_LEVEL4_CACHE_ASSOC},
      {"LEVEL4_CACHE_LINESIZE", _SC_LEVEL4_CACHE_LINESIZE},
  };
  for (size_t i = 0; i < sizeof parameters / sizeof parameters[0]; i++) {
    printf("%s %ld\n", parameters[i].name, sysconf(parameters[i].parameter));
  }

  printf("data cache size %ld\n", read_weak(&__x86_data_cache_size));
  printf("shared cache size %ld\n", read_weak(&__x86_shared_cache_size));
  printf("non-temporal threshold %ld\n", read_weak(&__x86_shared_non_temporal_threshold));
  printf("rep movsb threshold %ld\n", read_weak(&__x86_rep_movsb_threshold));
  printf("rep stosb threshold %ld\n", read_weak(&__x86_rep_stosb_threshold));

  /* Only on stderr, so that the two builds' stdout can be compared. */
  fprintf(stderr, "litebox_cache_parameter calls: %u\n", litebox_cache_probe_calls);
  return 0;
}
