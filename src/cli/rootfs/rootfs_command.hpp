// The `litebox rootfs` command: builds a tar root image from host programs
// and trees.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace litebox::rootfs {

struct RootfsCommandOptions {
  std::string output;
  std::vector<std::string> includes;
  std::vector<std::string> programs;
  std::optional<int64_t> modification_time;
};

// Declares the options and arguments of the command on `command`, which is
// either a `rootfs` subcommand or a standalone program's App.
void configure_rootfs_command(CLI::App& command, RootfsCommandOptions& options);

// Builds and writes the image; prints warnings and errors to stderr, one
// line each. Returns the process exit status.
int run_rootfs_command(const RootfsCommandOptions& options);

}  // namespace litebox::rootfs
