// LinuxUserlandPlatform: the South interface on a Linux host, for a libOS
// that runs in the same process as its guest.
//
// Construct exactly one per process, early: the constructor installs the
// platform's host signal handlers (SIGSYS, the fault signals and the
// interrupt signal) and ignores SIGPIPE.
#pragma once

#include <array>
#include <string>

#include "linux_execution.hpp"
#include "litebox/platform/platform.hpp"

namespace litebox::platform::linux_userland {

// The host descriptor of a standard stream: 0, 1 or 2.
int stream_descriptor(StdioStream stream);

class LinuxUserlandPlatform final : public Futex,
                                    public Clock,
                                    public Threads,
                                    public Pages,
                                    public Stdio,
                                    public Random,
                                    public DebugLog,
                                    public Packets,
                                    public Punchthrough {
 public:
  // Ends the process with a diagnostic if the host lacks what the platform
  // needs (XSAVE, room for the thread-block region, signal handlers).
  LinuxUserlandPlatform();
  LinuxUserlandPlatform(const LinuxUserlandPlatform&) = delete;
  LinuxUserlandPlatform& operator=(const LinuxUserlandPlatform&) = delete;

  // The Platform view of this object, for platform::set_current().
  Platform& platform() { return platform_; }
  LinuxExecution& execution() { return execution_; }

  // The host real-time signal that Threads::interrupt sends.
  int interrupt_signal() const;

  // Futex
  Result<void> wait(std::atomic<uint32_t>& word, uint32_t expected,
                    std::optional<std::chrono::nanoseconds> timeout, FutexScope scope) override;
  uint32_t wake(std::atomic<uint32_t>& word, uint32_t count, FutexScope scope) override;

  // Clock
  std::chrono::nanoseconds monotonic_now() override;
  Timespec realtime_now() override;
  std::chrono::nanoseconds resolution() override;
  ResourceUsage resource_usage(UsageScope scope) override;
  std::chrono::nanoseconds cpu_time(UsageScope scope) override;

  // Threads
  Result<ThreadId> spawn(Entry entry, void* argument) override;
  ThreadId current() override;
  void interrupt(ThreadId thread) override;
  ProcessId current_process() override;
  void interrupt(ProcessId process, ThreadId thread) override;
  void yield() override;

  // Pages
  Result<void*> reserve(void* hint, size_t length, bool fixed) override;
  Result<void> commit(void* address, size_t length, uint32_t protection, Replace replace,
                      Accounting accounting) override;
  Result<void> protect(void* address, size_t length, uint32_t protection) override;
  Result<bool> exchange_code(void* address, const std::array<std::byte, 16>& expected,
                             const std::array<std::byte, 16>& replacement) override;
  Result<void> release(void* address, size_t length) override;
  Result<void*> allocate_shared(size_t length) override;
  void free_shared(void* memory, size_t length) override;
  Result<void> alias(void* address, size_t length, void* source, uint32_t protection) override;
  // Maps from the host file of a view that file_views.hpp keeps.
  Result<void> map_copy_on_write(void* address, size_t length, const void* source,
                                 uint32_t protection, Replace replace) override;
  Result<void> map_stream(void* address, size_t length, StdioStream stream, uint64_t offset,
                          uint32_t protection, bool shared, Replace replace) override;
  Result<void> move_mapping(void* source, size_t source_length, void* address,
                            size_t length) override;
  // Unmaps read pages of file views from time to time (file_views.hpp).
  void note_file_read(const void* source, size_t length) override;

  // Stdio
  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> read(StdioStream stream, std::span<std::byte> buffer) override;
  Result<size_t> write(StdioStream stream, std::span<const std::byte> data) override;
  bool isatty(StdioStream stream) override;
  Result<uint64_t> seek(StdioStream stream, int64_t offset, int origin) override;
  Result<StreamStatus> stream_status(StdioStream stream) override;
  Result<uint32_t> stream_flags(StdioStream stream) override;
  Result<void> set_stream_flags(StdioStream stream, uint32_t flags) override;
  Result<TerminalAttributes> terminal_attributes(StdioStream stream) override;
  Result<void> set_terminal_attributes(StdioStream stream, const TerminalAttributes& attributes,
                                       TerminalChange when) override;
  Result<WindowSize> window_size(StdioStream stream) override;
  Result<size_t> read_at(StdioStream stream, uint64_t offset, std::span<std::byte> buffer) override;
  Result<size_t> write_at(StdioStream stream, uint64_t offset,
                          std::span<const std::byte> data) override;
  Result<void> truncate(StdioStream stream, uint64_t size) override;
  Result<void> allocate(StdioStream stream, uint32_t mode, uint64_t offset,
                        uint64_t length) override;
  Result<void> sync(StdioStream stream, bool data_only) override;
  // The path that the host's /proc/self/fd/N showed when the platform was
  // made, before sealing, since the allowlist has no readlink.
  std::string stream_path(StdioStream stream) override;
  uint32_t stream_events(StdioStream stream) override;
  void wait_for_events(StdioStream stream, uint32_t events) override;

  // Random
  void fill(std::span<std::byte> buffer) override;

  // DebugLog: one line per write(2) to standard error, for lines at or
  // above the minimum level (info unless changed).
  void write(LogLevel level, std::string_view line) override;
  void set_minimum_log_level(LogLevel level) { minimum_log_level_.store(level); }

  // Packets: the host network is not connected yet.
  Result<void> send(std::span<const std::byte> packet) override;
  Result<size_t> receive(std::span<std::byte> buffer,
                         std::optional<std::chrono::nanoseconds> timeout) override;

  // Punchthrough: this platform accepts no requests yet.
  Result<uint64_t> invoke(std::string_view name, std::span<const uint64_t> arguments) override;

 private:
  Platform platform_;
  LinuxExecution execution_;
  std::atomic<LogLevel> minimum_log_level_{LogLevel::info};
  // stream_path() by stream, read once by the constructor.
  std::array<std::string, 3> stream_paths_;

  void read_stream_paths();
};

}  // namespace litebox::platform::linux_userland
