#include "run_command.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "linux_execution.hpp"
#include "linux_userland_platform.hpp"
#include "litebox/fd/stdio_file.hpp"
#include "sandbox_root.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"
#include "shim/linux/loader/loader.hpp"
#include "shim/linux/trace.hpp"
#include "shim/linux/vdso/time_source.hpp"
#include "standard_streams.hpp"

namespace litebox::cli {

namespace {

// The PATH a sandboxed program gets unless the environment sets one: the
// default of Debian's /etc/profile for root.
constexpr const char* default_search_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Exit statuses before the guest runs, as shells use them.
constexpr int status_setup_failed = 125;
constexpr int status_cannot_execute = 126;
constexpr int status_not_found = 127;

int report(int status, std::string_view message) {
  fmt::print(stderr, "litebox: {}\n", message);
  return status;
}

int status_of(RootError::Kind kind) {
  switch (kind) {
    case RootError::Kind::program_missing:
      return status_not_found;
    case RootError::Kind::program_not_executable:
      return status_cannot_execute;
    case RootError::Kind::setup_failed:
      break;
  }
  return status_setup_failed;
}

// The libOS's own log level: LITEBOX_LOG=trace|debug|info|warning|error.
// Warnings and errors show by default, so a program's standard error
// reads as it does natively.
platform::LogLevel log_level_from_environment() {
  const char* value = std::getenv("LITEBOX_LOG");
  const std::string_view name = value != nullptr ? value : "warning";
  constexpr std::pair<std::string_view, platform::LogLevel> levels[] = {
      {"trace", platform::LogLevel::trace},
      {"debug", platform::LogLevel::debug},
      {"info", platform::LogLevel::info},
      {"warning", platform::LogLevel::warning},
      {"error", platform::LogLevel::error}};
  for (const auto& [level_name, level] : levels) {
    if (name == level_name) {
      return level;
    }
  }
  fmt::print(stderr,
             "litebox: LITEBOX_LOG={}: unknown log level, using warning; give trace, debug, "
             "info, warning or error\n",
             name);
  return platform::LogLevel::warning;
}

std::vector<std::string> guest_environment(const RunOptions& options) {
  std::vector<std::string> environment;
  if (options.forward_environment) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      environment.emplace_back(*entry);
    }
  }
  // --env entries replace forwarded ones with the same name.
  for (const std::string& assignment : options.environment) {
    const std::string name = assignment.substr(0, assignment.find('=') + 1);
    std::erase_if(environment, [&](const std::string& entry) { return entry.starts_with(name); });
    environment.push_back(assignment);
  }
  const bool has_path = std::ranges::any_of(
      environment, [](const std::string& entry) { return entry.starts_with("PATH="); });
  if (!has_path) {
    environment.insert(environment.begin(), std::string("PATH=") + default_search_path);
  }
  return environment;
}

std::string search_path_of(const std::vector<std::string>& environment) {
  for (const std::string& entry : environment) {
    if (entry.starts_with("PATH=")) {
      return entry.substr(5);
    }
  }
  return default_search_path;
}

// Finds `program` as execvp(3) does, in the sandbox: a name with a slash is
// a path, any other name is looked up in each directory of `search_path`.
// Returns the first executable regular file found, else the first other
// file found, for which the loader then reports why it cannot run, else
// nothing.
std::optional<std::string> find_in_sandbox(fs::Vfs& vfs, const fs::PathContext& context,
                                           const std::string& program,
                                           const std::string& search_path) {
  if (program.empty()) {
    return std::nullopt;
  }
  if (program.find('/') != std::string::npos) {
    return program;
  }
  std::optional<std::string> first_found;
  for (auto directory_range : std::views::split(search_path, ':')) {
    std::string directory(directory_range.begin(), directory_range.end());
    if (directory.empty()) {
      directory = ".";
    }
    std::string candidate = directory + "/" + program;
    auto status = vfs.stat(context, context.working_directory, candidate, 0);
    if (!status) {
      continue;
    }
    if (fs::file_type_of(status->mode) == fs::FileType::regular && (status->mode & 0111) != 0) {
      return candidate;
    }
    if (!first_found) {
      first_found = candidate;
    }
  }
  return first_found;
}

// Gives the guest descriptors 0, 1 and 2 on the host's streams, except
// those the host left closed, which stay closed (EBADF) as on Linux.
Result<void> install_standard_streams(shim::linux_abi::Process& process) {
  using platform::StdioStream;
  for (StdioStream stream : {StdioStream::input, StdioStream::output, StdioStream::error}) {
    TRY(process.descriptors().allocate(std::make_shared<fd::StdioFile>(stream), false));
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (standard_descriptor_was_closed(fd)) {
      TRY_VOID(process.descriptors().close(fd));
    }
  }
  return {};
}

// Returns the host's resource limits, which the first guest process
// inherits as a child process inherits those of its parent.
std::array<shim::linux_abi::ResourceLimit, shim::linux_abi::resource_count> host_resource_limits() {
  auto limits = shim::linux_abi::default_resource_limits();
  for (size_t resource = 0; resource < limits.size(); ++resource) {
    struct rlimit host {};
    if (::prlimit(0, static_cast<__rlimit_resource>(resource), nullptr, &host) == 0) {
      limits[resource] = {host.rlim_cur, host.rlim_max};
    }
  }
  return limits;
}

// Copies the calling thread's nice value and I/O priority into `options`
// for the first guest thread to inherit. A value the host does not report
// stays at 0.
void inherit_host_priorities(shim::linux_abi::KernelOptions& options) {
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, 0);
  if (errno == 0) {
    options.nice = nice;
  }
  constexpr int io_who_process = 1;
  const long io_priority = ::syscall(SYS_ioprio_get, io_who_process, 0);
  if (io_priority >= 0) {
    options.io_priority = static_cast<uint16_t>(io_priority);
  }
}

}  // namespace

int run_program(const RunOptions& options) {
  if (options.command.empty()) {
    return report(status_setup_failed, "missing PROGRAM");
  }
  const std::string& program = options.command.front();
  std::vector<std::string> environment = guest_environment(options);

  // The platform first: it installs the signal handlers the sandbox relies on.
  static platform::linux_userland::LinuxUserlandPlatform host;
  host.set_minimum_log_level(log_level_from_environment());
  platform::set_current(host.platform());
  if (!options.no_vdso) {
    // Sandbox set-up below overlaps the TSC calibration interval.
    shim::linux_abi::vdso::begin_calibration(host.platform().clock);
  }

  std::string program_path;
  std::unique_ptr<SandboxRoot> root;
  if (options.rootfs) {
    auto built = SandboxRoot::from_image(*options.rootfs);
    if (!built) {
      return report(status_setup_failed, built.error());
    }
    root = std::move(*built);
  } else {
    auto built = SandboxRoot::from_host_program(program, search_path_of(environment), program_path);
    if (!built) {
      return report(status_of(built.error().kind), built.error().message);
    }
    root = std::move(*built);
  }

  shim::linux_abi::KernelOptions kernel_options;
  kernel_options.trace = options.trace;
  kernel_options.vdso = !options.no_vdso;
  kernel_options.rewrite_syscall_sites = !options.no_rewrite;
  kernel_options.processor_count = platform::linux_userland::allowed_processor_count();
  kernel_options.resource_limits = host_resource_limits();
  inherit_host_priorities(kernel_options);
  // In the kernel heap, so every forked guest process shares it (the
  // process table, the thread registry, the id counter).
  auto& kernel = *new shim::linux_abi::Kernel(host.execution(), &root->vfs(), kernel_options);

  // Sealing trusts every executable mapping present now, so the guest's own
  // code must be mapped only afterwards.
  const auto mode = options.interception == "sud"
                        ? platform::InterceptionMode::syscall_user_dispatch
                        : platform::InterceptionMode::seccomp;
  if (auto started = host.execution().start_interception(kernel, mode); !started) {
    return report(status_setup_failed,
                  fmt::format("intercepting system calls with {} failed: {}", options.interception,
                              errno_name(started.error())));
  }

  fs::PathContext paths = root->root_context();
  paths.umask = 022;
  auto working_directory = root->vfs().resolve(paths, paths.root, options.working_directory, 0);
  if (!working_directory) {
    return report(status_setup_failed,
                  fmt::format("--workdir {}: no such directory in the sandbox; give a directory "
                              "that the root has, such as / or /tmp",
                              options.working_directory));
  }
  auto working_status = root->vfs().stat(paths, paths.root, options.working_directory, 0);
  if (!working_status || fs::file_type_of(working_status->mode) != fs::FileType::directory) {
    return report(status_setup_failed,
                  fmt::format("--workdir {}: not a directory in the sandbox; give a directory",
                              options.working_directory));
  }
  paths.working_directory = *working_directory;

  std::unique_ptr<shim::linux_abi::Task> task = kernel.create_first_task(paths);
  if (!install_standard_streams(task->process())) {
    return report(status_setup_failed, "installing the standard streams failed");
  }

  shim::linux_abi::ExecRequest request;
  request.path = program_path;
  if (options.rootfs) {
    const std::string search_path = search_path_of(environment);
    std::optional<std::string> found = find_in_sandbox(root->vfs(), paths, program, search_path);
    if (program.empty()) {
      return report(status_not_found, "empty program name; give a program name or path");
    }
    if (!found) {
      return report(status_not_found,
                    fmt::format("{}: not found in the sandbox's PATH ({}); give its path in the "
                                "image, or set PATH with --env",
                                program, search_path));
    }
    request.path = *found;
  }
  request.arguments = options.command;
  request.environment = environment;
  auto loaded = shim::linux_abi::load_program(*task, request);
  if (!loaded) {
    if (loaded.error().error == Errno::enoent && options.rootfs) {
      return report(status_not_found,
                    fmt::format("{}; build the image with `litebox rootfs -o IMAGE PROGRAM`, "
                                "which adds the program's interpreter and libraries",
                                loaded.error().reason));
    }
    const int status =
        loaded.error().error == Errno::enoent ? status_not_found : status_cannot_execute;
    return report(status, loaded.error().reason);
  }

  if (options.trace) {
    // The initial stack contains argc, then argv and envp, each ending with a
    // null pointer. argc may exceed the request's count when the program
    // is a script, so it is read back.
    const uint64_t argument_count =
        shim::linux_abi::GuestPtr<uint64_t>(loaded->stack_pointer).read().value_or(0);
    const uint64_t environment_address =
        loaded->stack_pointer + sizeof(uint64_t) * (argument_count + 2);
    shim::linux_abi::write_trace(shim::linux_abi::first_exec_line(
        request.path, request.arguments, environment_address, request.environment.size()));
  }

  platform::GuestRegisters registers{};
  registers.rip = loaded->entry;
  registers.rsp = loaded->stack_pointer;
  // Only the interrupt flag (bit 9) and the reserved bit 1 are set at entry.
  registers.rflags = 0x202;

  // enter_guest does not return, so `task` and `root` live as long as the guest.
  shim::linux_abi::Kernel::set_current_task(task.get());
  host.execution().enter_guest(registers);
}

}  // namespace litebox::cli
