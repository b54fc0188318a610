"""An interactive shell with job control on a pseudo-terminal.

pty.fork() gives dash a controlling terminal, so `sh -i` turns on job
control: it runs `sleep 100 &` in a process group of its own, stops and
continues it with kill, brings it to the foreground with fg, stops it with
^Z (VSUSP) on the terminal, resumes it with bg and ends it. The script
types each line, reads up to the next prompt and prints the transcript.
"""
import os
import pty
import re
import select
import sys
import time

PROMPT = b"prompt> "


def read_until(primary, marker, timeout=60, collected=b""):
    """Read from `primary` until the output ends with `marker`, after
    `collected`. A timeout raises TimeoutError with what was read as its
    second argument."""
    deadline = time.monotonic() + timeout
    while not collected.endswith(marker):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for %r" % marker, collected)
        ready, _, _ = select.select([primary], [], [], remaining)
        if ready:
            chunk = os.read(primary, 1024)
            if not chunk:
                break
            collected += chunk
    return collected


pid, primary = pty.fork()
if pid == 0:
    os.environ["PS1"] = PROMPT.decode()
    os.execv("/bin/sh", ["/bin/sh", "-i"])

transcript = read_until(primary, PROMPT)
commands = [
    b"sleep 100 &",
    b"jobs",
    b"kill -STOP %1; sleep 0.3; jobs",
    b"kill -CONT %1; sleep 0.3; jobs",
]
for command in commands:
    os.write(primary, command + b"\n")
    transcript += read_until(primary, PROMPT)

# fg waits for the job in the foreground until ^Z stops it. A ^Z that
# comes before the shell has handed the terminal to the job reaches the
# shell, which ignores it, so it is typed again until the prompt returns,
# and the echoes of the extra ones are dropped.
os.write(primary, b"fg %1\n")
transcript += read_until(primary, b"sleep 100\r\n")
suspended = b""
for attempt in range(20):
    time.sleep(0.5)
    os.write(primary, b"\x1a")
    try:
        suspended = read_until(primary, PROMPT, timeout=3, collected=suspended)
        break
    except TimeoutError as error:
        suspended = error.args[1]
transcript += re.sub(rb"(\^Z)+", b"^Z", suspended)
for command in [b"jobs", b"bg %1", b"kill %1; sleep 0.3; jobs", b"exit"]:
    os.write(primary, command + b"\n")
    if command != b"exit":
        transcript += read_until(primary, PROMPT)

_, status = os.waitpid(pid, 0)
sys.stdout.write(transcript.replace(b"\r\n", b"\n").decode())
print("shell exit status", os.waitstatus_to_exitcode(status))
