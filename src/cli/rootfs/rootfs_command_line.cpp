#include "rootfs/rootfs_command_line.hpp"

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "command_line.hpp"

namespace litebox::rootfs {

namespace {

using cli::CommandSpec;
using cli::HelpEntry;
using cli::OptionSpec;
using cli::ParsedOption;

enum RootfsOptionId : int {
  output_option,
  include_option,
  mtime_option,
};

constexpr OptionSpec rootfs_options[] = {
    {.id = output_option,
     .long_name = "--output",
     .short_name = "-o",
     .value_name = "FILE",
     .help = "Image file to write, a POSIX tar archive",
     .required = true},
    {.id = include_option,
     .long_name = "--include",
     .short_name = "",
     .value_name = "PATH",
     .help = "Host file or directory tree to copy whole, with the libraries of every ELF file in "
             "it",
     .repeatable = true},
    {.id = mtime_option,
     .long_name = "--mtime",
     .short_name = "",
     .value_name = "SECONDS",
     .help = "Modification time for every entry, in seconds since the epoch, 0 to 8589934591 "
             "(default: the host file's)"},
};

constexpr HelpEntry rootfs_arguments[] = {
    {.name = "PROGRAM...", .help = "Programs to include: host paths, or names looked up in PATH"},
};

constexpr CommandSpec rootfs_command(std::string_view name) {
  return CommandSpec{
      .name = name,
      .usage = "[OPTIONS] -o FILE PROGRAM...",
      .description =
          "Build a tar root image with PROGRAMs, their ELF interpreter and the shared libraries "
          "the host's dynamic loader would load for them, at their host paths. LD_LIBRARY_PATH "
          "is ignored.",
      .arguments_heading = "Arguments:",
      .arguments = rootfs_arguments,
      .options = rootfs_options,
      .placement = cli::OptionPlacement::anywhere,
      .required_positional = "PROGRAM",
      .footer =
          "Exit status: 0 when the image is written, 1 when it cannot be built, 109 when "
          "the command line is invalid.",
  };
}

// The latest time a ustar header's 11 octal digits hold (year 2242).
constexpr int64_t max_tar_seconds = 077777777777;

// Parses a time for the tar headers: whole seconds from 0 to
// max_tar_seconds.
std::optional<int64_t> parse_seconds(std::string_view text) {
  int64_t seconds = 0;
  const char* begin = std::to_address(text.begin());
  const char* end = std::to_address(text.end());
  auto [stop, error] = std::from_chars(begin, end, seconds);
  if (error != std::errc() || stop != end || seconds < 0 || seconds > max_tar_seconds) {
    return std::nullopt;
  }
  return seconds;
}

// Stores one parsed option in `options` after checking its value.
std::expected<void, std::string> apply_option(const CommandSpec& command,
                                              const ParsedOption& parsed,
                                              RootfsCommandOptions& options) {
  switch (parsed.option->id) {
    case output_option:
      options.output = parsed.value;
      break;
    case include_option:
      options.includes.emplace_back(parsed.value);
      break;
    case mtime_option: {
      const std::optional<int64_t> seconds = parse_seconds(parsed.value);
      if (!seconds) {
        return std::unexpected(
            cli::invalid_value_message(command, *parsed.option, parsed.value,
                                       "a whole number of seconds since the epoch from 0 to " +
                                           std::to_string(max_tar_seconds)));
      }
      options.modification_time = seconds;
      break;
    }
    default:
      break;
  }
  return {};
}

}  // namespace

std::expected<RootfsCommandOptions, int> parse_rootfs_command_line(
    std::string_view command_name, std::span<const char* const> arguments) {
  const CommandSpec command = rootfs_command(command_name);
  auto parsed = cli::parse_and_report(command, arguments);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }

  RootfsCommandOptions options;
  for (const ParsedOption& option : parsed->options) {
    if (auto applied = apply_option(command, option, options); !applied) {
      return std::unexpected(cli::report_usage_error(applied.error()));
    }
  }
  options.programs.assign(parsed->positionals.begin(), parsed->positionals.end());
  return options;
}

}  // namespace litebox::rootfs
