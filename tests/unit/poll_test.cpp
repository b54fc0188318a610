#include "litebox/event/poll.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "test_platform.hpp"
#include "test_threads.hpp"

namespace litebox::event {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::mock_platform;
using litebox::testing::TestThread;
using namespace std::chrono_literals;

// A file whose readiness the test sets; each change notifies its Pollable.
class ReadinessFile final : public fd::File {
 public:
  ReadinessFile() : File(fd::open_read_write) {}

  Result<fs::Stat> stat() override { return fs::Stat{}; }
  uint32_t poll_events() override { return events_.load(); }
  Pollable* pollable() override { return &pollable_; }

  void set_events(uint32_t events) {
    uint32_t previous = events_.exchange(events);
    pollable_.notify(previous ^ events);
  }

 private:
  std::atomic<uint32_t> events_{0};
  Pollable pollable_;
};

class CountingObserver final : public Observer {
 public:
  void notify(uint32_t events) override {
    ++notifications;
    last_events = events;
  }

  int notifications = 0;
  uint32_t last_events = 0;
};

TEST(Pollable, NotifiesRegisteredObserversOnly) {
  Pollable pollable;
  CountingObserver registered;
  CountingObserver removed;
  pollable.add_observer(registered);
  pollable.add_observer(removed);
  pollable.remove_observer(removed);

  pollable.notify(pollin);

  EXPECT_EQ(registered.notifications, 1);
  EXPECT_EQ(registered.last_events, pollin);
  EXPECT_EQ(removed.notifications, 0);
}

TEST(Poll, ReportsReadyEntryAtOnce) {
  auto ready = std::make_shared<ReadinessFile>();
  auto idle = std::make_shared<ReadinessFile>();
  ready->set_events(pollin | pollrdnorm);
  std::vector<PollEntry> entries = {{idle, pollin, 0}, {ready, pollin | pollout, 0}};

  auto count = poll(entries, sync::Deadline::never());

  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1u);
  EXPECT_EQ(entries[0].returned, 0u);
  // pollrdnorm was not requested, so it is filtered out.
  EXPECT_EQ(entries[1].returned, pollin);
}

TEST(Poll, ReportsErrorsAndHangUpUnrequested) {
  auto file = std::make_shared<ReadinessFile>();
  file->set_events(pollerr | pollhup | pollout);
  std::vector<PollEntry> entries = {{file, pollin, 0}};

  auto count = poll(entries, sync::Deadline::after(0ns));

  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1u);
  EXPECT_EQ(entries[0].returned, pollerr | pollhup);
}

TEST(Poll, MissingFileReportsNval) {
  std::vector<PollEntry> entries = {{nullptr, pollin, 0}};

  auto count = poll(entries, sync::Deadline::never());

  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1u);
  EXPECT_EQ(entries[0].returned, pollnval);
}

TEST(Poll, PlainFileIsAlwaysReady) {
  class PlainFile final : public fd::File {
   public:
    PlainFile() : File(fd::open_read_only) {}
    Result<fs::Stat> stat() override { return fs::Stat{}; }
  };
  std::vector<PollEntry> entries = {
      {std::make_shared<PlainFile>(), pollin | pollout | pollrdnorm | pollwrnorm | pollpri, 0}};

  auto count = poll(entries, sync::Deadline::never());

  ASSERT_TRUE(count);
  EXPECT_EQ(entries[0].returned, pollin | pollout | pollrdnorm | pollwrnorm);
}

TEST(Poll, ZeroTimeoutChecksOnce) {
  auto file = std::make_shared<ReadinessFile>();
  std::vector<PollEntry> entries = {{file, pollin, 0}};

  auto count = poll(entries, sync::Deadline::after(0ns));

  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);
  EXPECT_EQ(entries[0].returned, 0u);
}

TEST(Poll, TimesOutWithZero) {
  auto file = std::make_shared<ReadinessFile>();
  std::vector<PollEntry> entries = {{file, pollin, 0}};
  Result<size_t> count = fail(Errno::eio);

  TestThread poller([&] { count = poll(entries, sync::Deadline::after(250ms)); });
  await_sleepers(1);
  mock_platform().advance(250ms);

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);
}

TEST(Poll, WakesWhenFileBecomesReady) {
  auto file = std::make_shared<ReadinessFile>();
  std::vector<PollEntry> entries = {{file, pollin, 0}};
  Result<size_t> count = fail(Errno::eio);

  TestThread poller([&] { count = poll(entries, sync::Deadline::never()); });
  await_sleepers(1);
  file->set_events(pollin);

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1u);
  EXPECT_EQ(entries[0].returned, pollin);
}

TEST(Poll, ReportsOnlyTheEntryThatBecameReady) {
  auto first = std::make_shared<ReadinessFile>();
  auto second = std::make_shared<ReadinessFile>();
  auto third = std::make_shared<ReadinessFile>();
  std::vector<PollEntry> entries = {
      {first, pollin, 0}, {second, pollin | pollout, 0}, {third, pollout, 0}};
  Result<size_t> count = fail(Errno::eio);

  TestThread poller([&] { count = poll(entries, sync::Deadline::never()); });
  await_sleepers(1);
  second->set_events(pollout);

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1u);
  EXPECT_EQ(entries[0].returned, 0u);
  EXPECT_EQ(entries[1].returned, pollout);
  EXPECT_EQ(entries[2].returned, 0u);
}

TEST(Poll, IgnoresChangeOfUnrequestedEvent) {
  auto file = std::make_shared<ReadinessFile>();
  std::vector<PollEntry> entries = {{file, pollin, 0}};
  Result<size_t> count = fail(Errno::eio);

  TestThread poller([&] { count = poll(entries, sync::Deadline::after(1s)); });
  await_sleepers(1);
  file->set_events(pollout);
  // The poller wakes, finds nothing it asked for, and sleeps again.
  await_sleepers(1);
  mock_platform().advance(1s);

  ASSERT_TRUE(poller.join_within());
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);
}

TEST(Poll, InterruptReturnsEintr) {
  auto file = std::make_shared<ReadinessFile>();
  std::vector<PollEntry> entries = {{file, pollin, 0}};
  Result<size_t> count = 0;

  TestThread poller([&] { count = poll(entries, sync::Deadline::never()); });
  await_sleepers(1);
  mock_platform().interrupt(poller.id());

  ASSERT_TRUE(poller.join_within());
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error(), Errno::eintr);
}

TEST(Poll, UnregistersObserverOnReturn) {
  auto file = std::make_shared<ReadinessFile>();
  file->set_events(0);
  std::vector<PollEntry> entries = {{file, pollin, 0}};
  CountingObserver witness;
  file->pollable()->add_observer(witness);

  auto count = poll(entries, sync::Deadline::after(0ns));
  ASSERT_TRUE(count);

  // Only the witness is left to notify; a stale poll observer would crash or
  // be visible through a second notification path.
  file->set_events(pollin);
  EXPECT_EQ(witness.notifications, 1);
  file->pollable()->remove_observer(witness);
}

// Two threads make each other's file ready many times. A lost wake-up would
// leave one asleep for good and fail the bounded join.
TEST(Poll, LosesNoWakeUpUnderContention) {
  auto request = std::make_shared<ReadinessFile>();
  auto reply = std::make_shared<ReadinessFile>();
  constexpr int rounds = 2000;
  std::atomic<int> failures = 0;

  TestThread server([&] {
    for (int i = 0; i < rounds; ++i) {
      std::vector<PollEntry> entries = {{request, pollin, 0}};
      if (!poll(entries, sync::Deadline::never())) {
        ++failures;
        return;
      }
      request->set_events(0);
      reply->set_events(pollin);
    }
  });
  TestThread client([&] {
    for (int i = 0; i < rounds; ++i) {
      request->set_events(pollin);
      std::vector<PollEntry> entries = {{reply, pollin, 0}};
      if (!poll(entries, sync::Deadline::never())) {
        ++failures;
        return;
      }
      reply->set_events(0);
    }
  });

  ASSERT_TRUE(server.join_within());
  ASSERT_TRUE(client.join_within());
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace litebox::event
