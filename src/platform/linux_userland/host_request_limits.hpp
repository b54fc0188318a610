// Argument limits of host requests, shared by the seccomp allowlist
// (allowlist_generator.cpp) and the platform code that makes the requests.
#pragma once

#include <linux/falloc.h>

#include <cstdint>

namespace litebox::platform::linux_userland {

// The fallocate(2) mode bits that Stdio::allocate passes to the host for a
// regular file redirected to a standard stream. Each changes only the
// file's contents, size or allocated blocks, which writing the file could
// change too. FALLOC_FL_NO_HIDE_STALE, which would show stale disk blocks,
// and bits that later kernels add stay out.
inline constexpr uint32_t allowed_allocate_modes = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
                                                   FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |
                                                   FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE;

}  // namespace litebox::platform::linux_userland
