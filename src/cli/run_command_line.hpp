// The command-line options of `litebox run`, declared on a CLI11 App.
//
// Defined inline in this header because CLI11's headers construct their own
// validator objects in every translation unit that includes them, each at
// process start-up, so litebox includes CLI11 from main.cpp alone.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "run_command.hpp"

namespace litebox::cli {

// Declares the options and arguments of `run` on `command`.
inline void configure_run_command(CLI::App& command, RunOptions& options) {
  command
      .add_option(
          "--rootfs", options.rootfs,
          "Tar image to use as the root file system (read-only, with an in-memory "
          "writable layer on top). Without it, the root holds only PROGRAM and the "
          "libraries it needs, mapped read-only from the host under the same writable layer")
      ->check(CLI::ExistingFile);
  command
      .add_option("--env", options.environment,
                  "Set the environment variable K to V for the program; repeatable")
      ->type_name("K=V")
      // One K=V per --env, so the program and its arguments that follow are
      // not taken as more variables.
      ->allow_extra_args(false)
      ->check([](const std::string& value) {
        return value.find('=') == std::string::npos || value.front() == '='
                   ? std::string("expected K=V")
                   : std::string();
      });
  command.add_flag("--forward-env", options.forward_environment,
                   "Pass the host environment to the program (--env entries override it)");
  command.add_option("--workdir", options.working_directory,
                     "Working directory of the program inside the sandbox (default /)");
  command
      .add_option("--interception", options.interception,
                  "How guest system calls are intercepted: seccomp (SIGSYS from a seccomp "
                  "filter) or sud (Syscall User Dispatch, Linux 5.11 or later)")
      ->check(CLI::IsMember({"seccomp", "sud"}));
  command.add_flag("--trace", options.trace,
                   "Print each system call of the program to standard error, as strace does");
  command.add_flag("--no-vdso", options.no_vdso,
                   "Map no vDSO into the program, so that clock_gettime, gettimeofday, time "
                   "and getcpu make system calls (and appear in --trace)");
  command
      .add_option("command", options.command,
                  "PROGRAM [ARGS...]: the program (a path, or a name looked up in the "
                  "sandbox's PATH) and its arguments; put -- before it when an argument "
                  "starts with a dash")
      ->required();
  command.footer(
      "Exit status: the program's, or 128 + N when signal N ends it; 127 when PROGRAM is "
      "missing, 126 when it cannot be executed, 125 when the sandbox cannot be set up.\n"
      "Environment: LITEBOX_LOG=trace|debug|info|warning|error sets which libOS messages "
      "reach standard error (default warning; info lists unsupported system calls).");
  command.positionals_at_end(true);
  command.prefix_command(true);
  // prefix_command keeps an unknown option before PROGRAM aside instead of
  // failing; a typo such as --forwardenv must not be dropped silently.
  command.parse_complete_callback([&command] {
    std::vector<std::string> unknown;
    for (const std::string& argument : command.remaining()) {
      if (argument != "--") {
        unknown.push_back(argument);
      }
    }
    if (!unknown.empty()) {
      throw CLI::ExtrasError(command.get_name(), unknown);
    }
  });
}

}  // namespace litebox::cli
