// TestThread: a host thread for tests of blocking kernel code. It records its
// mock-platform thread id (so a test can interrupt it) and never lets a test
// hang: join_within() gives up after a bound of real time.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "litebox/platform/platform.hpp"
#include "test_platform.hpp"

namespace litebox::testing {

// The real-time bound on every wait in a test; reaching it is a test failure.
inline constexpr std::chrono::seconds wait_bound{10};

class TestThread {
 public:
  explicit TestThread(std::function<void()> body) {
    std::promise<platform::ThreadId> id_promise;
    std::future<platform::ThreadId> id_future = id_promise.get_future();
    // The thread owns its promise, so detaching a stuck thread leaves it
    // nothing of this object to touch.
    std::promise<void> finished_promise;
    finished_ = finished_promise.get_future();
    thread_ = std::thread([body = std::move(body), id_promise = std::move(id_promise),
                           finished_promise = std::move(finished_promise)]() mutable {
      id_promise.set_value(platform::current().threads.current());
      body();
      finished_promise.set_value();
    });
    id_ = id_future.get();
  }

  ~TestThread() {
    if (!thread_.joinable()) {
      return;
    }
    if (join_within()) {
      return;
    }
    ADD_FAILURE() << "a test thread is still blocked; interrupting it";
    mock_platform().interrupt(id_);
    thread_.detach();
  }

  TestThread(const TestThread&) = delete;
  TestThread& operator=(const TestThread&) = delete;

  platform::ThreadId id() const { return id_; }

  // True once the body has returned.
  bool finished() const {
    return finished_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  // Joins the thread if its body returns within the wait bound.
  bool join_within() {
    if (finished_.wait_for(wait_bound) != std::future_status::ready) {
      return false;
    }
    thread_.join();
    return true;
  }

 private:
  std::thread thread_;
  platform::ThreadId id_ = 0;
  std::future<void> finished_;
};

// Blocks until `count` threads sleep in the mock futex; fails the test if
// they do not within the wait bound.
inline void await_sleepers(size_t count) {
  ASSERT_TRUE(mock_platform().await_futex_waiters(count, wait_bound))
      << "expected " << count << " threads blocked in a futex wait";
}

// Yields until `condition()` holds; returns false if it does not within the
// wait bound.
template <typename Condition>
bool await_condition(Condition condition) {
  auto give_up = std::chrono::steady_clock::now() + wait_bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

}  // namespace litebox::testing
