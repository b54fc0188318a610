#include "litebox/fd/stdio_file.hpp"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <string>
#include <vector>

#include "litebox/fs/devfs.hpp"
#include "litebox/platform/platform.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fd {

namespace {

uint32_t flags_for(platform::StdioStream stream) {
  return stream == platform::StdioStream::input ? open_read_only : open_write_only;
}

// The events after which a read of standard input, or a write of standard
// output or error, does not block.
constexpr uint32_t input_ready_events = event::pollin | event::pollhup | event::pollerr;
constexpr uint32_t output_ready_events = event::pollout | event::pollhup | event::pollerr;

uint32_t ready_events_of(platform::StdioStream stream) {
  return stream == platform::StdioStream::input ? input_ready_events : output_ready_events;
}

constexpr size_t stream_count = 3;

// The watcher of one standard stream for one host process (see
// stdio_file.hpp).
class StreamWatcher {
 public:
  StreamWatcher(platform::ProcessId process, platform::StdioStream stream)
      : process_(process), stream_(stream) {}

  // Returns the calling host process's watcher of `stream`, made on first
  // use. A forked child inherits the pointer to its parent's watcher but
  // not the thread, so it makes a watcher of its own and leaves the
  // parent's alone.
  static StreamWatcher& of_current_process(platform::StdioStream stream) {
    const platform::ProcessId self = platform::current().threads.current_process();
    std::atomic<StreamWatcher*>& current = current_[static_cast<size_t>(stream)];
    StreamWatcher* watcher = current.load(std::memory_order_acquire);
    while (watcher == nullptr || watcher->process_ != self) {
      auto* fresh = new StreamWatcher(self, stream);
      if (current.compare_exchange_strong(watcher, fresh, std::memory_order_acq_rel)) {
        return *fresh;
      }
      delete fresh;
    }
    return *watcher;
  }

  // Makes the watcher notify `readiness` once the stream becomes ready
  // (readable for standard input, writable for the outputs), hung up or in
  // error. The caller registered its observer before it found the stream
  // not ready, so a change in between is not missed: the watcher's next
  // host wait returns at once.
  void arm(const std::shared_ptr<event::Pollable>& readiness) {
    {
      sync::LockGuard guard(lock_);
      if (std::ranges::find(waiting_, readiness) == waiting_.end()) {
        waiting_.push_back(readiness);
      }
      if (!start_thread_locked()) {
        return;
      }
      armed_.store(1, std::memory_order_seq_cst);
    }
    platform::current().futex.wake(armed_, 1, platform::FutexScope::process_private);
  }

 private:
  bool start_thread_locked() {
    if (thread_started_) {
      return true;
    }
    if (spawn_failed_) {
      return false;
    }
    if (!platform::current().threads.spawn(run, this)) {
      // TODO: without the thread a guest wait on the stream ends only at
      // its timeout or at a signal.
      spawn_failed_ = true;
      platform::current().log.write(platform::LogLevel::warning,
                                    "could not start a host thread to watch a standard stream; "
                                    "guest waits on it end only at their timeout");
      return false;
    }
    thread_started_ = true;
    return true;
  }

  static void run(void* self) { static_cast<StreamWatcher*>(self)->serve(); }

  [[noreturn]] void serve() {
    platform::Platform& host = platform::current();
    while (true) {
      while (armed_.load(std::memory_order_seq_cst) == 0) {
        // Any result (a wake, a spurious return) leads to the check above.
        (void)host.futex.wait(armed_, 0, std::nullopt, platform::FutexScope::process_private);
      }
      const uint32_t ready = ready_events_of(stream_);
      host.stdio.wait_for_events(stream_, ready);

      // Disarm before notifying: a waiter that wakes and finds the stream
      // not ready arms again, and the next round waits for it.
      std::vector<std::shared_ptr<event::Pollable>> waiting;
      {
        sync::LockGuard guard(lock_);
        armed_.store(0, std::memory_order_seq_cst);
        waiting.swap(waiting_);
      }
      for (const std::shared_ptr<event::Pollable>& readiness : waiting) {
        readiness->notify(ready);
      }
    }
  }

  // The calling process's watchers by stream. Process-private (this
  // variable is not on the kernel heap), so each host process finds its
  // own.
  static inline std::atomic<StreamWatcher*> current_[stream_count] = {};

  const platform::ProcessId process_;
  const platform::StdioStream stream_;
  sync::Mutex lock_;
  std::vector<std::shared_ptr<event::Pollable>> waiting_;  // guarded by lock_
  bool thread_started_ = false;                            // guarded by lock_
  bool spawn_failed_ = false;                              // guarded by lock_
  // 1 while a waiter needs the thread to wait for the stream; the thread
  // sleeps on it otherwise.
  std::atomic<uint32_t> armed_{0};
};

// Descriptors 0 to 2 start with the host description's access mode and
// status flags, or with the stream's direction when the host cannot tell.
uint32_t initial_flags(platform::StdioStream stream) {
  return platform::current().stdio.stream_flags(stream).value_or(flags_for(stream));
}

constexpr platform::StdioStream all_streams[] = {
    platform::StdioStream::input, platform::StdioStream::output, platform::StdioStream::error};

// The devfs nodes of the host terminals, by stream. Set before the first
// guest process starts, so forked processes inherit them. They are never
// freed, so no static destructor touches the kernel heap at exit.
std::shared_ptr<fs::Inode>* terminal_nodes[std::size(all_streams)] = {};

}  // namespace

StdioFile::StdioFile(platform::StdioStream stream)
    : StdioFile(stream, Kind::host_description, initial_flags(stream),
                std::make_shared<event::Pollable>(), nullptr) {}

StdioFile::StdioFile(platform::StdioStream stream, Kind kind, uint32_t flags,
                     std::shared_ptr<event::Pollable> readiness, std::shared_ptr<fs::Inode> node)
    : File(flags),
      stream_(stream),
      kind_(kind),
      readiness_(std::move(readiness)),
      node_(std::move(node)) {}

void StdioFile::set_terminal_node(platform::StdioStream stream, std::shared_ptr<fs::Inode> node) {
  std::shared_ptr<fs::Inode>*& slot = terminal_nodes[static_cast<size_t>(stream)];
  delete slot;
  slot = new std::shared_ptr<fs::Inode>(std::move(node));
}

std::shared_ptr<fs::Inode> StdioFile::terminal_node_of(platform::StdioStream stream) {
  std::shared_ptr<fs::Inode>* slot = terminal_nodes[static_cast<size_t>(stream)];
  return slot != nullptr ? *slot : nullptr;
}

// TODO: Linux opens /dev/tty whenever the process has a controlling
// terminal, even with every standard stream redirected. The sandbox reaches
// the terminal only through a standard stream.
Result<std::shared_ptr<StdioFile>> StdioFile::open_terminal(uint32_t flags,
                                                            std::shared_ptr<fs::Inode> node) {
  platform::Stdio& stdio = platform::current().stdio;
  for (platform::StdioStream stream : all_streams) {
    if (!stdio.isatty(stream)) {
      continue;
    }
    // std::make_shared cannot reach the private constructor.
    return std::shared_ptr<StdioFile>(new StdioFile(stream, Kind::controlling_terminal, flags,
                                                    std::make_shared<event::Pollable>(),
                                                    std::move(node)));
  }
  return fail(Errno::enxio);
}

Result<std::shared_ptr<StdioFile>> StdioFile::open_terminal_node(uint32_t flags,
                                                                 std::shared_ptr<fs::Inode> node) {
  const fs::Stat requested = TRY(node->stat());
  for (platform::StdioStream stream : all_streams) {
    std::shared_ptr<fs::Inode> recorded = terminal_node_of(stream);
    if (recorded == nullptr || TRY(recorded->stat()).rdev != requested.rdev) {
      continue;
    }
    return std::shared_ptr<StdioFile>(new StdioFile(
        stream, Kind::terminal_node, flags, std::make_shared<event::Pollable>(), std::move(node)));
  }
  return fail(Errno::enxio);
}

uint32_t StdioFile::poll_events() {
  const uint32_t events = platform::current().stdio.stream_events(stream_);
  if ((events & ready_events_of(stream_)) == 0) {
    StreamWatcher::of_current_process(stream_).arm(readiness_);
  }
  return events;
}

Result<size_t> StdioFile::read(std::span<std::byte> buffer) {
  if (!readable(flags())) {
    return fail(Errno::ebadf);
  }
  if (buffer.empty()) {
    return size_t{0};
  }
  // The host descriptor blocks unless the host description is non-blocking,
  // so a non-blocking read first checks that input is there.
  if (stream_ == platform::StdioStream::input && (flags() & open_non_blocking) != 0 &&
      (platform::current().stdio.stream_events(stream_) & input_ready_events) == 0) {
    return fail(Errno::eagain);
  }
  return platform::current().stdio.read(stream_, buffer);
}

Result<size_t> StdioFile::write(std::span<const std::byte> data) {
  // A terminal's host descriptor is usually open for both directions, so
  // standard input may be written and the outputs read.
  if (!writable(flags())) {
    return fail(Errno::ebadf);
  }
  if (data.empty()) {
    return size_t{0};
  }
  return platform::current().stdio.write(stream_, data);
}

Result<uint64_t> StdioFile::seek(int64_t offset, SeekOrigin origin) {
  return platform::current().stdio.seek(stream_, offset, static_cast<int>(origin));
}

Result<size_t> StdioFile::pread(uint64_t offset, std::span<std::byte> buffer) {
  return platform::current().stdio.read_at(stream_, offset, buffer);
}

Result<size_t> StdioFile::pwrite(uint64_t offset, std::span<const std::byte> data) {
  return platform::current().stdio.write_at(stream_, offset, data);
}

// The host applies its own RLIMIT_FSIZE to the host file, as it does to
// writes, so `size_limit` is not checked here.
Result<void> StdioFile::truncate(int64_t size, uint64_t /*size_limit*/) {
  return platform::current().stdio.truncate(stream_, static_cast<uint64_t>(size));
}

Result<void> StdioFile::sync(bool data_only) {
  return platform::current().stdio.sync(stream_, data_only);
}

Result<void> StdioFile::allocate(uint32_t mode, uint64_t offset, uint64_t length) {
  return platform::current().stdio.allocate(stream_, mode, offset, length);
}

bool StdioFile::is_terminal() const { return platform::current().stdio.isatty(stream_); }

namespace {

fs::Stat stat_of(const platform::StreamStatus& host) {
  fs::Stat status;
  status.device = host.device;
  status.inode = host.inode;
  status.mode = host.mode;
  status.link_count = host.link_count;
  status.uid = host.uid;
  status.gid = host.gid;
  status.rdev = host.rdev;
  status.size = host.size;
  status.block_size = host.block_size;
  status.blocks = host.blocks;
  status.access_time = host.access_time;
  status.modify_time = host.modify_time;
  status.change_time = host.change_time;
  return status;
}

}  // namespace

Result<fs::Stat> StdioFile::stat() {
  if (node_ != nullptr) {
    return node_->stat();
  }
  if (std::shared_ptr<fs::Inode> node = terminal_node_of(stream_)) {
    return node->stat();
  }
  if (auto host = platform::current().stdio.stream_status(stream_)) {
    return stat_of(*host);
  }
  // The host cannot tell: a terminal shows as a character device (the
  // major of /dev/pts is 136), anything else as a pipe, the common case for
  // redirected output.
  fs::Stat status;
  if (is_terminal()) {
    status.mode = fs::mode_of(fs::FileType::character_device, 0620);
    status.rdev = (136u << 8) | 0;
  } else {
    status.mode = fs::mode_of(fs::FileType::fifo, 0600);
  }
  status.link_count = 1;
  status.block_size = 4096;
  status.inode = static_cast<uint64_t>(stream_) + 1;
  return status;
}

std::string StdioFile::anonymous_name() {
  std::shared_ptr<fs::Inode> node = terminal_node_of(stream_);
  if (node == nullptr) {
    std::string path = platform::current().stdio.stream_path(stream_);
    return path.empty() ? File::anonymous_name() : path;
  }
  auto status = node->stat();
  if (!status) {
    return File::anonymous_name();
  }
  return "/dev/pts/" + std::to_string(fs::devfs::pseudo_terminal_index(status->rdev));
}

uint32_t StdioFile::status_flags() {
  if (kind_ != Kind::host_description) {
    return flags();
  }
  auto host = platform::current().stdio.stream_flags(stream_);
  if (!host) {
    return flags();
  }
  // The access mode stays the one this description was made with.
  return (flags() & open_access_mask) | (*host & ~uint32_t{open_access_mask});
}

void StdioFile::set_status_flags(uint32_t flags) {
  File::set_status_flags(flags);
  if (kind_ != Kind::host_description) {
    return;
  }
  // NOTE: a host that cannot change its description keeps the flags here
  // only, where a non-blocking write may still block.
  (void)platform::current().stdio.set_stream_flags(stream_, flags);
}

Result<std::shared_ptr<File>> StdioFile::reopen(uint32_t flags) {
  if (kind_ == Kind::controlling_terminal) {
    return open_terminal(flags, node_);
  }
  if (kind_ == Kind::terminal_node) {
    return open_terminal_node(flags, node_);
  }
  // TODO: Linux reopens the host file itself: a terminal also opens O_RDWR,
  // and a redirected regular file gets its own offset. A stream here has
  // one direction and one offset.
  bool input = stream_ == platform::StdioStream::input;
  if (input ? writable(flags) : readable(flags)) {
    return fail(Errno::enxio);
  }
  // Standard input's descriptions share one Pollable.
  return std::shared_ptr<StdioFile>(
      new StdioFile(stream_, Kind::reopened_stream, flags_for(stream_), readiness_, nullptr));
}

Result<uint64_t> StdioFile::ioctl(uint32_t, uint64_t) {
  // Terminal requests (TCGETS, TIOCGWINSZ) are answered by the shim, which
  // owns the termios layout; a non-terminal fails them with ENOTTY.
  return fail(Errno::enotty);
}

}  // namespace litebox::fd
