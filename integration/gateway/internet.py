#!/usr/bin/env python3
"""The test's own "internet", run inside a network namespace the test created.

  internet.py LOGDIR DNS_TABLE TCP_SPECS... [--udp UDP_SPECS...]

TCP servers (ADDR:PORT, IPv6 as [ADDR]:PORT) send "hello ADDR:PORT\\n", then
echo what they receive until EOF, then close; each accepted connection is
appended to LOGDIR/tcp.log. UDP sinks append every datagram to
LOGDIR/udp.log. A DNS responder on 127.0.0.1:53 (UDP and TCP) answers A
queries from DNS_TABLE ("name=addr,name=addr", "*.suffix" allowed), AAAA
with no data, everything else NXDOMAIN, and appends "NAME TYPE" for every
query to LOGDIR/dns.log, so the test can count what reached "upstream".
Writes LOGDIR/ready when every socket is bound.
"""
import os
import socket
import struct
import sys
import threading


def parse(spec):
    host, port = spec.rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, host, int(port)


def append(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def tcp_server(logdir, spec):
    family, host, port = parse(spec)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(128)

    def serve(conn, peer):
        append(os.path.join(logdir, "tcp.log"), f"{spec} from {peer[0]}")
        try:
            conn.sendall(f"hello {spec}\n".encode())
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    def loop():
        while True:
            conn, peer = s.accept()
            threading.Thread(target=serve, args=(conn, peer), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def udp_sink(logdir, spec):
    family, host, port = parse(spec)
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, port))

    def loop():
        while True:
            data, peer = s.recvfrom(65536)
            append(os.path.join(logdir, "udp.log"), f"{spec} from {peer[0]}: {data!r}")

    threading.Thread(target=loop, daemon=True).start()


def lookup(table, name):
    if name in table:
        return table[name]
    for key, value in table.items():
        if key.startswith("*.") and name.endswith(key[1:]):
            return value
    return None


def dns_answer(table, logdir, query):
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    labels, pos = [], 12
    while pos < len(query) and query[pos] != 0:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += 1 + n
    qtype, _qclass = struct.unpack("!HH", query[pos + 1:pos + 5])
    question = query[12:pos + 5]
    name = ".".join(labels).lower()
    append(os.path.join(logdir, "dns.log"), f"{name} {qtype}")
    address = lookup(table, name)
    rd = flags & 0x0100
    if address is None:
        return struct.pack("!HHHHHH", qid, 0x8000 | rd | 0x0080 | 3, 1, 0, 0, 0) + question
    answers = b""
    count = 0
    if qtype == 1:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton(address)
        count = 1
    return struct.pack("!HHHHHH", qid, 0x8400 | rd | 0x0080, 1, count, 0, 0) + question + answers


def dns_server(logdir, table):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 53))
    tcp.listen(16)

    def udp_loop():
        while True:
            data, peer = udp.recvfrom(4096)
            reply = dns_answer(table, logdir, data)
            if reply:
                udp.sendto(reply, peer)

    def tcp_loop():
        while True:
            conn, _ = tcp.accept()
            try:
                length = struct.unpack("!H", conn.recv(2))[0]
                reply = dns_answer(table, logdir, conn.recv(length))
                if reply:
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except (OSError, struct.error):
                pass
            conn.close()

    threading.Thread(target=udp_loop, daemon=True).start()
    threading.Thread(target=tcp_loop, daemon=True).start()


def main():
    logdir, table_text = sys.argv[1], sys.argv[2]
    table = dict(item.split("=", 1) for item in table_text.split(",") if item)
    specs, udp = sys.argv[3:], []
    if "--udp" in specs:
        i = specs.index("--udp")
        specs, udp = specs[:i], specs[i + 1:]
    for spec in specs:
        tcp_server(logdir, spec)
    for spec in udp:
        udp_sink(logdir, spec)
    dns_server(logdir, table)
    open(os.path.join(logdir, "ready"), "w").close()
    threading.Event().wait()


if __name__ == "__main__":
    main()
