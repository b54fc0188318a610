// litebox-rootfs: the `litebox rootfs` command as a program of its own.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "rootfs/rootfs_command_line.hpp"

namespace {

int run_main(int argc, char** argv) {
  CLI::App app;
  app.name("litebox-rootfs");
  litebox::rootfs::RootfsCommandOptions options;
  litebox::rootfs::configure_rootfs_command(app, options);
  CLI11_PARSE(app, argc, argv);
  return litebox::rootfs::run_rootfs_command(options);
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
