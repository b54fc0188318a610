#include "litebox/tty/pseudo_terminal.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "litebox/fs/devfs.hpp"
#include "litebox/sync/deadline.hpp"

namespace litebox::tty {

namespace {

// /proc/sys/kernel/pty/max of Linux, the most pseudo-terminals at once.
constexpr uint32_t max_pseudo_terminals = 4096;

// The events of a hung-up replica, as Linux reports them.
constexpr uint32_t hung_up_events = event::pollin | event::pollout | event::pollerr |
                                    event::pollhup | event::pollrdnorm | event::pollwrnorm;

// The live pseudo-terminals by index and the devpts directory. Made during
// static initialization, before any guest fork, on the kernel heap that
// every guest process shares.
struct PseudoTerminalTable {
  sync::Mutex lock;
  std::shared_ptr<fs::Inode> directory;                         // guarded by lock
  std::map<uint32_t, std::weak_ptr<PseudoTerminal>> terminals;  // guarded by lock
};

PseudoTerminalTable& table = *new PseudoTerminalTable;

SessionHooks* installed_hooks = nullptr;

}  // namespace

void install_session_hooks(SessionHooks* hooks) { installed_hooks = hooks; }

SessionHooks* session_hooks() { return installed_hooks; }

PseudoTerminal::PseudoTerminal(uint32_t index, std::shared_ptr<fs::Inode> replica_node)
    : index_(index), replica_node_(std::move(replica_node)) {}

void PseudoTerminal::announce() {
  changed_.wake_all();
  pollable_.notify(hung_up_events);
}

void PseudoTerminal::set_locked(bool locked) {
  sync::LockGuard guard(lock_);
  locked_ = locked;
}

bool PseudoTerminal::locked() {
  sync::LockGuard guard(lock_);
  return locked_;
}

platform::TerminalAttributes PseudoTerminal::attributes() {
  sync::LockGuard guard(lock_);
  return discipline_.attributes();
}

void PseudoTerminal::set_attributes(const platform::TerminalAttributes& attributes,
                                    bool flush_input) {
  std::vector<TerminalSignal> raised;
  {
    sync::LockGuard guard(lock_);
    if (flush_input) {
      discipline_.flush_input();
    }
    discipline_.set_attributes(attributes);
    // New settings may make held-back input fit or special.
    discipline_.process_pending(raised);
  }
  announce();
  send_signals(raised, foreground_group());
}

platform::WindowSize PseudoTerminal::window_size() {
  sync::LockGuard guard(lock_);
  return window_size_;
}

void PseudoTerminal::set_window_size(const platform::WindowSize& size) {
  int32_t group = 0;
  {
    sync::LockGuard guard(lock_);
    const platform::WindowSize& old = window_size_;
    if (old.rows == size.rows && old.columns == size.columns && old.x_pixels == size.x_pixels &&
        old.y_pixels == size.y_pixels) {
      return;
    }
    window_size_ = size;
    group = foreground_group_;
  }
  send_signals({TerminalSignal::window_change}, group);
}

int32_t PseudoTerminal::session() {
  sync::LockGuard guard(lock_);
  return session_;
}

int32_t PseudoTerminal::foreground_group() {
  sync::LockGuard guard(lock_);
  return foreground_group_;
}

void PseudoTerminal::attach_session(int32_t session, int32_t group) {
  sync::LockGuard guard(lock_);
  session_ = session;
  foreground_group_ = group;
}

void PseudoTerminal::set_foreground_group(int32_t group) {
  sync::LockGuard guard(lock_);
  foreground_group_ = group;
}

int32_t PseudoTerminal::detach_session(int32_t session) {
  sync::LockGuard guard(lock_);
  if (session_ != session || session == 0) {
    return 0;
  }
  const int32_t group = foreground_group_;
  session_ = 0;
  foreground_group_ = 0;
  return group;
}

bool PseudoTerminal::hung_up() {
  sync::LockGuard guard(lock_);
  return primary_closed_;
}

void PseudoTerminal::flush(bool input, bool output) {
  {
    sync::LockGuard guard(lock_);
    if (input) {
      discipline_.flush_input();
    }
    if (output) {
      discipline_.flush_output();
    }
  }
  announce();
}

void PseudoTerminal::send_signals(const std::vector<TerminalSignal>& signals, int32_t group) {
  SessionHooks* hooks = session_hooks();
  if (hooks == nullptr || group == 0) {
    return;
  }
  for (TerminalSignal signal : signals) {
    hooks->signal_process_group(group, signal);
  }
}

Result<size_t> PseudoTerminal::write_input(std::span<const std::byte> data, bool non_blocking) {
  if (data.empty()) {
    return size_t{0};
  }
  size_t written = 0;
  Result<void> outcome;
  std::vector<TerminalSignal> raised;
  int32_t group = 0;
  {
    sync::LockGuard guard(lock_);
    while (written < data.size()) {
      const size_t taken = discipline_.receive(data.subspan(written), raised);
      written += taken;
      if (taken != 0) {
        continue;
      }
      if (non_blocking) {
        outcome = fail(Errno::eagain);
        break;
      }
      // The replica's reader makes room.
      outcome = changed_.wait(lock_, [&] { return discipline_.accepts_input(); });
      if (!outcome) {
        break;
      }
    }
    group = foreground_group_;
  }
  announce();
  send_signals(raised, group);
  if (written != 0 || outcome) {
    return written;
  }
  return fail(outcome.error());
}

Result<size_t> PseudoTerminal::read_output(std::span<std::byte> buffer, bool non_blocking) {
  if (buffer.empty()) {
    return size_t{0};
  }
  size_t count = 0;
  {
    sync::LockGuard guard(lock_);
    while (true) {
      if (discipline_.output_count() != 0) {
        count = discipline_.read_output(buffer);
        break;
      }
      // After the replica's last close, the primary reads what is left and
      // then EIO, as on Linux.
      if (replica_closed_) {
        return fail(Errno::eio);
      }
      if (non_blocking) {
        return fail(Errno::eagain);
      }
      TRY_VOID(
          changed_.wait(lock_, [&] { return discipline_.output_count() != 0 || replica_closed_; }));
    }
  }
  announce();
  return count;
}

Result<size_t> PseudoTerminal::read_input(std::span<std::byte> buffer, bool non_blocking) {
  if (buffer.empty()) {
    return size_t{0};
  }
  std::vector<TerminalSignal> raised;
  size_t copied = 0;
  int32_t group = 0;
  Result<void> outcome;
  {
    sync::LockGuard guard(lock_);
    // VMIN and VTIME (termios(3)): with VMIN 0, VTIME bounds the wait for
    // the first byte; with VMIN above 0, a read waits for VMIN bytes and
    // VTIME, once a byte has come, bounds the wait for each next one.
    const bool canonical = discipline_.canonical();
    size_t minimum = canonical ? 0 : discipline_.minimum();
    const auto tenths = std::chrono::milliseconds(100) * discipline_.time();
    std::optional<sync::Deadline> deadline;
    const bool inter_byte_timer = !canonical && minimum != 0 && discipline_.time() != 0;
    if (!canonical && minimum == 0) {
      deadline = sync::Deadline::after(tenths);
      minimum = 1;
    }

    while (copied < buffer.size()) {
      if (primary_closed_) {
        break;
      }
      if (!discipline_.input_ready(1)) {
        if (deadline && deadline->has_passed()) {
          break;
        }
        if (non_blocking) {
          if (copied == 0) {
            outcome = fail(Errno::eagain);
          }
          break;
        }
        outcome = changed_.wait(
            lock_, [&] { return discipline_.input_ready(1) || primary_closed_; },
            deadline.value_or(sync::Deadline::never()));
        if (!outcome) {
          if (outcome.error() == Errno::etimedout) {
            outcome = {};
            break;
          }
          if (copied != 0) {
            outcome = {};
          }
          break;
        }
        continue;
      }

      bool spurious_eof = false;
      copied += discipline_.read_input(buffer.subspan(copied), spurious_eof);
      discipline_.process_pending(raised);
      if (spurious_eof) {
        continue;
      }
      if (copied >= minimum) {
        break;
      }
      if (inter_byte_timer) {
        deadline = sync::Deadline::after(tenths);
      }
    }
    group = foreground_group_;
  }
  announce();
  send_signals(raised, group);
  if (!outcome) {
    return fail(outcome.error());
  }
  return copied;
}

Result<size_t> PseudoTerminal::write_output(std::span<const std::byte> data, bool non_blocking) {
  size_t written = 0;
  Result<void> outcome;
  {
    sync::LockGuard guard(lock_);
    while (true) {
      if (primary_closed_) {
        outcome = fail(Errno::eio);
        break;
      }
      written += discipline_.transmit(data.subspan(written));
      if (written == data.size()) {
        break;
      }
      if (non_blocking) {
        outcome = fail(Errno::eagain);
        break;
      }
      // The primary's reader makes room, or START restarts stopped output.
      outcome =
          changed_.wait(lock_, [&] { return discipline_.output_writable() || primary_closed_; });
      if (!outcome) {
        break;
      }
    }
  }
  announce();
  if (written != 0 || outcome) {
    return written;
  }
  return fail(outcome.error());
}

uint32_t PseudoTerminal::primary_events() {
  sync::LockGuard guard(lock_);
  uint32_t events = 0;
  if (discipline_.output_count() != 0) {
    events |= event::pollin | event::pollrdnorm;
  }
  if (discipline_.accepts_input()) {
    events |= event::pollout | event::pollwrnorm;
  }
  if (replica_closed_) {
    events |= event::pollhup;
  }
  return events;
}

uint32_t PseudoTerminal::replica_events() {
  sync::LockGuard guard(lock_);
  if (primary_closed_) {
    return hung_up_events;
  }
  uint32_t events = 0;
  // With VMIN above 0 and VTIME 0, poll waits for VMIN bytes, as a read
  // does.
  const size_t minimum = discipline_.time() == 0 ? discipline_.minimum() : 1;
  if (discipline_.input_ready(minimum)) {
    events |= event::pollin | event::pollrdnorm;
  }
  if (discipline_.output_writable()) {
    events |= event::pollout | event::pollwrnorm;
  }
  return events;
}

size_t PseudoTerminal::input_available() {
  sync::LockGuard guard(lock_);
  return discipline_.input_count();
}

size_t PseudoTerminal::output_available() {
  sync::LockGuard guard(lock_);
  return discipline_.output_count();
}

void PseudoTerminal::attach_replica() {
  {
    sync::LockGuard guard(lock_);
    ++replica_opens_;
    replica_closed_ = false;
  }
  announce();
}

void PseudoTerminal::detach_replica() {
  {
    sync::LockGuard guard(lock_);
    if (--replica_opens_ == 0) {
      replica_closed_ = true;
    }
  }
  announce();
}

void PseudoTerminal::close_primary() {
  // The hang-up, in Linux's order: the session leader gets SIGHUP and
  // SIGCONT before readers wake, and the session loses its controlling
  // terminal.
  const int32_t leader = session();
  SessionHooks* hooks = session_hooks();
  if (hooks != nullptr && leader != 0) {
    hooks->signal_session_leader(leader, TerminalSignal::hangup);
    hooks->signal_session_leader(leader, TerminalSignal::resume);
  }
  {
    sync::LockGuard guard(lock_);
    primary_closed_ = true;
    session_ = 0;
    foreground_group_ = 0;
  }
  announce();

  sync::LockGuard guard(table.lock);
  table.terminals.erase(index_);
  if (table.directory != nullptr) {
    (void)table.directory->unlink(std::to_string(index_));
  }
}

PrimaryFile::~PrimaryFile() { terminal().close_primary(); }

Result<size_t> PrimaryFile::read(std::span<std::byte> buffer) {
  return terminal().read_output(buffer, non_blocking());
}

Result<size_t> PrimaryFile::write(std::span<const std::byte> data) {
  return terminal().write_input(data, non_blocking());
}

uint32_t PrimaryFile::poll_events() { return terminal().primary_events(); }

Result<size_t> PrimaryFile::bytes_available() { return terminal().output_available(); }

ReplicaFile::ReplicaFile(std::shared_ptr<PseudoTerminal> terminal, std::shared_ptr<fs::Inode> node,
                         uint32_t flags)
    : TerminalSideFile(std::move(terminal), std::move(node), flags) {
  this->terminal().attach_replica();
}

ReplicaFile::~ReplicaFile() { terminal().detach_replica(); }

// A hung-up replica reads end of file and fails writes with EIO, as Linux's
// hung-up file operations do.
Result<size_t> ReplicaFile::read(std::span<std::byte> buffer) {
  if (SessionHooks* hooks = session_hooks(); hooks != nullptr) {
    TRY_VOID(hooks->check_background_access(terminal(), TerminalSignal::terminal_input));
  }
  return terminal().read_input(buffer, non_blocking());
}

Result<size_t> ReplicaFile::write(std::span<const std::byte> data) {
  SessionHooks* hooks = session_hooks();
  if (hooks != nullptr && (terminal().attributes().local_flags & termios::background_stop) != 0) {
    TRY_VOID(hooks->check_background_access(terminal(), TerminalSignal::terminal_output));
  }
  return terminal().write_output(data, non_blocking());
}

uint32_t ReplicaFile::poll_events() { return terminal().replica_events(); }

Result<size_t> ReplicaFile::bytes_available() {
  if (terminal().hung_up()) {
    return fail(Errno::eio);
  }
  return terminal().input_available();
}

void set_pseudo_terminal_directory(std::shared_ptr<fs::Inode> directory) {
  sync::LockGuard guard(table.lock);
  table.directory = std::move(directory);
}

Result<std::shared_ptr<fd::File>> open_primary(std::shared_ptr<fs::Inode> node, uint32_t flags) {
  fs::Credentials owner;
  if (SessionHooks* hooks = session_hooks()) {
    owner = hooks->caller_credentials();
  }

  sync::LockGuard guard(table.lock);
  if (table.directory == nullptr) {
    return fail(Errno::enodev);
  }
  // The lowest index that neither a live pseudo-terminal nor the node of a
  // host terminal uses.
  for (uint32_t index = 0; index < max_pseudo_terminals; ++index) {
    auto live = table.terminals.find(index);
    if (live != table.terminals.end() && !live->second.expired()) {
      continue;
    }
    const std::string name = std::to_string(index);
    if (table.directory->lookup(name)) {
      continue;
    }
    // devpts makes the node with mode 0600, owned by the opener.
    std::shared_ptr<fs::Inode> replica_node = TRY(
        table.directory->create(name, fs::FileType::character_device, 0600, owner.uid, owner.gid,
                                fs::devfs::make_device(fs::devfs::pseudo_terminal_major, index)));
    auto terminal = std::make_shared<PseudoTerminal>(index, std::move(replica_node));
    table.terminals[index] = terminal;
    return std::make_shared<PrimaryFile>(std::move(terminal), std::move(node),
                                         flags & ~uint32_t{fd::open_close_on_exec});
  }
  return fail(Errno::enospc);
}

std::shared_ptr<PseudoTerminal> find_pseudo_terminal(uint32_t index) {
  sync::LockGuard guard(table.lock);
  auto found = table.terminals.find(index);
  return found != table.terminals.end() ? found->second.lock() : nullptr;
}

Result<std::shared_ptr<ReplicaFile>> open_replica(const std::shared_ptr<PseudoTerminal>& terminal,
                                                  std::shared_ptr<fs::Inode> node, uint32_t flags) {
  if (terminal->hung_up() || terminal->locked()) {
    return fail(Errno::eio);
  }
  return std::make_shared<ReplicaFile>(terminal, std::move(node),
                                       flags & ~uint32_t{fd::open_close_on_exec});
}

}  // namespace litebox::tty
