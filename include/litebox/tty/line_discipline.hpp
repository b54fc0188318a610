// LineDiscipline: the terminal line discipline (Linux's N_TTY) of one
// pseudo-terminal, as termios(3) and tty_ioctl(4) describe it. It keeps the
// replica's settings and turns bytes from the primary into the replica's
// input: ICRNL and friends, canonical line editing with ERASE, WERASE,
// KILL, LNEXT and EOF, echo, and ISIG and IXON characters. It also turns
// what the replica writes into output for the primary (OPOST: ONLCR,
// OCRNL, ONOCR, ONLRET, OLCUC, XTABS). It has no lock of its own, because
// PseudoTerminal guards it and does the waiting.
//
// The termios bit values are Linux's, which the Linux shim passes through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "litebox/platform/stdio.hpp"

namespace litebox::tty {

// The signals a terminal sends, with their Linux numbers.
enum class TerminalSignal : int {
  hangup = 1,
  interrupt = 2,
  quit = 3,
  resume = 18,
  suspend = 20,
  terminal_input = 21,
  terminal_output = 22,
  window_change = 28,
};

namespace termios {
// c_iflag
inline constexpr uint32_t ignore_cr = 0200;             // IGNCR
inline constexpr uint32_t strip = 040;                  // ISTRIP
inline constexpr uint32_t nl_to_cr = 0100;              // INLCR
inline constexpr uint32_t cr_to_nl = 0400;              // ICRNL
inline constexpr uint32_t upper_to_lower = 01000;       // IUCLC
inline constexpr uint32_t output_flow_control = 02000;  // IXON
inline constexpr uint32_t restart_on_any = 04000;       // IXANY
inline constexpr uint32_t utf8 = 040000;                // IUTF8
// c_oflag
inline constexpr uint32_t post_process = 01;        // OPOST
inline constexpr uint32_t lower_to_upper = 02;      // OLCUC
inline constexpr uint32_t nl_to_crnl = 04;          // ONLCR
inline constexpr uint32_t cr_to_nl_output = 010;    // OCRNL
inline constexpr uint32_t no_cr_at_column_0 = 020;  // ONOCR
inline constexpr uint32_t nl_returns = 040;         // ONLRET
inline constexpr uint32_t tab_delay_mask = 014000;  // TABDLY
inline constexpr uint32_t expand_tabs = 014000;     // XTABS
// c_cflag
inline constexpr uint32_t baud_38400 = 017;          // B38400
inline constexpr uint32_t character_size_8 = 060;    // CS8
inline constexpr uint32_t enable_receiver = 0200;    // CREAD
inline constexpr uint32_t hang_up_on_close = 02000;  // HUPCL
// c_lflag
inline constexpr uint32_t signals = 01;             // ISIG
inline constexpr uint32_t canonical = 02;           // ICANON
inline constexpr uint32_t echo = 010;               // ECHO
inline constexpr uint32_t echo_erase = 020;         // ECHOE
inline constexpr uint32_t echo_kill = 040;          // ECHOK
inline constexpr uint32_t echo_newline = 0100;      // ECHONL
inline constexpr uint32_t no_flush = 0200;          // NOFLSH
inline constexpr uint32_t background_stop = 0400;   // TOSTOP
inline constexpr uint32_t echo_control = 01000;     // ECHOCTL
inline constexpr uint32_t echo_kill_erase = 04000;  // ECHOKE
inline constexpr uint32_t extended = 0100000;       // IEXTEN
// c_cc indexes
inline constexpr size_t interrupt_char = 0;      // VINTR
inline constexpr size_t quit_char = 1;           // VQUIT
inline constexpr size_t erase_char = 2;          // VERASE
inline constexpr size_t kill_char = 3;           // VKILL
inline constexpr size_t eof_char = 4;            // VEOF
inline constexpr size_t time_char = 5;           // VTIME
inline constexpr size_t minimum_char = 6;        // VMIN
inline constexpr size_t start_char = 8;          // VSTART
inline constexpr size_t stop_char = 9;           // VSTOP
inline constexpr size_t suspend_char = 10;       // VSUSP
inline constexpr size_t eol_char = 11;           // VEOL
inline constexpr size_t reprint_char = 12;       // VREPRINT
inline constexpr size_t word_erase_char = 14;    // VWERASE
inline constexpr size_t literal_next_char = 15;  // VLNEXT
inline constexpr size_t eol2_char = 16;          // VEOL2
}  // namespace termios

// The settings a new replica starts with on Linux: ICRNL | IXON, OPOST |
// ONLCR, B38400 | CS8 | CREAD, ISIG | ICANON | ECHO | ECHOE | ECHOK |
// ECHOCTL | ECHOKE | IEXTEN, and ^C ^\ DEL ^U ^D as INTR QUIT ERASE KILL
// EOF, VMIN 1, ^Q ^S ^Z as START STOP SUSP, ^R ^O ^W ^V as REPRINT
// DISCARD WERASE LNEXT.
platform::TerminalAttributes default_replica_attributes();

class LineDiscipline {
 public:
  // The input buffer of Linux's N_TTY: 4096 bytes, of which 4095 hold
  // input, the most FIONREAD reports.
  static constexpr size_t input_capacity = 4095;
  // Bytes the primary may write beyond that before its writes wait, and
  // bytes of output the primary may leave unread before the replica's
  // writes wait. Linux 6.18 takes 13824 bytes in either direction on
  // x86-64; these are close.
  static constexpr size_t pending_input_capacity = 8192;
  static constexpr size_t output_capacity = 12288;

  LineDiscipline();

  const platform::TerminalAttributes& attributes() const { return attributes_; }
  // Applies new settings. Turning ICANON on makes buffered input one line,
  // turning it off makes every buffered byte readable, and clearing IXON
  // restarts stopped output.
  void set_attributes(const platform::TerminalAttributes& attributes);

  bool canonical() const;
  uint8_t minimum() const;  // VMIN
  uint8_t time() const;     // VTIME, in tenths of a second

  // Takes what fits of `data` from the primary and processes it as input,
  // appending the signals that ISIG characters raise to `raised`. Returns
  // the bytes taken; 0 when nothing fits.
  size_t receive(std::span<const std::byte> data, std::vector<TerminalSignal>& raised);
  // Processes input held back for want of room; call after a read.
  void process_pending(std::vector<TerminalSignal>& raised);
  // Whether receive() would take a byte now.
  bool accepts_input() const { return pending_input_.size() < pending_input_capacity; }

  // Whether a read of the replica would find input: a complete line in
  // canonical mode, else at least `minimum_bytes` bytes.
  bool input_ready(size_t minimum_bytes) const;
  // Copies input to `buffer`: at most one line in canonical mode, where an
  // EOF character ends a line without being returned. `spurious_eof`
  // reports an EOF after a line that earlier reads took part of, which
  // must not read as end of file, so the caller waits on.
  size_t read_input(std::span<std::byte> buffer, bool& spurious_eof);
  // FIONREAD of the replica: the bytes of complete lines in canonical mode
  // (EOF characters not counted), else every buffered byte.
  size_t input_count() const;
  void flush_input();

  // Processes what fits of `data` written by the replica into the output
  // queue. Returns the bytes taken; 0 when nothing fits or output is
  // stopped (IXON).
  size_t transmit(std::span<const std::byte> data);
  bool output_writable() const;
  size_t read_output(std::span<std::byte> buffer);
  size_t output_count() const { return output_.size(); }
  void flush_output();
  bool stopped() const { return stopped_; }

 private:
  struct Cell {
    uint8_t byte;
    bool line_end;  // ends a line in canonical mode; byte 0 marks EOF
  };

  bool input(uint32_t flag) const { return (attributes_.input_flags & flag) != 0; }
  bool output(uint32_t flag) const { return (attributes_.output_flags & flag) != 0; }
  bool local(uint32_t flag) const { return (attributes_.local_flags & flag) != 0; }
  uint8_t control(size_t index) const { return attributes_.control_characters[index]; }
  // Whether `c` is the enabled special character at `index` (0 disables).
  bool is_special(uint8_t c, size_t index) const;

  // Makes room for one more processed input byte. In canonical mode without
  // a complete line, the last byte of the line makes way, as on Linux.
  bool make_room();
  void process_byte(uint8_t c, std::vector<TerminalSignal>& raised);
  // Handles the characters special in canonical mode; false for others.
  bool process_canonical(uint8_t c);
  void store(uint8_t c);
  void end_line(uint8_t c);
  void raise(TerminalSignal signal, uint8_t c, std::vector<TerminalSignal>& raised);
  void erase(uint8_t c);
  void start_output();

  // Echo: a byte through output processing, a control character as ^X
  // when ECHOCTL is set, and raw bytes such as the "\b \b" of ECHOE.
  void echo_char(uint8_t c);
  void echo_raw(uint8_t c);
  void emit_echo(const std::string& bytes, int column_change);
  // Moves what fits of the pending echoes to the output, unless stopped.
  void flush_echoes();
  // Appends the OPOST expansion of `c` to `bytes` and moves the column.
  void expand_output(uint8_t c, std::string& bytes);
  uint32_t columns_before_tab() const;

  platform::TerminalAttributes attributes_;

  std::deque<Cell> input_;
  size_t complete_ = 0;  // leading cells of input_ that form whole lines
  std::deque<uint8_t> pending_input_;
  // A read took part of the current line, and whether the last ICANON
  // change made the buffered bytes a line (Linux's "push").
  bool mid_line_ = false;
  bool pushed_ = false;
  bool literal_next_ = false;

  std::deque<uint8_t> output_;
  std::string pending_echoes_;  // echoes of input still being processed
  bool stopped_ = false;
  uint32_t column_ = 0;
  uint32_t line_start_column_ = 0;  // the column where the current input line began
};

}  // namespace litebox::tty
