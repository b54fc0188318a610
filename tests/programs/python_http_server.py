"""Serve HTTP over loopback TCP from Python and fetch it with urllib.

A ThreadingHTTPServer listens on 127.0.0.1 with a port from port 0 and
serves from a thread; urllib.request fetches a page and a missing path.
A forked child then fetches over a second connection. Prints only values
that are the same on every run, never the port.

Usage: python3 -I -S python_http_server.py
"""

import http.server
import os
import sys
import threading
import urllib.error
import urllib.request


class FruitHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/fruit":
            self.send_error(404, "no such fruit")
            return
        body = b"apple banana cherry\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def fetch(url):
    """Print the status and body of `url`, or the HTTP error."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            print("status:", response.status, "body:", response.read().decode().strip())
    except urllib.error.HTTPError as error:
        # Reading the error page before the connection closes keeps the
        # server from writing to a closed connection, which differs from
        # Linux in the sandbox (see docs/compatibility.md, sockets).
        error.read()
        print("status:", error.code, "reason:", error.reason)


with http.server.ThreadingHTTPServer(("127.0.0.1", 0), FruitHandler) as server:
    host, port = server.server_address
    print("server host:", host)
    print("port is ephemeral:", 32768 <= port <= 60999)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    base = f"http://127.0.0.1:{port}"
    fetch(base + "/fruit")
    fetch(base + "/vegetable")

    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        fetch(base + "/fruit")
        sys.stdout.flush()
        os._exit(0)
    _, status = os.waitpid(child, 0)
    print("child exit status:", os.waitstatus_to_exitcode(status))

    server.shutdown()
    thread.join()
