// litebox-rootfs: the `litebox rootfs` command as a program of its own.
#include <cstdio>
#include <exception>
#include <span>

#include "rootfs/rootfs_command_line.hpp"

namespace {

int run_main(int argc, char** argv) {
  // argv[0] may be missing: execve accepts an empty argument list.
  std::span<const char* const> arguments;
  if (argc > 1) {
    arguments = {argv + 1, static_cast<size_t>(argc - 1)};
  }
  auto options = litebox::rootfs::parse_rootfs_command_line("litebox-rootfs", arguments);
  if (!options) {
    return options.error();
  }
  return litebox::rootfs::run_rootfs_command(*options);
}

}  // namespace

int main(int argc, char** argv) {
  // An exception that reaches this point is a LiteBox bug.
  try {
    return run_main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "litebox-rootfs: internal error: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "litebox-rootfs: internal error: unknown exception\n");
  }
  return 70;  // EX_SOFTWARE
}
