// Pseudo-terminals: the kernel objects behind /dev/ptmx and /dev/pts/N, as
// pty(7) describes them. Opening /dev/ptmx makes a new pair and returns its
// primary side; /dev/pts/N opens the replica side once unlockpt(3) has
// cleared the lock. Bytes written to the primary are input of the replica's
// line discipline, and what the replica writes (with output processing)
// is read from the primary.
//
// Sessions and process groups belong to the personality, so a terminal
// stores only their ids and reaches processes through the SessionHooks
// that the personality installs: signals for ISIG characters, SIGWINCH and
// hang-ups, and the caller's controlling terminal for /dev/tty.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/fs/inode.hpp"
#include "litebox/platform/stdio.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"
#include "litebox/tty/line_discipline.hpp"

namespace litebox::tty {

// The personality's side of terminals. Installed once, before the first
// guest process starts; it must live on the kernel heap.
class SessionHooks {
 public:
  virtual ~SessionHooks() = default;

  // Sends `signal` to every process of the process group `group`, as the
  // kernel does (si_code SI_KERNEL, no sender). Called without terminal
  // locks held.
  virtual void signal_process_group(int32_t group, TerminalSignal signal) = 0;

  // Sends `signal` to the leader of `session`, if it still runs.
  virtual void signal_session_leader(int32_t session, TerminalSignal signal) = 0;

  // The calling process's controlling pseudo-terminal, or null when it has
  // none (it may still have the host terminal).
  virtual std::shared_ptr<class PseudoTerminal> controlling_terminal() = 0;

  // The file-system uid and gid of the calling process, which own a new
  // /dev/pts/N node.
  virtual fs::Credentials caller_credentials() = 0;

  // The job-control check of the calling process's access to `terminal`:
  // `terminal_input` for a read, `terminal_output` for a write with TOSTOP
  // set. A background process group gets the signal and the call fails
  // with `eintr` (restarted once the group continues), or `eio`, as
  // termios(3) describes. Called without terminal locks held.
  virtual Result<void> check_background_access(PseudoTerminal& terminal, TerminalSignal signal) = 0;
};

void install_session_hooks(SessionHooks* hooks);
SessionHooks* session_hooks();

class PseudoTerminal : public std::enable_shared_from_this<PseudoTerminal> {
 public:
  PseudoTerminal(uint32_t index, std::shared_ptr<fs::Inode> replica_node);
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;

  // N of /dev/pts/N (TIOCGPTN).
  uint32_t index() const { return index_; }
  const std::shared_ptr<fs::Inode>& replica_node() const { return replica_node_; }

  // TIOCSPTLCK and TIOCGPTLCK: a locked replica does not open (`eio`).
  void set_locked(bool locked);
  bool locked();

  // TCGETS and TCSETS of either side act on the replica's settings, as on
  // Linux. `flush_input` (TCSETSF) drops input not read yet.
  platform::TerminalAttributes attributes();
  void set_attributes(const platform::TerminalAttributes& attributes, bool flush_input);

  // TIOCGWINSZ and TIOCSWINSZ of either side. A change sends SIGWINCH to
  // the foreground process group.
  platform::WindowSize window_size();
  void set_window_size(const platform::WindowSize& size);

  // The session this terminal controls and its foreground process group;
  // 0 for none. The personality changes them under its process table lock.
  int32_t session();
  int32_t foreground_group();
  // Makes the terminal the controlling terminal of `session`, with
  // `group` in the foreground.
  void attach_session(int32_t session, int32_t group);
  void set_foreground_group(int32_t group);
  // Ends the association with `session` (a no-op for another session) and
  // returns the foreground group it had, 0 when none.
  int32_t detach_session(int32_t session);

  // Whether the primary side has closed; the replica is then hung up.
  bool hung_up();

  // TCFLSH: drops input not read yet and/or output not read yet.
  void flush(bool input, bool output);

  // The data path; see PrimaryFile and ReplicaFile.
  Result<size_t> write_input(std::span<const std::byte> data, bool non_blocking);
  Result<size_t> read_output(std::span<std::byte> buffer, bool non_blocking);
  Result<size_t> read_input(std::span<std::byte> buffer, bool non_blocking);
  Result<size_t> write_output(std::span<const std::byte> data, bool non_blocking);
  uint32_t primary_events();
  uint32_t replica_events();
  size_t input_available();
  size_t output_available();

  event::Pollable& pollable() { return pollable_; }

  // Open counts, kept by the file descriptions.
  void attach_replica();
  void detach_replica();
  void close_primary();

 private:
  // Sends the signals that `discipline_` collected, after lock_ is
  // released.
  void send_signals(const std::vector<TerminalSignal>& signals, int32_t group);
  void announce();

  const uint32_t index_;
  const std::shared_ptr<fs::Inode> replica_node_;

  // Lock order: lock_, then the Pollable's lock. Hooks run without lock_.
  sync::Mutex lock_;
  sync::WaitQueue changed_;  // every state change wakes every waiter
  event::Pollable pollable_;
  LineDiscipline discipline_;  // guarded by lock_
  platform::WindowSize window_size_;
  bool locked_ = true;
  bool primary_closed_ = false;
  // The replica has been open and its last description has closed since:
  // the primary then reads EIO once the output is drained.
  bool replica_closed_ = false;
  uint32_t replica_opens_ = 0;
  int32_t session_ = 0;
  int32_t foreground_group_ = 0;
};

// What both sides' open file descriptions share: the pair and the devfs
// node they were opened through, which fstat(2) reports.
class TerminalSideFile : public fd::File {
 public:
  TerminalSideFile(std::shared_ptr<PseudoTerminal> terminal, std::shared_ptr<fs::Inode> node,
                   uint32_t flags)
      : File(flags), terminal_(std::move(terminal)), node_(std::move(node)) {}

  Result<fs::Stat> stat() override { return node_->stat(); }
  std::shared_ptr<fs::Inode> inode() override { return node_; }
  event::Pollable* pollable() override { return &terminal_->pollable(); }

  PseudoTerminal& terminal() { return *terminal_; }
  const std::shared_ptr<PseudoTerminal>& shared_terminal() { return terminal_; }

 protected:
  bool non_blocking() const { return (flags() & fd::open_non_blocking) != 0; }

 private:
  std::shared_ptr<PseudoTerminal> terminal_;
  std::shared_ptr<fs::Inode> node_;
};

// The primary side, the description that open(2) of /dev/ptmx returns. Its
// last close hangs up the replica and removes /dev/pts/N.
class PrimaryFile final : public TerminalSideFile {
 public:
  using TerminalSideFile::TerminalSideFile;
  ~PrimaryFile() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  uint32_t poll_events() override;
  Result<size_t> bytes_available() override;
};

// The replica side: /dev/pts/N, or /dev/tty of a process that has the
// pseudo-terminal as its controlling terminal.
class ReplicaFile final : public TerminalSideFile {
 public:
  ReplicaFile(std::shared_ptr<PseudoTerminal> terminal, std::shared_ptr<fs::Inode> node,
              uint32_t flags);
  ~ReplicaFile() override;

  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(std::span<const std::byte> data) override;
  uint32_t poll_events() override;
  Result<size_t> bytes_available() override;
};

// Records the devpts directory, /dev/pts, in which pseudo-terminals get
// their nodes. devfs calls it once, before the first guest process starts.
void set_pseudo_terminal_directory(std::shared_ptr<fs::Inode> directory);

// open(2) of /dev/ptmx through `node`: a new pair with the lowest free
// index, locked, and its primary side. `enospc` when the indexes run out.
Result<std::shared_ptr<fd::File>> open_primary(std::shared_ptr<fs::Inode> node, uint32_t flags);

// The live pseudo-terminal with index `index`, or null.
std::shared_ptr<PseudoTerminal> find_pseudo_terminal(uint32_t index);

// Opens the replica of `terminal` through `node` (/dev/pts/N, or /dev/tty
// for a controlling terminal): `eio` while it is locked or once the
// primary side has closed.
Result<std::shared_ptr<ReplicaFile>> open_replica(const std::shared_ptr<PseudoTerminal>& terminal,
                                                  std::shared_ptr<fs::Inode> node, uint32_t flags);

}  // namespace litebox::tty
