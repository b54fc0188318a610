/* The processor counts a program reads: sysconf's online and configured
 * counts (glibc reads /sys, /proc/stat and /proc/cpuinfo for them) and
 * the CPUs in the sched_getaffinity mask, which nproc(1) counts. */
#include "abi.h"

#include <sched.h>

int main(void) {
  printf("_SC_NPROCESSORS_ONLN: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
  printf("_SC_NPROCESSORS_CONF: %ld\n", sysconf(_SC_NPROCESSORS_CONF));

  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    printf("sched_getaffinity failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  printf("sched_getaffinity CPUs: %d\n", CPU_COUNT(&allowed));

  /* A mask shorter than the kernel's cpumask fails with EINVAL. */
  unsigned char short_mask[1];
  CALL(sched_getaffinity(0, 0, (cpu_set_t*)short_mask));
  return 0;
}
