// The command-line parser of the litebox commands: one test per rule.
#include "command_line.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace litebox::cli {
namespace {

enum TestOptionId : int { verbose_option, name_option, tag_option, output_option };

constexpr OptionSpec test_options[] = {
    {.id = verbose_option,
     .long_name = "--verbose",
     .short_name = "",
     .value_name = "",
     .help = "Print more"},
    {.id = name_option,
     .long_name = "--name",
     .short_name = "",
     .value_name = "NAME",
     .help = "A name"},
    {.id = tag_option,
     .long_name = "--tag",
     .short_name = "",
     .value_name = "TAG",
     .help = "A tag",
     .repeatable = true},
    {.id = output_option,
     .long_name = "--output",
     .short_name = "-o",
     .value_name = "FILE",
     .help = "The file to write, with a help text long enough that the help wraps it onto a "
             "second and a third line at eighty columns"},
};

constexpr HelpEntry test_arguments[] = {
    {.name = "PROGRAM [ARGS...]", .help = "The program and its arguments"},
};

// Options and positional arguments mix, as in `litebox rootfs`.
constexpr CommandSpec mixed_command{
    .name = "tool",
    .usage = "[OPTIONS] FILE...",
    .description = "A test command.",
    .arguments_heading = "Arguments:",
    .arguments = test_arguments,
    .options = test_options,
    .placement = OptionPlacement::anywhere,
    .required_positional = "",
    .footer = "First paragraph.\nSecond paragraph.",
};

// The first positional argument ends the options, as in `litebox run`.
constexpr CommandSpec program_command{
    .name = "tool run",
    .usage = "[OPTIONS] [--] PROGRAM [ARGS...]",
    .description = "A test command that runs a program.",
    .arguments_heading = "Arguments:",
    .arguments = test_arguments,
    .options = test_options,
    .placement = OptionPlacement::before_positionals,
    .required_positional = "PROGRAM",
    .footer = "",
};

constexpr OptionSpec required_options[] = {
    {.id = output_option,
     .long_name = "--output",
     .short_name = "-o",
     .value_name = "FILE",
     .help = "The file to write",
     .required = true},
};

constexpr CommandSpec required_option_command{
    .name = "tool",
    .usage = "-o FILE",
    .description = "A test command with a required option.",
    .arguments_heading = "",
    .arguments = {},
    .options = required_options,
    .placement = OptionPlacement::anywhere,
    .required_positional = "",
    .footer = "",
};

std::expected<ParsedCommandLine, std::string> parse(const CommandSpec& command,
                                                    std::initializer_list<const char*> arguments) {
  // The parsed views point into the string literals, which outlive the list.
  const std::vector<const char*> words(arguments);
  return parse_command_line(command, words);
}

std::vector<std::string_view> values_of(const ParsedCommandLine& parsed, int id) {
  std::vector<std::string_view> values;
  for (const ParsedOption& option : parsed.options) {
    if (option.option->id == id) {
      values.push_back(option.value);
    }
  }
  return values;
}

TEST(CommandLine, FlagTakesNoValue) {
  auto parsed = parse(mixed_command, {"--verbose", "file"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  ASSERT_EQ(parsed->options.size(), 1U);
  EXPECT_EQ(parsed->options[0].option->id, verbose_option);
  EXPECT_EQ(parsed->options[0].value, "");
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"file"}));
}

TEST(CommandLine, FlagMayRepeat) {
  auto parsed = parse(mixed_command, {"--verbose", "--verbose"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, verbose_option).size(), 2U);
}

TEST(CommandLine, FlagWithValueIsRejected) {
  auto parsed = parse(mixed_command, {"--verbose=1", "file"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: --verbose takes no value, got '1'; give --verbose alone");
}

TEST(CommandLine, ValueAfterEqualsSign) {
  auto parsed = parse(mixed_command, {"--name=first=second", "file"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, name_option), (std::vector<std::string_view>{"first=second"}));
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"file"}));
}

TEST(CommandLine, EmptyValueAfterEqualsSign) {
  auto parsed = parse(mixed_command, {"--name="});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, name_option), (std::vector<std::string_view>{""}));
}

TEST(CommandLine, ValueAsNextArgument) {
  auto parsed = parse(mixed_command, {"--name", "value", "file"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, name_option), (std::vector<std::string_view>{"value"}));
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"file"}));
}

TEST(CommandLine, NextArgumentIsValueEvenWithDash) {
  auto parsed = parse(mixed_command, {"--name", "--verbose", "file"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, name_option), (std::vector<std::string_view>{"--verbose"}));
  EXPECT_TRUE(values_of(*parsed, verbose_option).empty());
}

TEST(CommandLine, ShortOptionValueSeparateOrAttached) {
  auto separate = parse(mixed_command, {"-o", "out.tar", "file"});
  ASSERT_TRUE(separate.has_value()) << separate.error();
  EXPECT_EQ(values_of(*separate, output_option), (std::vector<std::string_view>{"out.tar"}));

  auto attached = parse(mixed_command, {"-oout.tar", "file"});
  ASSERT_TRUE(attached.has_value()) << attached.error();
  EXPECT_EQ(values_of(*attached, output_option), (std::vector<std::string_view>{"out.tar"}));
  EXPECT_EQ(attached->positionals, (std::vector<std::string_view>{"file"}));
}

TEST(CommandLine, MissingValueIsRejected) {
  auto parsed = parse(mixed_command, {"file", "--name"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: missing value for --name; give --name NAME");
}

TEST(CommandLine, MissingShortValueNamesShortForm) {
  auto parsed = parse(mixed_command, {"file", "-o"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: missing value for -o; give -o FILE");
}

TEST(CommandLine, UnknownLongOptionIsRejected) {
  auto parsed = parse(mixed_command, {"--verbse", "file"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: unknown option --verbse; see tool --help");
}

TEST(CommandLine, UnknownOptionWithValueIsNamedAlone) {
  auto parsed = parse(mixed_command, {"--verbse=2", "file"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: unknown option --verbse; see tool --help");
}

TEST(CommandLine, UnknownShortOptionIsRejected) {
  auto parsed = parse(mixed_command, {"-x", "file"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: unknown option -x; see tool --help");
}

TEST(CommandLine, LongNamesAreNotAbbreviated) {
  auto parsed = parse(mixed_command, {"--verb", "file"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: unknown option --verb; see tool --help");
}

TEST(CommandLine, DoubleDashEndsOptions) {
  auto parsed = parse(mixed_command, {"--verbose", "--", "--name", "-o", "--"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, verbose_option).size(), 1U);
  EXPECT_TRUE(values_of(*parsed, name_option).empty());
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"--name", "-o", "--"}));
}

TEST(CommandLine, DashAloneIsPositional) {
  auto parsed = parse(mixed_command, {"-", "--verbose"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"-"}));
  EXPECT_EQ(values_of(*parsed, verbose_option).size(), 1U);
}

TEST(CommandLine, OptionsMixWithPositionalsAnywhere) {
  auto parsed = parse(mixed_command, {"first", "--name", "value", "second", "--verbose"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"first", "second"}));
  EXPECT_EQ(values_of(*parsed, name_option), (std::vector<std::string_view>{"value"}));
  EXPECT_EQ(values_of(*parsed, verbose_option).size(), 1U);
}

TEST(CommandLine, OptionsAfterProgramGoToProgram) {
  auto parsed =
      parse(program_command, {"--verbose", "prog", "--verbose", "--name=x", "--", "-h", "--bogus"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_FALSE(parsed->help_requested);
  EXPECT_EQ(values_of(*parsed, verbose_option).size(), 1U);
  EXPECT_TRUE(values_of(*parsed, name_option).empty());
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"prog", "--verbose", "--name=x",
                                                                "--", "-h", "--bogus"}));
}

TEST(CommandLine, DoubleDashBeforeProgramIsDropped) {
  auto parsed = parse(program_command, {"--name", "x", "--", "--prog", "--"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, name_option), (std::vector<std::string_view>{"x"}));
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"--prog", "--"}));
}

TEST(CommandLine, MissingProgramIsRejected) {
  auto parsed = parse(program_command, {"--verbose", "--"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool run: missing PROGRAM; see tool run --help");
}

TEST(CommandLine, RepeatableOptionKeepsValuesInOrder) {
  auto parsed = parse(mixed_command, {"--tag", "b", "file", "--tag=a", "--tag", "c"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, tag_option), (std::vector<std::string_view>{"b", "a", "c"}));
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"file"}));
}

TEST(CommandLine, RepeatableOptionTakesOneValueEach) {
  auto parsed = parse(mixed_command, {"--tag", "a", "b"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(values_of(*parsed, tag_option), (std::vector<std::string_view>{"a"}));
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"b"}));
}

TEST(CommandLine, SingleOptionGivenTwiceIsRejected) {
  auto parsed = parse(mixed_command, {"--name", "a", "--name=b"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: --name given twice ('a', then 'b'); give it once");
}

TEST(CommandLine, ShortAndLongFormsAreOneOption) {
  auto parsed = parse(mixed_command, {"-o", "a", "--output=b"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: --output given twice ('a', then 'b'); give it once");
}

TEST(CommandLine, MissingRequiredOptionIsRejected) {
  auto parsed = parse(required_option_command, {});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool: missing required option --output FILE; see tool --help");

  auto with_output = parse(required_option_command, {"-o", "out"});
  ASSERT_TRUE(with_output.has_value()) << with_output.error();
  EXPECT_EQ(values_of(*with_output, output_option), (std::vector<std::string_view>{"out"}));
}

TEST(CommandLine, HelpStopsParsing) {
  for (const char* help : {"-h", "--help"}) {
    auto parsed = parse(program_command, {"--verbose", help, "--bogus"});
    ASSERT_TRUE(parsed.has_value()) << help << ": " << parsed.error();
    EXPECT_TRUE(parsed->help_requested) << help;
    EXPECT_TRUE(parsed->options.empty()) << help;
    EXPECT_TRUE(parsed->positionals.empty()) << help;
  }
}

TEST(CommandLine, HelpNeedsNoRequiredArguments) {
  auto parsed = parse(required_option_command, {"--help"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_TRUE(parsed->help_requested);
}

TEST(CommandLine, ErrorBeforeHelpIsReported) {
  auto parsed = parse(program_command, {"--bogus", "--help"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error(), "tool run: unknown option --bogus; see tool run --help");
}

TEST(CommandLine, HelpAfterProgramGoesToProgram) {
  auto parsed = parse(program_command, {"prog", "--help"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_FALSE(parsed->help_requested);
  EXPECT_EQ(parsed->positionals, (std::vector<std::string_view>{"prog", "--help"}));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    lines.push_back(line);
  }
  return lines;
}

TEST(CommandLine, HelpListsEveryOption) {
  const std::string help = format_help(mixed_command);
  const std::vector<std::string> lines = lines_of(help);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "Usage: tool [OPTIONS] FILE...");

  for (std::string_view expected : {"  -h, --help", "  --verbose", "  --name NAME", "  --tag TAG",
                                    "  -o, --output FILE", "  PROGRAM [ARGS...]"}) {
    const bool listed = std::ranges::any_of(
        lines, [&](const std::string& line) { return line.starts_with(expected); });
    EXPECT_TRUE(listed) << "no line starts with '" << expected << "' in:\n" << help;
  }
  EXPECT_NE(help.find("A tag (repeatable)"), std::string::npos) << help;
  EXPECT_NE(help.find("\nFirst paragraph.\nSecond paragraph.\n"), std::string::npos) << help;
}

TEST(CommandLine, HelpMarksRequiredOption) {
  const std::string help = format_help(required_option_command);
  EXPECT_NE(help.find("The file to write (required)"), std::string::npos) << help;
}

TEST(CommandLine, HelpWrapsAtEightyColumns) {
  const std::string help = format_help(mixed_command);
  const std::vector<std::string> lines = lines_of(help);
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 80U) << line;
  }

  // The text of --output continues on lines indented to its first line's
  // column.
  auto output = std::ranges::find_if(
      lines, [](const std::string& line) { return line.starts_with("  -o, --output FILE"); });
  ASSERT_NE(output, lines.end()) << help;
  const size_t column = output->find("The file to write");
  ASSERT_NE(column, std::string::npos) << *output;
  ASSERT_NE(output + 1, lines.end()) << help;
  const std::string& continuation = *(output + 1);
  EXPECT_EQ(continuation.find_first_not_of(' '), column) << help;
}

TEST(CommandLine, InvalidValueMessageNamesValue) {
  EXPECT_EQ(invalid_value_message(program_command, test_options[name_option], "foo", "a or b"),
            "tool run: --name: expected a or b, got 'foo'");
}

}  // namespace
}  // namespace litebox::cli
