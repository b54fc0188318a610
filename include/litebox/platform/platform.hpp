// The South interface as a whole: one reference per capability.
//
// Core code reaches the host only through the Platform installed with
// set_current(); it never includes a host header.
#pragma once

#include "litebox/platform/clock.hpp"
#include "litebox/platform/debug_log.hpp"
#include "litebox/platform/futex.hpp"
#include "litebox/platform/packets.hpp"
#include "litebox/platform/pages.hpp"
#include "litebox/platform/punchthrough.hpp"
#include "litebox/platform/random.hpp"
#include "litebox/platform/stdio.hpp"
#include "litebox/platform/threads.hpp"

namespace litebox::platform {

struct Platform {
  Futex& futex;
  Clock& clock;
  Threads& threads;
  Pages& pages;
  Stdio& stdio;
  Random& random;
  DebugLog& log;
  Packets& packets;
  Punchthrough& punchthrough;
};

// Installs the platform that core code uses. Call once at start-up, before any
// other core call; the platform must outlive every later call.
void set_current(Platform& platform);

// Returns the installed platform. Calling it before set_current() aborts.
Platform& current();

}  // namespace litebox::platform
