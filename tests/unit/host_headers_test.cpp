// Core must build against the platform interface alone: no file under
// src/core or include/litebox (except the platform implementations) may
// include a host system header.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace {

TEST(CoreIsolation, NoHostHeaders) {
  const std::filesystem::path source_dir = LITEBOX_SOURCE_DIR;
  const std::regex host_include(
      R"re(^\s*#\s*include\s*[<"](sys/|linux/|asm/|bits/|windows\.h|unistd\.h|fcntl\.h|signal\.h|pthread\.h|errno\.h|cerrno|csignal|dlfcn\.h|mutex|thread|condition_variable|shared_mutex))re");

  size_t files_checked = 0;
  for (const char* folder : {"src/core", "include/litebox"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir / folder)) {
      if (!entry.is_regular_file()) {
        continue;
      }
      std::ifstream file(entry.path());
      std::string line;
      int line_number = 0;
      while (std::getline(file, line)) {
        ++line_number;
        EXPECT_FALSE(std::regex_search(line, host_include))
            << entry.path() << ":" << line_number << ": " << line;
      }
      ++files_checked;
    }
  }
  EXPECT_GT(files_checked, 10u);
}

}  // namespace
