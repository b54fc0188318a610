"""A child on a pseudo-terminal through Python's pty and tty modules.

pty.fork() starts a child whose standard streams are the replica and whose
session the terminal controls. The parent answers its prompt and reads
everything up to the EIO that follows the child's exit. os.openpty() and
tty.setraw() then show the replica's settings in raw mode.
"""
import os
import pty
import sys
import termios
import tty

pid, primary = pty.fork()
if pid == 0:
    print("child", os.isatty(0), os.ttyname(0).startswith("/dev/pts/"),
          os.getsid(0) == os.getpid())
    print("foreground", os.tcgetpgrp(0) == os.getpid())
    line = input("name? ")
    print("hello", line)
    sys.stdout.flush()
    os._exit(3)

output = b""
while not output.endswith(b"name? "):
    output += os.read(primary, 1024)
os.write(primary, b"world\r")
while True:
    try:
        chunk = os.read(primary, 1024)
    except OSError as error:
        output += ("<%s>" % error.strerror).encode()
        break
    if not chunk:
        break
    output += chunk
_, status = os.waitpid(pid, 0)
print(repr(output), os.waitstatus_to_exitcode(status))

primary, replica = os.openpty()
print("replica is a terminal", os.isatty(replica))
settings = termios.tcgetattr(replica)
print("canonical", bool(settings[3] & termios.ICANON), "echo", bool(settings[3] & termios.ECHO))
tty.setraw(replica)
settings = termios.tcgetattr(replica)
print("raw: canonical", bool(settings[3] & termios.ICANON), "echo",
      bool(settings[3] & termios.ECHO), "opost", bool(settings[1] & termios.OPOST))
os.write(primary, b"a\x03b\r")
print("replica read", os.read(replica, 16))
os.write(replica, b"out\n")
print("primary read", os.read(primary, 16))
os.close(replica)
try:
    os.read(primary, 16)
except OSError as error:
    print("after the replica's close:", error.strerror)
os.close(primary)
