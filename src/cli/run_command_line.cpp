#include "run_command_line.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "command_line.hpp"

namespace litebox::cli {

namespace {

enum RunOptionId : int {
  rootfs_option,
  env_option,
  forward_env_option,
  workdir_option,
  interception_option,
  trace_option,
  no_vdso_option,
  no_rewrite_option,
};

constexpr OptionSpec run_options[] = {
    {.id = rootfs_option,
     .long_name = "--rootfs",
     .short_name = "",
     .value_name = "FILE",
     .help = "Tar image to use as the root file system (read-only, with an in-memory writable "
             "layer on top). Without it, the root holds only PROGRAM and the libraries it needs, "
             "mapped read-only from the host under the same writable layer"},
    {.id = env_option,
     .long_name = "--env",
     .short_name = "",
     .value_name = "K=V",
     .help = "Set the environment variable K to V for the program",
     .repeatable = true},
    {.id = forward_env_option,
     .long_name = "--forward-env",
     .short_name = "",
     .value_name = "",
     .help = "Pass the host environment to the program (--env entries override it)"},
    {.id = workdir_option,
     .long_name = "--workdir",
     .short_name = "",
     .value_name = "DIR",
     .help = "Working directory of the program inside the sandbox (default /)"},
    {.id = interception_option,
     .long_name = "--interception",
     .short_name = "",
     .value_name = "MODE",
     .help = "How guest system calls are intercepted: seccomp (SIGSYS from a seccomp filter, "
             "the default) or sud (Syscall User Dispatch, Linux 5.11 or later)"},
    {.id = trace_option,
     .long_name = "--trace",
     .short_name = "",
     .value_name = "",
     .help = "Print each system call of the program to standard error, as strace does"},
    {.id = no_vdso_option,
     .long_name = "--no-vdso",
     .short_name = "",
     .value_name = "",
     .help = "Map no vDSO into the program, so that clock_gettime, gettimeofday, time and getcpu "
             "make system calls (and appear in --trace)"},
    {.id = no_rewrite_option,
     .long_name = "--no-rewrite",
     .short_name = "",
     .value_name = "",
     .help = "Trap every system call of the program. By default, a call site that has "
             "trapped 8 times is rewritten to enter LiteBox without the trap, when it has a "
             "usual form such as `mov $number, %eax; syscall`"},
};

constexpr HelpEntry run_arguments[] = {
    {.name = "PROGRAM [ARGS...]",
     .help = "The program (a path, or a name looked up in PATH: the sandbox's with --rootfs, the "
             "host's without) and its arguments. "
             "Options end at PROGRAM: the words after it go to the program. Put -- before "
             "PROGRAM when its name starts with a dash"},
};

constexpr CommandSpec run_command{
    .name = "litebox run",
    .usage = "[OPTIONS] [--] PROGRAM [ARGS...]",
    .description =
        "Run a Linux program inside the sandbox. The program's environment holds "
        "the variables of --env and --forward-env, plus "
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
        "when they set no PATH.",
    .arguments_heading = "Arguments:",
    .arguments = run_arguments,
    .options = run_options,
    .placement = OptionPlacement::before_positionals,
    .required_positional = "PROGRAM",
    .footer =
        "Exit status: the program's, or 128 + N when signal N ends it; 127 when PROGRAM is "
        "missing, 126 when it cannot be executed, 125 when the sandbox cannot be set up, "
        "109 when the command line is invalid.\n"
        "Environment: LITEBOX_LOG=trace|debug|info|warning|error sets which libOS "
        "messages reach standard error (default warning; info lists unsupported system "
        "calls).",
};

// Rejects a missing image or a directory while the command line is read.
// Opening the image reports every other problem.
std::expected<void, std::string> check_image_path(std::string_view path) {
  struct stat status {};
  const std::string path_string(path);
  if (stat(path_string.c_str(), &status) != 0) {
    const char* reason = errno == ENOENT ? "no such file" : std::strerror(errno);
    return std::unexpected(std::string("litebox run: --rootfs ") + path_string + ": " + reason +
                           "; give the path of a tar image");
  }
  if (S_ISDIR(status.st_mode)) {
    return std::unexpected(std::string("litebox run: --rootfs ") + path_string +
                           ": is a directory; give the path of a tar image");
  }
  return {};
}

// Stores one parsed option in `options` after checking its value.
std::expected<void, std::string> apply_option(const ParsedOption& parsed, RunOptions& options) {
  const std::string_view value = parsed.value;
  switch (parsed.option->id) {
    case rootfs_option:
      if (auto checked = check_image_path(value); !checked) {
        return checked;
      }
      options.rootfs = std::string(value);
      break;
    case env_option:
      // K must not be empty, but V may be, and V may contain '='.
      if (value.find('=') == std::string_view::npos || value.front() == '=') {
        return std::unexpected(invalid_value_message(run_command, *parsed.option, value, "K=V"));
      }
      options.environment.emplace_back(value);
      break;
    case forward_env_option:
      options.forward_environment = true;
      break;
    case workdir_option:
      options.working_directory = value;
      break;
    case interception_option:
      if (value != "seccomp" && value != "sud") {
        return std::unexpected(
            invalid_value_message(run_command, *parsed.option, value, "seccomp or sud"));
      }
      options.interception = value;
      break;
    case trace_option:
      options.trace = true;
      break;
    case no_vdso_option:
      options.no_vdso = true;
      break;
    case no_rewrite_option:
      options.no_rewrite = true;
      break;
    default:
      break;
  }
  return {};
}

}  // namespace

std::expected<RunOptions, int> parse_run_command_line(std::span<const char* const> arguments) {
  auto parsed = parse_and_report(run_command, arguments);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }

  RunOptions options;
  for (const ParsedOption& option : parsed->options) {
    if (auto applied = apply_option(option, options); !applied) {
      return std::unexpected(report_usage_error(applied.error()));
    }
  }
  options.command.assign(parsed->positionals.begin(), parsed->positionals.end());
  return options;
}

}  // namespace litebox::cli
