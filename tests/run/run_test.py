#!/usr/bin/env python3
"""End-to-end tests of `litebox run`: the probe program runs natively and in
the sandbox and must produce the same output and exit status; the error
cases check the status and the one-line message of litebox itself.

  run_test.py --litebox LITEBOX --probe PROBE --work DIR CASE
"""
import argparse
import ctypes
import errno
import gzip
import io
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import time

TIMEOUT = 60
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def run(command, env=None):
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=TIMEOUT, env=env, check=False)
    status = completed.returncode
    if status < 0:
        # Killed by a signal: report it as a shell does, 128 + signal.
        status = 128 - status
    return completed.stdout.decode(errors="replace"), completed.stderr.decode(errors="replace"), status


def run_with_input(command, data):
    """Runs `command` with `data` on its standard input, a pipe. Returns its
    standard output, standard error and exit status."""
    completed = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT,
                               check=False)
    return (completed.stdout.decode(errors="replace"),
            completed.stderr.decode(errors="replace"), completed.returncode)


def expect_same(native, sandboxed):
    failed = False
    for name, want, got in zip(("stdout", "stderr", "exit status"), native, sandboxed):
        if want != got:
            print(f"{name} differs:\n  native:  {want!r}\n  litebox: {got!r}")
            failed = True
    return 1 if failed else 0


def expect_failure(result, status, message):
    stdout, stderr, got_status = result
    failed = False
    if got_status != status:
        print(f"exit status: expected {status}, got {got_status}")
        failed = True
    if message not in stderr:
        print(f"stderr: expected a line containing {message!r}, got {stderr!r}")
        failed = True
    if stdout:
        print(f"stdout: expected nothing, got {stdout!r}")
        failed = True
    return 1 if failed else 0


def build_image(litebox, work, arguments):
    """Writes work/image.tar with `litebox rootfs ARGUMENTS` and returns its
    path, or prints why it failed and returns None."""
    image = os.path.join(work, "image.tar")
    created = run([litebox[0], "rootfs", "-o", image] + arguments)
    if created[2] != 0:
        print(f"litebox rootfs failed: {created!r}")
        return None
    return image


def expect_error_line(result, status, start, contains=""):
    """Checks that litebox exited with `status`, printed nothing to standard
    output and one line to standard error that starts with `start` and
    contains `contains`."""
    stdout, stderr, got_status = result
    failed = False
    if got_status != status:
        print(f"exit status: expected {status}, got {got_status}")
        failed = True
    lines = stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith(start) or contains not in lines[0]:
        print(f"stderr: expected one line starting with {start!r} and containing {contains!r}, "
              f"got {stderr!r}")
        failed = True
    if stdout:
        print(f"stdout: expected nothing, got {stdout!r}")
        failed = True
    return 1 if failed else 0


def elf_header(elf_class, data, machine):
    """Returns the 64 bytes of an ELF executable header with the given
    EI_CLASS, EI_DATA and e_machine, and no program headers."""
    byte_order = "<" if data == 1 else ">"
    ident = b"\x7fELF" + bytes([elf_class, data, 1]) + bytes(9)
    fields = struct.pack(byte_order + "HHI", 2, machine, 1)  # ET_EXEC, e_machine, EV_CURRENT
    return (ident + fields).ljust(64, b"\0")


def write_program(path, content):
    with open(path, "wb") as file:
        file.write(content)
    os.chmod(path, 0o755)


def write_script(work, name, interpreter):
    """Writes the executable script `name` in `work` with the #! line
    `interpreter` and returns its path."""
    path = os.path.join(work, name)
    write_program(path, f"#!{interpreter}\n".encode())
    return path


def run_execve(command, **options):
    """Runs the program `command` (a path, or a list of the program and its
    arguments) natively with execve, or execvp for a name without a slash. A
    failed exec gives the status a shell reports for it: 127 for ENOENT, 126
    for any other errno."""
    try:
        completed = subprocess.run([command] if isinstance(command, str) else command,
                                   stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=TIMEOUT, check=False, **options)
    except OSError as error:
        return "", "", 127 if error.errno == errno.ENOENT else 126
    return (completed.stdout.decode(errors="replace"), completed.stderr.decode(errors="replace"),
            completed.returncode)


def padded(call, result):
    """Returns a trace line as strace prints it: " = " after `call`, padded
    so that "=" is at column 40 when the call is shorter."""
    return f"{call:<39} = {result}"


def traced_calls(trace):
    """Returns the lines of `trace` for the calls of the probe's trace_calls
    mode, with strace's padding before " = " kept."""
    lines = []
    for line in trace.splitlines():
        if not line.startswith(("openat(", "pipe2(", "access(")):
            continue
        if "/dev/null" in line or '"/"' in line or "/no-such-file" in line or "pipe2" in line:
            lines.append(line)
    return lines


def resumed_calls(lines):
    """Returns each sleep that a signal interrupted and restart_syscall(2)
    resumed as the one line that an uninterrupted sleep shows, with the
    result of the resumed call. A signal may interrupt a sleep in one run
    and not in the other."""
    interrupted = " = ? ERESTART_RESTARTBLOCK (Interrupted by signal)"
    combined = []
    pending = None
    for line in lines:
        if line.endswith(interrupted):
            pending = line[:-len(interrupted)]
            continue
        resumed = re.match(r"restart_syscall\(<\.\.\. resuming interrupted \w+ \.\.\.>\) = (.*)",
                           line)
        if resumed and pending is not None:
            combined.append(f"{pending} = {resumed.group(1)}")
            pending = None
    return combined


def decoded_calls(trace):
    """Returns the lines of `trace` between the probe's trace_decoders
    markers, from its main process only. The lines after an execve are left
    out until the next begin marker.

    What may differ between a native and a sandboxed run is replaced by a
    placeholder: addresses, the probe's and its child's pids, its
    directory's random name, random bytes, the time and the host name. So are sizes
    that depend on the file system, and the results of socket calls (the
    sandbox's sockets have their own tests), of clone3 (the sandbox has
    none yet) and of rt_sigreturn (which returns what the call that the
    signal interrupted returned, and the signal may come at another call)."""
    lines = []
    inside = False
    for line in trace.splitlines():
        if line.startswith('access("trace-begin"'):
            inside = True
        if inside and re.match(r"([a-z_0-9]+\(|--- SIGCHLD )", line):
            lines.append(re.sub(r"\)\s+= ", ") = ", line))
        if line.startswith("execve("):
            inside = False
        if line.startswith('access("trace-end"'):
            break

    pids = []
    for line in lines:
        match = re.match(r"(getpid\(\)|clone\(.*\)) = (\d+)$", line)
        if match and match.group(2) != "0":
            pids.append((match.group(2), "PID" if line.startswith("getpid") else "CHILD"))

    normalized = []
    for line in lines:
        line = re.sub(r"0x[0-9a-f]{5,}", "ADDRESS", line)
        if line.startswith(("getpid(", "kill(", "clone(", "wait4(", "--- SIGCHLD", "waitid(",
                            "rt_sigqueueinfo(", "rt_tgsigqueueinfo(", "rt_sigtimedwait(")):
            # Only where a pid appears, because the sandbox's pids are small
            # numbers that other fields (a status, a time) may also hold.
            # The second pass reaches rt_tgsigqueueinfo's thread id.
            for pid, name in pids * 2:
                line = re.sub(rf"(^[a-z_0-9]+\(|^rt_tgsigqueueinfo\({name}, |P_PID, |si_pid=| = )"
                              rf"{pid}\b", rf"\g<1>{name}", line)
        line = re.sub(r'^getrandom\("[^"]*"', "getrandom(BYTES", line)
        line = re.sub(r'nodename="[^"]*"', "nodename=NAME", line)
        line = re.sub(r"tv_sec=\d+, tv_usec=\d+", "tv_sec=SECONDS, tv_usec=MICROSECONDS", line)
        line = re.sub(r"/tmp/litebox-trace-\w+", "DIRECTORY", line)
        line = re.sub(r"(st_mode=S_IFDIR[^,]*, st_size=)\d+", r"\1SIZE", line)
        line = re.sub(r"stx_mask=[^,]*", "stx_mask=MASK", line)
        if line.startswith("rt_sigreturn("):
            line = re.sub(r"\) = .*", ")", line)
        if line.startswith("clone3("):
            line = re.sub(r"( => \{.*\})?, 64\) = .*", ", 64)", line)
        if line.startswith("socketpair("):
            line = re.sub(r", (\[\d+, \d+\]|ADDRESS)\) = .*", ", ARRAY)", line)
        if line.startswith(("socket", "connect(", "bind(", "sendto(", "getsockname(",
                            "accept4(", "setsockopt(", "getsockopt(", "shutdown(",
                            "recvfrom(")):
            line = re.sub(r"\) = .*", ")", line)
        normalized.append(line)
    return normalized


def read_terminal_output(master):
    """Reads a pseudo-terminal's master side until every slave is closed."""
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    return output


def run_in_terminal(command, rows=33, columns=101, controlling=False, stdin=None):
    """Runs `command` with a new pseudo-terminal of `rows` x `columns` as its
    standard streams (standard input from `stdin` if given), and as its
    controlling terminal if `controlling` is set. Returns its output, its
    exit status and the terminal's local and input mode flags after it
    exits."""
    import fcntl
    import pty
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    def take_terminal():
        if controlling:
            fcntl.ioctl(1, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(command, stdin=slave if stdin is None else stdin, stdout=slave,
                               stderr=slave, start_new_session=True, preexec_fn=take_terminal)
    output = b""
    try:
        process.wait(timeout=TIMEOUT)
        attributes = termios.tcgetattr(slave)
        os.close(slave)
        output += read_terminal_output(master)
    finally:
        os.close(master)
    return output.decode(errors="replace"), process.returncode, attributes[3], attributes[0]


def run_with_files(command, input_path, output_path, input_offset, append):
    """Runs `command` with standard input from `input_path` at
    `input_offset` and standard output to `output_path` (appending when
    `append` is set). Returns its standard error, the output file's content,
    the caller's input offset afterwards and the exit status."""
    flags = os.O_WRONLY | (os.O_APPEND if append else 0)
    with open(input_path, "rb") as input_file:
        output = os.open(output_path, flags)
        try:
            os.lseek(input_file.fileno(), input_offset, os.SEEK_SET)
            completed = subprocess.run(command, stdin=input_file, stdout=output,
                                       stderr=subprocess.PIPE, timeout=TIMEOUT, check=False)
            offset = os.lseek(input_file.fileno(), 0, os.SEEK_CUR)
        finally:
            os.close(output)
    with open(output_path, "rb") as written:
        content = written.read().decode(errors="replace")
    return (f"output file: {content!r}\ncaller's input offset {offset}\n",
            completed.stderr.decode(errors="replace"), completed.returncode)


def run_with_redirected_files(litebox, probe, work):
    """Compares native and sandboxed runs of the probe and of real programs
    whose standard input and output are regular files."""
    input_path = os.path.join(work, "input")
    output_path = os.path.join(work, "output")
    with open(input_path, "w") as file:
        file.write("one\ntwo\nthree\nfour\n")
    programs = [
        ([probe, "stream_status"], 2, True),
        ([probe, "stream_status"], 0, False),
        ([shutil.which("tail"), "-c", "5"], 0, False),
        ([shutil.which("tail"), "-n", "2"], 4, True),
        ([shutil.which("wc"), "-c"], 4, False),
        ([shutil.which("head"), "-n", "1"], 4, True),
    ]
    failed = 0
    for command, input_offset, append in programs:
        results = []
        for runner in ([], litebox + ["--"]):
            with open(output_path, "w") as file:
                file.write("before\n")
            results.append(run_with_files(runner + command, input_path, output_path,
                                          input_offset, append))
        if results[0] != results[1]:
            print(f"{' '.join(command)} with input offset {input_offset}, append {append} "
                  f"differs:\n  native:  {results[0]!r}\n  litebox: {results[1]!r}")
            failed = 1

    # cat rejects appending a file to itself, which it detects by comparing
    # the device and inode numbers of its input and output.
    results = []
    cat = shutil.which("cat")
    for runner in ([], litebox + ["--"]):
        with open(output_path, "w") as file:
            file.write("before\n")
        results.append(run_with_files(runner + [cat], output_path, output_path, 0, True))
    if results[0] != results[1]:
        print(f"cat of its own output differs:\n  native:  {results[0]!r}\n"
              f"  litebox: {results[1]!r}")
        failed = 1
    return failed


def run_with_output_file(command, input_path, output_path, initial):
    """Runs `command` with standard input from `input_path` and standard
    output to `output_path`, which contains `initial` and is open for reading
    and writing. Returns the output file's content, the command's standard
    error and its exit status."""
    with open(output_path, "wb") as file:
        file.write(initial)
    output = os.open(output_path, os.O_RDWR)
    try:
        with open(input_path, "rb") as input_file:
            completed = subprocess.run(command, stdin=input_file, stdout=output,
                                       stderr=subprocess.PIPE, timeout=TIMEOUT, check=False)
    finally:
        os.close(output)
    with open(output_path, "rb") as written:
        content = written.read()
    return (f"output file: {content!r}\n", completed.stderr.decode(errors="replace"),
            completed.returncode)


def run_with_output_files(litebox, probe, work):
    """Compares native and sandboxed runs of the probe and of real programs
    that use their standard output, a regular file, as a file: positional
    reads and writes, truncation, allocation, its /proc/self/fd name."""
    input_path = os.path.join(work, "input")
    output_path = os.path.join(work, "output")
    with open(input_path, "w") as file:
        file.write("pear\napple\nfig\n")
    initial = b"hello world\n"
    programs = [
        [probe, "output_file"],
        [shutil.which("sort"), "-o", "/dev/stdout"],
        [shutil.which("truncate"), "-s", "3", "/dev/stdout"],
        [shutil.which("truncate"), "-s", "20", "/dev/stdout"],
        [shutil.which("dd"), "of=/dev/stdout", "bs=2", "seek=1", "conv=notrunc",
         "status=none"],
        [shutil.which("readlink"), "/proc/self/fd/1"],
    ]
    failed = 0
    for command in programs:
        native = run_with_output_file(command, input_path, output_path, initial)
        sandboxed = run_with_output_file(litebox + ["--"] + command, input_path, output_path,
                                         initial)
        if native != sandboxed:
            print(f"{' '.join(command)} differs:\n  native:  {native!r}\n"
                  f"  litebox: {sandboxed!r}")
            failed = 1

    # The sandbox leaves the host file's mode, owner and times alone, and
    # fails the calls as Linux fails them for a file of another owner.
    os.chmod(output_path, 0o644)
    before = os.stat(output_path)
    _, stderr, status = run_with_output_file(litebox + ["--", probe, "change_output"],
                                             input_path, output_path, initial)
    after = os.stat(output_path)
    expected = ("fchmod 0600: -1 EPERM\n"
                "fchown -1 -1: 0 \n"
                "fchown to the own ids: -1 EPERM\n"
                "futimens now: -1 EACCES\n"
                "futimens 2001: -1 EPERM\n")
    if stderr != expected or status != 0:
        print(f"change_output: expected {expected!r} and status 0, got {stderr!r} and {status}")
        failed = 1
    if (after.st_mode, after.st_uid, after.st_gid) != (before.st_mode, before.st_uid,
                                                       before.st_gid):
        print(f"change_output changed the host file: mode {before.st_mode:o} to "
              f"{after.st_mode:o}, owner {before.st_uid}:{before.st_gid} to "
              f"{after.st_uid}:{after.st_gid}")
        failed = 1
    if after.st_mtime_ns < before.st_mtime_ns:
        print("change_output set the host file's modification time back")
        failed = 1

    # Standard input is a pipe, which has no file position.
    command = [probe, "input_stream"]
    failed |= expect_same(run_with_input(command, b"abc\n"),
                          run_with_input(litebox + ["--"] + command, b"abc\n"))
    return failed


def wait_for_writable_pipe(command):
    """Runs `command` with standard output a pipe that is read only after
    the command prints "full" on standard error. Returns the number of
    bytes the pipe carried, the command's standard error and its exit
    status."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    lines = []
    try:
        while True:
            line = process.stderr.readline().decode(errors="replace")
            lines.append(line)
            if not line or line == "full\n":
                break
        carried = len(process.stdout.read())
        rest = process.stderr.read().decode(errors="replace")
        status = process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return (f"bytes in the pipe: {carried}\n", "".join(lines) + rest, status)


def host_children(pid):
    """Returns the pids of the host processes whose parent is `pid`."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(entry))
    return children


def run_and_kill_child(command):
    """Runs `command`, which prints "ready" once it has forked one child,
    then kills that child with SIGKILL from the host."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        first_line = process.stdout.readline().decode(errors="replace")
        for child in host_children(process.pid):
            os.kill(child, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return first_line + stdout.decode(errors="replace"), stderr.decode(errors="replace"), \
        process.returncode


def signal_in_terminal(command, send):
    """Runs `command` in a pseudo-terminal that is its controlling
    terminal, waits for its "ready" line, then calls send(master, process)
    to signal it. A signal that lands between the line and the blocking
    call leaves the program waiting, so it is sent again every 2 s until
    the program exits. Returns its output without the terminal's "^C"
    echoes, and its exit status."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave,
                               start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)

    output = b""
    try:
        while b"ready" not in output:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            output += chunk

        for _ in range(TIMEOUT // 2):
            send(master, process)
            try:
                process.wait(timeout=2)
                break
            except subprocess.TimeoutExpired:
                continue

        output += read_terminal_output(master)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return output.decode(errors="replace").replace("^C", ""), process.returncode


def process_state(pid):
    """Returns the state letter of host process `pid` (R, S, Z, ...), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def kill_first_process(litebox, probe):
    """Runs the probe's process tree in the sandbox, kills the litebox
    process with SIGKILL, and returns 0 when the tree was complete before
    and no guest process outlived the kill, 1 otherwise."""
    # The orphans come to this process, so it can see how they end.
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
        return 1

    process = subprocess.Popen(litebox + ["--", probe, "process_tree"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    failed = 0
    line = process.stdout.readline().decode(errors="replace")
    if line != "ready\n":
        print(f"expected ready, got {line!r}")
        failed = 1
    # The middle process outlives the thread that forked it.
    time.sleep(0.3)
    tree = [process.pid] + host_children(process.pid)
    for child in list(tree[1:]):
        tree += host_children(child)
    living = [pid for pid in tree if process_state(pid) not in (None, "Z")]
    if len(living) != 3:
        print(f"expected 3 living processes in the sandbox, found {living}")
        failed = 1

    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    ended = {}
    while len(ended) < len(tree) - 1 and time.monotonic() < deadline:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.01)
        else:
            ended[pid] = status
    for pid in tree[1:]:
        if pid not in ended:
            print(f"guest process {pid} outlived the killed litebox process")
            os.kill(pid, signal.SIGKILL)
            failed = 1
    return failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--litebox", required=True)
    parser.add_argument("--probe", required=True)
    parser.add_argument("--probe-dynamic", help="the probe linked dynamically")
    parser.add_argument("--work", required=True, help="a scratch directory for this case")
    parser.add_argument("case")
    options = parser.parse_args()
    litebox = [options.litebox, "run"]
    probe = options.probe

    shutil.rmtree(options.work, ignore_errors=True)
    os.makedirs(options.work)
    try:
        return run_case(options.case, litebox, probe, options.probe_dynamic, options.work)
    finally:
        shutil.rmtree(options.work, ignore_errors=True)


def run_case(case, litebox, probe, probe_dynamic, work):
    if case == "arguments":
        command = [probe, "args", "3", "one", "two words", ""]
        return expect_same(run(command), run(litebox + ["--"] + command))
    if case == "abort":
        command = [probe, "abort"]
        return expect_same(run(command), run(litebox + ["--"] + command))
    if case in ("memory", "threads", "clock_steps"):
        command = [probe, case]
        return expect_same(run(command), run(litebox + ["--"] + command))
    if case == "environment":
        command = [probe, "env", "PATH", "LITEBOX_TEST", "HOME"]
        native = run(command, env={"PATH": DEFAULT_PATH, "LITEBOX_TEST": "a=b"})
        return expect_same(native, run(litebox + ["--env", "LITEBOX_TEST=a=b", "--"] + command))
    if case == "environment_without_separator":
        # Without `--`, each --env takes one K=V and the program's own
        # arguments (here "-c"-style words) stay the program's.
        command = [probe, "env", "PATH", "LITEBOX_TEST", "HOME"]
        native = run(command, env={"PATH": DEFAULT_PATH, "LITEBOX_TEST": "one"})
        return expect_same(native, run(litebox + ["--env", "LITEBOX_TEST=one"] + command))
    if case == "unknown_command":
        return expect_error_line(run([litebox[0], "bogus", probe]), 109,
                                 "litebox: unknown command bogus; ")
    if case == "unknown_option":
        return expect_error_line(run(litebox + ["--forwardenv", probe]), 109,
                                 "litebox run: unknown option --forwardenv; see litebox run --help")
    if case == "command_line_errors":
        # Each command-line error is one line that names the value at fault,
        # with the status of every command-line error.
        missing = os.path.join(work, "missing.tar")
        failed = 0
        for arguments, message in (
                ([], "litebox run: missing PROGRAM; "),
                (["--"], "litebox run: missing PROGRAM; "),
                (["--interception", "foo", probe],
                 "litebox run: --interception: expected seccomp or sud, got 'foo'"),
                (["--env", "NO_VALUE", probe], "litebox run: --env: expected K=V, got 'NO_VALUE'"),
                (["--env=", probe], "litebox run: --env: expected K=V, got ''"),
                (["--rootfs", missing, probe], f"litebox run: --rootfs {missing}: no such file; "),
                (["--rootfs", work, probe], f"litebox run: --rootfs {work}: is a directory; "),
                (["--workdir"], "litebox run: missing value for --workdir; give --workdir DIR"),
                (["--workdir", "/", "--workdir=/tmp", probe],
                 "litebox run: --workdir given twice ('/', then '/tmp'); give it once"),
                (["--trace=yes", probe], "litebox run: --trace takes no value, got 'yes'; ")):
            print(f"{arguments}:")
            failed |= expect_error_line(run(litebox + arguments), 109, message)
        print("no command:")
        failed |= expect_error_line(run([litebox[0]]), 109, "litebox: missing command; ")
        print("--version:")
        failed |= expect_error_line(run([litebox[0], "--version"]), 109,
                                    "litebox: unknown option --version; ")
        return failed
    if case == "options_after_program":
        # Options end at PROGRAM: words after it that look like options of
        # `litebox run` are the program's arguments.
        command = [probe, "args", "--trace", "--env", "A=B", "--", "--help"]
        return expect_same(run(command), run(litebox + ["--env=A=B"] + command))
    if case == "help":
        # Each --help prints every option of its command to standard output.
        failed = 0
        for command, expected in (
                ([litebox[0], "--help"], ["run", "rootfs", "--help"]),
                ([litebox[0], "-h"], ["run", "rootfs", "--help"]),
                (litebox + ["--help"], ["PROGRAM [ARGS...]", "--help", "--rootfs FILE", "--env K=V",
                                        "--forward-env", "--workdir DIR", "--interception MODE",
                                        "--trace", "--no-vdso", "LITEBOX_LOG"]),
                (litebox + ["--env", "A=B", "-h", "--bogus"], ["--rootfs FILE"]),
                ([litebox[0], "rootfs", "--help"], ["PROGRAM...", "-o, --output FILE",
                                                    "--include PATH", "--mtime SECONDS"])):
            stdout, stderr, status = run(command)
            lines = stdout.splitlines()
            if status != 0 or stderr:
                print(f"{command}: expected status 0 and no error, got {status} and {stderr!r}")
                failed = 1
            if not lines or not lines[0].startswith("Usage: litebox"):
                print(f"{command}: expected a usage line first, got {stdout!r}")
                failed = 1
            for word in expected:
                if word not in stdout:
                    print(f"{command}: the help lacks {word!r}:\n{stdout}")
                    failed = 1
        return failed
    if case == "tmp_time":
        # /tmp of the root without --rootfs is new, as a freshly mounted
        # tmpfs is: it was modified while the sandbox started. The window
        # allows for the host clock being stepped while the test runs, as
        # time synchronisation does on a virtual machine that just booted.
        clock_step = 5
        before = int(time.time()) - clock_step
        stdout, stderr, status = run(litebox + ["--", "/bin/busybox", "stat", "-c", "%Y", "/tmp"])
        after = int(time.time()) + 1 + clock_step
        if status != 0 or not stdout.strip().isdigit() or \
                not before <= int(stdout) <= after:
            print(f"expected a time from {before} to {after}, got {stdout!r}, {stderr!r}, "
                  f"status {status}")
            return 1
        return 0
    if case == "workdir_missing":
        return expect_error_line(run(litebox + ["--workdir", "/no-such-directory", probe]), 125,
                                 "litebox: --workdir /no-such-directory: no such directory in the "
                                 "sandbox; give a directory that the root has")
    if case == "workdir_not_directory":
        return expect_failure(run(litebox + ["--workdir", probe, "--", probe]), 125,
                              f"litebox: --workdir {probe}: not a directory in the sandbox")
    if case == "forward_environment":
        command = [probe, "env", "LITEBOX_TEST"]
        env = dict(os.environ, LITEBOX_TEST="forwarded")
        return expect_same(run(command, env=env),
                           run(litebox + ["--forward-env", "--"] + command, env=env))
    if case == "script":
        script = os.path.join(work, "script")
        with open(script, "w") as file:
            file.write(f"#!{probe} args\n")
        os.chmod(script, 0o755)
        return expect_same(run([script, "5"]), run(litebox + ["--", script, "5"]))
    if case == "script_errors":
        # A #! interpreter that is missing, or a sixth nested script, fails
        # as execve does natively (ENOENT, ELOOP): 127 or 126, as a shell
        # reports them, from the host root and from an image alike.
        missing = write_script(work, "missing_interpreter", os.path.join(work, "no-such-interpreter"))
        directory = write_script(work, "directory_interpreter", work)
        chain = [write_script(work, "nested0", f"{probe} args")]
        for depth in range(1, 6):
            chain.append(write_script(work, f"nested{depth}", chain[-1]))
        includes = [argument for script in [missing, directory] + chain
                    for argument in ("--include", script)]
        image = build_image(litebox, work, includes + [probe])
        if image is None:
            return 1
        failed = 0
        for script, problem in ((missing, f"#! interpreter {work}/no-such-interpreter: "),
                                (directory, f"#! interpreter {work}: is a directory; "),
                                (chain[4], ""), (chain[5], "too many nested #! interpreters")):
            native = run_execve(script)
            for options in ([], ["--rootfs", image]):
                print(f"{options} {os.path.basename(script)}:")
                sandboxed = run(litebox + options + ["--", script])
                if native[2] == 0:
                    failed |= expect_same(native, sandboxed)
                else:
                    failed |= expect_error_line(sandboxed, native[2], f"litebox: {script}: {problem}")
        return failed
    if case == "env_script":
        # "#!/usr/bin/env NAME" finds NAME in the sandbox's PATH, which the
        # root without --rootfs must hold, though the host's PATH lacks it.
        directory, name = os.path.split(probe)
        search_path = f"{directory}:/usr/bin:/bin"
        failed = 0
        for script_name, arguments in (("plain", name), ("split", f"-S {name} args 3")):
            script = write_script(work, script_name, f"/usr/bin/env {arguments}")
            print(f"{script_name}:")
            native = run([script, "5"], env={"PATH": search_path})
            failed |= expect_same(native, run(litebox + ["--env", f"PATH={search_path}", "--",
                                                          script, "5"]))
        return failed
    if case == "program_path_dot_dot":
        # "link/../probe" names the probe beside the link's target, as the
        # kernel resolves it, not a file beside the link itself.
        os.makedirs(os.path.join(work, "target", "inner"))
        os.makedirs(os.path.join(work, "links"))
        os.symlink(os.path.join(work, "target", "inner"), os.path.join(work, "links", "link"))
        shutil.copy2(probe, os.path.join(work, "target", "probe"))
        write_script(os.path.join(work, "links"), "probe", f"{probe} env PATH")
        command = [os.path.join(work, "links", "link", "..", "probe"), "args", "1"]
        return expect_same(run(command), run(litebox + ["--"] + command))
    if case == "program_not_in_path":
        # A name without a slash is looked up in PATH only, as execvp does:
        # a file of that name in the working directory is not run.
        image = build_image(litebox, work, [probe])
        if image is None:
            return 1
        directory, name = os.path.split(probe)
        native = run_execve([name, "args"], cwd=directory, env={"PATH": "/nowhere"})
        sandboxed = run(litebox + ["--rootfs", image, "--env", "PATH=/nowhere", "--workdir",
                                   directory, "--", name, "args"])
        return expect_error_line(sandboxed, native[2],
                                 f"litebox: {name}: not found in the sandbox's PATH (/nowhere); ")
    if case == "missing_in_image":
        # A program that the image lacks: the message names the command that
        # builds a complete image.
        image = build_image(litebox, work, [probe])
        if image is None:
            return 1
        hint = "; build the image with `litebox rootfs -o IMAGE PROGRAM`"
        missing = os.path.join(work, "missing")
        return expect_error_line(run(litebox + ["--rootfs", image, "--", missing]), 127,
                                 f"litebox: {missing}: no such file in the sandbox{hint}")
    if case == "missing_program":
        # Without --rootfs the program is looked up on the host.
        missing = os.path.join(work, "missing")
        return expect_error_line(run(litebox + [missing]), 127,
                                 f"litebox: {missing}: no such file on the host; ")
    if case == "missing_program_name":
        return expect_error_line(run(litebox + ["litebox-no-such-program"]), 127,
                                 "litebox: program litebox-no-such-program not found in PATH; ")
    if case == "program_directory":
        return expect_error_line(run(litebox + [work]), 126,
                                 f"litebox: {work}: is a directory; give the path of a program")
    if case == "program_proc_path":
        # /proc/self names litebox's own process on the host. A /dev/fd path
        # names the open file, which runs as it does natively.
        failed = expect_error_line(run(litebox + ["/proc/self/exe"]), 126,
                                   "litebox: /proc/self/exe: names the litebox executable itself; ")
        with open(probe, "rb") as program:
            path = f"/dev/fd/{program.fileno()}"
            command = [path, "args", "1", "via a descriptor"]
            native = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                    timeout=TIMEOUT, check=False, pass_fds=[program.fileno()])
            sandboxed = subprocess.run(litebox + ["--"] + command, stdin=subprocess.DEVNULL,
                                       capture_output=True, timeout=TIMEOUT, check=False,
                                       pass_fds=[program.fileno()])
        failed |= expect_same((native.stdout, native.stderr, native.returncode),
                              (sandboxed.stdout, sandboxed.stderr, sandboxed.returncode))
        return failed
    if case == "program_not_executable":
        # A regular file without execute permission, as a shared library is.
        library = os.path.join(work, "library.so")
        shutil.copyfile(probe, library)
        os.chmod(library, 0o644)
        return expect_error_line(run(litebox + [library]), 126,
                                 f"litebox: {library}: permission denied (not executable); ")
    if case in ("truncated_static", "truncated_dynamic"):
        # The ELF and program headers are whole, the segments end early.
        program = os.path.join(work, "truncated")
        with open(probe if case == "truncated_static" else probe_dynamic, "rb") as file:
            write_program(program, file.read(1000))
        return expect_error_line(run(litebox + [program]), 126,
                                 f"litebox: {program}: truncated file: ",
                                 "; copy or build the file again")
    if case == "foreign_elf":
        failed = 0
        with open(probe, "rb") as file:
            start_of_probe = file.read(30)
        for name, content, problem in (
                ("i386", elf_header(1, 1, 3), "32-bit ELF (i386) is not supported; "),
                ("aarch64", elf_header(2, 1, 183), "aarch64 ELF is not supported; "),
                ("big_endian", elf_header(2, 2, 62), "big-endian ELF is not supported; "),
                ("short", start_of_probe, "truncated file: shorter than an ELF header; ")):
            program = os.path.join(work, name)
            write_program(program, content)
            print(f"{name}:")
            failed |= expect_error_line(run(litebox + [program]), 126,
                                        f"litebox: {program}: {problem}")
        return failed
    if case == "not_executable":
        text = os.path.join(work, "text")
        with open(text, "w") as file:
            file.write("plain words\n")
        os.chmod(text, 0o755)
        return expect_failure(run(litebox + [text]), 126,
                              f"litebox: {text}: not an ELF executable or a #! script")
    if case == "compressed_image":
        # A gzip-compressed tar: the error names the compression and the fix.
        archive = os.path.join(work, "image.tar.gz")
        with open(archive, "wb") as file:
            file.write(gzip.compress(b"\0" * 1024))
        return expect_failure(run(litebox + ["--rootfs", archive, "--", "/bin/sh"]), 125,
                              f"litebox: {archive}: the image is gzip-compressed; decompress it first")
    if case == "image_dev_not_directory":
        # An image whose /dev is a regular file cannot take devfs there.
        archive = os.path.join(work, "image.tar")
        with tarfile.open(archive, "w", format=tarfile.USTAR_FORMAT) as image:
            image.add(probe, arcname="probe")
            member = tarfile.TarInfo("dev")
            image.addfile(member, io.BytesIO(b""))
        return expect_error_line(run(litebox + ["--rootfs", archive, "--", "/probe"]), 125,
                                 "litebox: mounting devfs on /dev failed: ENOTDIR; /dev in the "
                                 "image must be a directory or absent")
    if case == "empty_image":
        archive = os.path.join(work, "image.tar")
        open(archive, "wb").close()
        return expect_error_line(run(litebox + ["--rootfs", archive, "--", "/probe"]), 125,
                                 f"litebox: root image {archive} is empty; give a tar archive")
    if case == "corrupt_image":
        # Bytes that are no tar header: one line that escapes the bytes.
        archive = os.path.join(work, "image.tar")
        with open(archive, "wb") as file:
            file.write(b"line\nbreak\x1b" + b"\xff" * 1000)
        result = run(litebox + ["--rootfs", archive, "--", "/bin/sh"])
        if result[2] == 125 and result[1].count("\n") == 1 and "line\\x0abreak\\x1b" in result[1]:
            return 0
        print(f"expected exit status 125 and one escaped line, got {result!r}")
        return 1
    if case == "trace":
        stdout, stderr, status = run(litebox + ["--trace", "--", probe, "args", "4"])
        failed = 0
        for line in ('write(1, "argv[0] = (program)\\nargv[1] = ar"..., ',
                     padded("exit_group(4)", "?"), "+++ exited with 4 +++"):
            if line not in stderr:
                print(f"trace lacks {line!r}:\n{stderr}")
                failed = 1
        if status != 4:
            print(f"exit status: expected 4, got {status}")
            failed = 1
        return failed
    if case == "trace_matches_strace":
        # The flags of these calls read as strace shows them natively.
        strace = shutil.which("strace")
        if strace is None:
            print("strace is not installed")
            return 77
        log = os.path.join(work, "strace.log")
        native = run([strace, "-qq", "-o", log, "-e", "trace=openat,pipe2,access", probe,
                      "trace_calls"])
        sandboxed = run(litebox + ["--trace", "--", probe, "trace_calls"])
        if native[2] != 0 or sandboxed[2] != 0:
            print(f"expected status 0, got {native!r} natively and {sandboxed!r} in litebox")
            return 1
        with open(log) as file:
            expected = traced_calls(file.read())
        got = traced_calls(sandboxed[1])
        if len(expected) != 6 or got != expected:
            print("trace differs:\n  strace:  " + "\n           ".join(expected) +
                  "\n  litebox: " + "\n           ".join(got))
            return 1
        return 0
    if case == "trace_decoders_match_strace":
        # Each decoded argument and result reads as strace shows it for the
        # same calls natively. The sandbox may make more calls (a sleep cut
        # short by SIGCHLD is restarted), so each native line must appear.
        strace = shutil.which("strace")
        if strace is None:
            print("strace is not installed")
            return 77
        log = os.path.join(work, "strace.log")
        # strace comments times in the local time zone; litebox uses UTC.
        native = run([strace, "-qq", "-o", log, probe, "trace_decoders"],
                     env=dict(os.environ, TZ="UTC"))
        sandboxed = run(litebox + ["--trace", "--", probe, "trace_decoders"])
        if native[2] != 0 or sandboxed[2] != 0:
            print(f"expected status 0, got {native!r} natively and {sandboxed!r} in litebox")
            return 1
        with open(log) as file:
            native_trace = file.read()
        expected = decoded_calls(native_trace)
        got = decoded_calls(sandboxed[1])
        got += resumed_calls(got)
        missing = [line for line in expected if line not in got]
        # The first line is the execve that started the probe; the sandbox
        # passes it another environment.
        first_lines = [re.sub(r"0x[0-9a-f]+ /\* \d+ vars? \*/\)\s+=", "ENVIRONMENT) =",
                              trace.splitlines()[0])
                       for trace in (native_trace, sandboxed[1])]
        if first_lines[0] != first_lines[1]:
            print(f"first line differs:\n  strace:  {first_lines[0]}\n  litebox: {first_lines[1]}")
            return 1
        if len(expected) < 80 or missing:
            print(f"{len(expected)} native lines; lines litebox lacks:\n  " +
                  "\n  ".join(missing) + "\nlitebox:\n  " + "\n  ".join(got))
            return 1
        return 0
    if case == "trace_children":
        # As with strace -f (6.1), lines of processes other than the first
        # start with "[pid N] ", N right-aligned in 5 columns. The probe's
        # children get pids 2 and 3.
        stdout, stderr, status = run(litebox + ["--trace", "--", probe, "kill_all"])
        lines = stderr.splitlines()
        failed = 0
        for line in (padded("[pid     2] close(3)", "0"), padded("[pid     3] close(3)", "0"),
                     "[pid     2] +++ killed by SIGTERM +++",
                     "[pid     3] +++ killed by SIGTERM +++",
                     padded("kill(-1, SIGTERM)", "0"), "+++ exited with 0 +++"):
            if line not in lines:
                print(f"trace lacks the line {line!r}:\n{stderr}")
                failed = 1
        if any(line.startswith("[pid     1]") for line in lines):
            print(f"lines of the first process should have no [pid 1] prefix:\n{stderr}")
            failed = 1
        if status != 0:
            print(f"exit status: expected 0, got {status}")
            failed = 1
        return failed
    if case == "rewritten_site":
        # Natively and with --no-rewrite, the code of getppid(), syscall()
        # and read() stays as it is. By default LiteBox rewrites their system
        # call sites once they have trapped 8 times.
        failed = 0
        for label, command, changed in (("native", [probe], "no"),
                                        ("litebox", litebox + ["--", probe], "yes"),
                                        ("--no-rewrite", litebox + ["--no-rewrite", "--", probe],
                                         "no")):
            stdout, stderr, status = run(command + ["rewritten_site"])
            expected = (f"getppid agrees: yes\nread agrees: yes\ncode changed: {changed}\n"
                        f"syscall() code changed: {changed}\nread() code changed: {changed}\n")
            if status != 0 or stdout != expected:
                print(f"{label}: expected {expected!r} and status 0, got {status}: "
                      f"{stdout!r} {stderr!r}")
                failed = 1
        return failed
    if case == "vdso":
        failed = 0
        # The probe reads the clock three times. With the vDSO only the
        # first read, before the TSC calibration ended, is a system call.
        for options, expected_output, traced_reads in (([], "vdso: yes", 1),
                                                       (["--no-vdso"], "vdso: no", 3)):
            stdout, stderr, status = run(litebox + options + ["--trace", "--", probe, "clock"])
            if status != 0 or expected_output not in stdout:
                print(f"{options}: expected {expected_output!r} and status 0, got {status}:\n{stdout}")
                failed = 1
            reads = stderr.count("clock_gettime(CLOCK_MONOTONIC")
            if reads != traced_reads:
                print(f"{options}: expected {traced_reads} traced clock_gettime, got {reads}:\n{stderr}")
                failed = 1
        return failed
    if case == "foreground_group":
        # Shells with job control give the terminal to each job's process
        # group; busybox sh quits at start-up without that.
        failed = 0
        native = run_in_terminal([probe, "foreground_group"], controlling=True)
        sandboxed = run_in_terminal(litebox + ["--", probe, "foreground_group"], controlling=True)
        if native != sandboxed:
            print(f"foreground group differs:\n  native:  {native!r}\n  litebox: {sandboxed!r}")
            failed = 1
        return failed
    if case == "host_signals":
        # Ctrl-C at the terminal and the host's kill reach the guest's
        # handlers, also while the guest waits for terminal input.
        failed = 0
        senders = {"ctrl-c": lambda master, process: os.write(master, b"\x03"),
                   "kill": lambda master, process: os.kill(process.pid, signal.SIGTERM)}
        for blocking_call in ("read", "pause"):
            for name, send in senders.items():
                command = [probe, "wait_signal", blocking_call]
                native = signal_in_terminal(command, send)
                sandboxed = signal_in_terminal(litebox + ["--"] + command, send)
                if native != sandboxed:
                    print(f"{name} while in {blocking_call} differs:\n  native:  {native!r}\n"
                          f"  litebox: {sandboxed!r}")
                    failed = 1
        return failed
    if case == "dev_tty":
        # /dev/tty is the controlling terminal, also when standard input is
        # redirected, as for a pager that reads keys while a pipe feeds it.
        failed = 0
        for stdin in (None, subprocess.DEVNULL):
            native = run_in_terminal([probe, "dev_tty"], controlling=True, stdin=stdin)
            sandboxed = run_in_terminal(litebox + ["--", probe, "dev_tty"], controlling=True,
                                        stdin=stdin)
            if native != sandboxed:
                print(f"/dev/tty with stdin {stdin} differs:\n  native:  {native!r}\n"
                      f"  litebox: {sandboxed!r}")
                failed = 1
        return failed
    if case == "first_process_killed":
        # Sandbox only: killing the litebox process ends every guest process,
        # where natively the orphans of a killed process live on.
        return kill_first_process(litebox, probe)
    if case == "host_killed_child":
        # A guest process that the host kills (here SIGKILL from outside
        # the sandbox) is reported to its parent as killed by that signal.
        command = [probe, "wait_child"]
        return expect_same(run_and_kill_child(command), run_and_kill_child(litebox + ["--"] + command))
    if case == "log_level_unknown":
        # An unknown LITEBOX_LOG level is named on one line, and the run goes on.
        command = [probe, "args", "1", "logged"]
        environment = dict(os.environ, LITEBOX_LOG="bogus")
        native_stdout, native_stderr, native_status = run(command)
        sandboxed = run(litebox + ["--"] + command, env=environment)
        warning = ("litebox: LITEBOX_LOG=bogus: unknown log level, using warning; give trace, "
                   "debug, info, warning or error\n")
        return expect_same((native_stdout, warning + native_stderr, native_status), sandboxed)
    if case == "terminal":
        # The guest reads the size and changes the modes of the host's
        # terminal, as stty does natively.
        stty = shutil.which("stty")
        failed = 0
        for arguments in (["size"], ["-echo"], ["raw", "-echo"], ["-a"]):
            native = run_in_terminal([stty] + arguments)
            sandboxed = run_in_terminal(litebox + ["--", stty] + arguments)
            if native != sandboxed:
                print(f"stty {' '.join(arguments)} differs:\n  native:  {native!r}\n"
                      f"  litebox: {sandboxed!r}")
                failed = 1
        return failed
    if case == "closed_stdin":
        # A closed descriptor 0 stays closed for the guest; before the fix,
        # the guest read the file litebox opened next (the root image).
        def run_closed(command):
            completed = subprocess.run(command, preexec_fn=lambda: os.close(0),
                                       capture_output=True, timeout=TIMEOUT, check=False)
            return (completed.stdout.decode(errors="replace"),
                    completed.stderr.decode(errors="replace"), completed.returncode)
        return expect_same(run_closed([probe, "stdio"]),
                           run_closed(litebox + ["--", probe, "stdio"]))
    if case == "stdin_seek":
        # lseek on a regular file redirected to standard input moves the
        # host's offset, which the caller sees afterwards; a pipe gives ESPIPE.
        data = os.path.join(work, "input")
        with open(data, "w") as file:
            file.write("abcdef\n")

        def run_with_file(command):
            with open(data, "rb") as input_file:
                completed = subprocess.run(command, stdin=input_file, capture_output=True,
                                           timeout=TIMEOUT, check=False)
                offset = os.lseek(input_file.fileno(), 0, os.SEEK_CUR)
            return (completed.stdout.decode(errors="replace") + f"caller offset {offset}\n",
                    completed.stderr.decode(errors="replace"), completed.returncode)

        command = [probe, "seek_stdin"]
        return (expect_same(run_with_file(command), run_with_file(litebox + ["--"] + command)) or
                expect_same(run_with_input(command, b"abcdef\n"),
                            run_with_input(litebox + ["--"] + command, b"abcdef\n")))
    if case == "redirected_file":
        # A regular file redirected to standard input or output is a regular
        # file to the guest too: its type, size, offset and O_APPEND are the
        # host's, which tail, wc and cat rely on.
        return run_with_redirected_files(litebox, probe, work)
    if case == "output_file":
        # A regular file redirected to standard output is a file to the
        # guest: pread, pwrite, ftruncate, fallocate and fsync reach it, and
        # /proc/self/fd/1 names it, so `sort -o /dev/stdout` works.
        return run_with_output_files(litebox, probe, work)
    if case == "writable_stdout":
        # poll, select and epoll report a full pipe on standard output not
        # writable, and wake a waiter once the reader drains it.
        command = [probe, "writable_stdout"]
        return expect_same(wait_for_writable_pipe(command),
                           wait_for_writable_pipe(litebox + ["--"] + command))
    if case == "nonblocking_stdout":
        # O_NONBLOCK set on standard output lands on the host's open file
        # description, so a write to a full pipe fails with EAGAIN instead of
        # blocking.
        def fill_pipe(command):
            reader, writer = os.pipe()
            try:
                try:
                    completed = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=writer,
                                               stderr=subprocess.PIPE, timeout=TIMEOUT,
                                               check=False)
                except subprocess.TimeoutExpired:
                    return ("", "timed out: a write to the full pipe blocked\n", None)
                os.close(writer)
                writer = None
                os.set_blocking(reader, False)
                pending = 0
                while True:
                    try:
                        chunk = os.read(reader, 65536)
                    except BlockingIOError:
                        break
                    if not chunk:
                        break
                    pending += len(chunk)
            finally:
                if writer is not None:
                    os.close(writer)
                os.close(reader)
            return (f"bytes in the pipe: {pending}\n",
                    completed.stderr.decode(errors="replace"), completed.returncode)
        command = [probe, "nonblocking_stdout"]
        return expect_same(fill_pipe(command), fill_pipe(litebox + ["--"] + command))
    if case == "terminal_name":
        # ttyname(3) finds the terminal of the standard streams under
        # /dev/pts, and a new session has no controlling terminal.
        failed = 0
        tty = shutil.which("tty")
        for program in ([probe, "terminal_name"], [tty]):
            native = run_in_terminal(program, controlling=True)
            sandboxed = run_in_terminal(litebox + ["--"] + program, controlling=True)
            # Each run has a terminal of its own, so the N of /dev/pts/N
            # differs.
            native = (re.sub(r"/dev/pts/[0-9]+", "/dev/pts/N", native[0]),) + native[1:]
            sandboxed = (re.sub(r"/dev/pts/[0-9]+", "/dev/pts/N", sandboxed[0]),) + sandboxed[1:]
            if native != sandboxed:
                print(f"{os.path.basename(program[0])} differs:\n  native:  {native!r}\n"
                      f"  litebox: {sandboxed!r}")
                failed = 1
        return failed
    if case == "kill_all":
        # Sandbox only: natively kill(-1) would signal every process of the
        # user. Inside, it reaches the sandbox's other processes, as in a PID
        # namespace, and spares init (the caller here) itself.
        expected = ("kill(-1, SIGTERM) = 0\n"
                    "child 0: reaped, killed by signal 15\n"
                    "child 1: reaped, killed by signal 15\n", "", 0)
        return expect_same(expected, run(litebox + ["--", probe, "kill_all"]))
    print(f"unknown case {case}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
