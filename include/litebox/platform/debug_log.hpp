// South interface: a sink for the libOS's own diagnostic messages.
#pragma once

#include <string_view>

namespace litebox::platform {

enum class LogLevel { trace, debug, info, warning, error };

class DebugLog {
 public:
  virtual ~DebugLog() = default;

  // Writes one line (without a trailing newline) to the host's diagnostic
  // channel. Never fails. Thread-safe.
  virtual void write(LogLevel level, std::string_view line) = 0;
};

}  // namespace litebox::platform
