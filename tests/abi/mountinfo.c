/* The layout of /proc/self/mountinfo, which df(1), findmnt(8) and libmount
 * read. The mounts differ between the host and the sandbox, so the program
 * prints facts that hold for both. Every line has the fields that proc(5)
 * describes, and ids are unique. Exactly one mount (the root) has a parent
 * outside the table. The /proc line names a proc mount whose device number
 * is the st_dev of /proc. */
#include "abi.h"

#include <sys/sysmacros.h>

struct MountLine {
  int id;
  int parent;
  unsigned major;
  unsigned minor;
  char root[256];
  char mount_point[256];
  char type[64];
};

/* Parses one mountinfo line. Returns whether all fields were there. */
static int parse_line(const char* line, struct MountLine* mount) {
  char options[256];
  if (sscanf(line, "%d %d %u:%u %255s %255s %255s", &mount->id, &mount->parent, &mount->major,
             &mount->minor, mount->root, mount->mount_point, options) != 7) {
    return 0;
  }
  const char* separator = strstr(line, " - ");
  if (separator == NULL) {
    return 0;
  }
  char source[256];
  char super_options[256];
  return sscanf(separator + 3, "%63s %255s %255s", mount->type, source, super_options) == 3;
}

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);
  static char text[1 << 16];
  if (abi_read_file("/proc/self/mountinfo", text, sizeof text) <= 0) {
    printf("reading /proc/self/mountinfo failed: %s\n", strerrorname_np(errno));
    return 1;
  }

  static struct MountLine mounts[512];
  int count = 0;
  int all_parsed = 1;
  for (char* line = strtok(text, "\n"); line != NULL && count < 512; line = strtok(NULL, "\n")) {
    all_parsed &= parse_line(line, &mounts[count]);
    ++count;
  }
  FACT("at least one line", count > 0);
  FACT("every line has all fields", all_parsed);

  int unique_ids = 1;
  int roots = 0;
  const struct MountLine* proc = NULL;
  for (int i = 0; i < count; ++i) {
    int parent_listed = 0;
    for (int j = 0; j < count; ++j) {
      unique_ids &= i == j || mounts[i].id != mounts[j].id;
      parent_listed |= i != j && mounts[j].id == mounts[i].parent;
    }
    roots += !parent_listed;
    if (strcmp(mounts[i].mount_point, "/proc") == 0) {
      proc = &mounts[i];
    }
  }
  FACT("ids are unique", unique_ids);
  FACT("exactly one mount has its parent outside the table", roots == 1);

  struct stat status;
  FACT("/proc is listed", proc != NULL);
  if (proc != NULL && stat("/proc", &status) == 0) {
    FACT("/proc is a proc mount", strcmp(proc->type, "proc") == 0);
    FACT("/proc's device is its st_dev",
         proc->major == major(status.st_dev) && proc->minor == minor(status.st_dev));
  }
  return 0;
}
