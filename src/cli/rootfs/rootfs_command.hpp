// The `litebox rootfs` command: builds a tar root image from host programs
// and trees.
#pragma once

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

// Builds and writes the image; prints warnings and errors to stderr, one
// line each. Returns the process exit status.
int run_rootfs_command(const RootfsCommandOptions& options);

}  // namespace litebox::rootfs
