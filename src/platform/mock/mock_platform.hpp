// MockPlatform: a deterministic South implementation for unit tests.
//
// Time stands still until a test calls advance(); futex waits with a timeout
// expire only then. Threads are real host threads. Standard input is a
// scripted byte string and standard output and error are captured.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "litebox/platform/platform.hpp"

namespace litebox::platform::mock {

class MockPlatform final : public Futex,
                           public Clock,
                           public Threads,
                           public Pages,
                           public Stdio,
                           public Random,
                           public DebugLog,
                           public Packets,
                           public Punchthrough {
 public:
  MockPlatform();
  ~MockPlatform() override;

  // The Platform view of this object, for platform::set_current().
  Platform& platform() { return platform_; }

  // Moves the virtual clocks forward and expires futex waits whose timeout
  // has passed.
  void advance(std::chrono::nanoseconds duration);

  // Sets the bytes that Stdio::read returns, then end of file.
  void set_input(std::string input);
  std::string output();
  std::string error_output();
  std::vector<std::string> log_lines();

  // Number of threads currently blocked in Futex::wait, so tests can wait
  // until a thread has gone to sleep before advancing the clock.
  size_t futex_waiters();

  // Blocks until at least `count` threads are blocked in Futex::wait.
  // Returns false if that has not happened within `bound` of real time, a
  // safety net so a broken test fails instead of hanging.
  bool await_futex_waiters(size_t count,
                           std::chrono::milliseconds bound = std::chrono::seconds(10));

  // Futex
  Result<void> wait(std::atomic<uint32_t>& word, uint32_t expected,
                    std::optional<std::chrono::nanoseconds> timeout, FutexScope scope) override;
  uint32_t wake(std::atomic<uint32_t>& word, uint32_t count, FutexScope scope) override;

  // Clock
  std::chrono::nanoseconds monotonic_now() override;
  Timespec realtime_now() override;
  std::chrono::nanoseconds resolution() override { return std::chrono::nanoseconds(1); }

  // Threads
  Result<ThreadId> spawn(Entry entry, void* argument) override;
  ThreadId current() override;
  void interrupt(ThreadId thread) override;
  void yield() override;

  // Pages (backed by host memory)
  Result<void*> reserve(void* hint, size_t length, bool fixed) override;
  Result<void> commit(void* address, size_t length, uint32_t protection, Replace replace,
                      Accounting accounting) override;
  Result<void> protect(void* address, size_t length, uint32_t protection) override;
  Result<void> release(void* address, size_t length) override;
  // Shared memory is one host MAP_SHARED mapping per allocation: tests run
  // in one process, so it needs no arena that forked processes inherit.
  Result<void*> allocate_shared(size_t length) override;
  void free_shared(void* memory, size_t length) override;
  Result<void> alias(void* address, size_t length, void* source, uint32_t protection) override;
  // Adds `length` to file_bytes_read(), so a test can check what a file
  // system reports.
  void note_file_read(const void*, size_t length) override { file_bytes_read_ += length; }
  uint64_t file_bytes_read() const { return file_bytes_read_.load(); }

  // Stdio
  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<size_t> write(StdioStream stream, std::span<const std::byte> data) override;
  bool isatty(StdioStream) override { return false; }

  // Random: a fixed xorshift sequence, so tests are repeatable.
  void fill(std::span<std::byte> buffer) override;

  // DebugLog
  void write(LogLevel level, std::string_view line) override;

  // Packets: there is no network.
  Result<void> send(std::span<const std::byte>) override { return fail(Errno::enetdown); }
  Result<size_t> receive(std::span<std::byte>, std::optional<std::chrono::nanoseconds>) override {
    return fail(Errno::enetdown);
  }

  // Punchthrough: accepts no requests.
  Result<uint64_t> invoke(std::string_view, std::span<const uint64_t>) override {
    return fail(Errno::enosys);
  }

 private:
  struct Waiter {
    const void* word;
    ThreadId thread;
    bool woken = false;
  };

  Platform platform_;
  std::mutex lock_;
  std::condition_variable changed_;
  std::chrono::nanoseconds now_{0};
  std::vector<Waiter*> waiters_;
  std::set<ThreadId> pending_interrupts_;
  std::string input_;
  size_t input_position_ = 0;
  std::string output_;
  std::string error_output_;
  std::vector<std::string> log_lines_;
  uint64_t random_state_ = 0x9e3779b97f4a7c15ULL;
  // The thread that constructs the platform (the test's main thread) is 1;
  // every other thread gets the next number the first time it asks.
  std::atomic<ThreadId> next_thread_id_{2};
  std::atomic<uint64_t> file_bytes_read_{0};
};

}  // namespace litebox::platform::mock
