/* execve's limits on its strings. One argument or environment string may
 * have at most 131072 bytes with its NUL (MAX_ARG_STRLEN). All the strings
 * (the program's path among them) plus one pointer per argument and
 * environment string may take at most a quarter of RLIMIT_STACK, within
 * Linux's floor and cap. The program searches the largest total that
 * execve accepts under several stack limits. Each attempt runs in a child
 * that executes this program again, which exits at once. */
#include "abi.h"

#include <sys/resource.h>
#include <sys/wait.h>

#define STRING_COUNT 64
#define MAX_STRING 131072

static const char* self;
static char* strings;

/* Runs this program with `arguments` and `environment` in a child;
 * returns 0 when execve succeeds, or its errno. */
static int try_exec(char** arguments, char** environment) {
  pid_t child = fork();
  if (child == 0) {
    execve(self, arguments, environment);
    _exit(errno);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One argument or environment string of `length` bytes before its NUL. */
static void report_single(const char* label, size_t length, int as_argument) {
  char* string = strings;
  memset(string, 'a', length);
  string[length] = '\0';
  char* arguments[] = {(char*)self, "exit", as_argument ? string : NULL, NULL};
  char* environment[] = {as_argument ? NULL : string, NULL};
  int error = try_exec(arguments, environment);
  printf("%s of %zu bytes: %s\n", label, length, error == 0 ? "accepted" : strerrorname_np(error));
  string[length] = 'a';
}

/* Spreads `total` bytes, NULs included, over STRING_COUNT environment
 * strings and reports whether execve accepts them. */
static int accepts_environment(size_t total) {
  char* environment[STRING_COUNT + 1];
  char* next = strings;
  for (int i = 0; i < STRING_COUNT; ++i) {
    size_t size = total / STRING_COUNT + (i < (int)(total % STRING_COUNT) ? 1 : 0);
    memset(next, 'a', size - 1);
    next[size - 1] = '\0';
    environment[i] = next;
    next += size;
  }
  environment[STRING_COUNT] = NULL;
  char* arguments[] = {(char*)self, "exit", NULL};
  return try_exec(arguments, environment) == 0;
}

static void report_largest_total(const char* label, rlim_t stack) {
  struct rlimit limit = {stack, RLIM_INFINITY};
  if (setrlimit(RLIMIT_STACK, &limit) != 0) {
    perror("setrlimit");
    exit(2);
  }
  size_t accepted = STRING_COUNT * 2;
  size_t rejected = STRING_COUNT * MAX_STRING;
  if (!accepts_environment(accepted) || accepts_environment(rejected)) {
    printf("%s: no bounds to search between\n", label);
    return;
  }
  while (rejected - accepted > 1) {
    size_t middle = accepted + (rejected - accepted) / 2;
    if (accepts_environment(middle)) {
      accepted = middle;
    } else {
      rejected = middle;
    }
  }
  /* The path, argv[0] and "exit" with their NULs, and the pointers. */
  size_t fixed = 2 * (strlen(self) + 1) + 5 + sizeof(char*) * (2 + STRING_COUNT);
  printf("%s: largest total %zu\n", label, accepted + fixed);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "exit") == 0) {
    return 0;
  }
  static char path[4096];
  if (realpath(argv[0], path) == NULL) {
    perror(argv[0]);
    return 2;
  }
  self = path;
  strings = malloc(STRING_COUNT * MAX_STRING + 1);
  fflush(stdout);

  report_single("argument", MAX_STRING - 1, 1);
  report_single("argument", MAX_STRING, 1);
  report_single("environment string", MAX_STRING - 1, 0);
  report_single("environment string", MAX_STRING, 0);
  fflush(stdout);

  report_largest_total("8 MiB stack", 8 << 20);
  report_largest_total("1 MiB stack", 1 << 20);
  report_largest_total("256 KiB stack", 256 << 10);
  report_largest_total("64 MiB stack", 64 << 20);
  report_largest_total("unlimited stack", RLIM_INFINITY);
  return 0;
}
