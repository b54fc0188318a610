/* /proc/cpuinfo, /proc/self/stat times and the CPU-time clocks. The
 * processor count, speeds and synthetic flags differ between the host and
 * the sandbox, so the program prints the identity lines of the first
 * processor, whether it lists a set of CPUID flags, and facts about the
 * times. */
#include "abi.h"

#include <sys/resource.h>
#include <time.h>

static char buffer[1 << 20];

static int read_file(const char* path) {
  FILE* file = fopen(path, "r");
  if (!file) {
    return -1;
  }
  size_t count = fread(buffer, 1, sizeof buffer - 1, file);
  buffer[count] = '\0';
  fclose(file);
  return (int)count;
}

/* Prints the first line of /proc/cpuinfo that starts with `key`. */
static void print_field(const char* key) {
  for (char* line = buffer; *line;) {
    char* end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    if (strncmp(line, key, strlen(key)) == 0 && (line[strlen(key)] == '\t')) {
      printf("%.*s\n", (int)length, line);
      return;
    }
    if (!end) {
      break;
    }
    line = end + 1;
  }
  printf("%s: missing\n", key);
}

/* Whether the first flags line lists `flag` as a whole word. */
static int has_flag(const char* flag) {
  char* line = strstr(buffer, "\nflags\t");
  if (!line) {
    return 0;
  }
  char* end = strchr(line + 1, '\n');
  size_t length = strlen(flag);
  for (char* found = strstr(line, flag); found && (!end || found < end);
       found = strstr(found + 1, flag)) {
    if (found[-1] == ' ' && (found[length] == ' ' || found[length] == '\n')) {
      return 1;
    }
  }
  return 0;
}

/* utime + stime of /proc/self/stat in clock ticks, and its start time. */
static long long self_times(long long* start_time) {
  read_file("/proc/self/stat");
  char* fields = strrchr(buffer, ')');
  long long utime = 0;
  long long stime = 0;
  /* After ") ": state is field 3, utime 14, stime 15, starttime 22. */
  char* field = fields ? fields + 2 : buffer;
  for (int number = 3; number <= 22 && field; ++number) {
    if (number == 14) {
      utime = atoll(field);
    } else if (number == 15) {
      stime = atoll(field);
    } else if (number == 22) {
      *start_time = atoll(field);
    }
    field = strchr(field, ' ');
    field = field ? field + 1 : NULL;
  }
  return utime + stime;
}

static volatile unsigned long long sink;

static void burn(void) {
  for (unsigned long long index = 0; index < 10000000ull; ++index) {
    sink += index;
  }
}

int main(void) {
  if (read_file("/proc/cpuinfo") <= 0) {
    printf("/proc/cpuinfo -> %s\n", strerrorname_np(errno));
    return 1;
  }
  print_field("processor");
  print_field("vendor_id");
  print_field("cpu family");
  print_field("model");
  print_field("model name");
  print_field("stepping");
  print_field("cpuid level");
  print_field("clflush size");
  print_field("address sizes");
  static const char* const flags[] = {
      "fpu",    "tsc",     "cx8",     "cmov",     "mmx",      "fxsr",     "sse",
      "sse2",   "syscall", "nx",      "lm",       "pni",      "ssse3",    "fma",
      "cx16",   "sse4_1",  "sse4_2",  "movbe",    "popcnt",   "aes",      "xsave",
      "avx",    "f16c",    "rdrand",  "bmi1",     "avx2",     "bmi2",     "adx",
      "rdseed", "sha_ni",  "avx512f", "avx512bw", "avx512vl", "xsaveopt", "hypervisor"};
  for (size_t index = 0; index < sizeof flags / sizeof flags[0]; ++index) {
    printf("flag %s: %s\n", flags[index], has_flag(flags[index]) ? "yes" : "no");
  }

  /* CPU time grows with work. Bounded: at most 2000 rounds of work. */
  long long start_time = -1;
  long long before = self_times(&start_time);
  long long after = before;
  for (int round = 0; round < 2000 && after <= before; ++round) {
    burn();
    after = self_times(&start_time);
  }
  FACT("utime + stime in /proc/self/stat grow with work", after > before);

  read_file("/proc/uptime");
  double uptime = atof(buffer);
  FACT("start time is not after the uptime", start_time >= 0 && start_time <= uptime * 100 + 1);

  struct timespec process_time;
  struct timespec thread_time;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &process_time);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &thread_time);
  double process_seconds = process_time.tv_sec + process_time.tv_nsec / 1e9;
  double thread_seconds = thread_time.tv_sec + thread_time.tv_nsec / 1e9;
  FACT("CLOCK_PROCESS_CPUTIME_ID counts the work", process_seconds * 100 >= after - 1);
  FACT("thread CPU time is at most the process's", thread_seconds <= process_seconds + 0.01);

  struct rusage usage;
  CALL(getrusage(RUSAGE_SELF, &usage));
  double usage_seconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  FACT("getrusage counts the work", usage_seconds * 100 >= after - 1);
  CALL(getrusage(RUSAGE_THREAD, &usage));
  CALL(getrusage(RUSAGE_CHILDREN, &usage));
  CALL(getrusage(5, &usage));
  return 0;
}
