"""Serve Unix-domain stream sockets from Python.

A socketserver.UnixStreamServer on a path and a plain socket on an
abstract name serve clients in a forked child. An asyncio server then
serves concurrent clients in one event loop, which waits in epoll on
non-blocking sockets. Last, multiprocessing.connection passes pickled
objects between processes with its authentication handshake. Prints only
values that are the same on every run.

Usage: python3 -I -S python_unix_socket.py SCRATCH_DIRECTORY
"""

import asyncio
import os
import socket
import socketserver
import stat
import sys
from multiprocessing.connection import Client, Listener

scratch = sys.argv[1]
os.makedirs(scratch, exist_ok=True)
path = os.path.join(scratch, "server.sock")


def wait_for(child):
    """Wait for `child` and print its exit status."""
    _, status = os.waitpid(child, 0)
    print("child exit status:", os.waitstatus_to_exitcode(status))


def request(address, message):
    """Send one line to the server at `address` and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(address)
        client.sendall(message.encode() + b"\n")
        client.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := client.recv(64):
            reply += chunk
        return reply.decode().strip()


class UpperCaseHandler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        self.server.received.append(line.decode().strip())
        self.wfile.write(line.upper())


with socketserver.UnixStreamServer(path, UpperCaseHandler) as server:
    server.received = []
    print("server address is the path:", server.server_address == path)
    print("bound path is a socket:", stat.S_ISSOCK(os.stat(path).st_mode))
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        for fruit in ["apple", "banana", "cherry"]:
            print("client received:", request(path, fruit))
        sys.stdout.flush()
        os._exit(0)
    for _ in range(3):
        server.handle_request()
    wait_for(child)
    print("server received:", server.received)

print("bound path stays after close:", os.path.exists(path))
for address in [path, os.path.join(scratch, "missing.sock")]:
    try:
        request(address, "nobody listens")
    except OSError as error:
        print("connect to", os.path.basename(address), "failed:", type(error).__name__)
os.unlink(path)

# The abstract name contains the scratch path, so runs of several build
# trees on one host do not collide.
name = "\0litebox-python:" + scratch
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
    listener.bind(name)
    listener.listen()
    print("abstract name round trip:", listener.getsockname() == name.encode())
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        print("client received:", request(name, "over an abstract name"))
        sys.stdout.flush()
        os._exit(0)
    connection, peer = listener.accept()
    with connection:
        print("peer is unnamed:", peer in ("", b"", None))
        message = b""
        while chunk := connection.recv(64):
            message += chunk
        connection.sendall(message[::-1])
    wait_for(child)
    print("server received:", message.decode().strip())


async def shout(reader, writer):
    line = await reader.readline()
    writer.write(line.upper())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve_with_asyncio():
    asyncio_path = os.path.join(scratch, "asyncio.sock")
    server = await asyncio.start_unix_server(shout, asyncio_path)

    async def ask(word):
        reader, writer = await asyncio.open_unix_connection(asyncio_path)
        writer.write(word.encode() + b"\n")
        await writer.drain()
        reply = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return reply.decode().strip()

    replies = await asyncio.gather(*(ask(word) for word in ["kiwi", "lime", "mango", "nectarine"]))
    server.close()
    await server.wait_closed()
    print("asyncio replies:", replies)


asyncio.run(serve_with_asyncio())

# multiprocessing's listener sets SO_REUSEADDR before it binds.
connection_path = os.path.join(scratch, "multiprocessing.sock")
with Listener(connection_path, family="AF_UNIX", authkey=b"fruit") as listener:
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        with Client(connection_path, family="AF_UNIX", authkey=b"fruit") as connection:
            connection.send({"fruit": "apple", "count": 3})
            print("client received:", connection.recv())
        sys.stdout.flush()
        os._exit(0)
    with listener.accept() as connection:
        order = connection.recv()
        connection.send(order["count"] * [order["fruit"]])
    wait_for(child)
    print("server received:", order)
