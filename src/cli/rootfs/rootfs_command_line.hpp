// The command line of `litebox rootfs` and of the litebox-rootfs program.
#pragma once

#include <expected>
#include <span>
#include <string_view>

#include "rootfs/rootfs_command.hpp"

namespace litebox::rootfs {

// Parses the arguments that follow the command's name, `command_name` in
// messages and the help ("litebox rootfs"). Returns the options, or the
// exit status once it has printed the help to standard output (0) or a
// one-line error to standard error (cli::status_usage_error).
std::expected<RootfsCommandOptions, int> parse_rootfs_command_line(
    std::string_view command_name, std::span<const char* const> arguments);

}  // namespace litebox::rootfs
