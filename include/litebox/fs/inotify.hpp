// Inotify, the file change notification of inotify(7). An InotifyInstance
// is the open file description that inotify_init1(2) creates: a set of
// watches, each on one inode, and a queue of events to read. The Vfs keeps
// a WatchRegistry, which file system operations tell what happened to an
// inode, and which passes that on to every watch of the inode.
//
// It follows Linux. An event about a file goes first to the watches of the
// directory it was named in, with its name, then to the watches of the
// file itself. An event equal to the last one queued is dropped, and a
// full queue ends with one IN_Q_OVERFLOW event. Removing a watch, or the
// deletion of its inode, queues IN_IGNORED.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "litebox/event/pollable.hpp"
#include "litebox/fd/file.hpp"
#include "litebox/fs/inode.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/mutex.hpp"
#include "litebox/sync/wait_queue.hpp"

namespace litebox::fs {

// Event and watch flag bits, the Linux IN_* values.
enum InotifyBits : uint32_t {
  in_access = 0x1,
  in_modify = 0x2,
  in_attrib = 0x4,
  in_close_write = 0x8,
  in_close_nowrite = 0x10,
  in_open = 0x20,
  in_moved_from = 0x40,
  in_moved_to = 0x80,
  in_create = 0x100,
  in_delete = 0x200,
  in_delete_self = 0x400,
  in_move_self = 0x800,
  in_q_overflow = 0x4000,
  in_ignored = 0x8000,
  in_only_directory = 0x01000000,
  in_dont_follow = 0x02000000,
  in_exclude_unlinked = 0x04000000,
  in_mask_create = 0x10000000,
  in_mask_add = 0x20000000,
  in_is_directory = 0x40000000,
  in_one_shot = 0x80000000,
};
inline constexpr uint32_t in_all_events = 0xfff;

// The flags of inotify_init1(2), which are O_NONBLOCK and O_CLOEXEC.
inline constexpr uint32_t in_non_blocking = fd::open_non_blocking;
inline constexpr uint32_t in_close_on_exec = fd::open_close_on_exec;

class InotifyInstance;

class WatchRegistry {
 public:
  // Whether any watch exists. Operations skip the status lookups that
  // events need while none does.
  bool active() const { return watch_count_.load(std::memory_order_relaxed) != 0; }

  // Reports `mask` about the inode `subject`: first to the watches of
  // `directory` with `name`, when a directory is given, then to the
  // watches of `subject`. `is_directory` adds IN_ISDIR.
  void notify(const InodeId* directory, std::string_view name, const InodeId& subject,
              uint32_t mask, bool is_directory, uint32_t cookie = 0);
  // notify() for inodes: reads the identities of `subject` and, when
  // given, `directory`, and does nothing while no watch exists.
  void notify_about(Inode* directory, std::string_view name, Inode& subject, uint32_t mask);
  // Reports an event to the watches of `directory` only, with `name`.
  void notify_directory(const InodeId& directory, std::string_view name, uint32_t mask,
                        bool is_directory, uint32_t cookie = 0);
  // Reports an event to the watches of `subject` only.
  void notify_inode(const InodeId& subject, uint32_t mask, bool is_directory);
  // Reports IN_DELETE_SELF to the watches of `subject` and removes them.
  void notify_deleted(const InodeId& subject);

  // A cookie that ties the IN_MOVED_FROM and IN_MOVED_TO of one rename.
  uint32_t next_cookie();

  // inotify_add_watch(2) and inotify_rm_watch(2) for `instance`.
  Result<int32_t> add_watch(InotifyInstance& instance, const InodeId& subject, uint32_t mask);
  Result<void> remove_watch(InotifyInstance& instance, int32_t descriptor);
  // Drops every watch of an instance that is going away.
  void remove_instance(InotifyInstance& instance);

 private:
  struct Watch {
    InodeId subject;
    InotifyInstance* instance;  // removed here before the instance ends
    int32_t descriptor;
    uint32_t mask;
  };

  void deliver_locked(const InodeId& subject, std::string_view name, uint32_t mask,
                      uint32_t cookie);

  sync::Mutex lock_;
  std::vector<Watch> watches_;  // guarded by lock_
  std::atomic<uint32_t> watch_count_{0};
  std::atomic<uint32_t> cookie_{0};
};

class InotifyInstance final : public fd::File {
 public:
  // `einval` for flags other than in_non_blocking and in_close_on_exec.
  static Result<std::shared_ptr<InotifyInstance>> create(std::shared_ptr<WatchRegistry> registry,
                                                         uint32_t flags);

  InotifyInstance(std::shared_ptr<WatchRegistry> registry, uint32_t file_flags);
  ~InotifyInstance() override;

  WatchRegistry& registry() { return *registry_; }

  // Reads whole struct inotify_event records: `einval` when the first one
  // does not fit, blocking while the queue is empty.
  Result<size_t> read(std::span<std::byte> buffer) override;
  Result<fs::Stat> stat() override;
  std::string anonymous_name() override { return "anon_inode:inotify"; }
  uint32_t poll_events() override;
  event::Pollable* pollable() override { return &pollable_; }
  Result<size_t> bytes_available() override;
  bool is_message_oriented() const override { return true; }

  // Queues one event; the registry calls this with its lock held.
  void queue(int32_t descriptor, uint32_t mask, uint32_t cookie, std::string_view name);

  // The descriptor for the next new watch.
  int32_t take_descriptor() { return next_descriptor_++; }

 private:
  struct Event {
    int32_t descriptor;
    uint32_t mask;
    uint32_t cookie;
    std::string name;
    bool operator==(const Event&) const = default;
  };
  static size_t record_size(const Event& event);

  std::shared_ptr<WatchRegistry> registry_;
  int32_t next_descriptor_ = 1;  // guarded by the registry's lock
  sync::Mutex lock_;
  std::deque<Event> events_;  // guarded by lock_
  size_t queued_bytes_ = 0;   // guarded by lock_
  sync::WaitQueue events_queued_;
  event::Pollable pollable_;
};

}  // namespace litebox::fs
