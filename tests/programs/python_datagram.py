"""Use datagram sockets and descriptor passing from Python.

A UDP server and client on 127.0.0.1, a Unix datagram socket pair, a Unix
datagram server on a path, asyncio datagram endpoints that echo over UDP,
and socket.send_fds and multiprocessing.reduction passing a pipe over
Unix sockets. Prints only values that are the same on every run, never a
port.

Usage: python3 -I -S python_datagram.py SCRATCH_DIRECTORY
"""

import asyncio
import os
import socket
import sys
from multiprocessing import reduction

scratch = sys.argv[1]
os.makedirs(scratch, exist_ok=True)


def udp_round_trip():
    """Send one datagram each way between two UDP sockets."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(5)
    client.sendto(b"question", server.getsockname())
    data, address = server.recvfrom(100)
    print("server received:", data, "from", address[0])
    print("sender port is the client's:", address[1] == client.getsockname()[1])
    server.sendto(b"answer", address)
    print("client received:", client.recvfrom(100)[0])
    client.sendto(b"x" * 50, server.getsockname())
    print("truncated to 10 bytes:", server.recv(10))
    client.close()
    server.close()


def unix_pair():
    """Keep message boundaries on a socketpair(AF_UNIX, SOCK_DGRAM)."""
    first, second = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for message in (b"one", b"two", b"three"):
        first.send(message)
    print("pair received:", [second.recv(100) for _ in range(3)])
    print("pair type is SOCK_DGRAM:", second.type == socket.SOCK_DGRAM)
    first.close()
    second.close()


def unix_named():
    """Report the sender's path to a Unix datagram server."""
    server_path = os.path.join(scratch, "server.sock")
    client_path = os.path.join(scratch, "client.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(server_path)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    client.bind(client_path)
    client.sendto(b"hello", server_path)
    data, address = server.recvfrom(100)
    print("unix server received:", data, "from client path:", address == client_path)
    client.close()
    server.close()


class Echo(asyncio.DatagramProtocol):
    """Send every datagram back in upper case."""

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, address):
        self.transport.sendto(data.upper(), address)


class Ask(asyncio.DatagramProtocol):
    """Send one datagram and resolve `reply` with the datagram that comes back."""

    def __init__(self, reply):
        self.reply = reply

    def connection_made(self, transport):
        transport.sendto(b"ping")

    def datagram_received(self, data, address):
        self.reply.set_result(data)


async def asyncio_echo():
    """Echo over asyncio datagram endpoints."""
    loop = asyncio.get_running_loop()
    server, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    port = server.get_extra_info("sockname")[1]
    reply = loop.create_future()
    client, _ = await loop.create_datagram_endpoint(
        lambda: Ask(reply), remote_addr=("127.0.0.1", port))
    print("asyncio reply:", await asyncio.wait_for(reply, 5))
    client.close()
    server.close()


def pass_descriptors():
    """Pass a pipe's write end over Unix sockets and write through it."""
    read_end, write_end = os.pipe()
    first, second = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    socket.send_fds(first, [b"pipe"], [write_end])
    data, descriptors, flags, _ = socket.recv_fds(second, 100, 4)
    print("recv_fds:", data, len(descriptors), "descriptor, flags", flags)
    os.write(descriptors[0], b"through a passed descriptor")
    os.close(descriptors[0])
    print("pipe read:", os.read(read_end, 100))

    stream_first, stream_second = socket.socketpair()
    reduction.send_handle(stream_first, write_end, os.getpid())
    handle = reduction.recv_handle(stream_second)
    os.write(handle, b"through multiprocessing.reduction")
    os.close(handle)
    print("pipe read:", os.read(read_end, 100))
    for closing in (first, second, stream_first, stream_second):
        closing.close()
    os.close(read_end)
    os.close(write_end)


udp_round_trip()
unix_pair()
unix_named()
asyncio.run(asyncio_echo())
pass_descriptors()
