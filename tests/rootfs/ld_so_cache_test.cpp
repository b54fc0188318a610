// The ld.so.cache parser against the host's own reader, `ldconfig -p`.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "host_command.hpp"
#include "rootfs/ld_so_cache.hpp"
#include "rootfs/library_resolver.hpp"

namespace litebox::rootfs {
namespace {

TEST(LdSoCache, MatchesLdconfigPrint) {
  if (!std::filesystem::exists("/etc/ld.so.cache")) {
    GTEST_SKIP() << "this host has no /etc/ld.so.cache";
  }
  auto printed = testing::run_command("/sbin/ldconfig -p");
  ASSERT_EQ(printed.exit_status, 0);

  // "	libc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6"; the first
  // line for a name is the one the loader uses.
  std::map<std::string, std::string> expected;
  std::regex line_format(R"(^\s+(\S+) \(libc6,x86-64\) => (\S+)$)");
  std::istringstream lines(printed.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, line_format)) {
      expected.try_emplace(match[1].str(), match[2].str());
    }
  }
  ASSERT_FALSE(expected.empty()) << printed.output;

  auto cache = LdSoCache::load("/etc/ld.so.cache");
  ASSERT_TRUE(cache.has_value()) << cache.error();
  for (const auto& [name, path] : expected) {
    EXPECT_EQ(cache->find(name), path) << name;
  }
}

TEST(LdSoCache, RejectsForeignFile) {
  std::string text = "not a cache file at all, just text that is long enough";
  auto cache = LdSoCache::parse(std::as_bytes(std::span(text)));
  EXPECT_FALSE(cache.has_value());
}

TEST(LdSoCache, RejectsTruncatedTable) {
  // A valid header that claims 1000 entries in a 48-byte file.
  std::vector<std::byte> bytes(48);
  std::memcpy(bytes.data(), "glibc-ld.so.cache1.1", 20);
  uint32_t count = 1000;
  std::memcpy(bytes.data() + 20, &count, sizeof count);
  EXPECT_FALSE(LdSoCache::parse(bytes).has_value());
}

TEST(DynamicStringTokens, ExpandsAsDebianGlibc) {
  EXPECT_EQ(expand_dynamic_string_tokens("$ORIGIN/../lib", "/opt/app/bin"), "/opt/app/bin/../lib");
  EXPECT_EQ(expand_dynamic_string_tokens("${ORIGIN}/x", "/a"), "/a/x");
  EXPECT_EQ(expand_dynamic_string_tokens("/usr/$LIB", "/a"), "/usr/lib/x86_64-linux-gnu");
  EXPECT_EQ(expand_dynamic_string_tokens("/p/${PLATFORM}", "/a"), "/p/x86_64");
  EXPECT_EQ(expand_dynamic_string_tokens("/p/$UNKNOWN", "/a"), std::nullopt);
}

}  // namespace
}  // namespace litebox::rootfs
