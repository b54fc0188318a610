/* The CPU files of /sys that glibc, lscpu and language runtimes read, and
 * the errors of changes to /sys. glibc counts the CPUs of
 * /sys/devices/system/cpu/online for _SC_NPROCESSORS_ONLN and get_nprocs,
 * and those of possible for _SC_NPROCESSORS_CONF, so the counts of the lists
 * must agree with the library's. The program writes nothing: every change
 * it tries fails on Linux's sysfs, for root and for other users. */
#include "abi.h"

#include <dirent.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>

#define SYSFS_MAGIC 0x62656572

static char text[4096];

/* The number of CPUs in a list such as "0-3,6\n", or -1 if it is
 * malformed. */
static int count_cpu_list(const char* list) {
  int count = 0;
  const char* cursor = list;
  while (*cursor != '\0' && *cursor != '\n') {
    char* end;
    long first = strtol(cursor, &end, 10);
    if (end == cursor) {
      return -1;
    }
    long last = first;
    if (*end == '-') {
      cursor = end + 1;
      last = strtol(cursor, &end, 10);
      if (end == cursor || last < first) {
        return -1;
      }
    }
    count += (int)(last - first + 1);
    cursor = *end == ',' ? end + 1 : end;
  }
  return count;
}

/* Prints the CPU count of one list file of /sys/devices/system/cpu and
 * returns it. */
static int print_cpu_list(const char* name) {
  char path[256];
  snprintf(path, sizeof path, "/sys/devices/system/cpu/%s", name);
  if (abi_read_file(path, text, sizeof text) < 0) {
    printf("%s: open failed: %s\n", name, strerrorname_np(errno));
    return -1;
  }
  int count = count_cpu_list(text);
  printf("%s: %d CPUs\n", name, count);
  return count;
}

/* The number of cpuN directories in /sys/devices/system/cpu. */
static int count_cpu_directories(void) {
  DIR* directory = opendir("/sys/devices/system/cpu");
  if (directory == NULL) {
    return -1;
  }
  int count = 0;
  for (struct dirent* entry = readdir(directory); entry != NULL; entry = readdir(directory)) {
    int number;
    char rest;
    if (sscanf(entry->d_name, "cpu%d%c", &number, &rest) == 1 && entry->d_type == DT_DIR) {
      ++count;
    }
  }
  closedir(directory);
  return count;
}

static void print_counts(void) {
  long online_count = sysconf(_SC_NPROCESSORS_ONLN);
  long configured_count = sysconf(_SC_NPROCESSORS_CONF);
  printf("_SC_NPROCESSORS_ONLN: %ld\n", online_count);
  printf("_SC_NPROCESSORS_CONF: %ld\n", configured_count);
  printf("get_nprocs: %d\n", get_nprocs());
  printf("get_nprocs_conf: %d\n", get_nprocs_conf());

  int online = print_cpu_list("online");
  int possible = print_cpu_list("possible");
  int present = print_cpu_list("present");
  FACT("online count is _SC_NPROCESSORS_ONLN", online == online_count);
  FACT("online count is get_nprocs", online == get_nprocs());
  FACT("possible count is _SC_NPROCESSORS_CONF", possible == configured_count);
  FACT("online CPUs are present", online <= present);
  FACT("one cpuN directory per present CPU", count_cpu_directories() == present);

  int offline = abi_read_file("/sys/devices/system/cpu/offline", text, sizeof text);
  FACT("offline is readable", offline >= 0);
}

static void print_topology(void) {
  if (abi_read_file("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", text,
                    sizeof text) >= 0) {
    printf("cpu0 thread_siblings_list: %s", text);
  } else {
    printf("cpu0 thread_siblings_list: %s\n", strerrorname_np(errno));
  }
  char package[64];
  int read = abi_read_file("/sys/devices/system/cpu/cpu0/topology/physical_package_id", package,
                           sizeof package);
  char* end = package;
  FACT("cpu0 physical_package_id is a number",
       read > 0 && (strtol(package, &end, 10), *end == '\n'));
  read =
      abi_read_file("/sys/devices/system/cpu/cpu0/topology/core_siblings_list", text, sizeof text);
  FACT("cpu0 core_siblings_list counts CPUs", read > 0 && count_cpu_list(text) > 0);
}

static void print_attributes(void) {
  struct stat status;
  if (CALL(stat("/sys/devices/system/cpu/online", &status)) == 0) {
    printf("online: mode %o, size %lld, links %lu\n", status.st_mode, (long long)status.st_size,
           (unsigned long)status.st_nlink);
  }
  if (CALL(stat("/sys/devices/system/cpu", &status)) == 0) {
    printf("cpu directory: mode %o\n", status.st_mode);
  }
  struct statfs file_system;
  if (CALL(statfs("/sys", &file_system)) == 0) {
    FACT("/sys is a sysfs", file_system.f_type == SYSFS_MAGIC);
  }
  CALL(abi_read_file("/proc/self/cgroup", text, sizeof text) > 0);
  FACT("/proc/self/cgroup names a cgroup2 hierarchy",
       strncmp(text, "0::", 3) == 0 || strstr(text, "\n0::") != NULL);
}

/* Each change fails before it changes anything. */
static void try_changes(void) {
  CALL(open("/sys/devices/system/cpu/online", O_WRONLY));
  CALL(open("/sys/devices/system/cpu/possible", O_RDWR));
  CALL(open("/sys/devices/system/cpu", O_WRONLY));
  CALL(open("/sys/devices/system/cpu/litebox-test", O_WRONLY | O_CREAT | O_EXCL, 0644));
  CALL(open("/sys/devices/system/cpu/online", O_RDONLY | O_CREAT | O_EXCL, 0644));
  CALL(mkdir("/sys/devices/system/cpu/litebox-test", 0755));
  CALL(mkdir("/sys/devices/system/cpu/cpu0", 0755));
  CALL(unlink("/sys/devices/system/cpu/online"));
  CALL(unlink("/sys/devices/system/cpu/litebox-test"));
  CALL(rmdir("/sys/devices/system/cpu/cpu0"));
  CALL(symlink("online", "/sys/devices/system/cpu/litebox-test"));
  CALL(rename("/sys/devices/system/cpu/online", "/sys/devices/system/cpu/litebox-test"));
  CALL(open("/sys/devices/system/cpu/missing", O_RDONLY));
}

int main(void) {
  print_counts();
  print_topology();
  print_attributes();
  try_changes();
  return 0;
}
