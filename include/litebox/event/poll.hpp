// poll(): waits until any of several open file descriptions is ready, the
// core of poll(2), ppoll(2) and select(2).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "litebox/fd/file.hpp"
#include "litebox/result.hpp"
#include "litebox/sync/deadline.hpp"

namespace litebox::event {

struct PollEntry {
  // The file to watch. A null file stands for a descriptor that is not open
  // and reports pollnval; the shim leaves out negative descriptors, which
  // poll(2) ignores.
  std::shared_ptr<fd::File> file;
  uint32_t requested = 0;  // PollEvents bits (events)
  uint32_t returned = 0;   // filled in by poll() (revents)
};

// Fills in `returned` for every entry: the file's poll_events() limited to
// the requested bits plus pollerr, pollhup and pollnval. Blocks until at
// least one entry has a non-zero `returned`, `deadline` passes or the thread
// is interrupted. Returns the number of entries with a non-zero `returned`
// (0 after the deadline, which a passed deadline turns into a single check)
// or `eintr`.
Result<size_t> poll(std::span<PollEntry> entries, sync::Deadline deadline);

}  // namespace litebox::event
