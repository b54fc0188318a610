// The pseudo-terminal line discipline. Tests named *MatchesHost feed the
// same bytes to a host pseudo-terminal in the same test and expect the same
// echo and the same input for the replica's reader.
#include "litebox/tty/line_discipline.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace litebox::tty {
namespace {

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// What the replica's reader and the primary see after `input` is written
// to the primary in one write.
struct Outcome {
  std::string echo;
  std::string line;  // the first read of the replica; empty for none
  std::vector<TerminalSignal> signals;
};

Outcome run_sandbox(const std::string& input) {
  LineDiscipline discipline;
  Outcome outcome;
  EXPECT_EQ(discipline.receive(bytes_of(input), outcome.signals), input.size());

  std::vector<std::byte> buffer(256);
  outcome.echo.resize(discipline.output_count());
  std::vector<std::byte> echo(outcome.echo.size());
  discipline.read_output(echo);
  std::memcpy(outcome.echo.data(), echo.data(), echo.size());
  if (discipline.input_ready(1)) {
    bool spurious_eof = false;
    const size_t count = discipline.read_input(buffer, spurious_eof);
    outcome.line.assign(reinterpret_cast<const char*>(buffer.data()), count);
  }
  return outcome;
}

// Reads what comes within 200 ms of each read: only the first read for
// the replica, whose canonical reads return one line each.
std::string drain(int descriptor, bool first_read_only) {
  std::string result;
  pollfd waiter{descriptor, POLLIN, 0};
  while (poll(&waiter, 1, 200) == 1 && (waiter.revents & POLLIN) != 0) {
    char buffer[256];
    const ssize_t count = read(descriptor, buffer, sizeof buffer);
    if (count <= 0) {
      break;
    }
    result.append(buffer, static_cast<size_t>(count));
    if (first_read_only) {
      break;
    }
  }
  return result;
}

Outcome run_host(const std::string& input) {
  int primary = -1;
  int replica = -1;
  Outcome outcome;
  if (openpty(&primary, &replica, nullptr, nullptr, nullptr) != 0) {
    ADD_FAILURE() << "openpty failed: " << std::strerror(errno);
    return outcome;
  }
  EXPECT_EQ(write(primary, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  outcome.line = drain(replica, true);
  outcome.echo = drain(primary, false);
  close(primary);
  close(replica);
  return outcome;
}

TEST(LineDiscipline, CanonicalEditingMatchesHost) {
  const std::string inputs[] = {
      "hello\r",
      "abx\x7f"
      "c\n",
      "junk\x15ok\n",
      "one two\x17three\n",
      "part\x04",
      "\x01\t\x7f\x7fz\n",
      "\x16\x03lit\n",
      "tab\tstop\x7f\x7f\x7f\x7f\x7f\n",
      "\xc3\xa9t\xc3\xa9\n",
  };
  for (const std::string& input : inputs) {
    const Outcome host = run_host(input);
    const Outcome sandbox = run_sandbox(input);
    EXPECT_EQ(sandbox.echo, host.echo) << "input: " << input;
    EXPECT_EQ(sandbox.line, host.line) << "input: " << input;
  }
}

TEST(LineDiscipline, InterruptFlushesLineAndEchoes) {
  const Outcome sandbox = run_sandbox("abc\x03");
  EXPECT_EQ(sandbox.echo, "^C");
  EXPECT_TRUE(sandbox.line.empty());
  ASSERT_EQ(sandbox.signals.size(), 1u);
  EXPECT_EQ(sandbox.signals[0], TerminalSignal::interrupt);
}

TEST(LineDiscipline, QuitAndSuspendRaiseSignals) {
  EXPECT_EQ(run_sandbox("\x1c").signals, std::vector{TerminalSignal::quit});
  EXPECT_EQ(run_sandbox("\x1a").signals, std::vector{TerminalSignal::suspend});
}

TEST(LineDiscipline, RawModePassesBytesThrough) {
  LineDiscipline discipline;
  platform::TerminalAttributes raw = discipline.attributes();
  raw.input_flags = 0;
  raw.output_flags = 0;
  raw.local_flags = 0;
  discipline.set_attributes(raw);

  std::vector<TerminalSignal> signals;
  const std::string input = "a\rb\x03\x7f";
  ASSERT_EQ(discipline.receive(bytes_of(input), signals), input.size());
  EXPECT_TRUE(signals.empty());
  EXPECT_EQ(discipline.output_count(), 0u);
  EXPECT_EQ(discipline.input_count(), input.size());

  const std::string output = "x\ny";
  ASSERT_EQ(discipline.transmit(bytes_of(output)), output.size());
  EXPECT_EQ(discipline.output_count(), output.size());
}

TEST(LineDiscipline, StopCharacterHoldsOutput) {
  LineDiscipline discipline;
  std::vector<TerminalSignal> signals;
  discipline.receive(bytes_of("\x13"), signals);
  EXPECT_TRUE(discipline.stopped());
  EXPECT_EQ(discipline.transmit(bytes_of("x")), 0u);
  discipline.receive(bytes_of("\x11"), signals);
  EXPECT_FALSE(discipline.stopped());
  EXPECT_EQ(discipline.transmit(bytes_of("x")), 1u);
}

TEST(LineDiscipline, CanonicalSwitchMakesBufferedInputALine) {
  LineDiscipline discipline;
  platform::TerminalAttributes settings = discipline.attributes();
  settings.local_flags &= ~termios::canonical;
  discipline.set_attributes(settings);
  std::vector<TerminalSignal> signals;
  discipline.receive(bytes_of("abc"), signals);

  settings.local_flags |= termios::canonical;
  discipline.set_attributes(settings);
  EXPECT_TRUE(discipline.input_ready(1));
  std::vector<std::byte> buffer(16);
  bool spurious_eof = false;
  EXPECT_EQ(discipline.read_input(buffer, spurious_eof), 3u);
}

}  // namespace
}  // namespace litebox::tty
