// The `litebox run` command: runs one Linux program inside the sandbox.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace litebox::cli {

struct RunOptions {
  std::optional<std::string> rootfs;     // tar image; without it the root is built from PROGRAM
  std::vector<std::string> environment;  // K=V entries from --env
  bool forward_environment = false;
  std::string working_directory = "/";
  std::string interception = "seccomp";
  bool trace = false;
  bool no_vdso = false;              // map no vDSO into the guest
  bool no_rewrite = false;           // trap every guest system call
  std::vector<std::string> command;  // PROGRAM [ARGS...]
};

// Runs the program. Returns only on a failure before the guest starts (a
// missing program is 127, a file that cannot be executed 126, any other
// set-up failure 125); once the guest runs, the process ends with the
// guest's exit status, or 128 + signal number when a signal ends it.
int run_program(const RunOptions& options);

}  // namespace litebox::cli
