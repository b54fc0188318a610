/* The vDSO that LiteBox maps into every guest process. glibc finds it
 * through AT_SYSINFO_EHDR and calls these functions instead of making the
 * system calls. Time comes from RDTSCP converted with the values the libOS
 * stores in the "[vvar]" page one page below this image; when those values
 * say the TSC is unusable, or for clocks the page does not describe, the
 * functions make the real system call, which LiteBox serves as any other.
 *
 * Built freestanding: no libc, no relocations, no writable data. */
#include <stddef.h>
#include <stdint.h>

#include "../vdso_data.h"

/* x86-64 Linux system call numbers and clock ids (the ABI's values). */
enum {
  sys_gettimeofday = 96,
  sys_time = 201,
  sys_clock_gettime = 228,
  sys_clock_getres = 229,
};
enum {
  clock_realtime = 0,
  clock_monotonic = 1,
  clock_monotonic_raw = 4,
  clock_realtime_coarse = 5,
  clock_monotonic_coarse = 6,
  clock_boottime = 7,
};

struct vdso_timespec {
  int64_t seconds;
  int64_t nanoseconds;
};
struct vdso_timeval {
  int64_t seconds;
  int64_t microseconds;
};

static const volatile struct litebox_vdso_data* vdso_data(void) {
  const volatile struct litebox_vdso_data* data;
  /* Safety: the linker defines __ehdr_start at the first byte of this image
   * (its ELF header), and the loader maps the data page exactly one page
   * below it. The address is formed in assembly because it lies outside
   * every C object. */
  __asm__("lea __ehdr_start-4096(%%rip), %0" : "=r"(data));
  return data;
}

static long raw_syscall2(long number, long first, long second) {
  long result;
  /* Safety: the Linux system call convention; rcx and r11 are clobbered. */
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(first), "S"(second)
                   : "rcx", "r11", "memory");
  return result;
}

static uint64_t read_tsc_ordered(void) {
  uint32_t low;
  uint32_t high;
  uint32_t auxiliary;
  /* Safety: RDTSCP waits for earlier instructions; the loader only enables
   * this path (tsc_usable) on CPUs that have it. */
  __asm__ volatile("rdtscp" : "=a"(low), "=d"(high), "=c"(auxiliary));
  (void)auxiliary;
  return ((uint64_t)high << 32) | low;
}

/* Reads CLOCK_MONOTONIC in nanoseconds; returns 0 when the caller must make
 * the system call instead. */
static int read_monotonic_ns(int64_t* monotonic, int64_t* realtime_offset) {
  const volatile struct litebox_vdso_data* data = vdso_data();
  uint32_t sequence;
  int64_t value;
  int64_t offset;
  do {
    sequence = data->sequence;
    __asm__ volatile("" ::: "memory");
    if (sequence & 1) {
      continue;
    }
    if (!data->tsc_usable) {
      return 0;
    }
    const uint64_t tsc = read_tsc_ordered();
    const uint64_t base = data->tsc_base;
    const uint64_t cycles = tsc > base ? tsc - base : 0;
    const unsigned __int128 product = (unsigned __int128)cycles * data->multiplier;
    value = data->monotonic_base_ns + (int64_t)(uint64_t)(product >> data->shift);
    offset = data->realtime_offset_ns;
    __asm__ volatile("" ::: "memory");
  } while ((sequence & 1) || data->sequence != sequence);
  *monotonic = value;
  *realtime_offset = offset;
  return 1;
}

static void to_timespec(int64_t ns, struct vdso_timespec* out) {
  out->seconds = ns / 1000000000;
  out->nanoseconds = ns % 1000000000;
}

int __vdso_clock_gettime(int clock, struct vdso_timespec* out) {
  int64_t monotonic;
  int64_t realtime_offset;
  switch (clock) {
    case clock_realtime:
    case clock_realtime_coarse:
      if (!read_monotonic_ns(&monotonic, &realtime_offset)) {
        break;
      }
      to_timespec(monotonic + realtime_offset, out);
      return 0;
    case clock_monotonic:
    case clock_monotonic_raw:
    case clock_monotonic_coarse:
    case clock_boottime:
      if (!read_monotonic_ns(&monotonic, &realtime_offset)) {
        break;
      }
      to_timespec(monotonic, out);
      return 0;
    default:
      break;
  }
  return (int)raw_syscall2(sys_clock_gettime, clock, (long)out);
}

int __vdso_gettimeofday(struct vdso_timeval* out, void* timezone) {
  int64_t monotonic;
  int64_t realtime_offset;
  if (timezone != NULL || !read_monotonic_ns(&monotonic, &realtime_offset)) {
    return (int)raw_syscall2(sys_gettimeofday, (long)out, (long)timezone);
  }
  if (out != NULL) {
    const int64_t realtime = monotonic + realtime_offset;
    out->seconds = realtime / 1000000000;
    out->microseconds = realtime % 1000000000 / 1000;
  }
  return 0;
}

int64_t __vdso_time(int64_t* out) {
  int64_t monotonic;
  int64_t realtime_offset;
  if (!read_monotonic_ns(&monotonic, &realtime_offset)) {
    return raw_syscall2(sys_time, (long)out, 0);
  }
  const int64_t seconds = (monotonic + realtime_offset) / 1000000000;
  if (out != NULL) {
    *out = seconds;
  }
  return seconds;
}

int __vdso_clock_getres(int clock, struct vdso_timespec* out) {
  const volatile struct litebox_vdso_data* data = vdso_data();
  int64_t resolution;
  switch (clock) {
    case clock_realtime:
    case clock_monotonic:
    case clock_monotonic_raw:
    case clock_boottime:
      resolution = data->resolution_ns;
      break;
    case clock_realtime_coarse:
    case clock_monotonic_coarse:
      resolution = data->coarse_resolution_ns;
      break;
    default:
      return (int)raw_syscall2(sys_clock_getres, clock, (long)out);
  }
  if (!data->tsc_usable) {
    return (int)raw_syscall2(sys_clock_getres, clock, (long)out);
  }
  if (out != NULL) {
    to_timespec(resolution, out);
  }
  return 0;
}

/* The sandbox shows one CPU and one NUMA node, as the getcpu(2) and
 * sched_getaffinity(2) system calls of LiteBox report. */
int __vdso_getcpu(unsigned* cpu, unsigned* node, void* unused) {
  (void)unused;
  if (cpu != NULL) {
    *cpu = 0;
  }
  if (node != NULL) {
    *node = 0;
  }
  return 0;
}

/* The unversioned names that the kernel's vDSO exports too. */
int clock_gettime(int, struct vdso_timespec*) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct vdso_timeval*, void*) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t*) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int, struct vdso_timespec*) __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(unsigned*, unsigned*, void*) __attribute__((weak, alias("__vdso_getcpu")));
