#!/usr/bin/env python3
"""Network probes run inside the sandbox. Each argument is one probe; one
line "PROBE => RESULT" is printed per probe.

  connect HOST PORT   getaddrinfo + connect, send "ping", half-close, read
                      to EOF: "ok <first line>" or "error <ERRNO>"
  resolve NAME        "ok <addresses>" or "error <gai error>"
  udp HOST PORT       send a datagram and wait briefly for an answer
  raw                 open a raw ICMP socket
  dnstcp NAME         an A query over TCP to the stub: "rcode=N answers=N"
  serve PORT          listen on 127.0.0.1:PORT, greet one client, exit
"""
import errno
import socket
import struct
import sys


def err(e):
    if isinstance(e, socket.gaierror):
        return f"error gai:{e.args[1]}"
    if isinstance(e, socket.timeout):
        return "error timeout"
    code = getattr(e, "errno", None)
    return f"error {errno.errorcode.get(code, str(e))}"


def connect(host, port):
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"ping\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        if not data:
            return "error EOF"
        lines = data.decode(errors="replace").splitlines()
        echoed = " +echo" if "ping" in lines[1:] else ""
        return f"ok {lines[0]}{echoed}"
    except OSError as e:
        return err(e)


def resolve(name):
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
        return "ok " + ",".join(sorted({i[4][0] for i in infos}))
    except OSError as e:
        return err(e)


def udp(host, port):
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(b"udp-probe", (host, int(port)))
        s.recvfrom(100)
        return "ok answered"
    except OSError as e:
        return err(e)


def raw():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        return "ok opened"
    except OSError as e:
        return err(e)


def dnstcp(name):
    try:
        question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
        query = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)
        s = socket.create_connection(("127.0.0.53", 53), timeout=5)
        s.sendall(struct.pack("!H", len(query)) + query)
        length = struct.unpack("!H", s.recv(2))[0]
        reply = b""
        while len(reply) < length:
            reply += s.recv(length - len(reply))
        qid, flags, _qd, an = struct.unpack("!HHHH", reply[:8])
        return f"rcode={flags & 0xf} answers={an} id={'ok' if qid == 0x1234 else qid}"
    except OSError as e:
        return err(e)


def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(1)
    s.settimeout(20)
    try:
        conn, _ = s.accept()
        conn.sendall(b"hello from the sandbox\n")
        conn.close()
        return "ok served"
    except OSError as e:
        return err(e)


def main():
    for probe in sys.argv[1:]:
        words = probe.split()
        result = {"connect": connect, "resolve": resolve, "udp": udp, "raw": raw,
                  "dnstcp": dnstcp, "serve": serve}[words[0]](*words[1:])
        print(f"{probe} => {result}", flush=True)


if __name__ == "__main__":
    main()
