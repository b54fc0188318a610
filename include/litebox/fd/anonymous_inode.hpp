// The inode that files without a file system behind them share, as Linux's
// anon_inodefs gives one inode to every eventfd, epoll instance and timerfd.
#pragma once

#include "litebox/fs/types.hpp"

namespace litebox::fd {

// What fstat(2) reports for such a file: one device and inode number for
// all of them, and mode 0600 without file type bits, as on Linux.
fs::Stat anonymous_inode_stat();

}  // namespace litebox::fd
