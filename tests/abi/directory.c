/* Directory operations: mkdir, readdir (getdents64), rename, unlink, rmdir,
 * link, symlink and readlink. Directory listings are sorted before printing
 * because the order of entries differs between file systems. */
#include "abi.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

static int compare_names(const void* left, const void* right) {
  return strcmp(*(char* const*)left, *(char* const*)right);
}

static void list_directory(const char* path) {
  DIR* directory = opendir(path);
  if (directory == NULL) {
    printf("opendir %s failed: %s\n", path, strerrorname_np(errno));
    return;
  }
  char* names[64];
  int count = 0;
  struct dirent* entry;
  while ((entry = readdir(directory)) != NULL && count < 64) {
    char* line = NULL;
    const char* kind = entry->d_type == DT_DIR   ? "dir"
                       : entry->d_type == DT_LNK ? "link"
                       : entry->d_type == DT_REG ? "file"
                                                 : "other";
    if (asprintf(&line, "%s (%s)", entry->d_name, kind) < 0) {
      exit(2);
    }
    names[count++] = line;
  }
  closedir(directory);
  qsort(names, (size_t)count, sizeof names[0], compare_names);
  printf("listing of %s:", path);
  for (int index = 0; index < count; ++index) {
    printf(" %s", names[index]);
    free(names[index]);
  }
  printf("\n");
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  char target[64];

  CALL(mkdir("a", 0755));
  CALL(mkdir("a", 0755));
  CALL(mkdir("a/b", 0755));
  CALL(mkdir("missing/b", 0755));
  int descriptor = CALL(open("a/file", O_CREAT | O_WRONLY, 0644));
  CALL(write(descriptor, "x", 1));
  CALL(close(descriptor));
  list_directory("a");

  CALL(rename("a/file", "a/b/moved"));
  list_directory("a");
  list_directory("a/b");
  CALL(rename("a/missing", "a/other"));
  CALL(rename("a/b", "a/b/c"));

  CALL(link("a/b/moved", "a/hard"));
  CALL(link("a/b", "a/dirlink"));
  CALL(symlink("b/moved", "a/soft"));
  CALL(symlink("anything", "a/soft"));
  memset(target, 0, sizeof target);
  CALL(readlink("a/soft", target, sizeof target));
  printf("readlink: \"%s\"\n", target);
  memset(target, 0, sizeof target);
  CALL(readlink("a/soft", target, 3));
  printf("readlink truncated: \"%s\"\n", target);
  CALL(readlink("a/hard", target, sizeof target));
  CALL(readlinkat(AT_FDCWD, "a/soft", target, sizeof target));
  list_directory("a");

  /* rename over an existing file replaces it; a directory over a
   * non-empty directory fails. */
  descriptor = CALL(open("a/victim", O_CREAT | O_WRONLY, 0644));
  CALL(close(descriptor));
  CALL(rename("a/hard", "a/victim"));
  CALL(mkdir("a/empty", 0755));
  CALL(rename("a/empty", "a/b"));
  CALL(rename("a/b", "a/empty"));
  CALL(rename("a/victim", "a/empty"));
  list_directory("a");

  CALL(rmdir("a/empty"));
  CALL(unlink("a/b"));
  CALL(rmdir("a/soft"));
  CALL(unlink("a/soft"));
  CALL(unlink("a/victim"));
  CALL(unlink("a/empty/moved"));
  CALL(rmdir("a/empty"));
  CALL(rmdir("a/b"));
  CALL(rmdir("a/."));
  CALL(unlinkat(AT_FDCWD, "a", AT_REMOVEDIR));
  list_directory(".");

  CALL(chdir("/"));
  CALL(rmdir(argv[1]));
  return 0;
}
