// Named fifos: every open of one fifo inode reaches the same Pipe while any
// end of it is open.
#include <map>

#include "litebox/ipc/pipe.hpp"

namespace litebox::ipc {

namespace {

class FifoRegistry {
 public:
  // Returns the pipe of `inode`, making one if no end of it is open.
  std::shared_ptr<Pipe> pipe_for(const fs::Inode& inode) {
    sync::LockGuard guard(lock_);
    std::erase_if(pipes_, [](const auto& entry) { return entry.second.expired(); });

    std::weak_ptr<Pipe>& slot = pipes_[&inode];
    std::shared_ptr<Pipe> pipe = slot.lock();
    if (!pipe) {
      pipe = std::make_shared<Pipe>();
      slot = pipe;
    }
    return pipe;
  }

 private:
  sync::Mutex lock_;
  // Keyed by inode address. Every open end keeps its inode alive, so an address
  // with a live pipe cannot be reused by another inode.
  std::map<const fs::Inode*, std::weak_ptr<Pipe>> pipes_;
};

// The registry lives in the kernel heap and is made during static
// initialization, before any guest fork, so every process of the sandbox
// reaches the same one. A registry made on first use after a fork would be
// private to the process that made it, and a reader and a writer in two
// processes would never meet.
FifoRegistry& registry = *new FifoRegistry();

}  // namespace

Result<std::shared_ptr<fd::File>> open_fifo(const std::shared_ptr<fs::Inode>& inode,
                                            uint32_t flags) {
  if (!inode) {
    return fail(Errno::einval);
  }

  std::shared_ptr<Pipe> pipe = registry.pipe_for(*inode);
  bool reader = fd::readable(flags);
  bool writer = fd::writable(flags);
  bool non_blocking = (flags & fd::open_non_blocking) != 0;

  if (writer && !reader && non_blocking && pipe->readers().open == 0) {
    return fail(Errno::enxio);
  }

  // The new end counts as a reader or writer from here on, so a peer that
  // opens later does not wait for it. Leaving early destroys the end, which
  // takes the count back.
  auto end = std::make_shared<PipeEnd>(pipe, flags & ~uint32_t{fd::open_close_on_exec}, inode);

  if (reader && !writer) {
    Pipe::PeerCount writers = end->peers_at_attach_.writers;
    if (writers.open == 0 && non_blocking) {
      end->writer_opens_seen_ = writers.opens;
    } else if (writers.open == 0) {
      TRY_VOID(pipe->wait_for_writer(writers.opens));
    }
  }

  if (writer && !reader) {
    Pipe::PeerCount readers = end->peers_at_attach_.readers;
    if (readers.open == 0) {
      TRY_VOID(pipe->wait_for_reader(readers.opens));
    }
  }
  return end;
}

}  // namespace litebox::ipc
