// Helpers for tests that need the real host: the process-wide platform,
// shared memory that outlives a child, and running code in a forked child.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "linux_userland_platform.hpp"

namespace litebox::testing {

platform::linux_userland::LinuxUserlandPlatform& host_platform();

// An anonymous MAP_SHARED mapping, so a forked child's writes reach the
// parent.
class SharedMapping {
 public:
  explicit SharedMapping(size_t length);
  ~SharedMapping();
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;

  std::byte* data() const { return data_; }
  uint64_t address() const;
  size_t size() const { return length_; }

  template <typename T>
  T* as() const {
    // Safety: the mapping is page-aligned and at least one page long.
    return reinterpret_cast<T*>(data_);
  }

 private:
  std::byte* data_;
  size_t length_;
};

struct ChildOutcome {
  bool exited = false;   // false: killed by a signal or timed out
  int exit_status = -1;  // valid when exited
  int signal = 0;        // valid when killed
  bool timed_out = false;
  std::string error_output;
};

// Runs `body` in a forked child whose standard error is captured. The child
// ends with _exit(0) if `body` returns. A child still running after
// `timeout` is killed.
ChildOutcome run_in_child(const std::function<void()>& body,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Whether the CPU and kernel offer these features.
bool host_has_avx512();
bool host_has_fsgsbase();
bool host_has_syscall_user_dispatch();

}  // namespace litebox::testing
