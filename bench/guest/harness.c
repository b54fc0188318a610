/* Measurement harness shared by the guest benchmark programs; see harness.h. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
  default_samples = 7,
  default_min_time_ms = 20,
  max_samples = 1000,
};

/* Calibration stops doubling here so that a sandbox that is fast by mistake
 * (a call that silently does nothing) cannot make the loop run for hours. */
static const uint64_t max_ops = UINT64_C(1) << 32;

struct run_settings {
  struct bench_options options;
  unsigned samples;
  uint64_t min_time_ns;
};

uint64_t bench_now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * UINT64_C(1000000000) + (uint64_t)now.tv_nsec;
}

int bench_setup_nothing(const struct bench_options* options, void** state) {
  (void)options;
  *state = NULL;
  return 0;
}

int bench_write_all(int fd, const void* data, size_t size) {
  const char* cursor = data;
  while (size > 0) {
    ssize_t written = write(fd, cursor, size);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    cursor += written;
    size -= (size_t)written;
  }
  return 0;
}

int bench_path(char* buffer, size_t size, const char* dir, const char* name) {
  int length = snprintf(buffer, size, "%s/%s", dir, name);
  if (length < 0 || (size_t)length >= size) {
    return ENAMETOOLONG;
  }
  return 0;
}

static void print_usage(FILE* stream, const char* program, const struct bench_case* cases,
                        size_t case_count) {
  fprintf(stream,
          "usage: %s [--samples N] [--min-time-ms MS] [--dir DIR] [--self-check] [--list]"
          " [BENCHMARK...]\n"
          "  --samples N       timed samples per benchmark (default %d)\n"
          "  --min-time-ms MS  minimum duration of one sample in milliseconds (default %d)\n"
          "  --dir DIR         directory for fixture files (default /tmp)\n"
          "  --self-check      run each benchmark once with one operation\n"
          "  --list            print the benchmark names and exit\n"
          "benchmarks:",
          program, default_samples, default_min_time_ms);
  for (size_t i = 0; i < case_count; i++) {
    fprintf(stream, " %s", cases[i].name);
  }
  fprintf(stream, "\n");
}

static int compare_doubles(const void* left, const void* right) {
  double a = *(const double*)left;
  double b = *(const double*)right;
  return (a > b) - (a < b);
}

/* Converts one measurement into the reported value: ns per operation, or MiB/s
 * when the benchmark moved bytes. */
static double reported_value(const struct bench_measurement* measurement, uint64_t ops) {
  double seconds = (double)measurement->elapsed_ns / 1e9;
  if (measurement->bytes != 0) {
    return seconds > 0 ? (double)measurement->bytes / (1024.0 * 1024.0) / seconds : 0.0;
  }
  return (double)measurement->elapsed_ns / (double)ops;
}

/* Doubles the operation count until one run lasts at least min_time_ns. The
 * calibration runs double as warm-up. */
static int calibrate(const struct bench_case* bench, void* state, uint64_t min_time_ns,
                     uint64_t* ops) {
  uint64_t count = 1;
  for (;;) {
    struct bench_measurement measurement = {0, 0};
    int error = bench->run(state, count, &measurement);
    if (error != 0) {
      return error;
    }

    if (measurement.elapsed_ns >= min_time_ns || count >= max_ops) {
      *ops = count;
      return 0;
    }

    /* Jump close to the target instead of doubling when a run was measurable. */
    uint64_t next = count * 2;
    if (measurement.elapsed_ns > 1000000) {
      double scale = (double)min_time_ns / (double)measurement.elapsed_ns * 1.2;
      uint64_t scaled = (uint64_t)((double)count * scale) + 1;
      if (scaled > next) {
        next = scaled;
      }
    }
    count = next;
  }
}

static int run_case(const struct bench_case* bench, const struct run_settings* settings) {
  void* state = NULL;
  int error = bench->setup(&settings->options, &state);
  if (error != 0) {
    fprintf(stderr, "%s: setup failed: %s\n", bench->name, strerror(error));
    if (bench->teardown != NULL) {
      bench->teardown(state);
    }
    return error;
  }

  uint64_t ops = 1;
  if (!settings->options.self_check) {
    error = calibrate(bench, state, settings->min_time_ns, &ops);
  }

  double values[max_samples];
  bool throughput = false;
  for (unsigned i = 0; error == 0 && i < settings->samples; i++) {
    struct bench_measurement measurement = {0, 0};
    error = bench->run(state, ops, &measurement);
    throughput = measurement.bytes != 0;
    values[i] = reported_value(&measurement, ops);
  }

  if (bench->teardown != NULL) {
    bench->teardown(state);
  }
  if (error != 0) {
    fprintf(stderr, "%s: run failed: %s\n", bench->name, strerror(error));
    return error;
  }

  double sorted[max_samples];
  memcpy(sorted, values, settings->samples * sizeof(double));
  qsort(sorted, settings->samples, sizeof(double), compare_doubles);
  unsigned middle = settings->samples / 2;
  double median =
      settings->samples % 2 != 0 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;

  printf(
      "{\"benchmark\":\"%s\",\"unit\":\"%s\",\"median\":%.6g,\"ops_per_sample\":%llu,"
      "\"samples\":[",
      bench->name, throughput ? "MiB/s" : "ns/op", median, (unsigned long long)ops);
  for (unsigned i = 0; i < settings->samples; i++) {
    printf("%s%.6g", i == 0 ? "" : ",", values[i]);
  }
  printf("]}\n");
  fflush(stdout);
  return 0;
}

static bool parse_unsigned(const char* text, unsigned long minimum, unsigned long maximum,
                           unsigned long* value) {
  char* end = NULL;
  errno = 0;
  unsigned long parsed = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || parsed < minimum || parsed > maximum) {
    return false;
  }
  *value = parsed;
  return true;
}

int bench_main(int argc, char** argv, const struct bench_case* cases, size_t case_count) {
  struct run_settings settings = {
      .options = {.dir = "/tmp", .self_check = false},
      .samples = default_samples,
      .min_time_ns = (uint64_t)default_min_time_ms * 1000000,
  };
  const char* program = argc > 0 ? argv[0] : "bench";
  bool selected[64] = {false};
  bool any_selected = false;
  if (case_count > sizeof(selected) / sizeof(selected[0])) {
    fprintf(stderr, "%s: too many benchmark cases\n", program);
    return 2;
  }

  for (int i = 1; i < argc; i++) {
    const char* argument = argv[i];
    unsigned long value = 0;
    bool has_value = i + 1 < argc;
    if (strcmp(argument, "--help") == 0) {
      print_usage(stdout, program, cases, case_count);
      return 0;
    }
    if (strcmp(argument, "--list") == 0) {
      for (size_t j = 0; j < case_count; j++) {
        printf("%s\n", cases[j].name);
      }
      return 0;
    }
    if (strcmp(argument, "--self-check") == 0) {
      settings.options.self_check = true;
      continue;
    }
    if (strcmp(argument, "--samples") == 0 && has_value) {
      if (!parse_unsigned(argv[++i], 1, max_samples, &value)) {
        fprintf(stderr, "%s: invalid --samples value '%s' (expected 1 to %d)\n", program, argv[i],
                max_samples);
        return 2;
      }
      settings.samples = (unsigned)value;
      continue;
    }
    if (strcmp(argument, "--min-time-ms") == 0 && has_value) {
      if (!parse_unsigned(argv[++i], 1, 60000, &value)) {
        fprintf(stderr, "%s: invalid --min-time-ms value '%s' (expected 1 to 60000)\n", program,
                argv[i]);
        return 2;
      }
      settings.min_time_ns = (uint64_t)value * 1000000;
      continue;
    }
    if (strcmp(argument, "--dir") == 0 && has_value) {
      settings.options.dir = argv[++i];
      continue;
    }

    bool found = false;
    for (size_t j = 0; j < case_count; j++) {
      if (strcmp(argument, cases[j].name) == 0) {
        selected[j] = true;
        any_selected = true;
        found = true;
      }
    }
    if (!found) {
      fprintf(stderr, "%s: unknown benchmark or option '%s'\n", program, argument);
      print_usage(stderr, program, cases, case_count);
      return 2;
    }
  }

  if (settings.options.self_check) {
    settings.samples = 1;
  }

  for (size_t j = 0; j < case_count; j++) {
    if (any_selected && !selected[j]) {
      continue;
    }
    if (run_case(&cases[j], &settings) != 0) {
      return 1;
    }
  }
  return 0;
}
