#include "litebox/platform/pages.hpp"

namespace litebox::platform {

Result<void> Pages::map_copy_on_write(void*, size_t, const void*, uint32_t, Replace) {
  return fail(Errno::enodev);
}

Result<void> Pages::map_stream(void*, size_t, StdioStream, uint64_t, uint32_t, bool, Replace) {
  return fail(Errno::enodev);
}

Result<void> Pages::move_mapping(void*, size_t, void*, size_t) { return fail(Errno::enodev); }

void Pages::note_file_read(const void*, size_t) {}

}  // namespace litebox::platform
