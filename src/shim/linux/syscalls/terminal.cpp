#include "shim/linux/syscalls/terminal.hpp"

#include <algorithm>

#include "litebox/tty/pseudo_terminal.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/kernel.hpp"

namespace litebox::shim::linux_abi {

namespace {

// Request numbers of <asm-generic/ioctls.h>.
namespace request {
constexpr uint32_t tcgets = 0x5401;
constexpr uint32_t tcsets = 0x5402;
constexpr uint32_t tcsetsw = 0x5403;
constexpr uint32_t tcsetsf = 0x5404;
constexpr uint32_t tcsbrk = 0x5409;
constexpr uint32_t tcxonc = 0x540a;
constexpr uint32_t tcflsh = 0x540b;
constexpr uint32_t tiocsctty = 0x540e;
constexpr uint32_t tiocgpgrp = 0x540f;
constexpr uint32_t tiocspgrp = 0x5410;
constexpr uint32_t tiocoutq = 0x5411;
constexpr uint32_t tiocgwinsz = 0x5413;
constexpr uint32_t tiocswinsz = 0x5414;
constexpr uint32_t tiocnotty = 0x5422;
constexpr uint32_t tcsbrkp = 0x5425;
constexpr uint32_t tiocgsid = 0x5429;
constexpr uint32_t tiocgptn = 0x80045430;
constexpr uint32_t tiocsptlck = 0x40045431;
constexpr uint32_t tiocgptlck = 0x80045439;
constexpr uint32_t tiocgptpeer = 0x5441;
}  // namespace request

// TCXONC and TCFLSH arguments.
constexpr uint64_t output_off = 0;    // TCOOFF
constexpr uint64_t output_on = 1;     // TCOON
constexpr uint64_t input_off = 2;     // TCIOFF
constexpr uint64_t input_on = 3;      // TCION
constexpr uint64_t flush_input = 0;   // TCIFLUSH
constexpr uint64_t flush_output = 1;  // TCOFLUSH
constexpr uint64_t flush_both = 2;    // TCIOFLUSH

// The requests that act on the terminal's settings, the same from either
// side, because Linux applies the primary's to the replica.
std::optional<Result<uint64_t>> settings_ioctl(tty::PseudoTerminal& terminal, uint32_t code,
                                               uint64_t argument, bool primary) {
  switch (code) {
    case request::tcgets:
      TRY_VOID(GuestPtr<platform::TerminalAttributes>(argument).write(terminal.attributes()));
      return uint64_t{0};
    case request::tcsets:
    case request::tcsetsw:
    case request::tcsetsf: {
      // A pseudo-terminal has no output to drain, so TCSETSW waits for
      // nothing.
      auto attributes = TRY(GuestPtr<platform::TerminalAttributes>(argument).read());
      terminal.set_attributes(attributes, code == request::tcsetsf);
      return uint64_t{0};
    }
    case request::tiocgwinsz:
      TRY_VOID(GuestPtr<platform::WindowSize>(argument).write(terminal.window_size()));
      return uint64_t{0};
    case request::tiocswinsz: {
      auto size = TRY(GuestPtr<platform::WindowSize>(argument).read());
      terminal.set_window_size(size);
      return uint64_t{0};
    }
    case request::tiocoutq:
      // Linux keeps no output buffer in a pseudo-terminal's driver.
      TRY_VOID(GuestPtr<int32_t>(argument).write(0));
      return uint64_t{0};
    case request::tcsbrk:
    case request::tcsbrkp:
      return uint64_t{0};
    case request::tcflsh: {
      if (argument > flush_both) {
        return fail(Errno::einval);
      }
      // The primary's input is what the replica writes, and its output the
      // replica's input.
      bool input = argument == flush_input || argument == flush_both;
      bool output = argument == flush_output || argument == flush_both;
      if (primary) {
        std::swap(input, output);
      }
      terminal.flush(input, output);
      return uint64_t{0};
    }
    case request::tcxonc:
      if (argument > input_on) {
        return fail(Errno::einval);
      }
      // TODO: TCOOFF, TCOON, TCIOFF and TCION are accepted and do nothing;
      // only IXON characters stop and start output.
      (void)output_off;
      (void)output_on;
      (void)input_off;
      return uint64_t{0};
    default:
      return std::nullopt;
  }
}

std::optional<Result<uint64_t>> primary_ioctl(Task& task, tty::PrimaryFile& file, uint32_t code,
                                              uint64_t argument) {
  tty::PseudoTerminal& terminal = file.terminal();
  switch (code) {
    case request::tiocgptn:
      TRY_VOID(GuestPtr<uint32_t>(argument).write(terminal.index()));
      return uint64_t{0};
    case request::tiocsptlck: {
      const int32_t lock = TRY(GuestPtr<int32_t>(argument).read());
      terminal.set_locked(lock != 0);
      return uint64_t{0};
    }
    case request::tiocgptlck:
      TRY_VOID(GuestPtr<int32_t>(argument).write(terminal.locked() ? 1 : 0));
      return uint64_t{0};
    case request::tiocgptpeer: {
      // The replica opened from the primary, without a path walk.
      const auto flags = static_cast<uint32_t>(argument);
      auto replica = TRY(tty::open_replica(file.shared_terminal(), terminal.replica_node(),
                                           flags | fd::open_large_file));
      replica->set_opened_path("/dev/pts/" + std::to_string(terminal.index()));
      if ((flags & fd::open_no_controlling_tty) == 0) {
        task.kernel().acquire_terminal_on_open(task, file.shared_terminal(), fd::readable(flags));
      }
      return TRY(task.process().descriptors().allocate(std::move(replica),
                                                       (flags & fd::open_close_on_exec) != 0));
    }
    // The replica's job-control state, readable from the primary without
    // being the caller's controlling terminal.
    case request::tiocgpgrp:
      TRY_VOID(GuestPtr<int32_t>(argument).write(terminal.foreground_group()));
      return uint64_t{0};
    case request::tiocgsid: {
      const int32_t session = terminal.session();
      if (session == 0) {
        return fail(Errno::enotty);
      }
      TRY_VOID(GuestPtr<int32_t>(argument).write(session));
      return uint64_t{0};
    }
    case request::tiocspgrp: {
      const int32_t group = TRY(GuestPtr<int32_t>(argument).read());
      TRY_VOID(task.kernel().set_pseudo_terminal_foreground(task, file.shared_terminal(), group));
      return uint64_t{0};
    }
    // TODO: a primary side as a controlling terminal (TIOCSCTTY on it) is
    // not supported.
    default:
      return settings_ioctl(terminal, code, argument, true);
  }
}

std::optional<Result<uint64_t>> replica_ioctl(Task& task, tty::ReplicaFile& file, uint32_t code,
                                              uint64_t argument) {
  const std::shared_ptr<tty::PseudoTerminal>& terminal = file.shared_terminal();
  if (terminal->hung_up()) {
    // The requests of a hung-up terminal fail, as Linux's hung-up file
    // operations make them.
    return fail(code == request::tiocspgrp ? Errno::enotty : Errno::eio);
  }
  Kernel& kernel = task.kernel();
  switch (code) {
    case request::tiocsctty:
      TRY_VOID(kernel.set_controlling_terminal(task, terminal, argument == 1,
                                               fd::readable(file.flags())));
      return uint64_t{0};
    case request::tiocnotty:
      TRY_VOID(kernel.release_controlling_terminal(task, terminal));
      return uint64_t{0};
    case request::tiocgpgrp:
      if (kernel.controlling_pseudo_terminal(task) != terminal) {
        return fail(Errno::enotty);
      }
      TRY_VOID(GuestPtr<int32_t>(argument).write(terminal->foreground_group()));
      return uint64_t{0};
    case request::tiocgsid:
      if (kernel.controlling_pseudo_terminal(task) != terminal) {
        return fail(Errno::enotty);
      }
      TRY_VOID(GuestPtr<int32_t>(argument).write(terminal->session()));
      return uint64_t{0};
    case request::tiocspgrp: {
      const int32_t group = TRY(GuestPtr<int32_t>(argument).read());
      TRY_VOID(kernel.set_pseudo_terminal_foreground(task, terminal, group));
      return uint64_t{0};
    }
    case request::tcsets:
    case request::tcsetsw:
    case request::tcsetsf:
      // Changing the settings from a background group is a job-control
      // access, as a write with TOSTOP is.
      TRY_VOID(kernel.check_terminal_access(task, *terminal, sig::terminal_output));
      return settings_ioctl(*terminal, code, argument, false);
    default:
      return settings_ioctl(*terminal, code, argument, false);
  }
}

}  // namespace

std::optional<Result<uint64_t>> pseudo_terminal_ioctl(Task& task, fd::File& file, uint32_t request,
                                                      uint64_t argument) {
  if (auto* primary = dynamic_cast<tty::PrimaryFile*>(&file)) {
    return primary_ioctl(task, *primary, request, argument);
  }
  if (auto* replica = dynamic_cast<tty::ReplicaFile*>(&file)) {
    return replica_ioctl(task, *replica, request, argument);
  }
  return std::nullopt;
}

}  // namespace litebox::shim::linux_abi
