// The host's standard streams as litebox found them at start-up. A
// descriptor 0, 1 or 2 that the caller left closed must stay closed for the
// guest. Otherwise the host hands its number to the next file litebox opens
// (the root image, a host file), and the guest reads that file as its
// standard input.
#pragma once

namespace litebox::cli {

// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed, so no
// later open takes its number, and remembers which ones were closed. Call it
// first thing in main, before anything opens a file.
void reserve_standard_descriptors();

// Returns whether descriptor `fd` (0, 1 or 2) was closed when litebox started.
bool standard_descriptor_was_closed(int fd);

}  // namespace litebox::cli
