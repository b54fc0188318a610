/* execve of #! scripts: Linux trims only spaces and tabs around the
 * interpreter line, so a CRLF line ending leaves a carriage return in the
 * interpreter's name (ENOENT) or in its argument, and a NUL ends the
 * interpreter's name or argument. The scripts name this program as their
 * interpreter, which then prints the arguments it got. */
#include "abi.h"

#include <sys/wait.h>

extern char** environ;

static void print_arguments(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    printf("  argument %d (%zu bytes): ", i, strlen(argv[i]));
    for (const char* c = argv[i]; *c != '\0'; ++c) {
      if (*c == '\r') {
        printf("\\r");
      } else {
        putchar(*c);
      }
    }
    putchar('\n');
  }
}

/* Writes `size` bytes of `content` to the executable file `name`, then
 * runs it in a child and reports how execve and the child ended. */
static void run_script(const char* name, const char* content, size_t size) {
  int file = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0755);
  if (file < 0 || write(file, content, size) != (ssize_t)size) {
    perror(name);
    exit(2);
  }
  close(file);
  printf("%s:\n", name);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    char* arguments[] = {(char*)name, "last", NULL};
    char* environment[] = {"SCRIPT_LINE_INTERPRETER=1", NULL};
    execve(name, arguments, environment);
    printf("  execve -> %s\n", strerrorname_np(errno));
    fflush(stdout);
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("  status %d\n", status);
}

int main(int argc, char** argv) {
  if (getenv("SCRIPT_LINE_INTERPRETER") != NULL) {
    print_arguments(argc, argv);
    return 0;
  }
  char self[4096];
  if (realpath(argv[0], self) == NULL) {
    perror(argv[0]);
    return 2;
  }
  abi_enter_scratch_directory(argc, argv);

  char text[512];
  int size = snprintf(text, sizeof text, "#!%s option\n", self);
  run_script("plain", text, size);
  size = snprintf(text, sizeof text, "#!%s\r\n", self);
  run_script("crlf", text, size);
  size = snprintf(text, sizeof text, "#!%s option\r\n", self);
  run_script("crlf_option", text, size);
  size = snprintf(text, sizeof text, "#! \t%s \t two words \t\n", self);
  run_script("blanks", text, size);
  size = snprintf(text, sizeof text, "#!%s", self);
  run_script("no_newline", text, size);
  size = snprintf(text, sizeof text, "#!%s option", self);
  run_script("no_newline_option", text, size);
  size = snprintf(text, sizeof text, "#!%s%cfollows\n", self, '\0');
  run_script("nul_after_name", text, size);
  size = snprintf(text, sizeof text, "#!%s option%cfollows\n", self, '\0');
  run_script("nul_in_option", text, size);
  size = snprintf(text, sizeof text, "#!%s %cfollows\n", self, '\0');
  run_script("nul_starts_option", text, size);
  size = snprintf(text, sizeof text, "#!%s\t\r\t\n", self);
  run_script("blank_cr_blank", text, size);
  run_script("empty", "#!\n", 3);
  run_script("blank", "#! \t \n", 6);
  return 0;
}
