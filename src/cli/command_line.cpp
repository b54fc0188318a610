#include "command_line.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <utility>

namespace litebox::cli {

namespace {

constexpr std::string_view help_short_name = "-h";
constexpr std::string_view help_long_name = "--help";
constexpr std::string_view help_text = "Print this help and exit";

constexpr size_t help_width = 80;
// Help texts start in this column unless every name is shorter. A longer
// name puts its text on the next line.
constexpr size_t max_help_column = 26;

// An argument that names an option, split into the option and the value
// attached to it in "--name=VALUE" or "-nVALUE".
struct OptionMatch {
  const OptionSpec* option;
  std::optional<std::string_view> attached_value;
};

// An argument is an option if it starts with a dash and is not "-" alone,
// which names standard input for many programs.
bool looks_like_option(std::string_view argument) {
  return argument.size() > 1 && argument.front() == '-';
}

std::optional<OptionMatch> find_long_option(std::span<const OptionSpec> options,
                                            std::string_view argument) {
  const size_t equals = argument.find('=');
  const std::string_view name = argument.substr(0, equals);
  for (const OptionSpec& option : options) {
    if (option.long_name != name) {
      continue;
    }
    if (equals == std::string_view::npos) {
      return OptionMatch{.option = &option, .attached_value = std::nullopt};
    }
    return OptionMatch{.option = &option, .attached_value = argument.substr(equals + 1)};
  }
  return std::nullopt;
}

// A short flag matches only alone: "-hx" is no flag, since flags cannot
// be grouped. A short option with a value may have it attached: "-oFILE".
std::optional<OptionMatch> find_short_option(std::span<const OptionSpec> options,
                                             std::string_view argument) {
  for (const OptionSpec& option : options) {
    if (option.short_name.empty() || !argument.starts_with(option.short_name)) {
      continue;
    }
    if (argument.size() == option.short_name.size()) {
      return OptionMatch{.option = &option, .attached_value = std::nullopt};
    }
    if (!option.value_name.empty()) {
      return OptionMatch{.option = &option,
                         .attached_value = argument.substr(option.short_name.size())};
    }
  }
  return std::nullopt;
}

std::optional<OptionMatch> find_option(std::span<const OptionSpec> options,
                                       std::string_view argument) {
  if (argument.starts_with("--")) {
    return find_long_option(options, argument);
  }
  return find_short_option(options, argument);
}

const ParsedOption* find_parsed(const std::vector<ParsedOption>& parsed, const OptionSpec& option) {
  auto found = std::ranges::find(parsed, &option, &ParsedOption::option);
  return found != parsed.end() ? &*found : nullptr;
}

// Names the unknown option without a value attached as "--name=VALUE".
std::unexpected<std::string> unknown_option(const CommandSpec& command, std::string_view argument) {
  const std::string_view name =
      argument.starts_with("--") ? argument.substr(0, argument.find('=')) : argument;
  return std::unexpected(
      fmt::format("{}: unknown option {}; see {} --help", command.name, name, command.name));
}

// Checks what a complete command line must have: the required options and
// the first positional argument.
std::expected<void, std::string> check_required(const CommandSpec& command,
                                                const ParsedCommandLine& parsed) {
  for (const OptionSpec& option : command.options) {
    if (option.required && find_parsed(parsed.options, option) == nullptr) {
      return std::unexpected(fmt::format("{}: missing required option {} {}; see {} --help",
                                         command.name, option.long_name, option.value_name,
                                         command.name));
    }
  }
  if (!command.required_positional.empty() && parsed.positionals.empty()) {
    return std::unexpected(fmt::format("{}: missing {}; see {} --help", command.name,
                                       command.required_positional, command.name));
  }
  return {};
}

// Appends `text` wrapped at help_width columns: it starts in `column`, and
// each further line starts with `indent` spaces. A word longer than a line
// gets a line of its own.
void append_wrapped(std::string& out, std::string_view text, size_t column, size_t indent) {
  bool line_has_words = false;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (word.empty()) {
      continue;
    }

    if (line_has_words && column + 1 + word.size() > help_width) {
      out += '\n';
      out.append(indent, ' ');
      column = indent;
      line_has_words = false;
    }
    if (line_has_words) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_has_words = true;
  }
  out += '\n';
}

// Appends one entry of a list: "  NAME   help", the help aligned on
// `help_column`.
void append_entry(std::string& out, std::string_view name, std::string_view help,
                  size_t help_column) {
  out += "  ";
  out += name;
  size_t column = 2 + name.size();
  if (column + 2 > help_column) {
    out += '\n';
    column = 0;
  }
  out.append(help_column - column, ' ');
  append_wrapped(out, help, help_column, help_column);
}

std::string option_label(const OptionSpec& option) {
  std::string label;
  if (!option.short_name.empty()) {
    label += option.short_name;
    label += ", ";
  }
  label += option.long_name;
  if (!option.value_name.empty()) {
    label += ' ';
    label += option.value_name;
  }
  return label;
}

std::string option_help(const OptionSpec& option) {
  std::string help(option.help);
  if (option.required) {
    help += " (required)";
  }
  if (option.repeatable) {
    help += " (repeatable)";
  }
  return help;
}

}  // namespace

std::expected<ParsedCommandLine, std::string> parse_command_line(
    const CommandSpec& command, std::span<const char* const> arguments) {
  ParsedCommandLine parsed;
  bool options_ended = false;

  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string_view argument = arguments[i];
    if (options_ended || !looks_like_option(argument)) {
      parsed.positionals.push_back(argument);
      if (command.placement == OptionPlacement::before_positionals) {
        options_ended = true;
      }
      continue;
    }
    if (argument == "--") {
      options_ended = true;
      continue;
    }
    if (argument == help_short_name || argument == help_long_name) {
      return ParsedCommandLine{.help_requested = true};
    }

    const std::optional<OptionMatch> match = find_option(command.options, argument);
    if (!match) {
      return unknown_option(command, argument);
    }
    const OptionSpec& option = *match->option;

    if (option.value_name.empty()) {
      if (match->attached_value) {
        return std::unexpected(fmt::format("{}: {} takes no value, got '{}'; give {} alone",
                                           command.name, option.long_name, *match->attached_value,
                                           option.long_name));
      }
      parsed.options.push_back({.option = &option, .value = {}});
      continue;
    }

    std::string_view value;
    if (match->attached_value) {
      value = *match->attached_value;
    } else if (i + 1 < arguments.size()) {
      ++i;
      value = arguments[i];
    } else {
      return std::unexpected(fmt::format("{}: missing value for {}; give {} {}", command.name,
                                         argument, argument, option.value_name));
    }

    if (const ParsedOption* earlier = find_parsed(parsed.options, option);
        earlier != nullptr && !option.repeatable) {
      return std::unexpected(fmt::format("{}: {} given twice ('{}', then '{}'); give it once",
                                         command.name, option.long_name, earlier->value, value));
    }
    parsed.options.push_back({.option = &option, .value = value});
  }

  if (auto complete = check_required(command, parsed); !complete) {
    return std::unexpected(std::move(complete.error()));
  }
  return parsed;
}

std::expected<ParsedCommandLine, int> parse_and_report(const CommandSpec& command,
                                                       std::span<const char* const> arguments) {
  auto parsed = parse_command_line(command, arguments);
  if (!parsed) {
    return std::unexpected(report_usage_error(parsed.error()));
  }
  if (parsed->help_requested) {
    std::fputs(format_help(command).c_str(), stdout);
    return std::unexpected(0);
  }
  return std::move(*parsed);
}

int report_usage_error(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return status_usage_error;
}

std::string format_help(const CommandSpec& command) {
  size_t widest_name = help_long_name.size() + help_short_name.size() + 2;
  for (const HelpEntry& argument : command.arguments) {
    widest_name = std::max(widest_name, argument.name.size());
  }
  for (const OptionSpec& option : command.options) {
    widest_name = std::max(widest_name, option_label(option).size());
  }
  const size_t help_column = std::min(2 + widest_name + 2, max_help_column);

  std::string help = fmt::format("Usage: {} {}\n\n", command.name, command.usage);
  append_wrapped(help, command.description, 0, 0);

  if (!command.arguments.empty()) {
    help += '\n';
    help += command.arguments_heading;
    help += '\n';
    for (const HelpEntry& argument : command.arguments) {
      append_entry(help, argument.name, argument.help, help_column);
    }
  }

  help += "\nOptions:\n";
  append_entry(help, fmt::format("{}, {}", help_short_name, help_long_name), help_text,
               help_column);
  for (const OptionSpec& option : command.options) {
    append_entry(help, option_label(option), option_help(option), help_column);
  }

  std::string_view footer = command.footer;
  if (!footer.empty()) {
    help += '\n';
  }
  while (!footer.empty()) {
    const size_t newline = footer.find('\n');
    append_wrapped(help, footer.substr(0, newline), 0, 0);
    footer = newline == std::string_view::npos ? std::string_view() : footer.substr(newline + 1);
  }
  return help;
}

std::string invalid_value_message(const CommandSpec& command, const OptionSpec& option,
                                  std::string_view value, std::string_view expected) {
  return fmt::format("{}: {}: expected {}, got '{}'", command.name, option.long_name, expected,
                     value);
}

}  // namespace litebox::cli
