// litebox: the command-line front end. `litebox run` runs a Linux program in
// the sandbox; `litebox rootfs` builds a root image for it.
// The only translation unit of litebox that includes CLI11 (see
// run_command_line.hpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

#include "rootfs/rootfs_command_line.hpp"
#include "run_command_line.hpp"
#include "standard_streams.hpp"

namespace {

bool has_subcommand(CLI::App& app, const std::string& name) {
  return !app.get_subcommands([&](CLI::App* command) { return command->check_name(name); }).empty();
}

int run_main(int argc, char** argv) {
  CLI::App app{"LiteBox: run unmodified Linux x86-64 programs in a sandboxing library OS."};
  app.name("litebox");
  app.require_subcommand(1);

  // Declaring a command's options costs start-up time on every run, so when
  // the first argument names a command, only that command is declared. Its
  // parse, help and errors are the same either way: the app takes one
  // command, so CLI11 matches no other command name after it. Any other
  // first argument (none, an option, an unknown name) gets every command,
  // for the full help and error messages.
  const std::string_view first_argument = argc > 1 ? argv[1] : "";
  const bool declare_all = first_argument != "run" && first_argument != "rootfs";

  litebox::cli::RunOptions run_options;
  CLI::App* run = nullptr;
  if (declare_all || first_argument == "run") {
    run = app.add_subcommand("run", "Run a Linux program inside the sandbox.");
    litebox::cli::configure_run_command(*run, run_options);
  }

  litebox::rootfs::RootfsCommandOptions rootfs_options;
  if (declare_all || first_argument == "rootfs") {
    CLI::App* rootfs = app.add_subcommand(
        "rootfs", "Build a tar root image from host programs, their libraries and host trees.");
    litebox::rootfs::configure_rootfs_command(*rootfs, rootfs_options);
  }

  // CLI11 reports only "A subcommand is required" for a mistyped command.
  if (argc > 1 && argv[1][0] != '-' && !has_subcommand(app, argv[1])) {
    std::fprintf(stderr, "litebox: unknown command %s; give run or rootfs (see litebox --help)\n",
                 argv[1]);
    return static_cast<int>(CLI::ExitCodes::ExtrasError);
  }
  CLI11_PARSE(app, argc, argv);

  if (run != nullptr && run->parsed()) {
    return litebox::cli::run_program(run_options);
  }
  return litebox::rootfs::run_rootfs_command(rootfs_options);
}

}  // namespace

int main(int argc, char** argv) {
  litebox::cli::reserve_standard_descriptors();

  // An exception that reaches this point is a LiteBox bug: report it in one
  // line instead of letting std::terminate print an abort message.
  try {
    return run_main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "litebox: internal error: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "litebox: internal error: unknown exception\n");
  }
  return 70;  // EX_SOFTWARE
}
