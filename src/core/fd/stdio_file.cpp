#include "litebox/fd/stdio_file.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "litebox/platform/platform.hpp"
#include "litebox/sync/mutex.hpp"

namespace litebox::fd {

namespace {

uint32_t flags_for(platform::StdioStream stream) {
  return stream == platform::StdioStream::input ? open_read_only : open_write_only;
}

// The events after which a read of standard input does not block.
constexpr uint32_t input_ready_events = event::pollin | event::pollhup | event::pollerr;

// The watcher of standard input for one host process (see stdio_file.hpp).
class InputWatcher {
 public:
  explicit InputWatcher(platform::ProcessId process) : process_(process) {}

  // Returns the calling host process's watcher, made on first use. A forked
  // child inherits the pointer to its parent's watcher but not the thread,
  // so it makes a watcher of its own and leaves the parent's alone.
  static InputWatcher& of_current_process() {
    const platform::ProcessId self = platform::current().threads.current_process();
    InputWatcher* watcher = current_.load(std::memory_order_acquire);
    while (watcher == nullptr || watcher->process_ != self) {
      auto* fresh = new InputWatcher(self);
      if (current_.compare_exchange_strong(watcher, fresh, std::memory_order_acq_rel)) {
        return *fresh;
      }
      delete fresh;
    }
    return *watcher;
  }

  // Makes the watcher notify `readiness` once standard input becomes
  // readable, hung up or in error. The caller registered its observer
  // before it found the stream not ready, so input that arrives in between
  // is not missed: the watcher's next host wait returns at once.
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
      // TODO: without the thread a guest wait on standard input ends only
      // at its timeout or at a signal.
      spawn_failed_ = true;
      platform::current().log.write(platform::LogLevel::warning,
                                    "could not start a host thread to watch standard input; "
                                    "guest waits on it end only at their timeout");
      return false;
    }
    thread_started_ = true;
    return true;
  }

  static void run(void* self) { static_cast<InputWatcher*>(self)->serve(); }

  [[noreturn]] void serve() {
    platform::Platform& host = platform::current();
    while (true) {
      while (armed_.load(std::memory_order_seq_cst) == 0) {
        // Any result (a wake, a spurious return) leads to the check above.
        (void)host.futex.wait(armed_, 0, std::nullopt, platform::FutexScope::process_private);
      }
      host.stdio.wait_for_input();

      // Disarm before notifying: a waiter that wakes and finds nothing to
      // read arms again, and the next round waits for it.
      std::vector<std::shared_ptr<event::Pollable>> ready;
      {
        sync::LockGuard guard(lock_);
        armed_.store(0, std::memory_order_seq_cst);
        ready.swap(waiting_);
      }
      for (const std::shared_ptr<event::Pollable>& readiness : ready) {
        readiness->notify(input_ready_events);
      }
    }
  }

  // The calling process's watcher. Process-private (this variable is not on
  // the kernel heap), so each host process finds its own.
  static inline std::atomic<InputWatcher*> current_{nullptr};

  const platform::ProcessId process_;
  sync::Mutex lock_;
  std::vector<std::shared_ptr<event::Pollable>> waiting_;  // guarded by lock_
  bool thread_started_ = false;                            // guarded by lock_
  bool spawn_failed_ = false;                              // guarded by lock_
  // 1 while a waiter needs the thread to wait for input; the thread sleeps
  // on it otherwise.
  std::atomic<uint32_t> armed_{0};
};

}  // namespace

StdioFile::StdioFile(platform::StdioStream stream)
    : StdioFile(stream, stream == platform::StdioStream::input ? std::make_shared<event::Pollable>()
                                                               : nullptr) {}

StdioFile::StdioFile(platform::StdioStream stream, std::shared_ptr<event::Pollable> readiness)
    : File(flags_for(stream)), stream_(stream), readiness_(std::move(readiness)) {}

StdioFile::StdioFile(platform::StdioStream stream, uint32_t flags,
                     std::shared_ptr<event::Pollable> readiness)
    : File(flags), stream_(stream), readiness_(std::move(readiness)), terminal_device_(true) {}

// TODO: Linux opens /dev/tty whenever the process has a controlling
// terminal, even with every standard stream redirected. The sandbox reaches
// the terminal only through a standard stream.
Result<std::shared_ptr<StdioFile>> StdioFile::open_terminal(uint32_t flags) {
  platform::Stdio& stdio = platform::current().stdio;
  for (platform::StdioStream stream : {platform::StdioStream::input, platform::StdioStream::output,
                                       platform::StdioStream::error}) {
    if (!stdio.isatty(stream)) {
      continue;
    }
    // Only standard input has a watcher for readiness; the outputs report
    // themselves always ready. std::make_shared cannot reach the private
    // constructor.
    auto readiness =
        stream == platform::StdioStream::input ? std::make_shared<event::Pollable>() : nullptr;
    return std::shared_ptr<StdioFile>(new StdioFile(stream, flags, std::move(readiness)));
  }
  return fail(Errno::enxio);
}

uint32_t StdioFile::poll_events() {
  if (stream_ != platform::StdioStream::input) {
    // TODO: report the host stream's POLLOUT, so that a full host pipe
    // makes a guest wait instead of blocking its write.
    return File::poll_events();
  }
  const uint32_t events = platform::current().stdio.input_events();
  if ((events & input_ready_events) == 0) {
    InputWatcher::of_current_process().arm(readiness_);
  }
  return events;
}

Result<size_t> StdioFile::read(std::span<std::byte> buffer) {
  if ((stream_ != platform::StdioStream::input && !terminal_device_) || !readable(flags())) {
    return fail(Errno::ebadf);
  }
  if (buffer.empty()) {
    return size_t{0};
  }
  // The host descriptor itself blocks, so a non-blocking read first checks
  // that input is there.
  if (stream_ == platform::StdioStream::input && (flags() & open_non_blocking) != 0 &&
      (platform::current().stdio.input_events() & input_ready_events) == 0) {
    return fail(Errno::eagain);
  }
  return platform::current().stdio.read(stream_, buffer);
}

Result<size_t> StdioFile::write(std::span<const std::byte> data) {
  // A terminal's host descriptor is open for both directions, so the
  // terminal device may write through standard input's stream.
  if ((stream_ == platform::StdioStream::input && !terminal_device_) || !writable(flags())) {
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

bool StdioFile::is_terminal() const { return platform::current().stdio.isatty(stream_); }

Result<fs::Stat> StdioFile::stat() {
  fs::Stat status;
  if (terminal_device_) {
    status.mode = fs::mode_of(fs::FileType::character_device, 0666);
    status.rdev = (5u << 8) | 0;
    status.link_count = 1;
    status.block_size = 4096;
    status.inode = 4;
    return status;
  }
  // A terminal shows as a character device (the major of /dev/pts is 136);
  // anything else as a pipe, the common case for redirected output.
  if (is_terminal()) {
    status.mode = fs::mode_of(fs::FileType::character_device, 0620);
    status.rdev = (136u << 8) | 0;
  } else {
    status.mode = fs::mode_of(fs::FileType::fifo, 0600);
  }
  status.link_count = 1;
  status.block_size = 4096;
  // NOTE: the host file behind the stream is not inspected, so a regular
  // file redirected to standard output also reports itself as a pipe.
  status.inode = static_cast<uint64_t>(stream_) + 1;
  return status;
}

Result<std::shared_ptr<File>> StdioFile::reopen(uint32_t flags) {
  if (terminal_device_) {
    return open_terminal(flags);
  }
  // TODO: Linux reopens the host file itself: a terminal also opens O_RDWR,
  // and a redirected regular file gets its own offset. A stream here has
  // one direction and one offset.
  bool input = stream_ == platform::StdioStream::input;
  if (input ? writable(flags) : readable(flags)) {
    return fail(Errno::enxio);
  }
  // std::make_shared cannot reach the private constructor that shares the
  // Pollable.
  return std::shared_ptr<StdioFile>(new StdioFile(stream_, readiness_));
}

Result<uint64_t> StdioFile::ioctl(uint32_t, uint64_t) {
  // Terminal requests (TCGETS, TIOCGWINSZ) are answered by the shim, which
  // owns the termios layout; a non-terminal fails them with ENOTTY.
  return fail(Errno::enotty);
}

}  // namespace litebox::fd
