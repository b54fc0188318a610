#include "litebox/platform/stdio.hpp"

namespace litebox::platform {

Result<uint64_t> Stdio::seek(StdioStream, int64_t, int) { return fail(Errno::espipe); }

}  // namespace litebox::platform
