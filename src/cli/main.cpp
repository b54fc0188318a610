// litebox: the command-line front end. `litebox run` runs a Linux program in
// the sandbox; `litebox rootfs` builds a root image for it.
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "rootfs/rootfs_command_line.hpp"
#include "run_command_line.hpp"
#include "standard_streams.hpp"

namespace {

using litebox::cli::report_usage_error;

constexpr litebox::cli::HelpEntry commands[] = {
    {.name = "run", .help = "Run a Linux program inside the sandbox"},
    {.name = "rootfs",
     .help = "Build a tar root image from host programs, their libraries and host trees"},
};

constexpr litebox::cli::CommandSpec litebox_command{
    .name = "litebox",
    .usage = "COMMAND [OPTIONS] [ARGS...]",
    .description = "LiteBox: run unmodified Linux x86-64 programs in a sandboxing library OS.",
    .arguments_heading = "Commands:",
    .arguments = commands,
    .footer = "Run litebox COMMAND --help for the options and arguments of a command.",
};

int run_main(std::span<const char* const> arguments) {
  if (arguments.empty()) {
    return report_usage_error("litebox: missing command; give run or rootfs (see litebox --help)");
  }

  const std::string_view command = arguments.front();
  const std::span<const char* const> command_arguments = arguments.subspan(1);
  if (command == "run") {
    auto options = litebox::cli::parse_run_command_line(command_arguments);
    if (!options) {
      return options.error();
    }
    return litebox::cli::run_program(*options);
  }
  if (command == "rootfs") {
    auto options = litebox::rootfs::parse_rootfs_command_line("litebox rootfs", command_arguments);
    if (!options) {
      return options.error();
    }
    return litebox::rootfs::run_rootfs_command(*options);
  }

  if (command == "-h" || command == "--help") {
    std::fputs(litebox::cli::format_help(litebox_command).c_str(), stdout);
    return 0;
  }
  const std::string name(command);
  if (command.starts_with('-')) {
    return report_usage_error("litebox: unknown option " + name + "; see litebox --help");
  }
  return report_usage_error("litebox: unknown command " + name +
                            "; give run or rootfs (see litebox --help)");
}

}  // namespace

int main(int argc, char** argv) {
  litebox::cli::reserve_standard_descriptors();

  // argv[0] may be missing: execve accepts an empty argument list.
  std::span<const char* const> arguments;
  if (argc > 1) {
    arguments = {argv + 1, static_cast<size_t>(argc - 1)};
  }

  // An exception that reaches this point is a LiteBox bug: report it in one
  // line instead of letting std::terminate print an abort message.
  try {
    return run_main(arguments);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "litebox: internal error: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "litebox: internal error: unknown exception\n");
  }
  return 70;  // EX_SOFTWARE
}
