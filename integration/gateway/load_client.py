#!/usr/bin/env python3
"""The client of test_faults_gateway.sh, run inside `airlock run`: it loads
the egress gateway with COUNT concurrent connections and with clients that
stall or reset, against load_servers.py's servers.

  load_client.py ADDR BASE_PORT COUNT

It prints a line at each step and waits for a line on stdin before going
on, so that the test can count the supervisor's descriptors in between:
  READY                        nothing opened yet
  OPEN ok=N                    COUNT connections open, N echoed correctly
  FAULTS ...                   stalled and reset clients, and then whether a
                               fresh client and the COUNT held ones are served
  CLOSED                       everything closed
"""
import resource
import socket
import struct
import sys
import time


def dial(addr, port, timeout=20):
    s = socket.create_connection((addr, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset(s):
    """Closes with an RST instead of a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def round_trips(conns, tag):
    """Sends a distinct line on every connection, then reads each back."""
    for i, s in enumerate(conns):
        s.sendall(b"%s %06d\n" % (tag, i))
    ok = 0
    for i, s in enumerate(conns):
        want = b"%s %06d\n" % (tag, i)
        try:
            if read_exact(s, len(want)) == want:
                ok += 1
        except OSError:
            pass
    return ok


def step(line):
    print(line, flush=True)
    sys.stdin.readline()


def main():
    addr, base, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    echo, stall, flood, resetting = base, base + 1, base + 2, base + 3
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    step("READY")
    held = [dial(addr, echo) for _ in range(count)]
    step(f"OPEN ok={round_trips(held, b'open')}")

    idle = [dial(addr, echo) for _ in range(50)]          # connect, then say nothing
    stalled = [dial(addr, stall) for _ in range(50)]      # the server never answers
    for s in stalled:
        s.sendall(b"x")
    unread = [dial(addr, flood) for _ in range(20)]       # the server floods, nobody reads
    for _ in range(200):                                  # reset right after sending
        s = dial(addr, echo)
        s.sendall(b"r\n")
        reset(s)
    for _ in range(50):                                   # reset in the middle of a flood
        s = dial(addr, flood)
        read_exact(s, 1000)
        reset(s)
    upstream_reset = 0
    for _ in range(50):                                   # the server resets
        # The gateway may pass the reset on before connect(2) has returned
        # here (the handshake with its listener is done by then): connect
        # then fails with ECONNRESET, which is the reset arriving too.
        s = None
        try:
            s = dial(addr, resetting, timeout=5)
            s.sendall(b"x")
            if s.recv(1) == b"":
                upstream_reset += 1
        except (ConnectionResetError, BrokenPipeError):
            upstream_reset += 1
        except OSError:
            pass
        if s is not None:
            s.close()
    time.sleep(0.5)  # the unread floods fill every buffer on the way
    start = time.monotonic()
    fresh = dial(addr, echo, timeout=5)
    served = round_trips([fresh], b"fresh")
    took_ms = int((time.monotonic() - start) * 1000)
    fresh.close()
    held_ok = round_trips(held, b"again")
    step(f"FAULTS fresh={served} took_ms={took_ms} held={held_ok} upstream_reset={upstream_reset}")

    for s in held + idle + stalled + unread:
        s.close()
    step("CLOSED")


if __name__ == "__main__":
    main()
