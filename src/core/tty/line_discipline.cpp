#include "litebox/tty/line_discipline.hpp"

#include <algorithm>
#include <cstring>

namespace litebox::tty {

namespace {

// Control characters as Linux's own ctype table marks them: C0, DEL and
// the C1 range 0x80-0x9f.
bool is_control(uint8_t c) { return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0); }

bool is_word_character(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_utf8_continuation(uint8_t c) { return (c & 0xc0) == 0x80; }

// Echoes wait until the input that caused them has been processed, as in
// Linux's echo buffer of 4096 bytes, which it also writes out once 256
// bytes have gathered.
constexpr size_t echo_capacity = 4096;
constexpr size_t echo_flush_threshold = 256;

}  // namespace

platform::TerminalAttributes default_replica_attributes() {
  platform::TerminalAttributes attributes;
  attributes.input_flags = termios::cr_to_nl | termios::output_flow_control;
  attributes.output_flags = termios::post_process | termios::nl_to_crnl;
  attributes.control_flags =
      termios::baud_38400 | termios::character_size_8 | termios::enable_receiver;
  attributes.local_flags = termios::signals | termios::canonical | termios::echo |
                           termios::echo_erase | termios::echo_kill | termios::echo_control |
                           termios::echo_kill_erase | termios::extended;
  constexpr uint8_t characters[] = {
      003,   // VINTR ^C
      034,   // VQUIT ^backslash
      0177,  // VERASE DEL
      025,   // VKILL ^U
      004,   // VEOF ^D
      0,     // VTIME
      1,     // VMIN
      0,     // VSWTC
      021,   // VSTART ^Q
      023,   // VSTOP ^S
      032,   // VSUSP ^Z
      0,     // VEOL
      022,   // VREPRINT ^R
      017,   // VDISCARD ^O
      027,   // VWERASE ^W
      026,   // VLNEXT ^V
      0,     // VEOL2
  };
  std::memcpy(attributes.control_characters, characters, sizeof characters);
  return attributes;
}

LineDiscipline::LineDiscipline() : attributes_(default_replica_attributes()) {}

bool LineDiscipline::canonical() const { return local(termios::canonical); }
uint8_t LineDiscipline::minimum() const { return control(termios::minimum_char); }
uint8_t LineDiscipline::time() const { return control(termios::time_char); }

bool LineDiscipline::is_special(uint8_t c, size_t index) const {
  return c != 0 && control(index) == c;
}

void LineDiscipline::set_attributes(const platform::TerminalAttributes& attributes) {
  const bool was_canonical = canonical();
  const bool had_flow_control = input(termios::output_flow_control);
  attributes_ = attributes;

  if (was_canonical != canonical()) {
    // Line ends (and EOF marks) lose their meaning; a switch to canonical
    // mode makes what is buffered one line.
    for (Cell& cell : input_) {
      cell.line_end = false;
    }
    mid_line_ = false;
    literal_next_ = false;
    if (canonical() && !input_.empty()) {
      input_.back().line_end = true;
      complete_ = input_.size();
      pushed_ = true;
    } else {
      complete_ = 0;
      pushed_ = false;
    }
  }
  if (had_flow_control && !input(termios::output_flow_control)) {
    start_output();
  }
}

size_t LineDiscipline::receive(std::span<const std::byte> data,
                               std::vector<TerminalSignal>& raised) {
  const size_t taken =
      std::min(data.size(),
               pending_input_capacity - std::min(pending_input_capacity, pending_input_.size()));
  for (size_t i = 0; i < taken; ++i) {
    pending_input_.push_back(static_cast<uint8_t>(data[i]));
  }
  process_pending(raised);
  return taken;
}

void LineDiscipline::process_pending(std::vector<TerminalSignal>& raised) {
  while (!pending_input_.empty() && make_room()) {
    const uint8_t c = pending_input_.front();
    pending_input_.pop_front();
    process_byte(c, raised);
  }
  flush_echoes();
}

bool LineDiscipline::make_room() {
  if (input_.size() < input_capacity) {
    return true;
  }
  // A full line that has no end yet would stop input for good, so the
  // newest byte makes way and line ends and erases still get through.
  if (canonical() && complete_ == 0) {
    if (input_.size() > input_capacity) {
      input_.pop_back();
    }
    return true;
  }
  return false;
}

void LineDiscipline::process_byte(uint8_t c, std::vector<TerminalSignal>& raised) {
  const bool literal = literal_next_;
  literal_next_ = false;
  if (input(termios::strip)) {
    c &= 0x7f;
  }
  if (input(termios::upper_to_lower) && local(termios::extended) && c >= 'A' && c <= 'Z') {
    c = static_cast<uint8_t>(c - 'A' + 'a');
  }

  if (!literal) {
    if (input(termios::output_flow_control)) {
      if (is_special(c, termios::start_char)) {
        start_output();
        return;
      }
      if (is_special(c, termios::stop_char)) {
        stopped_ = true;
        return;
      }
    }
    if (local(termios::signals)) {
      if (is_special(c, termios::interrupt_char)) {
        raise(TerminalSignal::interrupt, c, raised);
        return;
      }
      if (is_special(c, termios::quit_char)) {
        raise(TerminalSignal::quit, c, raised);
        return;
      }
      if (is_special(c, termios::suspend_char)) {
        raise(TerminalSignal::suspend, c, raised);
        return;
      }
    }
    if (stopped_ && input(termios::output_flow_control) && input(termios::restart_on_any)) {
      start_output();
    }
    if (c == '\r') {
      if (input(termios::ignore_cr)) {
        return;
      }
      if (input(termios::cr_to_nl)) {
        c = '\n';
      }
    } else if (c == '\n' && input(termios::nl_to_cr)) {
      c = '\r';
    }
    if (canonical() && process_canonical(c)) {
      return;
    }
  }

  if (local(termios::echo)) {
    if (c == '\n') {
      echo_raw('\n');
    } else {
      if (input_.size() == complete_) {
        line_start_column_ = column_;
      }
      echo_char(c);
    }
  }
  store(c);
}

bool LineDiscipline::process_canonical(uint8_t c) {
  const bool extended = local(termios::extended);
  if (is_special(c, termios::erase_char) || is_special(c, termios::kill_char) ||
      (extended && is_special(c, termios::word_erase_char))) {
    erase(c);
    return true;
  }
  if (extended && is_special(c, termios::literal_next_char)) {
    literal_next_ = true;
    if (local(termios::echo) && local(termios::echo_control)) {
      echo_raw('^');
      echo_raw('\b');
    }
    return true;
  }
  if (extended && local(termios::echo) && is_special(c, termios::reprint_char)) {
    echo_char(c);
    echo_raw('\n');
    for (size_t i = complete_; i < input_.size(); ++i) {
      echo_char(input_[i].byte);
    }
    return true;
  }
  if (c == '\n') {
    if (local(termios::echo) || local(termios::echo_newline)) {
      echo_raw('\n');
    }
    end_line(c);
    return true;
  }
  if (is_special(c, termios::eof_char)) {
    // The EOF character ends the line without being returned; a 0 byte
    // with a line end marks it.
    end_line(0);
    return true;
  }
  if (is_special(c, termios::eol_char) || (extended && is_special(c, termios::eol2_char))) {
    if (local(termios::echo)) {
      if (input_.size() == complete_) {
        line_start_column_ = column_;
      }
      echo_char(c);
    }
    end_line(c);
    return true;
  }
  return false;
}

void LineDiscipline::store(uint8_t c) { input_.push_back(Cell{c, false}); }

void LineDiscipline::end_line(uint8_t c) {
  input_.push_back(Cell{c, true});
  complete_ = input_.size();
}

void LineDiscipline::raise(TerminalSignal signal, uint8_t c, std::vector<TerminalSignal>& raised) {
  if (!local(termios::no_flush)) {
    // Echoes not written yet go with the input, as on Linux.
    flush_input();
    pending_echoes_.clear();
  }
  raised.push_back(signal);
  if (input(termios::output_flow_control)) {
    start_output();
  }
  if (local(termios::echo)) {
    echo_char(c);
  }
}

// ERASE removes the last character of the current line, WERASE the last
// word and the blanks after it, KILL the whole line, echoing as ECHOE,
// ECHOK and ECHOKE ask.
void LineDiscipline::erase(uint8_t c) {
  enum class Kind { character, word, line };
  if (input_.size() == complete_) {
    return;
  }
  Kind kind = Kind::line;
  if (is_special(c, termios::erase_char)) {
    kind = Kind::character;
  } else if (is_special(c, termios::word_erase_char)) {
    kind = Kind::word;
  }

  const bool echo = local(termios::echo);
  if (kind == Kind::line) {
    if (!echo) {
      input_.resize(complete_);
      return;
    }
    if (!local(termios::echo_kill) || !local(termios::echo_kill_erase) ||
        !local(termios::echo_erase)) {
      input_.resize(complete_);
      echo_char(control(termios::kill_char));
      if (local(termios::echo_kill)) {
        echo_raw('\n');
      }
      return;
    }
  }

  const bool utf8 = input(termios::utf8);
  size_t word_characters = 0;
  while (input_.size() > complete_) {
    // One character, with its UTF-8 continuation bytes when IUTF8 is set.
    size_t start = input_.size() - 1;
    while (utf8 && is_utf8_continuation(input_[start].byte) && start > complete_) {
      --start;
    }
    const uint8_t erased = input_[start].byte;
    if (utf8 && is_utf8_continuation(erased)) {
      break;
    }
    if (kind == Kind::word) {
      if (is_word_character(erased)) {
        ++word_characters;
      } else if (word_characters != 0) {
        break;
      }
    }
    input_.resize(start);

    if (echo) {
      if (kind == Kind::character && !local(termios::echo_erase)) {
        echo_char(control(termios::erase_char));
      } else if (erased == '\t') {
        uint32_t backspaces = 8 - (columns_before_tab() & 7);
        backspaces = std::min(backspaces, column_);
        emit_echo(std::string(backspaces, '\b'), -static_cast<int>(backspaces));
      } else {
        const bool control_character = is_control(erased);
        if (control_character && local(termios::echo_control)) {
          echo_raw('\b');
          echo_raw(' ');
          echo_raw('\b');
        }
        if (!control_character || local(termios::echo_control)) {
          echo_raw('\b');
          echo_raw(' ');
          echo_raw('\b');
        }
      }
    }
    if (kind == Kind::character) {
      break;
    }
  }
}

// The column after the characters of the current line before the tab just
// erased, counted from the previous tab when there is one (tab stops every
// 8 columns), else from the column where the line began.
uint32_t LineDiscipline::columns_before_tab() const {
  uint32_t columns = 0;
  for (size_t i = input_.size(); i > complete_; --i) {
    const uint8_t c = input_[i - 1].byte;
    if (c == '\t') {
      return columns;
    }
    if (is_control(c)) {
      if (local(termios::echo_control)) {
        columns += 2;
      }
    } else if (!(input(termios::utf8) && is_utf8_continuation(c))) {
      ++columns;
    }
  }
  return columns + line_start_column_;
}

void LineDiscipline::start_output() {
  stopped_ = false;
  flush_echoes();
}

void LineDiscipline::flush_echoes() {
  if (stopped_) {
    return;
  }
  const size_t room = output_capacity - std::min(output_capacity, output_.size());
  const size_t count = std::min(room, pending_echoes_.size());
  output_.insert(output_.end(), pending_echoes_.begin(),
                 pending_echoes_.begin() + static_cast<std::ptrdiff_t>(count));
  pending_echoes_.erase(0, count);
}

void LineDiscipline::echo_char(uint8_t c) {
  if (local(termios::echo_control) && is_control(c) && c != '\t') {
    const std::string caret{'^', static_cast<char>(c ^ 0100)};
    emit_echo(caret, 2);
    return;
  }
  echo_raw(c);
}

void LineDiscipline::echo_raw(uint8_t c) {
  std::string bytes;
  if (output(termios::post_process)) {
    expand_output(c, bytes);
  } else {
    bytes += static_cast<char>(c);
  }
  emit_echo(bytes, 0);
}

void LineDiscipline::emit_echo(const std::string& bytes, int column_change) {
  column_ = static_cast<uint32_t>(std::max(0, static_cast<int>(column_) + column_change));
  // Echoes never wait for room: what does not fit is dropped.
  if (pending_echoes_.size() + bytes.size() <= echo_capacity) {
    pending_echoes_ += bytes;
  }
  if (pending_echoes_.size() >= echo_flush_threshold) {
    flush_echoes();
  }
}

// OPOST processing of one byte, as Linux does it: appends the bytes to send
// to `bytes` and moves the column.
void LineDiscipline::expand_output(uint8_t c, std::string& bytes) {
  switch (c) {
    case '\n':
      if (output(termios::nl_returns)) {
        column_ = 0;
      }
      if (output(termios::nl_to_crnl)) {
        column_ = 0;
        line_start_column_ = 0;
        bytes += "\r\n";
        return;
      }
      line_start_column_ = column_;
      break;
    case '\r':
      if (output(termios::no_cr_at_column_0) && column_ == 0) {
        return;
      }
      if (output(termios::cr_to_nl_output)) {
        c = '\n';
        if (output(termios::nl_returns)) {
          column_ = 0;
          line_start_column_ = 0;
        }
        break;
      }
      column_ = 0;
      line_start_column_ = 0;
      break;
    case '\t': {
      const uint32_t spaces = 8 - (column_ & 7);
      column_ += spaces;
      if ((attributes_.output_flags & termios::tab_delay_mask) == termios::expand_tabs) {
        bytes.append(spaces, ' ');
        return;
      }
      break;
    }
    case '\b':
      if (column_ > 0) {
        --column_;
      }
      break;
    default:
      if (!is_control(c)) {
        if (output(termios::lower_to_upper) && c >= 'a' && c <= 'z') {
          c = static_cast<uint8_t>(c - 'a' + 'A');
        }
        if (!(input(termios::utf8) && is_utf8_continuation(c))) {
          ++column_;
        }
      }
      break;
  }
  bytes += static_cast<char>(c);
}

size_t LineDiscipline::transmit(std::span<const std::byte> data) {
  if (stopped_) {
    return 0;
  }
  flush_echoes();
  size_t taken = 0;
  std::string bytes;
  for (std::byte value : data) {
    const auto c = static_cast<uint8_t>(value);
    bytes.clear();
    if (!output(termios::post_process)) {
      bytes += static_cast<char>(c);
    } else {
      // Expand on a copy of the columns first: a byte whose expansion does
      // not fit stays unwritten and must not move them.
      const uint32_t column = column_;
      const uint32_t line_start = line_start_column_;
      expand_output(c, bytes);
      if (output_.size() + bytes.size() > output_capacity) {
        column_ = column;
        line_start_column_ = line_start;
        break;
      }
    }
    if (output_.size() + bytes.size() > output_capacity) {
      break;
    }
    output_.insert(output_.end(), bytes.begin(), bytes.end());
    ++taken;
  }
  return taken;
}

bool LineDiscipline::output_writable() const {
  return !stopped_ && output_.size() < output_capacity;
}

size_t LineDiscipline::read_output(std::span<std::byte> buffer) {
  const size_t count = std::min(buffer.size(), output_.size());
  for (size_t i = 0; i < count; ++i) {
    buffer[i] = static_cast<std::byte>(output_.front());
    output_.pop_front();
  }
  flush_echoes();
  return count;
}

void LineDiscipline::flush_output() { output_.clear(); }

bool LineDiscipline::input_ready(size_t minimum_bytes) const {
  if (canonical()) {
    return complete_ != 0;
  }
  return input_.size() >= std::max<size_t>(1, minimum_bytes);
}

size_t LineDiscipline::read_input(std::span<std::byte> buffer, bool& spurious_eof) {
  spurious_eof = false;
  if (!canonical()) {
    const size_t count = std::min(buffer.size(), input_.size());
    for (size_t i = 0; i < count; ++i) {
      buffer[i] = static_cast<std::byte>(input_.front().byte);
      input_.pop_front();
    }
    complete_ = 0;
    return count;
  }

  // Like Linux, look for the line end only among the bytes that fit.
  const size_t limit = std::min(buffer.size(), complete_);
  size_t cells = limit;
  bool found = false;
  for (size_t i = 0; i < limit; ++i) {
    if (input_[i].line_end) {
      cells = i + 1;
      found = true;
      break;
    }
  }
  size_t count = cells;
  if (found && input_[cells - 1].byte == 0) {
    --count;
    spurious_eof = count == 0 && mid_line_;
  }
  for (size_t i = 0; i < count; ++i) {
    buffer[i] = static_cast<std::byte>(input_[i].byte);
  }
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(cells));
  complete_ -= cells;
  if (found && !pushed_) {
    mid_line_ = false;
  } else {
    // A pushed line does not move the line start, as on Linux.
    pushed_ = pushed_ && !found;
    mid_line_ = true;
  }
  return count;
}

size_t LineDiscipline::input_count() const {
  if (!canonical()) {
    return input_.size();
  }
  size_t count = 0;
  for (size_t i = 0; i < complete_; ++i) {
    if (!(input_[i].line_end && input_[i].byte == 0)) {
      ++count;
    }
  }
  return count;
}

void LineDiscipline::flush_input() {
  input_.clear();
  complete_ = 0;
  mid_line_ = false;
  pushed_ = false;
}

}  // namespace litebox::tty
