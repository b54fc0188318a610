#include "litebox/platform/stdio.hpp"

#include "litebox/event/pollable.hpp"

namespace litebox::platform {

Result<uint64_t> Stdio::seek(StdioStream, int64_t, int) { return fail(Errno::espipe); }

uint32_t Stdio::input_events() { return event::pollin | event::pollrdnorm; }

}  // namespace litebox::platform
