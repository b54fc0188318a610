#include "seccomp_filter.hpp"

#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <iterator>

#include "allowlist_program.hpp"
#include "litebox/platform/pages.hpp"

namespace litebox::platform::linux_userland {

namespace {

// Scratch memory slots of the classifier.
constexpr uint32_t slot_ip_low = 0;
constexpr uint32_t slot_ip_high = 1;

sock_filter statement(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }

sock_filter jump(uint16_t code, uint32_t k, uint8_t if_true, uint8_t if_false) {
  return BPF_JUMP(code, k, if_true, if_false);
}

// Emits the test "instruction_pointer - 1 lies in [start, end)", that is,
// the last byte of the syscall instruction is trusted. A match falls through
// to the instruction after the block; a miss skips that instruction.
void emit_range_test(std::vector<sock_filter>& program, AddressRange range) {
  // ip - 1 in [start, end)  <=>  ip in [start + 1, end + 1)
  const uint64_t low = range.start + 1;
  const uint64_t high = range.end + 1;
  const auto low_high = static_cast<uint32_t>(low >> 32);
  const auto low_low = static_cast<uint32_t>(low);
  const auto high_high = static_cast<uint32_t>(high >> 32);
  const auto high_low = static_cast<uint32_t>(high);

  // Jump offsets count from the next instruction. The block is ten
  // instructions long. The caller's jump to the allow path follows at index
  // 10, so a match falls through to it and a miss lands at index 11.
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_high));         // 0
  program.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, low_high, 3, 0));   // 1: above -> 5
  program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, low_high, 0, 8));   // 2: below -> miss
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_low));          // 3
  program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, low_low, 0, 6));    // 4: below -> miss
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_high));         // 5
  program.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, high_high, 4, 0));  // 6: above -> miss
  program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, high_high, 0, 2));  // 7: below -> match
  program.push_back(statement(BPF_LD | BPF_MEM, slot_ip_low));          // 8
  program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, high_low, 1, 0));   // 9: at/above -> miss
}

Errno last_errno() { return static_cast<Errno>(errno); }

}  // namespace

Result<std::vector<AddressRange>> read_executable_ranges() {
  // The executable PT_LOAD segments of every ELF object the host loader
  // mapped: the runner, its shared libraries and the vDSO. The kernel maps
  // each such segment whole pages at a time, so page-rounding the segment
  // gives the same range that /proc/self/maps lists, without a file read.
  std::vector<AddressRange> ranges;
  const auto collect = [](dl_phdr_info* object, size_t, void* context) {
    auto& collected = *static_cast<std::vector<AddressRange>*>(context);
    for (ElfW(Half) index = 0; index < object->dlpi_phnum; ++index) {
      const ElfW(Phdr)& segment = object->dlpi_phdr[index];
      if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0 || segment.p_memsz == 0) {
        continue;
      }
      const uint64_t start = object->dlpi_addr + segment.p_vaddr;
      const uint64_t end = start + segment.p_memsz;
      collected.push_back({start & ~(page_size - 1), (end + page_size - 1) & ~(page_size - 1)});
    }
    return 0;
  };
  dl_iterate_phdr(collect, &ranges);
  if (ranges.empty()) {
    return fail(Errno::enoent);
  }

  std::sort(ranges.begin(), ranges.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.start < b.start; });
  // Only touching ranges merge: a gap between two libraries may later hold
  // guest code, which must stay untrusted.
  std::vector<AddressRange> merged;
  for (const AddressRange& range : ranges) {
    if (!merged.empty() && merged.back().end == range.start) {
      merged.back().end = range.end;
    } else {
      merged.push_back(range);
    }
  }
  return merged;
}

Result<void> install_filter(const std::vector<AddressRange>& trusted_ranges, int interrupt_signal) {
  // The allowlist was built for one interrupt signal at build time.
  if (interrupt_signal != allowlist_interrupt_signal) {
    return fail(Errno::einval);
  }

  // The classifier keeps the instruction pointer in scratch memory for its
  // range tests.
  std::vector<sock_filter> program;
  program.push_back(
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer)));
  program.push_back(statement(BPF_ST, slot_ip_low));
  program.push_back(
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer) + 4));
  program.push_back(statement(BPF_ST, slot_ip_high));

  // Each range test is followed by a jump to the allowlist at the end, whose
  // offset is patched once the classifier's length is known.
  std::vector<size_t> allowlist_jumps;
  for (const AddressRange& range : trusted_ranges) {
    emit_range_test(program, range);
    allowlist_jumps.push_back(program.size());
    program.push_back(jump(BPF_JMP | BPF_JA, 0, 0, 0));
  }
  // Untrusted code: every system call traps.
  program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRAP));

  // Trusted code: the allowlist decides.
  const size_t allowlist_index = program.size();
  program.insert(program.end(), std::begin(allowlist_program), std::end(allowlist_program));
  for (size_t index : allowlist_jumps) {
    program[index].k = static_cast<uint32_t>(allowlist_index - index - 1);
  }
  if (program.size() > BPF_MAXINSNS) {
    return fail(Errno::e2big);
  }

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(last_errno());
  }
  sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = program.data();
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) {
    return fail(last_errno());
  }
  return {};
}

}  // namespace litebox::platform::linux_userland
