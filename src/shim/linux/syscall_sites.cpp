#include "shim/linux/syscall_sites.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>

#include "litebox/mm/memory_map.hpp"
#include "shim/linux/guest_memory.hpp"
#include "shim/linux/process.hpp"

namespace litebox::shim::linux_abi {

namespace {

constexpr uint8_t jmp_rel32 = 0xe9;
constexpr uint8_t jmp_rel8 = 0xeb;
constexpr uint8_t int3 = 0xcc;
constexpr size_t jmp_length = 5;
constexpr size_t short_jmp_length = 2;
constexpr size_t syscall_length = 2;
constexpr size_t max_instruction_length = 7;
// The instruction lengths that a slot may start with (SiteInstruction).
constexpr std::array<size_t, 3> site_instruction_lengths = {2, 5, 7};
// A jmp rel8 reaches 127 bytes past its end.
constexpr int64_t short_reach = 127;

// A trampoline page starts with the entry address, which every slot jumps
// through, and continues with the slots.
constexpr uint64_t slot_size = 32;
constexpr uint64_t first_slot = slot_size;
// The offset in a slot of the padding bytes that a short site's jmp rel32
// replaced (see the header), after the slot's code of at most 20 bytes.
constexpr size_t saved_padding_offset = 24;
constexpr uint32_t slots_per_page = (mm::page_size - first_slot) / slot_size;

// How many times a site traps before it is rewritten. A rewrite costs
// about as much as 8 traps on the development VM (four mprotect calls at
// 1 to 2 us each against about 1 us per trap).
constexpr uint32_t traps_before_rewrite = 8;

// The sites counted at most, so a program with many sites that trap a few
// times each cannot grow the table without bound.
constexpr size_t max_counted_sites = 4096;

// A rel32 operand reaches 2 GiB either way, and a page of margin keeps
// every operand of a slot in range.
constexpr uint64_t reach = (uint64_t{1} << 31) - mm::page_size;

bool within_reach(uint64_t slot, uint64_t site) {
  return slot > site ? slot - site < reach : site - slot < reach;
}

// Returns whether `byte` may be a prefix (REX, operand or address size,
// LOCK, REP, segment) of the instruction after it. A site whose
// instruction follows such a byte is left alone, because the bytes then
// need not be that instruction at all: `41 b8 imm32` is `mov $imm32, %r8d`.
// NOTE: the bytes can still end a longer instruction whose earlier byte is
// not a prefix, such as `c7 44 24 b8 imm32` (movl $imm32, -0x48(%rsp)), and
// a rewrite then corrupts it if eax happens to equal imm32. Finding the
// instruction boundary needs decoding from a known one, such as the start
// of the function, which the shim does not do.
bool may_be_prefix(uint8_t byte) {
  if (byte >= 0x40 && byte <= 0x4f) {
    return true;
  }
  switch (byte) {
    case 0x26:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x64:
    case 0x65:
    case 0x66:
    case 0x67:
    case 0xf0:
    case 0xf2:
    case 0xf3:
      return true;
    default:
      return false;
  }
}

void store_rel32(std::byte* destination, int64_t value) {
  const auto operand = static_cast<int32_t>(value);
  std::memcpy(destination, &operand, sizeof(operand));
}

// The instruction right before a site's syscall, which the slot runs in its
// place. Each form below neither depends on where it runs nor branches:
//   b8 imm32          mov $imm32, %eax      glibc's system call wrappers
//   48 c7 c0 imm32    mov $imm32, %rax      the same, sign-extended
//   4c 8b 4c 24 08    mov 0x8(%rsp), %r9    glibc's syscall(2)
//   31 c0             xor %eax, %eax        glibc's read(2), number 0
// The first three are long enough for the jmp rel32 that replaces them. The
// last, a short site, becomes a jmp rel8 to padding after the wrapper's
// `ret`, where a jmp rel32 goes (`padding_jump`, with the bytes it
// replaced in `padding`).
struct SiteInstruction {
  uint64_t start = 0;
  size_t length = 0;
  std::array<std::byte, max_instruction_length> bytes{};
  uint64_t padding_jump = 0;
  std::array<std::byte, jmp_length> padding{};
};

bool matches(std::span<const std::byte> bytes, std::initializer_list<uint8_t> prefix) {
  return bytes.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), bytes.begin(),
                    [](uint8_t expected, std::byte actual) {
                      return std::to_integer<uint8_t>(actual) == expected;
                    });
}

// Returns the length of the multi-byte NOP at the start of `bytes`, the
// forms that compilers and assemblers pad code with (`nopw %cs:0(%rax,%rax)`
// and shorter), or 0 for anything else.
size_t nop_length(std::span<const std::byte> bytes) {
  size_t prefixes = 0;
  while (prefixes < 5 && matches(bytes.subspan(prefixes), {0x66})) {
    ++prefixes;
  }
  const std::span<const std::byte> rest = bytes.subspan(prefixes);
  if (matches(rest, {0x90})) {
    return prefixes + 1;
  }
  if (matches(rest, {0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0})) {
    return prefixes + 9;
  }
  for (const std::initializer_list<uint8_t> form :
       {std::initializer_list<uint8_t>{0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0},
        {0x0f, 0x1f, 0x44, 0, 0},
        {0x0f, 0x1f, 0x80, 0, 0, 0, 0},
        {0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}}) {
    if (matches(rest, form)) {
      return prefixes + form.size();
    }
  }
  return 0;
}

// Returns the length of the instruction at the start of `bytes` when it is
// one that glibc's system call wrappers run after the syscall (the error
// check, errno, the cancellation epilogue), or 0 for anything else. An
// operand byte written `any` may have any value.
size_t wrapper_instruction_length(std::span<const std::byte> bytes) {
  constexpr int any = -1;
  static constexpr std::array<std::array<int, 8>, 13> forms = {{
      {0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff},        // cmp $-4096, %rax
      {0x77, any},                                 // ja rel8
      {0xc3},                                      // ret
      {0x44, 0x89, 0xc7},                          // mov %r8d, %edi
      {0x48, 0x89, 0x44, 0x24, 0x08},              // mov %rax, 0x8(%rsp)
      {0xe8, any, any, any, any},                  // call rel32
      {0x48, 0x8b, 0x44, 0x24, 0x08},              // mov 0x8(%rsp), %rax
      {0x48, 0x83, 0xc4, any},                     // add $imm8, %rsp
      {0x48, 0x8b, 0x15, any, any, any, any},      // mov rel32(%rip), %rdx
      {0x48, 0xc7, 0xc2, any, any, any, any},      // mov $imm32, %rdx
      {0xf7, 0xd8},                                // neg %eax
      {0x64, 0x89, 0x02},                          // mov %eax, %fs:(%rdx)
      {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff},  // mov $-1, %rax
  }};
  static constexpr std::array<size_t, forms.size()> lengths = {6, 2, 1, 3, 5, 5, 5,
                                                               4, 7, 7, 2, 3, 7};
  for (size_t form = 0; form < forms.size(); ++form) {
    const size_t length = lengths[form];
    if (bytes.size() < length) {
      continue;
    }
    bool same = true;
    for (size_t at = 0; at < length && same; ++at) {
      same = forms[form][at] == any || forms[form][at] == std::to_integer<int>(bytes[at]);
    }
    if (same) {
      return length;
    }
  }
  return 0;
}

// Finds room for a short site's jmp rel32: 5 bytes of padding after a `ret`
// of its wrapper, within a jmp rel8's reach of the syscall at `syscall`,
// and inside one aligned 16-byte block so that one store writes them. The
// instructions from the syscall on are decoded with
// wrapper_instruction_length, and anything else stops the search: a known
// instruction boundary (the end of the syscall, which trapped) and known
// lengths make the decoding exact. The padding after a `ret` runs only if
// something jumps into it, which compilers do not emit: they jump to the
// aligned label after it.
std::optional<uint64_t> find_padding_jump(uint64_t syscall) {
  constexpr size_t window = syscall_length + short_reach + jmp_length;
  std::array<std::byte, window> bytes{};
  if (!copy_from_guest(bytes, syscall)) {
    return std::nullopt;
  }
  const std::span<const std::byte> code(bytes);

  size_t at = syscall_length;
  bool after_return = false;
  while (at < window) {
    if (!after_return) {
      const size_t length = wrapper_instruction_length(code.subspan(at));
      if (length == 0) {
        return std::nullopt;
      }
      after_return = std::to_integer<uint8_t>(code[at]) == 0xc3;
      at += length;
      continue;
    }

    const size_t run_start = at;
    while (at < window) {
      const size_t length = nop_length(code.subspan(at));
      if (length == 0) {
        break;
      }
      at += length;
    }
    for (size_t jump = run_start; jump + jmp_length <= at; ++jump) {
      const uint64_t address = syscall + jump;
      if (static_cast<int64_t>(jump) <= short_reach && (address & 15) + jmp_length <= 16) {
        return address;
      }
    }
    after_return = false;
  }
  return std::nullopt;
}

// Returns the instruction before the syscall instruction that ends at
// `registers.rip` when it has one of the forms of SiteInstruction and
// agrees with the registers: its immediate is the system call number, r9
// equals the stack word it loads, or rax is 0 after `xor %eax, %eax`. The byte before the
// instruction must not be a possible prefix (may_be_prefix).
std::optional<SiteInstruction> find_site_instruction(const platform::GuestRegisters& registers) {
  constexpr size_t window = 1 + max_instruction_length + syscall_length;
  if (registers.rip < window) {
    return std::nullopt;
  }
  std::array<std::byte, window> bytes{};
  if (!copy_from_guest(bytes, registers.rip - window)) {
    return std::nullopt;
  }
  if (!matches(std::span(bytes).last(syscall_length), {0x0f, 0x05})) {
    return std::nullopt;
  }

  for (const size_t length : site_instruction_lengths) {
    const std::span<const std::byte> instruction =
        std::span(bytes).subspan(window - syscall_length - length, length);
    const std::byte before = bytes[window - syscall_length - length - 1];
    if (may_be_prefix(std::to_integer<uint8_t>(before))) {
      continue;
    }

    bool agrees = false;
    if (length == 2 && matches(instruction, {0x31, 0xc0})) {
      agrees = registers.rax == 0;
    } else if (length == 5 && matches(instruction, {0xb8})) {
      uint32_t immediate = 0;
      std::memcpy(&immediate, &instruction[1], sizeof(immediate));
      agrees = immediate == registers.rax;
    } else if (length == 7 && matches(instruction, {0x48, 0xc7, 0xc0})) {
      int32_t immediate = 0;
      std::memcpy(&immediate, &instruction[3], sizeof(immediate));
      agrees = static_cast<uint64_t>(int64_t{immediate}) == registers.rax;
    } else if (length == 5 && matches(instruction, {0x4c, 0x8b, 0x4c, 0x24, 0x08})) {
      const Result<uint64_t> stack_word = GuestPtr<uint64_t>(registers.rsp + 8).read();
      agrees = stack_word && *stack_word == registers.r9;
    }
    if (agrees) {
      SiteInstruction found;
      found.start = registers.rip - syscall_length - length;
      found.length = length;
      std::copy(instruction.begin(), instruction.end(), found.bytes.begin());
      return found;
    }
  }
  return std::nullopt;
}

// Finds the padding for a short site's jmp rel32 (find_padding_jump) and
// reads the bytes there into `site`. Returns false when there is none.
bool find_padding(SiteInstruction& site) {
  const std::optional<uint64_t> jump = find_padding_jump(site.start + site.length);
  if (!jump || !copy_from_guest(site.padding, *jump)) {
    return false;
  }
  site.padding_jump = *jump;
  return true;
}

// The code of one slot for `site` (see the header): the site's
// instruction, then the return address into rcx and the jump.
std::array<std::byte, slot_size> slot_code(uint64_t slot, const SiteInstruction& site,
                                           uint64_t page) {
  std::array<std::byte, slot_size> code{};
  code.fill(std::byte{int3});
  std::copy_n(site.bytes.begin(), site.length, code.begin());
  size_t at = site.length;

  // lea rel32(%rip), %rcx
  code[at] = std::byte{0x48};
  code[at + 1] = std::byte{0x8d};
  code[at + 2] = std::byte{0x0d};
  const uint64_t return_address = site.start + site.length + syscall_length;
  store_rel32(&code[at + 3], static_cast<int64_t>(return_address - (slot + at + 7)));
  at += 7;

  // jmp *rel32(%rip), through the entry address at the page's start
  code[at] = std::byte{0xff};
  code[at + 1] = std::byte{0x25};
  store_rel32(&code[at + 2], static_cast<int64_t>(page - (slot + at + 6)));

  if (site.padding_jump != 0) {
    std::copy(site.padding.begin(), site.padding.end(), code.begin() + saved_padding_offset);
  }
  return code;
}

// The first bytes of every trampoline page: the entry address, then int3.
std::array<std::byte, first_slot> page_header(uint64_t entry) {
  std::array<std::byte, first_slot> header{};
  header.fill(std::byte{int3});
  std::memcpy(header.data(), &entry, sizeof(entry));
  return header;
}

// Returns whether the page at `page` is still a trampoline page: the guest
// may have unmapped it and mapped something else there.
bool is_trampoline_page(Process& process, uint64_t page, uint64_t entry) {
  const std::optional<mm::Vma> area = process.memory.find(page);
  if (!area || area->shared || area->inode != nullptr ||
      area->protection != (platform::prot_read | platform::prot_exec)) {
    return false;
  }
  std::array<std::byte, first_slot> header{};
  return copy_from_guest(header, page) && header == page_header(entry);
}

// Writes `bytes` into the trampoline page at `page`, which stays executable
// throughout, because other threads may be running its other slots.
bool write_trampoline(Process& process, uint64_t page, uint64_t address,
                      std::span<const std::byte> bytes) {
  constexpr uint32_t executable = platform::prot_read | platform::prot_exec;
  if (!process.memory.protect(page, mm::page_size, executable | platform::prot_write)) {
    return false;
  }
  const bool written = copy_to_guest(address, bytes).has_value();
  (void)process.memory.protect(page, mm::page_size, executable);
  return written;
}

// The aligned 16-byte block that contains a short site's jmp rel32 into
// its slot, before and after the rewrite.
struct PaddingJump {
  uint64_t block = 0;
  std::array<std::byte, 16> original{};
  std::array<std::byte, 16> rewritten{};
};

// Writes the jmp rel32 from a short site's padding to `slot`, if the
// padding still contains the bytes that find_padding read.
std::optional<PaddingJump> write_padding_jump(Process& process, const SiteInstruction& site,
                                              uint64_t slot) {
  PaddingJump jump;
  jump.block = site.padding_jump & ~uint64_t{15};
  const uint64_t offset = site.padding_jump - jump.block;
  if (!copy_from_guest(jump.original, jump.block) ||
      !std::equal(site.padding.begin(), site.padding.end(), jump.original.begin() + offset)) {
    return std::nullopt;
  }
  jump.rewritten = jump.original;
  jump.rewritten[offset] = std::byte{jmp_rel32};
  store_rel32(&jump.rewritten[offset + 1],
              static_cast<int64_t>(slot - (site.padding_jump + jmp_length)));
  Result<bool> stored = process.memory.rewrite_code(jump.block, jump.original, jump.rewritten);
  if (!stored || !*stored) {
    return std::nullopt;
  }
  return jump;
}

}  // namespace

void SyscallSites::note_trap(Process& process, const platform::GuestRegisters& registers) {
  platform::Execution& execution = guest_execution();
  const uint64_t entry = execution.rewritten_call_entry();
  if (entry == 0 || !execution.serving_trapped_call()) {
    return;
  }
  std::optional<SiteInstruction> site = find_site_instruction(registers);
  if (!site) {
    return;
  }
  // The jmp replaces the instruction with one 16-byte store, so the
  // instruction must lie inside one aligned 16-byte block.
  const uint64_t block = site->start & ~uint64_t{15};
  const uint64_t offset = site->start - block;
  if (offset + site->length > 16) {
    return;
  }

  sync::LockGuard guard(lock_);
  if (trap_counts_.size() >= max_counted_sites) {
    trap_counts_.clear();
  }
  uint32_t& traps = trap_counts_[site->start];
  if (++traps < traps_before_rewrite) {
    return;
  }
  trap_counts_.erase(site->start);
  // A short site looks for its padding only now, so that the other traps
  // skip the decoding. Without padding it keeps trapping.
  if (site->length == short_jmp_length && !find_padding(*site)) {
    return;
  }
  // Code that rewrite_code refuses keeps trapping without taking a slot.
  if (!process.memory.holds_rewritable_code(site->start) ||
      (site->padding_jump != 0 && !process.memory.holds_rewritable_code(site->padding_jump))) {
    return;
  }

  // Read under the lock, so that a site that another thread has rewritten
  // meanwhile takes no second slot.
  std::array<std::byte, 16> expected{};
  if (!copy_from_guest(expected, block) ||
      !std::equal(site->bytes.begin(), site->bytes.begin() + site->length,
                  expected.begin() + offset)) {
    return;
  }
  const std::optional<uint64_t> slot = take_slot_locked(process, site->start, entry);
  if (!slot) {
    return;
  }
  const uint64_t page = mm::page_round_down(*slot);
  const std::array<std::byte, slot_size> code = slot_code(*slot, *site, page);
  if (!write_trampoline(process, page, *slot, code)) {
    return;
  }

  // A short site's jmp rel32 goes into the padding first: nothing runs
  // there until the site's jmp rel8 leads to it.
  std::array<std::byte, 16> replacement = expected;
  std::optional<PaddingJump> padding;
  if (site->padding_jump != 0) {
    padding = write_padding_jump(process, *site, *slot);
    if (!padding) {
      give_back_slot_locked(*slot);
      return;
    }
    replacement[offset] = std::byte{jmp_rel8};
    replacement[offset + 1] =
        std::byte{static_cast<uint8_t>(site->padding_jump - (site->start + short_jmp_length))};
  } else {
    replacement[offset] = std::byte{jmp_rel32};
    store_rel32(&replacement[offset + 1], static_cast<int64_t>(*slot - (site->start + jmp_length)));
    for (size_t rest = jmp_length; rest < site->length; ++rest) {
      replacement[offset + rest] = std::byte{int3};
    }
  }

  // A refused store leaves the site trapping: the program changed the
  // mapping or the code since the checks above. Nothing jumps to the slot
  // then, so the next rewrite takes it again.
  Result<bool> stored = process.memory.rewrite_code(block, expected, replacement);
  if (stored && !*stored) {
    if (padding) {
      (void)process.memory.rewrite_code(padding->block, padding->rewritten, padding->original);
    }
    give_back_slot_locked(*slot);
  }
}

void SyscallSites::give_back_slot_locked(uint64_t slot) {
  const uint64_t page_address = mm::page_round_down(slot);
  for (TrampolinePage& page : pages_) {
    if (page.address != page_address || page.used_slots == 0) {
      continue;
    }
    if (slot == page.address + first_slot + uint64_t{page.used_slots - 1} * slot_size) {
      --page.used_slots;
    }
    return;
  }
}

std::optional<uint64_t> SyscallSites::take_slot_locked(Process& process, uint64_t site,
                                                       uint64_t entry) {
  for (auto page = pages_.begin(); page != pages_.end();) {
    const uint64_t slot = page->address + first_slot + uint64_t{page->used_slots} * slot_size;
    if (page->used_slots >= slots_per_page || !within_reach(slot, site)) {
      ++page;
      continue;
    }
    if (!is_trampoline_page(process, page->address, entry)) {
      page = pages_.erase(page);
      continue;
    }
    ++page->used_slots;
    return slot;
  }

  // A new page, preferably just below the site's mapping: below a program's
  // code, or below the lowest library, where mmap(2) places new mappings
  // anyway, rather than above it, where the program break grows.
  const std::optional<mm::Vma> area = process.memory.find(site);
  if (!area) {
    return std::nullopt;
  }
  const uint64_t gap = 16 * mm::page_size;
  for (const uint64_t hint : {area->start > gap ? area->start - gap : 0, area->end + gap}) {
    mm::MapRequest request;
    request.address = hint;
    request.length = mm::page_size;
    request.protection = platform::prot_read | platform::prot_exec;
    Result<uint64_t> mapped = process.memory.map(request);
    if (!mapped) {
      return std::nullopt;
    }
    if (!within_reach(*mapped + mm::page_size, site) || !within_reach(*mapped, site)) {
      (void)process.memory.unmap(*mapped, mm::page_size);
      continue;
    }

    if (!write_trampoline(process, *mapped, *mapped, page_header(entry))) {
      (void)process.memory.unmap(*mapped, mm::page_size);
      return std::nullopt;
    }
    pages_.push_back({*mapped, 1});
    return *mapped + first_slot;
  }
  return std::nullopt;
}

void SyscallSites::restore_sites(Process& process, uint64_t start, uint64_t end) {
  sync::LockGuard guard(lock_);
  const uint64_t entry = guest_execution().rewritten_call_entry();
  for (const TrampolinePage& page : pages_) {
    if (!is_trampoline_page(process, page.address, entry)) {
      continue;
    }
    for (uint32_t index = 0; index < page.used_slots; index++) {
      restore_site_locked(process, page.address + first_slot + uint64_t{index} * slot_size, start,
                          end);
    }
  }
}

void SyscallSites::restore_site_locked(Process& process, uint64_t slot, uint64_t start,
                                       uint64_t end) {
  // The slot starts with the site's instruction, 2, 5 or 7 bytes, and goes
  // on with `lea rel32(%rip), %rcx`, whose target is the site's return
  // address.
  std::array<std::byte, slot_size> code{};
  if (!copy_from_guest(code, slot)) {
    return;
  }
  size_t length = 0;
  for (const size_t candidate : site_instruction_lengths) {
    if (matches(std::span(code).subspan(candidate), {0x48, 0x8d, 0x0d})) {
      length = candidate;
      break;
    }
  }
  if (length == 0) {
    return;
  }
  int32_t return_offset = 0;
  std::memcpy(&return_offset, &code[length + 3], sizeof(return_offset));
  const uint64_t site =
      slot + length + 7 + static_cast<int64_t>(return_offset) - syscall_length - length;

  const uint64_t block = site & ~uint64_t{15};
  const uint64_t offset = site - block;
  if (offset + length > 16) {
    return;
  }
  std::array<std::byte, 16> expected{};
  if (!copy_from_guest(expected, block)) {
    return;
  }

  // Where the site's jump leads: the slot, or for a short site its jmp
  // rel32 in the padding, which leads to the slot.
  uint64_t jump = site;
  if (length == short_jmp_length) {
    if (std::to_integer<uint8_t>(expected[offset]) != jmp_rel8) {
      return;
    }
    jump = site + short_jmp_length + static_cast<int8_t>(expected[offset + 1]);
  } else if (std::to_integer<uint8_t>(expected[offset]) != jmp_rel32) {
    return;
  }
  const bool in_range = (site >= start && site < end) || (jump >= start && jump < end);
  const uint64_t jump_block = jump & ~uint64_t{15};
  std::array<std::byte, 16> jump_bytes{};
  if (!in_range || !copy_from_guest(jump_bytes, jump_block)) {
    return;
  }
  const uint64_t jump_offset = jump - jump_block;
  if (jump_offset + jmp_length > 16 ||
      std::to_integer<uint8_t>(jump_bytes[jump_offset]) != jmp_rel32) {
    return;
  }
  int32_t slot_offset = 0;
  std::memcpy(&slot_offset, &jump_bytes[jump_offset + 1], sizeof(slot_offset));
  if (jump + jmp_length + static_cast<int64_t>(slot_offset) != slot) {
    return;
  }

  // The site first, so that nothing enters the padding's jump any more.
  std::array<std::byte, 16> original = expected;
  std::copy_n(code.begin(), length, original.begin() + static_cast<std::ptrdiff_t>(offset));
  Result<bool> restored = process.memory.rewrite_code(block, expected, original);
  if (jump == site || !restored || !*restored) {
    return;
  }
  std::array<std::byte, 16> padding = jump_bytes;
  std::copy_n(code.begin() + saved_padding_offset, jmp_length,
              padding.begin() + static_cast<std::ptrdiff_t>(jump_offset));
  (void)process.memory.rewrite_code(jump_block, jump_bytes, padding);
}

void SyscallSites::begin_fork() { lock_.lock(); }

void SyscallSites::end_fork() { lock_.unlock(); }

void SyscallSites::copy_from(SyscallSites& source) {
  std::vector<TrampolinePage> pages = source.pages_;
  std::unordered_map<uint64_t, uint32_t> trap_counts = source.trap_counts_;
  sync::LockGuard guard(lock_);
  pages_ = std::move(pages);
  trap_counts_ = std::move(trap_counts);
}

void SyscallSites::clear() {
  sync::LockGuard guard(lock_);
  pages_.clear();
  trap_counts_.clear();
}

}  // namespace litebox::shim::linux_abi
