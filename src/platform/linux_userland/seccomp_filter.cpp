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

// Offsets of the two halves of seccomp_data.instruction_pointer, which the
// classifier loads directly (x86-64 is little-endian).
constexpr uint32_t ip_low_offset = offsetof(seccomp_data, instruction_pointer);
constexpr uint32_t ip_high_offset = ip_low_offset + 4;

sock_filter statement(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }

sock_filter jump(uint16_t code, uint32_t k, uint8_t if_true, uint8_t if_false) {
  return BPF_JUMP(code, k, if_true, if_false);
}

// The maximum length of one range test, in instructions.
constexpr size_t max_range_test_length = 11;

// Emits the test "instruction_pointer - 1 lies in [start, end)", that is,
// the last byte of the syscall instruction is trusted. A match jumps to the
// allowlist; a miss falls through to the instruction after the block.
// `allow_jumps` receives the index of each jump to the allowlist, whose
// offset the caller patches. A conditional jump reaches 255 instructions at
// most, so unless `near_allowlist` promises that the allowlist lies within
// that reach, a match goes through an unconditional jump.
//
// The kernel JIT-compiles the filter when it is installed, at a cost that
// grows with its length. A range that does not cross a 4 GiB boundary, so
// that its bounds share their upper 32 bits, therefore gets a short form.
void emit_range_test(std::vector<sock_filter>& program, AddressRange range, bool near_allowlist,
                     std::vector<size_t>& allow_jumps) {
  // ip - 1 in [start, end)  <=>  ip in [start + 1, end + 1)
  const uint64_t low = range.start + 1;
  const uint64_t high = range.end + 1;
  const auto low_high = static_cast<uint32_t>(low >> 32);
  const auto low_low = static_cast<uint32_t>(low);
  const auto high_high = static_cast<uint32_t>(high >> 32);
  const auto high_low = static_cast<uint32_t>(high);

  // Jump offsets count from the next instruction.
  if (low_high == high_high && near_allowlist) {
    // The block is five instructions long, so a miss lands at index 5.
    program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_high_offset));  // 0
    program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, low_high, 0, 3));      // 1: other -> miss
    program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_low_offset));   // 2
    program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, low_low, 0, 1));       // 3: below -> miss
    allow_jumps.push_back(program.size());
    program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, high_low, 0, 0));  // 4: below -> allowlist
    return;
  }
  if (low_high == high_high) {
    // The block is six instructions long, so a miss lands at index 6.
    program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_high_offset));  // 0
    program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, low_high, 0, 4));      // 1: other -> miss
    program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_low_offset));   // 2
    program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, low_low, 0, 2));       // 3: below -> miss
    program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, high_low, 1, 0));      // 4: at/above -> miss
    allow_jumps.push_back(program.size());
    program.push_back(statement(BPF_JMP | BPF_JA, 0));  // 5
    return;
  }

  // The block is eleven instructions long: a match reaches the jump to the
  // allowlist at index 10, and a miss lands at index 11.
  program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_high_offset));  // 0
  program.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, low_high, 3, 0));      // 1: above -> 5
  program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, low_high, 0, 8));      // 2: below -> miss
  program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_low_offset));   // 3
  program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, low_low, 0, 6));       // 4: below -> miss
  program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_high_offset));  // 5
  program.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, high_high, 4, 0));     // 6: above -> miss
  program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, high_high, 0, 2));     // 7: below -> match
  program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, ip_low_offset));   // 8
  program.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, high_low, 1, 0));      // 9: at/above -> miss
  allow_jumps.push_back(program.size());
  program.push_back(statement(BPF_JMP | BPF_JA, 0));  // 10
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

Result<void> install_filter(const std::vector<AddressRange>& trusted_ranges, int interrupt_signal,
                            int lifeline_signal) {
  // The allowlist was built for these two signals at build time.
  if (interrupt_signal != allowlist_interrupt_signal ||
      lifeline_signal != allowlist_lifeline_signal) {
    return fail(Errno::einval);
  }

  // Each range test jumps to the allowlist at the end on a match. The
  // offsets are patched once the classifier's length is known.
  const bool near_allowlist =
      trusted_ranges.size() * max_range_test_length + 1 <= size_t{UINT8_MAX} + 1;
  std::vector<sock_filter> program;
  std::vector<size_t> allow_jumps;
  for (const AddressRange& range : trusted_ranges) {
    emit_range_test(program, range, near_allowlist, allow_jumps);
  }
  // Untrusted code: every system call traps.
  program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRAP));

  // Trusted code: the allowlist decides.
  const size_t allowlist_index = program.size();
  program.insert(program.end(), std::begin(allowlist_program), std::end(allowlist_program));
  for (size_t index : allow_jumps) {
    sock_filter& instruction = program[index];
    const size_t offset = allowlist_index - index - 1;
    if (BPF_OP(instruction.code) == BPF_JA) {
      instruction.k = static_cast<uint32_t>(offset);
    } else {
      instruction.jf = static_cast<uint8_t>(offset);
    }
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
