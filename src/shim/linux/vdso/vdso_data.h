/* The layout of the "[vvar]" page that LiteBox maps read-only right before
 * its vDSO. The libOS writes it; the vDSO (C, built on its own) and the
 * shim's clock system calls (C++) read it, so both compute guest time from
 * the same values with the same formula. */
#ifndef LITEBOX_SHIM_LINUX_VDSO_DATA_H
#define LITEBOX_SHIM_LINUX_VDSO_DATA_H

#include <stdint.h>

/* Guest CLOCK_MONOTONIC in nanoseconds at TSC value `tsc`:
 *   monotonic_base_ns + ((tsc - tsc_base) * multiplier) >> shift
 * with a 128-bit product, and a TSC value below tsc_base counting as
 * tsc_base. CLOCK_REALTIME is CLOCK_MONOTONIC + realtime_offset_ns. */
struct litebox_vdso_data {
  /* Odd while the libOS rewrites the fields below; readers retry until
   * they see the same even value before and after reading them. */
  uint32_t sequence;
  /* 0 when the TSC cannot serve guest time (no invariant TSC or no
   * RDTSCP): every vDSO clock call then makes the real system call. */
  uint32_t tsc_usable;
  uint32_t shift;
  uint32_t reserved;
  uint64_t tsc_base;
  uint64_t multiplier;
  int64_t monotonic_base_ns;
  int64_t realtime_offset_ns;
  /* What clock_getres(2) reports for the fine and the coarse clocks. */
  int64_t resolution_ns;
  int64_t coarse_resolution_ns;
};

#endif
