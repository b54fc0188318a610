// A small command-line parser for the `litebox` commands, in place of a
// library: CLI11's header builds global objects at every process start,
// which every `litebox run` would pay (docs/architecture.md).
//
// A command declares its options in a constant table. The parser accepts
// long options as `--name VALUE` or `--name=VALUE`, short ones as
// `-n VALUE` or `-nVALUE`, flags without a value, `-h`/`--help` and `--`,
// which ends the options. An option without an attached value takes the
// next argument as its value, even one that starts with a dash, as
// getopt_long does. Short flags cannot be grouped (`-ab`), and long names
// cannot be abbreviated.
//
// parse_command_line prints nothing: it returns the options and positional
// arguments it found, or a one-line error message. parse_and_report prints
// the help or the error for a command's main function.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace litebox::cli {

// The exit status of every command-line error of `litebox` and
// `litebox-rootfs`: the status CLI11 gave an unknown option when these
// commands used it, kept for scripts that check it.
constexpr int status_usage_error = 109;

// One option of a command.
struct OptionSpec {
  int id;                       // the command's own number for the option
  std::string_view long_name;   // with its dashes: "--rootfs"
  std::string_view short_name;  // "-o", or empty
  std::string_view value_name;  // "FILE" in the help; empty for a flag, which takes no value
  std::string_view help;
  bool repeatable = false;  // a value option may be given more than once; flags always may
  bool required = false;
};

// The places a command's options may take among its positional arguments.
enum class OptionPlacement {
  // Options and positional arguments mix, as in `litebox rootfs`.
  anywhere,
  // The first positional argument ends the options: it and every argument
  // after it are positional, as PROGRAM and its arguments in `litebox run`.
  before_positionals,
};

// One line of the help's argument list: a name and what it is.
struct HelpEntry {
  std::string_view name;
  std::string_view help;
};

// A command's options and arguments, and the text of its help.
struct CommandSpec {
  std::string_view name;   // as messages and the help show it: "litebox run"
  std::string_view usage;  // what follows the name in the usage line
  std::string_view description;
  std::string_view arguments_heading;  // "Arguments:" or "Commands:"
  std::span<const HelpEntry> arguments;
  std::span<const OptionSpec> options;  // -h and --help are implicit
  OptionPlacement placement = OptionPlacement::anywhere;
  // The first positional argument's name in the error when none is given
  // ("PROGRAM"); empty if the command needs none.
  std::string_view required_positional;
  std::string_view footer;  // paragraphs after the options, separated by '\n'
};

// One option as the command line gave it.
struct ParsedOption {
  const OptionSpec* option;
  std::string_view value;  // empty for a flag
};

struct ParsedCommandLine {
  // -h or --help came before any error. The parser then stops and leaves
  // the other fields empty.
  bool help_requested = false;
  std::vector<ParsedOption> options;  // in command-line order
  std::vector<std::string_view> positionals;
};

// Parses `arguments`, the words that follow the command's name, against
// `command`. Returns the options and positional arguments, or a one-line
// error without a newline that starts with the command's name, names the
// argument at fault and how to fix it. The result views `arguments` and
// `command`, so both must outlive it.
std::expected<ParsedCommandLine, std::string> parse_command_line(
    const CommandSpec& command, std::span<const char* const> arguments);

// Parses `arguments` as parse_command_line does. Returns the result, or
// the exit status once it has printed the help to standard output (0) or
// the error to standard error (status_usage_error).
std::expected<ParsedCommandLine, int> parse_and_report(const CommandSpec& command,
                                                       std::span<const char* const> arguments);

// Prints `message` and a newline to standard error. Returns
// status_usage_error.
int report_usage_error(const std::string& message);

// Formats the help of `command`: the usage line, the description, the
// arguments, the options and the footer, wrapped to 80 columns.
std::string format_help(const CommandSpec& command);

// Formats the error line for an invalid `value` of `option`:
// "litebox run: --interception: expected seccomp or sud, got 'foo'".
std::string invalid_value_message(const CommandSpec& command, const OptionSpec& option,
                                  std::string_view value, std::string_view expected);

}  // namespace litebox::cli
