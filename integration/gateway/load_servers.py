#!/usr/bin/env python3
"""Upstream servers for test_faults_gateway.sh, run in the test's own
network namespace. One thread, one selector, any number of connections.

  load_servers.py READY_FILE ADDR BASE_PORT

  BASE_PORT     echo: answers every byte with itself, until EOF
  BASE_PORT+1   stall: accepts, reads and never answers
  BASE_PORT+2   flood: writes without end, never reads
  BASE_PORT+3   reset: accepts and resets at once (SO_LINGER 0)

Writes READY_FILE when every socket listens; prints nothing else.
"""
import resource
import selectors
import socket
import struct
import sys


def main():
    ready, addr, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    modes = ["echo", "stall", "flood", "reset"]
    for i, mode in enumerate(modes):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, base + i))
        s.listen(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("listen", mode))
    with open(ready, "w") as f:
        f.write("ready\n")
    chunk = b"f" * 65536
    while True:
        for key, events in sel.select():
            kind, mode = key.data
            sock = key.fileobj
            if kind == "listen":
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                conn.setblocking(False)
                if mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                elif mode == "stall":
                    sel.register(conn, selectors.EVENT_READ, ("stall", mode))
                elif mode == "flood":
                    sel.register(conn, selectors.EVENT_WRITE, ("flood", mode))
                else:
                    sel.register(conn, selectors.EVENT_READ, ("echo", mode))
            elif kind in ("echo", "stall"):
                try:
                    data = sock.recv(65536)
                    if data:
                        if kind == "echo":
                            sock.sendall(data)  # small messages: the buffer has room
                        continue
                except OSError:
                    pass
                sel.unregister(sock)
                sock.close()
            elif kind == "flood":
                try:
                    sock.send(chunk)
                except BlockingIOError:
                    pass
                except OSError:
                    sel.unregister(sock)
                    sock.close()


if __name__ == "__main__":
    main()
