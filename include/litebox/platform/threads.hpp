// South interface: host threads.
#pragma once

#include <cstdint>

#include "litebox/result.hpp"

namespace litebox::platform {

// A host thread identifier, unique while the thread lives.
using ThreadId = uint64_t;

// A host process identifier, unique while the process lives. Hosts that run
// one process per sandbox return 0 for it.
using ProcessId = uint64_t;

class Threads {
 public:
  virtual ~Threads() = default;

  using Entry = void (*)(void* argument);

  // Starts a detached host thread that runs `entry(argument)` and exits when
  // it returns. Returns `eagain` when the host has no thread to spare.
  // Thread-safe.
  virtual Result<ThreadId> spawn(Entry entry, void* argument) = 0;

  // Returns the identifier of the calling thread.
  virtual ThreadId current() = 0;

  // Makes a Futex::wait that `thread` is blocked in, or the next one it
  // enters, return `eintr`. Interrupting a thread that has exited is a no-op.
  // Thread-safe.
  virtual void interrupt(ThreadId thread) = 0;

  // Returns the identifier of the calling process.
  virtual ProcessId current_process() { return 0; }

  // Interrupts `thread` of the host process `process`, which may be another
  // process of the same sandbox (after Execution::fork_process), as
  // interrupt(thread) does for the calling process. Interrupting a thread or
  // process that has exited is a no-op.
  virtual void interrupt(ProcessId process, ThreadId thread) {
    if (process == current_process()) {
      interrupt(thread);
    }
  }

  // Gives up the processor (sched_yield).
  virtual void yield() = 0;
};

}  // namespace litebox::platform
