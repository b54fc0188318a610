// The command line of `litebox run`.
#pragma once

#include <expected>
#include <span>

#include "run_command.hpp"

namespace litebox::cli {

// Parses the arguments that follow `run`. Returns the options, or the exit
// status once it has printed the help to standard output (0) or a one-line
// error to standard error (status_usage_error).
std::expected<RunOptions, int> parse_run_command_line(std::span<const char* const> arguments);

}  // namespace litebox::cli
