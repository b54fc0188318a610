/* /proc/self/exe names the executable by its canonical path, however the
 * program was started: by a relative path, through "..", and through a
 * chain of symlinks. The program runs itself again in each of those ways;
 * argv[2] names the stage. */
#include "abi.h"

#include <libgen.h>
#include <limits.h>

static void print_exe(const char* stage) {
  char link[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", link, sizeof link - 1);
  if (length < 0) {
    printf("%s: readlink failed: %s\n", stage, strerrorname_np(errno));
    return;
  }
  link[length] = '\0';
  printf("%s: /proc/self/exe is %s\n", stage, link);
}

static void run_as(const char* path, const char* scratch, const char* stage) {
  fflush(stdout);
  char* arguments[] = {(char*)path, (char*)scratch, (char*)stage, NULL};
  execv(path, arguments);
  printf("execv %s failed: %s\n", path, strerrorname_np(errno));
  exit(1);
}

int main(int argc, char** argv) {
  char self[PATH_MAX];
  if (realpath(argv[0], self) == NULL) {
    perror(argv[0]);
    return 2;
  }
  const char* stage = argc > 2 ? argv[2] : "start";
  if (strcmp(stage, "start") == 0) {
    abi_enter_scratch_directory(argc, argv);
    print_exe(stage);
    /* From the program's own directory, by "./NAME". */
    char directory[PATH_MAX];
    snprintf(directory, sizeof directory, "%s", self);
    if (chdir(dirname(directory)) != 0) {
      perror("chdir");
      return 2;
    }
    char relative[PATH_MAX];
    snprintf(relative, sizeof relative, "./%s", basename(self));
    run_as(relative, argv[1], "relative");
  }

  print_exe(stage);
  if (strcmp(stage, "relative") == 0) {
    /* Through "..": DIRECTORY/../BASENAME-OF-DIRECTORY/NAME. */
    char directory[PATH_MAX];
    snprintf(directory, sizeof directory, "%s", self);
    char* parent = dirname(directory);
    char dotted[PATH_MAX * 2];
    snprintf(dotted, sizeof dotted, "%s/../%s/%s", parent, basename(parent), basename(self));
    run_as(dotted, argv[1], "dot-dot");
  }
  if (strcmp(stage, "dot-dot") == 0) {
    /* Through two symlinks in the scratch directory, the second relative. */
    if (chdir(argv[1]) != 0) {
      perror("chdir");
      return 2;
    }
    unlink("first");
    unlink("second");
    CALL(symlink(self, "first"));
    CALL(symlink("first", "second"));
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/second", argv[1]);
    run_as(link, argv[1], "symlink");
  }
  return 0;
}
