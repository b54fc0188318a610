#!/usr/bin/env python3
"""Run one program natively and under `litebox run`, and compare the runs.

Both runs get the same arguments, the same small environment and no
standard input, or with --stdin-chunk a pipe that the script feeds on cue:
each time the program writes a line ending in "waiting for input" to
standard output, the script waits STDIN_DELAY seconds and writes the next
chunk, or closes the pipe once every chunk is written. The test passes when stdout, stderr and the exit status are
identical; on a mismatch the script prints a unified diff of each stream
that differs and exits with status 1.

Usage:
  compare.py --litebox LITEBOX [--interception MODE] [--image-from-rootfs]
             [--include PATH]... [--scratch PATH] [--timeout SECONDS]
             [--stdin-chunk TEXT]... -- PROGRAM [ARGUMENT]...

--interception passes MODE (seccomp or sud) to `litebox run`.
--image-from-rootfs builds a root image with `litebox rootfs` (the program,
its libraries and every --include tree) and runs the sandbox with --rootfs;
without it `litebox run` builds the root in memory. --scratch names a path
that is removed before and after each run, so both runs start from the same
state. --native-only runs just the native side, to check a program's output
is deterministic (it runs twice and compares the two runs).
"""

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp", "TZ": "UTC"}

# Seconds between a "waiting for input" line and the next chunk: long
# against the short timeouts the programs poll with before the input comes.
STDIN_DELAY = 0.5
STDIN_CUE = b"waiting for input"


def remove_scratch(path):
    if path and os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def run_fed(command, timeout, chunks):
    """Run `command` with a pipe as standard input that receives `chunks` on
    cue (see the module documentation); return (stdout, stderr, status)."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=ENVIRONMENT)
    stdout = bytearray()
    stderr = bytearray()
    left = list(chunks)

    def feed_on_cue():
        for line in iter(process.stdout.readline, b""):
            stdout.extend(line)
            if not line.rstrip(b"\n").endswith(STDIN_CUE) or process.stdin.closed:
                continue
            time.sleep(STDIN_DELAY)
            try:
                if left:
                    process.stdin.write(left.pop(0).encode())
                    process.stdin.flush()
                else:
                    process.stdin.close()
            except BrokenPipeError:
                pass

    readers = [threading.Thread(target=feed_on_cue),
               threading.Thread(target=lambda: stderr.extend(process.stderr.read()))]
    for reader in readers:
        reader.start()
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        status = "timeout"
    for reader in readers:
        reader.join()
    if not process.stdin.closed:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass
    if status == "timeout":
        stderr.extend(f"\n[timed out after {timeout} s]\n".encode())
    return bytes(stdout), bytes(stderr), status


def run(command, scratch, timeout, chunks=None):
    """Run `command` and return (stdout, stderr, exit status) as bytes."""
    remove_scratch(scratch)
    try:
        if chunks is not None:
            stdout, stderr, status = run_fed(command, timeout, chunks)
            if status == "timeout":
                return stdout, stderr, b"timeout"
        else:
            completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                       env=ENVIRONMENT, timeout=timeout, check=False)
            stdout, stderr, status = completed.stdout, completed.stderr, completed.returncode
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout or b""
        stderr = (expired.stderr or b"") + f"\n[timed out after {timeout} s]\n".encode()
        return stdout, stderr, b"timeout"
    finally:
        remove_scratch(scratch)
    # A process killed by signal N has returncode -N natively; `litebox run`
    # reports that end as exit status 128 + N, as a shell does.
    status = status if status >= 0 else 128 - status
    return stdout, stderr, str(status).encode()


def differences(expected, actual, expected_label, actual_label):
    """Return a unified diff of each stream that differs, or an empty string."""
    report = []
    for stream, want_bytes, got_bytes in zip(("stdout", "stderr", "exit status"), expected, actual):
        if want_bytes == got_bytes:
            continue
        # Bytes that are not UTF-8 show as U+FFFD in the diff only; the
        # comparison above is exact.
        want = want_bytes.decode(errors="replace")
        got = got_bytes.decode(errors="replace")
        if want == got:
            report.append(f"{stream} differs in bytes that are not valid UTF-8\n")
            continue
        diff = difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                    f"{stream} ({expected_label})", f"{stream} ({actual_label})")
        text = "".join(line if line.endswith("\n") else line + "\n[no newline at end]\n"
                       for line in diff)
        report.append(text)
    return "".join(report)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litebox", help="the litebox executable")
    parser.add_argument("--interception", choices=["seccomp", "sud"],
                        help="the interception mode for `litebox run` (default: seccomp)")
    parser.add_argument("--image-from-rootfs", action="store_true",
                        help="run the sandbox from an image built by `litebox rootfs`")
    parser.add_argument("--rootfs-tool",
                        help="the command that builds images (default: LITEBOX rootfs)")
    parser.add_argument("--include", action="append", default=[],
                        help="host tree to put in the image too (repeatable)")
    parser.add_argument("--scratch", help="path removed before and after each run")
    parser.add_argument("--timeout", type=float, default=60, help="limit per run, in seconds")
    parser.add_argument("--native-only", action="store_true",
                        help="run natively twice and compare, without the sandbox")
    parser.add_argument("--stdin-chunk", action="append",
                        help="text for the standard input pipe, written on cue (repeatable)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- PROGRAM [ARGUMENT]...")
    options = parser.parse_args()

    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("missing the program to run after --")

    native = run(command, options.scratch, options.timeout, options.stdin_chunk)
    if options.native_only:
        again = run(command, options.scratch, options.timeout, options.stdin_chunk)
        report = differences(native, again, "first native run", "second native run")
        sys.stdout.write(native[0].decode(errors="replace"))
        if report:
            print("native runs differ, so the program's output is not deterministic:")
            print(report, end="")
            return 1
        print(f"native run is deterministic (exit status {native[2].decode()})")
        return 0

    if not options.litebox:
        parser.error("--litebox is required unless --native-only is given")

    with tempfile.TemporaryDirectory(prefix="litebox-compare-") as work:
        # The sandboxed program gets the same environment as the native one.
        sandbox_command = [options.litebox, "run"]
        if options.interception:
            sandbox_command += ["--interception", options.interception]
        for name, value in ENVIRONMENT.items():
            sandbox_command += ["--env", f"{name}={value}"]
        if options.image_from_rootfs:
            image = os.path.join(work, "root.tar")
            rootfs = (options.rootfs_tool.split() if options.rootfs_tool
                      else [options.litebox, "rootfs"])
            build = rootfs + ["-o", image]
            for include in options.include:
                build += ["--include", include]
            build.append(command[0])
            built = subprocess.run(build, capture_output=True, text=True, check=False,
                                   timeout=options.timeout)
            if built.returncode != 0:
                print(f"building the image failed ({' '.join(build)}):\n{built.stderr}")
                return 1
            sandbox_command += ["--rootfs", image]
        sandbox_command += ["--"] + command
        sandboxed = run(sandbox_command, options.scratch, options.timeout, options.stdin_chunk)

    report = differences(native, sandboxed, "native", "litebox")
    if report:
        print(f"native and litebox runs differ for: {' '.join(command)}")
        print(report, end="")
        return 1
    print(f"identical stdout, stderr and exit status ({native[2].decode()}): {' '.join(command)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
