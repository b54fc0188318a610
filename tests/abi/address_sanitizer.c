/* A program built with -fsanitize=address: AddressSanitizer maps its shadow
 * memory at fixed addresses (0x7fff8000 up to 0x10007fff8000 on x86-64)
 * with MAP_NORESERVE, so the loader must keep that range free and mmap must
 * honour MAP_NORESERVE. A child overflows a heap block, and the parent
 * prints the facts of the report, without its addresses and process ids,
 * which differ from run to run. */
#include "abi.h"

#include <stdint.h>

/* LeakSanitizer stops the process's threads with ptrace, which the sandbox
 * does not offer. */
const char* __asan_default_options(void) { return "detect_leaks=0"; }

/* The index comes from the caller, so that the compiler cannot see the
 * overflow. */
static void overflow_heap_block(size_t index) {
  volatile char* block = malloc(8);
  block[index] = 1;
  free((void*)block);
}

/* Returns whether `report` has a line that starts with `prefix`. */
static int report_has_line(const char* report, const char* prefix) {
  for (const char* line = report; line != NULL && *line != '\0';) {
    const char* end = strchr(line, '\n');
    size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
    if (length >= strlen(prefix) && strncmp(line, prefix, strlen(prefix)) == 0) {
      return 1;
    }
    line = end != NULL ? end + 1 : NULL;
  }
  return 0;
}

int main(void) {
  char* text = malloc(16);
  strcpy(text, "hello asan");
  printf("%s\n", text);
  /* 8, one past the end of an 8-byte block. */
  const size_t past_end = strlen(text) - 2;
  free(text);

  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) {
    return 1;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    dup2(pipe_ends[1], STDERR_FILENO);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    overflow_heap_block(past_end);
    _exit(0);
  }
  close(pipe_ends[1]);

  static char report[65536];
  size_t total = 0;
  ssize_t count;
  while (total < sizeof report - 1 &&
         (count = read(pipe_ends[0], report + total, sizeof report - 1 - total)) > 0) {
    total += (size_t)count;
  }
  report[total] = '\0';
  int status = 0;
  waitpid(child, &status, 0);

  abi_report_wait_status("child", status);
  FACT("the report names a heap-buffer-overflow",
       strstr(report, "ERROR: AddressSanitizer: heap-buffer-overflow") != NULL);
  FACT("the report names a write of 1 byte", report_has_line(report, "WRITE of size 1 at "));
  FACT("the report shows the shadow bytes", strstr(report, "Shadow byte legend") != NULL);
  const char* summary = strstr(report, "SUMMARY: ");
  if (summary != NULL) {
    printf("%.*s\n", (int)strcspn(summary, "\n"), summary);
  }
  return 0;
}
