/* The checks of setxattr, lsetxattr and fsetxattr that Linux makes before
 * it looks up the file: unknown flags, an empty or too long name, a value
 * larger than 64 KiB and a bad name pointer. The file is missing and the
 * descriptor closed, so the output shows which error comes first. */
#include "abi.h"

#include <sys/xattr.h>

static char big_value[65537];

int main(void) {
  char long_name[300];
  memset(long_name, 'a', sizeof long_name - 1);
  memcpy(long_name, "user.", 5);
  long_name[sizeof long_name - 1] = '\0';

  printf("setxattr:\n");
  CALL(setxattr("missing", "user.name", "v", 1, 0));
  CALL(setxattr("missing", "user.name", "v", 1, XATTR_CREATE | XATTR_REPLACE));
  CALL(setxattr("missing", "user.name", "v", 1, 4));
  CALL(setxattr("missing", "", "v", 1, 0));
  CALL(setxattr("missing", long_name, "v", 1, 0));
  CALL(setxattr("missing", "user.name", big_value, sizeof big_value, 0));
  CALL(setxattr("missing", NULL, "v", 1, 0));

  printf("lsetxattr:\n");
  CALL(lsetxattr("missing", "user.name", "v", 1, 0));
  CALL(lsetxattr("missing", "user.name", "v", 1, 8));
  CALL(lsetxattr("missing", "", "v", 1, 0));
  CALL(lsetxattr("missing", "user.name", big_value, sizeof big_value, 0));

  printf("fsetxattr:\n");
  CALL(fsetxattr(-1, "user.name", "v", 1, 0));
  CALL(fsetxattr(-1, "user.name", "v", 1, XATTR_REPLACE | 4));
  CALL(fsetxattr(-1, "", "v", 1, 0));
  CALL(fsetxattr(-1, long_name, "v", 1, 0));
  CALL(fsetxattr(-1, "user.name", big_value, sizeof big_value, 0));
  return 0;
}
