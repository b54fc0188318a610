// The command-line options of `litebox rootfs`, declared on a CLI11 App.
//
// Defined inline in this header because CLI11's headers construct their own
// validator objects in every translation unit that includes them, each at
// process start-up, so each program includes CLI11 from its main.cpp alone.
#pragma once

#include <CLI/CLI.hpp>

#include "rootfs/rootfs_command.hpp"

namespace litebox::rootfs {

// Declares the options and arguments of the command on `command`, which is
// either a `rootfs` subcommand or a standalone program's App.
inline void configure_rootfs_command(CLI::App& command, RootfsCommandOptions& options) {
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

}  // namespace litebox::rootfs
