/* Extended attribute requests on files without attributes: removal
 * (removexattr, lremovexattr, fremovexattr), names outside the namespaces
 * Linux defines (user., trusted., security., system.), and user.* names on
 * a symlink, where Linux reads nothing and rejects writes. */
#include "abi.h"

#include <sys/xattr.h>

int main(int argc, char** argv) {
  abi_enter_scratch_directory(argc, argv);

  char long_name[300];
  memset(long_name, 'a', sizeof long_name - 1);
  memcpy(long_name, "user.", 5);
  long_name[sizeof long_name - 1] = '\0';
  char value[16];

  int file = CALL(open("file", O_CREAT | O_RDWR, 0644));
  CALL(symlink("file", "link"));
  CALL(mkdir("directory", 0755));

  printf("removexattr:\n");
  CALL(removexattr("missing", "user.name"));
  CALL(removexattr("file", "user.absent"));
  CALL(removexattr("directory", "user.absent"));
  CALL(removexattr("link", "user.absent"));
  CALL(removexattr("file", ""));
  CALL(removexattr("file", long_name));
  CALL(removexattr("file", "nonamespace"));
  CALL(removexattr("file", "user."));
  CALL(removexattr("file", NULL));

  printf("lremovexattr:\n");
  CALL(lremovexattr("missing", "user.name"));
  CALL(lremovexattr("link", "user.absent"));
  CALL(lremovexattr("link", "trusted.absent"));
  CALL(lremovexattr("file", "user.absent"));

  printf("fremovexattr:\n");
  CALL(fremovexattr(-1, "user.name"));
  CALL(fremovexattr(-1, ""));
  CALL(fremovexattr(-1, NULL));
  CALL(fremovexattr(file, "user.absent"));
  CALL(fremovexattr(file, ""));
  CALL(fremovexattr(file, "other.name"));

  printf("getxattr names:\n");
  CALL(getxattr("file", "nonamespace", value, sizeof value));
  CALL(getxattr("file", "system.unknown", value, sizeof value));
  CALL(getxattr("file", "user.", value, sizeof value));
  CALL(getxattr("file", "", value, sizeof value));
  CALL(getxattr("file", "user.absent", value, sizeof value));
  CALL(lgetxattr("link", "user.absent", value, sizeof value));
  CALL(fgetxattr(file, "other.name", value, sizeof value));
  CALL(fgetxattr(-1, "", value, sizeof value));
  CALL(getxattr("missing", "", value, sizeof value));

  printf("setxattr names:\n");
  CALL(setxattr("file", "nonamespace", "v", 1, 0));
  CALL(setxattr("file", "user.", "v", 1, 0));
  CALL(lsetxattr("link", "user.name", "v", 1, 0));
  CALL(fsetxattr(file, "system.unknown", "v", 1, 0));
  return 0;
}
