// litebox-rootfs: the `litebox rootfs` command as a program of its own.
#include <CLI/CLI.hpp>

#include "rootfs/rootfs_command.hpp"

int main(int argc, char** argv) {
  CLI::App app;
  app.name("litebox-rootfs");
  litebox::rootfs::RootfsCommandOptions options;
  litebox::rootfs::configure_rootfs_command(app, options);
  CLI11_PARSE(app, argc, argv);
  return litebox::rootfs::run_rootfs_command(options);
}
