#include "rootfs/rootfs_command.hpp"

#include <cstdio>
#include <cstdlib>

#include "rootfs/rootfs.hpp"

namespace litebox::rootfs {

void configure_rootfs_command(CLI::App& command, RootfsCommandOptions& options) {
  command.description(
      "Build a tar root image with PROGRAMs, their ELF interpreter and the shared libraries the "
      "host's dynamic loader would load for them, at their host paths. LD_LIBRARY_PATH is "
      "ignored.");
  command.add_option("-o,--output", options.output, "Image file to write (a POSIX tar archive)")
      ->required();
  command.add_option("--include", options.includes,
                     "Host file or directory tree to copy whole, with the libraries of every "
                     "ELF file in it (repeatable)");
  command.add_option("--mtime", options.modification_time,
                     "Modification time for every entry, in seconds since the epoch "
                     "(default: the host file's)");
  command
      .add_option("programs", options.programs,
                  "Programs to include: host paths, or names looked up in PATH")
      ->required();
}

int run_rootfs_command(const RootfsCommandOptions& options) {
  const char* search_path = std::getenv("PATH");
  RootRequest request{
      .programs = options.programs,
      .includes = options.includes,
      .search_path = search_path != nullptr ? search_path : "/usr/bin:/bin",
      .fixed_modification_time = options.modification_time,
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
