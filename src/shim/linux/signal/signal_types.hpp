// Guest signal numbers, sigaction flags, siginfo_t and the sets of pending
// signals, as the Linux x86-64 ABI defines them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace litebox::shim::linux_abi {

inline constexpr int signal_count = 64;  // signals 1..64

// Signal numbers the shim acts on itself.
namespace sig {
inline constexpr int hangup = 1;
inline constexpr int illegal_instruction = 4;
inline constexpr int trap = 5;
inline constexpr int abort = 6;
inline constexpr int bus_error = 7;
inline constexpr int floating_point = 8;
inline constexpr int kill = 9;
inline constexpr int segmentation_fault = 11;
inline constexpr int pipe = 13;
inline constexpr int child = 17;
inline constexpr int cont = 18;
inline constexpr int stop = 19;
inline constexpr int terminal_stop = 20;
inline constexpr int terminal_input = 21;
inline constexpr int terminal_output = 22;
inline constexpr int urgent = 23;
inline constexpr int file_size_exceeded = 25;
inline constexpr int window_change = 28;
inline constexpr int bad_system_call = 31;
// SIGRTMIN as the kernel numbers it; glibc reserves the first few.
inline constexpr int realtime_min = 32;
}  // namespace sig

// sa_flags bits (<asm/signal.h>).
namespace sa {
inline constexpr uint64_t no_child_stop = 0x1;
inline constexpr uint64_t no_child_wait = 0x2;
inline constexpr uint64_t siginfo = 0x4;
inline constexpr uint64_t restorer = 0x04000000;
inline constexpr uint64_t on_stack = 0x08000000;
inline constexpr uint64_t restart = 0x10000000;
inline constexpr uint64_t no_defer = 0x40000000;
inline constexpr uint64_t reset_hand = 0x80000000;
}  // namespace sa

// si_code values.
namespace si {
inline constexpr int32_t user = 0;               // SI_USER: kill(2)
inline constexpr int32_t kernel = 0x80;          // SI_KERNEL
inline constexpr int32_t timer = -2;             // SI_TIMER: a POSIX timer expired
inline constexpr int32_t tkill = -6;             // SI_TKILL: tkill(2), tgkill(2)
inline constexpr int32_t segv_map_error = 1;     // SEGV_MAPERR
inline constexpr int32_t segv_access_error = 2;  // SEGV_ACCERR
inline constexpr int32_t child_exited = 1;       // CLD_EXITED
inline constexpr int32_t child_killed = 2;       // CLD_KILLED
inline constexpr int32_t child_stopped = 5;      // CLD_STOPPED
inline constexpr int32_t child_continued = 6;    // CLD_CONTINUED
}  // namespace si

inline constexpr uint64_t sig_default = 0;  // SIG_DFL
inline constexpr uint64_t sig_ignore = 1;   // SIG_IGN

constexpr uint64_t signal_bit(int signal) { return uint64_t{1} << (signal - 1); }

// SIGKILL and SIGSTOP can be neither blocked, caught nor ignored.
inline constexpr uint64_t unblockable_signals = signal_bit(sig::kill) | signal_bit(sig::stop);

constexpr bool is_valid_signal(int signal) { return signal >= 1 && signal <= signal_count; }

// The signals whose default action stops the process.
inline constexpr uint64_t stop_signals = signal_bit(sig::stop) | signal_bit(sig::terminal_stop) |
                                         signal_bit(sig::terminal_input) |
                                         signal_bit(sig::terminal_output);

// siginfo_t on x86-64: 128 bytes, the fields after si_code depend on the
// signal and si_code.
struct SignalInfo {
  int32_t signo = 0;
  int32_t error = 0;
  int32_t code = 0;
  int32_t padding = 0;
  std::array<uint64_t, 14> fields{};

  // si_pid and si_uid, for signals that a process sent.
  static SignalInfo from_sender(int signal, int32_t code, int32_t pid, uint32_t uid) {
    SignalInfo info;
    info.signo = signal;
    info.code = code;
    info.fields[0] = static_cast<uint32_t>(pid) | (uint64_t{uid} << 32);
    return info;
  }

  // si_pid, si_uid and si_status of SIGCHLD for a child that ended with
  // `wait_status` (exit code << 8, or the killing signal). si_utime and
  // si_stime stay 0: the sandbox keeps no CPU accounting.
  static SignalInfo from_child(int32_t pid, uint32_t uid, int32_t wait_status) {
    const bool exited = (wait_status & 0x7f) == 0;
    SignalInfo info =
        from_sender(sig::child, exited ? si::child_exited : si::child_killed, pid, uid);
    info.fields[1] = static_cast<uint32_t>(exited ? (wait_status >> 8) & 0xff : wait_status & 0x7f);
    return info;
  }

  // SIGCHLD for a child that a signal stopped (CLD_STOPPED, si_status the
  // stop signal) or SIGCONT resumed (CLD_CONTINUED, si_status SIGCONT).
  static SignalInfo from_child_job_change(int32_t pid, uint32_t uid, int32_t code, int32_t signal) {
    SignalInfo info = from_sender(sig::child, code, pid, uid);
    info.fields[1] = static_cast<uint32_t>(signal);
    return info;
  }

  // si_timerid, si_overrun and si_value, for a POSIX timer's expiry.
  static SignalInfo from_timer(int signal, int32_t timer_id, uint64_t value) {
    SignalInfo info;
    info.signo = signal;
    info.code = si::timer;
    info.fields[0] = static_cast<uint32_t>(timer_id);
    info.fields[1] = value;
    return info;
  }
  int32_t timer_id() const { return static_cast<int32_t>(fields[0] & 0xffff'ffff); }
  int32_t timer_overrun() const { return static_cast<int32_t>(fields[0] >> 32); }
  void set_timer_overrun(int32_t overrun) {
    fields[0] = (fields[0] & 0xffff'ffff) | (uint64_t{static_cast<uint32_t>(overrun)} << 32);
  }

  // si_addr, for a fault.
  static SignalInfo from_fault(int signal, int32_t code, uint64_t address) {
    SignalInfo info;
    info.signo = signal;
    info.code = code;
    info.fields[0] = address;
    return info;
  }
};
static_assert(sizeof(SignalInfo) == 128);

// Signals generated but not delivered yet. Standard signals (below
// SIGRTMIN) are pending at most once; real-time signals queue, one entry
// per sending. Both change only under the process lock. `set` is atomic,
// so a thread that returns from a system call can check it without the
// lock.
struct PendingSignals {
  std::atomic<uint64_t> set = 0;
  std::vector<SignalInfo> queue;
};

}  // namespace litebox::shim::linux_abi
