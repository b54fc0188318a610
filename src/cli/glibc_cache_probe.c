/* The CPU cache parameters that glibc's start-up queries, computed from one
 * sweep of CPUID leaf 4.
 *
 * Before main, a static glibc sizes the caches for its memcpy and memset
 * thresholds and for sysconf(_SC_LEVEL1_DCACHE_SIZE) and its neighbours.
 * On an Intel CPU, __libc_start_main calls glibc's internal
 * handle_intel(name) once per parameter, twelve times. Each call queries
 * CPUID leaf 2 and then leaf 4 from subleaf 0 up to the cache it wants,
 * 45 CPUIDs in all on the development VM. There each CPUID exits to the
 * hypervisor and costs about 6.5 us, so they take about 0.3 ms of every
 * `litebox run`.
 *
 * tools/patch-glibc-cache-probe redirects those calls in the linked
 * litebox to litebox_cache_parameter. It queries leaves 0, 2 and 4 once
 * and computes every later result from that sweep, by the rules that glibc
 * 2.36 applies to leaf 4 (read from its disassembly):
 * - a parameter is one of three (size, associativity, line size) of a
 *   cache group: L1 instruction, L1 data, L2, L3 or L4, in the order of
 *   the _SC_LEVEL1_ICACHE_SIZE (185) to _SC_LEVEL4_CACHE_LINESIZE (199)
 *   constants;
 * - the first leaf-4 subleaf of the group's level gives the value, where
 *   level 1 also needs the type (1 data, 2 instruction), and the sweep
 *   ends at a subleaf of type 0, which makes the value -1;
 * - the size is ways * partitions * line size * sets in 32-bit unsigned
 *   arithmetic.
 * Whenever leaf 2 lists cache descriptors, which CPUs older than leaf 4
 * do, the value comes from glibc's own handle_intel through
 * litebox_glibc_handle_intel, as it does for any case that these rules do
 * not cover.
 *
 * The code runs before the static PIE has relocated itself and before
 * thread-local storage exists. It therefore reads no relocated data, calls
 * no library function, and has no stack protector, whose canary lives in
 * thread-local storage. tests/glibc_cache_probe checks that a patched
 * program reports the same cache parameters as an unpatched one. */
#include <cpuid.h>
#include <stdint.h>

/* The _SC_ constant of the first cache parameter, the size of the L1
 * instruction cache. */
enum { first_cache_parameter = 185, cache_parameter_count = 15 };

/* The cache groups, in the order of the _SC_ constants. */
enum cache_group { l1_instruction, l1_data, level_2, level_3, level_4 };

/* The fields of a group, in the order of the _SC_ constants. */
enum cache_field { cache_size, cache_associativity, cache_line_size };

enum { leaf4_type_data = 1, leaf4_type_instruction = 2 };

/* More subleafs than any CPU has: a longer sweep goes to glibc. */
enum { max_leaf4_subleafs = 16 };

/* Jumps to glibc's handle_intel. The patch tool writes the jump's target,
 * so an unpatched binary reaches ud2, but only patched call sites lead
 * here. */
long litebox_glibc_handle_intel(int name);
__asm__(
    ".pushsection .text.litebox_glibc_handle_intel,\"ax\",@progbits\n"
    ".globl litebox_glibc_handle_intel\n"
    ".type litebox_glibc_handle_intel, @function\n"
    "litebox_glibc_handle_intel:\n"
    "  .byte 0xe9\n"
    "  .long 0\n"
    "  ud2\n"
    ".size litebox_glibc_handle_intel, . - litebox_glibc_handle_intel\n"
    ".popsection\n");

/* How often glibc's start-up called litebox_cache_parameter, for the test
 * that checks the patch. */
unsigned litebox_cache_probe_calls;

/* The sweep, taken at the first call. */
static int swept;
static uint32_t max_leaf;
static int leaf4_usable;
static int leaf4_subleafs;
static uint32_t leaf4_eax[max_leaf4_subleafs];
static uint32_t leaf4_ebx[max_leaf4_subleafs];
static uint32_t leaf4_ecx[max_leaf4_subleafs];

/* Returns whether leaf 2 defers to leaf 4 for all cache information, so
 * that glibc would look at nothing else. With a descriptor count other
 * than 1 glibc goes to leaf 4 at once. With a count of 1 it reads the
 * descriptor bytes of EAX from the second one up, and goes to leaf 4 when
 * descriptor 0xff comes before any other nonzero byte. */
static int leaf2_defers_to_leaf4(uint32_t eax) {
  if ((eax & 0xff) != 1) {
    return 1;
  }
  if (eax & 0x80000000u) {
    return 0;
  }
  for (uint32_t bytes = eax >> 8; bytes != 0; bytes >>= 8) {
    const uint32_t descriptor = bytes & 0xff;
    if (descriptor == 0xff) {
      return 1;
    }
    if (descriptor != 0) {
      return 0;
    }
  }
  return 0;
}

static void sweep(void) {
  uint32_t eax = 0;
  uint32_t ebx = 0;
  uint32_t ecx = 0;
  uint32_t edx = 0;
  swept = 1;

  __cpuid(0, eax, ebx, ecx, edx);
  max_leaf = eax;
  if (max_leaf < 4) {
    return;
  }
  __cpuid(2, eax, ebx, ecx, edx);
  if (!leaf2_defers_to_leaf4(eax)) {
    return;
  }

  for (int subleaf = 0; subleaf < max_leaf4_subleafs; subleaf++) {
    __cpuid_count(4, subleaf, eax, ebx, ecx, edx);
    leaf4_eax[subleaf] = eax;
    leaf4_ebx[subleaf] = ebx;
    leaf4_ecx[subleaf] = ecx;
    if ((eax & 0x1f) == 0) {
      leaf4_subleafs = subleaf + 1;
      leaf4_usable = 1;
      return;
    }
  }
}

static int subleaf_matches(int subleaf, enum cache_group group) {
  const uint32_t type = leaf4_eax[subleaf] & 0x1f;
  const uint32_t level = (leaf4_eax[subleaf] >> 5) & 0x7;
  switch (group) {
    case l1_instruction:
      return level == 1 && type == leaf4_type_instruction;
    case l1_data:
      return level == 1 && type == leaf4_type_data;
    case level_2:
      return level == 2;
    case level_3:
      return level == 3;
    case level_4:
      return level == 4;
  }
  return 0;
}

static long subleaf_field(int subleaf, enum cache_field field) {
  const uint32_t ebx = leaf4_ebx[subleaf];
  const uint32_t ways = (ebx >> 22) + 1;
  const uint32_t partitions = ((ebx >> 12) & 0x3ff) + 1;
  const uint32_t line_size = (ebx & 0xfff) + 1;
  const uint32_t sets = leaf4_ecx[subleaf] + 1;
  switch (field) {
    case cache_size:
      return (long)(ways * partitions * line_size * sets);
    case cache_associativity:
      return (long)ways;
    case cache_line_size:
      return (long)line_size;
  }
  return 0;
}

/* Returns what glibc's handle_intel returns for the _SC_ constant `name`. */
long litebox_cache_parameter(int name) {
  litebox_cache_probe_calls++;
  if (!swept) {
    sweep();
  }
  if (max_leaf < 2) {
    return -1;
  }

  const int index = name - first_cache_parameter;
  if (!leaf4_usable || index < 0 || index >= cache_parameter_count) {
    return litebox_glibc_handle_intel(name);
  }
  const enum cache_group group = (enum cache_group)(index / 3);
  const enum cache_field field = (enum cache_field)(index % 3);

  /* glibc reads only the size of an L4 cache from leaf 4 (it asserts for
   * the others), and a value of 0 would make it read further descriptors. */
  for (int subleaf = 0; subleaf + 1 < leaf4_subleafs; subleaf++) {
    if (!subleaf_matches(subleaf, group)) {
      continue;
    }
    const long value = subleaf_field(subleaf, field);
    if (value == 0 || (group == level_4 && field != cache_size)) {
      return litebox_glibc_handle_intel(name);
    }
    return value;
  }
  return -1;
}
