#!/usr/bin/python3
"""The host services the escape probes try to reach (test_escapes.sh).

    listeners.py LOG READY SPEC...

SPEC is one of
    tcp:NAME:ADDRESS:PORT     a TCP listener (PORT 0: any free port)
    udp:NAME:ADDRESS:PORT     a UDP service that answers every datagram
    abstract:NAME:SOCKNAME    a listener on the abstract unix socket @SOCKNAME
    unix:NAME:PATH:UID        a listener on the socket file PATH, owned by UID, mode 0600
ADDRESS may be an IPv6 address in brackets. Every connection and datagram
is answered ("hello from NAME") and logged to LOG as one line, "NAME
<what the caller sent first>", so that the test can tell whether a caller
inside a sandbox got through. READY receives "NAME PORT" per listener and
then "ready". Runs until killed; socket files it made are removed at exit.
"""
import os
import select
import signal
import socket
import sys


def parse_address(text):
    if text.startswith("["):
        return socket.AF_INET6, text[1:-1]
    return socket.AF_INET, text


def open_listener(spec):
    kind, name, rest = spec.split(":", 2)
    if kind in ("tcp", "udp"):
        address, port = rest.rsplit(":", 1)
        family, host = parse_address(address)
        sock = socket.socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, int(port)))
    elif kind == "abstract":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind("\0" + rest)
    elif kind == "unix":
        path, uid = rest.rsplit(":", 1)
        if os.path.lexists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
        os.chown(path, int(uid), int(uid))
        os.chmod(path, 0o600)
        made_files.append(path)
    else:
        raise SystemExit("unknown listener kind: " + spec)
    if sock.type == socket.SOCK_STREAM:
        sock.listen(64)
    port = sock.getsockname()[1] if kind in ("tcp", "udp") else 0
    return name, kind, sock, port


def first_line(data):
    return data.decode("utf-8", "replace").splitlines()[0] if data.strip() else "(nothing sent)"


def serve_connection(name, listener, log):
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(1.0)
        try:
            data = conn.recv(512)
        except OSError:
            data = b""
        log.write(f"{name} {first_line(data)}\n")
        log.flush()
        try:
            conn.sendall(f"hello from {name}\n".encode())
        except OSError:
            pass


def serve_datagram(name, sock, log):
    data, peer = sock.recvfrom(2048)
    # DNS queries carry their name in wire format; printable bytes suffice.
    text = "".join(chr(b) if 32 < b < 127 else "." for b in data)
    log.write(f"{name} {text}\n")
    log.flush()
    sock.sendto(b"hello from " + name.encode() + b"\n", peer)


made_files = []


def main():
    log_path, ready_path, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        listeners = [open_listener(spec) for spec in specs]
        with open(ready_path + ".tmp", "w") as ready:
            for name, _, _, port in listeners:
                ready.write(f"{name} {port}\n")
            ready.write("ready\n")
        os.rename(ready_path + ".tmp", ready_path)
        by_fd = {sock.fileno(): (name, kind, sock) for name, kind, sock, _ in listeners}
        with open(log_path, "a") as log:
            while True:
                for fd in select.select(list(by_fd), [], [])[0]:
                    name, kind, sock = by_fd[fd]
                    if kind == "udp":
                        serve_datagram(name, sock, log)
                    else:
                        serve_connection(name, sock, log)
    finally:
        for path in made_files:
            try:
                os.unlink(path)
            except OSError:
                pass


if __name__ == "__main__":
    main()
