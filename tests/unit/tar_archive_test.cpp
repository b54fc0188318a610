// The tar reader on hand-built archives: valid corner cases of the formats
// and hostile input, which must end in a named error or a skipped member.
#include "litebox/fs/tar_archive.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tar_test_support.hpp"

namespace litebox::fs::tar {
namespace {

using testing::ArchiveBuilder;
using testing::Header;
using testing::HeaderFields;

struct Parsed {
  std::expected<std::vector<Member>, TarError> result;
  std::vector<std::string> warnings;
};

Parsed parse(std::span<const std::byte> archive) {
  Parsed parsed;
  parsed.result =
      parse_archive(archive, [&](std::string_view line) { parsed.warnings.emplace_back(line); });
  return parsed;
}

std::string data_of(const Member& member) {
  // Safety: std::byte and char have the same size and char may alias anything.
  return {reinterpret_cast<const char*>(member.data.data()), member.data.size()};
}

TEST(TarArchive, ReadsUstarFile) {
  ArchiveBuilder archive;
  archive
      .add({.name = "dir/file",
            .data = "hello",
            .mode = 0640,
            .uid = 1000,
            .gid = 100,
            .modify_time = 1700000000})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  ASSERT_EQ(parsed.result->size(), 1u);
  const Member& member = parsed.result->front();
  EXPECT_EQ(member.path, "dir/file");
  EXPECT_EQ(member.type, MemberType::regular);
  EXPECT_EQ(member.permissions, 0640u);
  EXPECT_EQ(member.uid, 1000u);
  EXPECT_EQ(member.gid, 100u);
  EXPECT_EQ(member.modify_time, (Timespec{1700000000, 0}));
  EXPECT_EQ(data_of(member), "hello");
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(TarArchive, JoinsUstarPrefix) {
  ArchiveBuilder archive;
  archive.add({.name = "name", .prefix = "a/b"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  EXPECT_EQ(parsed.result->front().path, "a/b/name");
}

TEST(TarArchive, GnuHeaderIgnoresPrefixArea) {
  // GNU headers keep atime and ctime where ustar has the prefix.
  ArchiveBuilder archive;
  archive.add({.name = "name", .prefix = "12345", .gnu_magic = true}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  EXPECT_EQ(parsed.result->front().path, "name");
}

TEST(TarArchive, ToleratesMissingEndMarker) {
  ArchiveBuilder archive;
  archive.add({.name = "a", .data = "x"});

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  EXPECT_EQ(parsed.result->size(), 1u);
}

TEST(TarArchive, EmptyInputHasNoMembers) {
  Parsed parsed = parse({});

  ASSERT_TRUE(parsed.result);
  EXPECT_TRUE(parsed.result->empty());
}

TEST(TarArchive, NormalizesDotAndLeadingSlash) {
  ArchiveBuilder archive;
  archive.add({.name = "./a//./b"}).add({.name = "/etc/passwd"}).add({.name = "/etc/group"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  ASSERT_EQ(parsed.result->size(), 3u);
  EXPECT_EQ((*parsed.result)[0].path, "a/b");
  EXPECT_EQ((*parsed.result)[1].path, "etc/passwd");
  EXPECT_EQ((*parsed.result)[2].path, "etc/group");
  // GNU tar warns once per archive, not once per member.
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("leading \"/\""), std::string::npos);
}

TEST(TarArchive, SkipsDotDotMember) {
  ArchiveBuilder archive;
  archive.add({.name = "a/../../escape"}).add({.name = "kept"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  ASSERT_EQ(parsed.result->size(), 1u);
  EXPECT_EQ(parsed.result->front().path, "kept");
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("a/../../escape"), std::string::npos);
  EXPECT_NE(parsed.warnings[0].find("\"..\""), std::string::npos);
}

TEST(TarArchive, SkipsHardLinkToDotDot) {
  ArchiveBuilder archive;
  archive.add({.name = "link", .type = '1', .link = "../outside"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  EXPECT_TRUE(parsed.result->empty());
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("hard link target"), std::string::npos);
}

TEST(TarArchive, KeepsSymlinkTargetAsStored) {
  ArchiveBuilder archive;
  archive.add({.name = "up", .type = '2', .link = "../../x"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  EXPECT_EQ(parsed.result->front().type, MemberType::symlink);
  EXPECT_EQ(parsed.result->front().link_target, "../../x");
}

TEST(TarArchive, RejectsBadChecksum) {
  ArchiveBuilder archive;
  archive.add({.name = "good"}).add({.name = "bad", .corrupt_checksum = true}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_checksum);
  EXPECT_EQ(parsed.result.error().member, "bad");
  EXPECT_EQ(parsed.result.error().offset, 512u);
  EXPECT_NE(parsed.result.error().message.find("\"bad\""), std::string::npos);
  EXPECT_NE(parsed.result.error().message.find("checksum"), std::string::npos);
}

TEST(TarArchive, ErrorEscapesControlBytesInName) {
  ArchiveBuilder archive;
  archive.add({.name = "line\nbreak\"\x1b[2J", .corrupt_checksum = true}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  const std::string& message = parsed.result.error().message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_NE(message.find("line\\x0abreak\\x22\\x1b[2J"), std::string::npos);
}

TEST(TarArchive, PrintableNameCutsLongNames) {
  const std::string name(150, 'n');

  std::string printable = printable_member_name(name);

  EXPECT_EQ(printable, std::string(100, 'n') + "...");
}

TEST(TarArchive, RejectsSizePastEnd) {
  ArchiveBuilder archive;
  archive.add({.name = "big", .data = "abc", .size_override = 4096});

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::truncated);
  EXPECT_EQ(parsed.result.error().member, "big");
}

TEST(TarArchive, RejectsHugeOctalSize) {
  ArchiveBuilder archive;
  archive.add({.name = "huge", .size_override = 077777777777}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::truncated);
}

TEST(TarArchive, RejectsTruncatedData) {
  ArchiveBuilder archive;
  archive.add({.name = "cut", .data = std::string(2000, 'x')});
  archive.bytes().resize(512 + 1000);

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::truncated);
  EXPECT_EQ(parsed.result.error().member, "cut");
}

TEST(TarArchive, RejectsPartialHeader) {
  ArchiveBuilder archive;
  archive.add({.name = "a"});
  Header next = testing::make_header({.name = "b"});
  archive.append(std::string_view(next.data(), 300));

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::truncated);
  EXPECT_EQ(parsed.result.error().offset, 512u);
}

TEST(TarArchive, RejectsNegativeBase256Size) {
  ArchiveBuilder archive;
  archive
      .add({.name = "negative",
            .edit = [](Header& header) { testing::write_base256(header, 124, 12, -1); }})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_number);
  EXPECT_NE(parsed.result.error().message.find("size -1"), std::string::npos);
}

TEST(TarArchive, RejectsOverflowingBase256Size) {
  ArchiveBuilder archive;
  archive
      .add({.name = "overflow",
            .edit =
                [](Header& header) {
                  std::memset(header.data() + 124, 0x7f, 12);
                  header[124] = static_cast<char>(0x80);
                }})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_number);
  EXPECT_EQ(parsed.result.error().member, "overflow");
}

TEST(TarArchive, ReadsBase256Numbers) {
  ArchiveBuilder archive;
  archive
      .add({.name = "old",
            .edit =
                [](Header& header) {
                  testing::write_base256(header, 136, 12, -86400);
                  testing::write_base256(header, 108, 8, 3000000000);
                }})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  EXPECT_EQ(parsed.result->front().modify_time.seconds, -86400);
  EXPECT_EQ(parsed.result->front().uid, 3000000000u);
}

TEST(TarArchive, RejectsUidBeyond32Bits) {
  ArchiveBuilder archive;
  archive
      .add({.name = "wide",
            .edit = [](Header& header) { testing::write_base256(header, 108, 8, 1LL << 40); }})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_number);
  EXPECT_NE(parsed.result.error().message.find("uid"), std::string::npos);
}

TEST(TarArchive, RejectsNonOctalDigit) {
  ArchiveBuilder archive;
  archive.add({.name = "digits", .edit = [](Header& header) { header[102] = '9'; }}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_number);
  EXPECT_NE(parsed.result.error().message.find("mode"), std::string::npos);
}

TEST(TarArchive, ReadsGnuLongNameAndLink) {
  std::string long_name = std::string(150, 'n') + "/" + std::string(120, 'm');
  std::string long_link = std::string(200, 'l');
  ArchiveBuilder archive;
  archive.add({.name = "././@LongLink", .type = 'L', .data = long_name + '\0'})
      .add({.name = "././@LongLink", .type = 'K', .data = long_link + '\0'})
      .add({.name = "truncated", .type = '2', .link = "truncated"})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  ASSERT_EQ(parsed.result->size(), 1u);
  EXPECT_EQ(parsed.result->front().path, long_name);
  EXPECT_EQ(parsed.result->front().link_target, long_link);
}

TEST(TarArchive, RejectsLongNamePastEnd) {
  ArchiveBuilder archive;
  archive.add({.name = "././@LongLink", .type = 'L', .data = "abc", .size_override = 1 << 20});

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::truncated);
}

TEST(TarArchive, SkipsOverlongName) {
  ArchiveBuilder archive;
  archive.add({.name = "././@LongLink", .type = 'L', .data = std::string(5000, 'a')})
      .add({.name = "short"})
      .add({.name = "next"})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  ASSERT_EQ(parsed.result->size(), 1u);
  EXPECT_EQ(parsed.result->front().path, "next");
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("longer than 4095"), std::string::npos);
}

TEST(TarArchive, ReadsPaxOverrides) {
  ArchiveBuilder archive;
  archive
      .add_pax('x', {"path=pax/name", "mtime=1600000000.123456789", "uid=70000", "gid=80000",
                     "size=3", "uname=someone", "linkpath=ignored"})
      .add({.name = "short", .data = "xyz"})
      .add({.name = "plain"})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  ASSERT_EQ(parsed.result->size(), 2u);
  const Member& first = (*parsed.result)[0];
  EXPECT_EQ(first.path, "pax/name");
  EXPECT_EQ(first.modify_time, (Timespec{1600000000, 123456789}));
  EXPECT_EQ(first.uid, 70000u);
  EXPECT_EQ(first.gid, 80000u);
  EXPECT_EQ(data_of(first), "xyz");
  // An 'x' header applies to the next member only.
  EXPECT_EQ((*parsed.result)[1].path, "plain");
  EXPECT_EQ((*parsed.result)[1].uid, 0u);
}

TEST(TarArchive, ReadsNegativeFractionalPaxTime) {
  ArchiveBuilder archive;
  archive.add_pax('x', {"mtime=-1.25"}).add({.name = "f"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  EXPECT_EQ(parsed.result->front().modify_time, (Timespec{-2, 750000000}));
}

TEST(TarArchive, GlobalPaxAppliesToLaterMembers) {
  ArchiveBuilder archive;
  archive.add({.name = "before"})
      .add_pax('g', {"uid=42"})
      .add({.name = "after1"})
      .add({.name = "after2"})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  ASSERT_EQ(parsed.result->size(), 3u);
  EXPECT_EQ((*parsed.result)[0].uid, 0u);
  EXPECT_EQ((*parsed.result)[1].uid, 42u);
  EXPECT_EQ((*parsed.result)[2].uid, 42u);
}

TEST(TarArchive, RejectsBadPaxRecordLength) {
  ArchiveBuilder archive;
  archive.add({.name = "PaxHeaders/x", .type = 'x', .data = "99 path=a\n"}).add({.name = "f"});

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_pax_record);
}

TEST(TarArchive, RejectsBadPaxNumber) {
  ArchiveBuilder archive;
  archive.add_pax('x', {"uid=12x"}).add({.name = "f"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::bad_pax_record);
  EXPECT_NE(parsed.result.error().message.find("uid"), std::string::npos);
}

TEST(TarArchive, RejectsPaxSizePastEnd) {
  ArchiveBuilder archive;
  archive.add_pax('x', {"size=99999999999"}).add({.name = "f"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_FALSE(parsed.result);
  EXPECT_EQ(parsed.result.error().problem, TarProblem::truncated);
  EXPECT_EQ(parsed.result.error().member, "f");
}

TEST(TarArchive, SkipsSparseAndUnknownTypes) {
  ArchiveBuilder archive;
  archive.add({.name = "sparse", .type = 'S', .data = "abc"})
      .add({.name = "vendor", .type = 'X', .data = "abc"})
      .add_pax('x', {"GNU.sparse.major=1"})
      .add({.name = "pax-sparse"})
      .add({.name = "kept"})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  ASSERT_EQ(parsed.result->size(), 1u);
  EXPECT_EQ(parsed.result->front().path, "kept");
  ASSERT_EQ(parsed.warnings.size(), 3u);
  EXPECT_NE(parsed.warnings[0].find("\"sparse\""), std::string::npos);
  EXPECT_NE(parsed.warnings[1].find("'X'"), std::string::npos);
  EXPECT_NE(parsed.warnings[2].find("\"pax-sparse\""), std::string::npos);
}

TEST(TarArchive, StopsAtLoneZeroBlock) {
  ArchiveBuilder archive;
  archive.add({.name = "first"});
  archive.bytes().resize(archive.bytes().size() + 512, std::byte{0});
  archive.add({.name = "hidden"});

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  ASSERT_EQ(parsed.result->size(), 1u);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("lone zero block"), std::string::npos);
}

TEST(TarArchive, ReadsDeviceNumbers) {
  ArchiveBuilder archive;
  archive.add({.name = "null", .type = '3', .device_major = 1, .device_minor = 3})
      .add({.name = "disk", .type = '4', .device_major = 259, .device_minor = 70000})
      .end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result);
  EXPECT_EQ((*parsed.result)[0].type, MemberType::character_device);
  EXPECT_EQ((*parsed.result)[0].device_major, 1u);
  EXPECT_EQ((*parsed.result)[0].device_minor, 3u);
  EXPECT_EQ((*parsed.result)[1].type, MemberType::block_device);
  EXPECT_EQ((*parsed.result)[1].device_minor, 70000u);
}

TEST(TarArchive, DirectorySizeCarriesNoData) {
  // GNU tar reads no data after a directory header, whatever its size field contains.
  ArchiveBuilder archive;
  archive.add({.name = "dir/", .type = '5', .size_override = 512}).add({.name = "after"}).end();

  Parsed parsed = parse(archive.bytes());

  ASSERT_TRUE(parsed.result) << parsed.result.error().message;
  ASSERT_EQ(parsed.result->size(), 2u);
  EXPECT_EQ((*parsed.result)[1].path, "after");
}

}  // namespace
}  // namespace litebox::fs::tar
