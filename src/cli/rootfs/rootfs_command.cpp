#include "rootfs/rootfs_command.hpp"

#include <cstdio>
#include <cstdlib>

#include "rootfs/rootfs.hpp"

namespace litebox::rootfs {

int run_rootfs_command(const RootfsCommandOptions& options) {
  const char* search_path = std::getenv("PATH");
  RootRequest request{
      .programs = options.programs,
      .includes = options.includes,
      .search_path = search_path != nullptr ? search_path : "/usr/bin:/bin",
      .fixed_modification_time = options.modification_time,
      .merged_usr_links = true,
  };

  auto root = build_root(request);
  if (!root) {
    std::fprintf(stderr, "litebox rootfs: error: %s\n", root.error().c_str());
    return 1;
  }
  for (const std::string& warning : root->warnings) {
    std::fprintf(stderr, "litebox rootfs: warning: %s\n", warning.c_str());
  }

  if (auto written = write_image(*root, options.output); !written) {
    std::fprintf(stderr, "litebox rootfs: error: %s\n", written.error().c_str());
    return 1;
  }
  return 0;
}

}  // namespace litebox::rootfs
