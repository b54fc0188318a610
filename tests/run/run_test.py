#!/usr/bin/env python3
"""End-to-end tests of `litebox run`: the probe program runs natively and in
the sandbox and must produce the same output and exit status; the error
cases check the status and the one-line message of litebox itself.

  run_test.py --litebox LITEBOX --probe PROBE --work DIR CASE
"""
import argparse
import gzip
import os
import shutil
import signal
import subprocess
import sys

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--litebox", required=True)
    parser.add_argument("--probe", required=True)
    parser.add_argument("--work", required=True, help="a scratch directory for this case")
    parser.add_argument("case")
    options = parser.parse_args()
    litebox = [options.litebox, "run"]
    probe = options.probe

    shutil.rmtree(options.work, ignore_errors=True)
    os.makedirs(options.work)
    try:
        return run_case(options.case, litebox, probe, options.work)
    finally:
        shutil.rmtree(options.work, ignore_errors=True)


def run_case(case, litebox, probe, work):
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
    if case == "unknown_option":
        return expect_failure(run(litebox + ["--forwardenv", probe]), 109, "--forwardenv")
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
    if case == "missing_program":
        return expect_failure(run(litebox + [os.path.join(work, "missing")]), 127, "litebox: ")
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
                     "exit_group(4) = ?", "+++ exited with 4 +++"):
            if line not in stderr:
                print(f"trace lacks {line!r}:\n{stderr}")
                failed = 1
        if status != 4:
            print(f"exit status: expected 4, got {status}")
            failed = 1
        return failed
    if case == "vdso":
        failed = 0
        for options, expected_output, traced in (([], "vdso: yes", False),
                                                 (["--no-vdso"], "vdso: no", True)):
            stdout, stderr, status = run(litebox + options + ["--trace", "--", probe, "clock"])
            if status != 0 or expected_output not in stdout:
                print(f"{options}: expected {expected_output!r} and status 0, got {status}:\n{stdout}")
                failed = 1
            if ("clock_gettime(CLOCK_MONOTONIC" in stderr) != traced:
                print(f"{options}: clock_gettime should {'' if traced else 'not '}be traced:\n{stderr}")
                failed = 1
        return failed
    if case == "host_killed_child":
        # A guest process that the host kills (here SIGKILL from outside
        # the sandbox) is reported to its parent as killed by that signal.
        command = [probe, "wait_child"]
        return expect_same(run_and_kill_child(command), run_and_kill_child(litebox + ["--"] + command))
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

        def run_with_pipe(command):
            completed = subprocess.run(command, input=b"abcdef\n", capture_output=True,
                                       timeout=TIMEOUT, check=False)
            return (completed.stdout.decode(errors="replace"),
                    completed.stderr.decode(errors="replace"), completed.returncode)

        command = [probe, "seek_stdin"]
        return (expect_same(run_with_file(command), run_with_file(litebox + ["--"] + command)) or
                expect_same(run_with_pipe(command), run_with_pipe(litebox + ["--"] + command)))
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
