#!/usr/bin/env python3
"""Probes of the gateway's handoff, run inside the sandbox. Each argument is
one probe; one line "PROBE => RESULT" is printed per probe.

  blocking HOST PORT      a blocking connect(): "ok <greeting> peer=<address>"
  nonblocking HOST PORT   EINPROGRESS, wait, SO_ERROR, then connect() twice more
  epoll_first HOST PORT   registered with epoll before connect(): still served
  options HOST PORT       options set before connect() are there after it
  cloexec HOST PORT       FD_CLOEXEC kept: "<with> <without>"
  disconnect HOST PORT    connect, AF_UNSPEC, then connect to DENIED_HOST:PORT
  fastopen HOST PORT      sendto(MSG_FASTOPEN)
  race HOST PORT DENIED   threads swap a handed-over socket and a unix socket
                          under one descriptor number, and the address under
                          one buffer, while another connect()s it to DENIED
  shutdown_listen HOST PORT LPORT  shutdown() a handed-over socket while it
                          connects, then bind and listen on it
  hang                    race O_NONBLOCK against the supervisor's connect()
  alarm HOST PORT         a timer signal during a blocking connect() that times out
  relisten                listen() again on a socket-activated listener (fd 3)
  lowport                 bind ports 81 (AF_INET), 82 (AF_UNSPEC) and 8081
  unix                    a unix socket server and client inside
  local                   a TCP server and client on the sandbox's loopback
"""
import ctypes
import errno
import os
import select
import socket
import sys
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)


def err(e):
    code = getattr(e, "errno", None)
    return f"error {errno.errorcode.get(code, str(e))}"


def name(code):
    return "0" if code == 0 else errno.errorcode.get(code, str(code))


def sockaddr_in(host, port):
    packed = socket.inet_aton(host)
    return (ctypes.c_ubyte * 16)(*(bytes([socket.AF_INET, 0]) + port.to_bytes(2, "big") + packed + bytes(8)))


def raw_connect(fd, address, length=16):
    rc = libc.connect(fd, ctypes.byref(address), length)
    return 0 if rc == 0 else ctypes.get_errno()


def greeting(s):
    """The server's first line (it greets, then echoes)."""
    s.sendall(b"ping\n")
    line = s.makefile("rb").readline().decode(errors="replace").strip()
    return line or "EOF"


def blocking(host, port):
    try:
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        s.close()
        s = socket.socket(infos[0][0], socket.SOCK_STREAM)
        s.connect(infos[0][4])  # blocking: no timeout set
        peer = s.getpeername()
        return f"ok {greeting(s)} peer={peer[0]}:{peer[1]}"
    except OSError as e:
        return err(e)


def nonblocking(host, port):
    address = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0][4]
    s = socket.socket()
    s.setblocking(False)
    first = s.connect_ex(address)
    select.select([], [s], [], 5)
    pending = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    again = s.connect_ex(address)
    third = s.connect_ex(address)
    return f"{name(first)} so_error={name(pending)} {name(again)} {name(third)}"


def epoll_first(host, port):
    """An event loop that registers the socket before connect() (Netty's
    epoll transport does): it must still hear of the connection."""
    s = socket.socket()
    s.setblocking(False)
    loop = select.epoll()
    loop.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN)
    first = s.connect_ex((host, int(port)))
    events = loop.poll(5)
    if not events:
        return f"{name(first)} no event: hangs"
    loop.modify(s.fileno(), select.EPOLLIN)
    s.send(b"ping\n")
    if not loop.poll(5):
        return f"{name(first)} no data event: hangs"
    return f"{name(first)} ok {s.recv(100).decode().splitlines()[0]}"


def options(host, port):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 77)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    # TCP_SYNCNT shares its number with SO_SNDBUF (7) at another level.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 3)
    s.connect(socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0][4])
    got = (s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
           s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0,
           s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
           s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
           s.getsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT))
    peer = s.getpeername()
    return f"nodelay={got[0]} keepalive={got[1]} keepidle={got[2]} sndbuf={got[3]} syncnt={got[4]} peer={peer[0]}"


def cloexec(host, port):
    import fcntl
    address = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0][4]
    out = []
    for flag in (socket.SOCK_CLOEXEC, 0):
        fd = socket.socket(socket.AF_INET, socket.SOCK_STREAM | flag).detach()
        s = socket.socket(fileno=fd)
        if flag == 0:
            fcntl.fcntl(fd, fcntl.F_SETFD, 0)  # Python makes every socket close-on-exec
        s.connect(address)
        out.append("cloexec" if fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC else "inherit")
        s.close()
    return " ".join(out)


def disconnect(host, port, denied):
    s = socket.socket()
    s.connect((host, int(port)))
    unspec = (ctypes.c_ubyte * 16)(*bytes(16))
    first = raw_connect(s.fileno(), unspec)
    second = raw_connect(s.fileno(), sockaddr_in(denied, int(port)))
    return f"unspec={name(first)} then={name(second)}"


def fastopen(host, port):
    s = socket.socket()
    try:
        s.sendto(b"x", socket.MSG_FASTOPEN, (host, int(port)))
        return "ok sent"
    except OSError as e:
        return err(e)


def race(host, port, denied, seconds=3.0):
    """The attack the handoff must survive: a descriptor number that is a
    unix socket when the supervisor looks and a handed-over (host) socket
    when the kernel runs the call, with an address that changes too."""
    handed = socket.create_connection((host, int(port)))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slot = os.dup(unix.fileno())
    address = sockaddr_in(denied, int(port))
    families = [socket.AF_UNIX, socket.AF_UNSPEC, socket.AF_INET]
    stop = time.monotonic() + seconds
    outcomes = {}

    def swap_descriptor():
        while time.monotonic() < stop:
            libc.dup2(handed.fileno(), slot)
            libc.dup2(unix.fileno(), slot)

    def swap_family():
        i = 0
        while time.monotonic() < stop:
            address[0] = families[i % 3]
            i += 1

    threads = [threading.Thread(target=swap_descriptor), threading.Thread(target=swap_family)]
    for t in threads:
        t.start()
    peer = (ctypes.c_ubyte * 128)()
    peer_length = ctypes.c_uint32(128)
    while time.monotonic() < stop:
        code = raw_connect(slot, address)
        outcome = name(code)
        if code == 0:
            # 0 is a disconnect (AF_UNSPEC) the kernel ran, or a unix
            # connect; a connection to DENIED would show as the peer.
            peer_length.value = 128
            if libc.getpeername(slot, ctypes.byref(peer), ctypes.byref(peer_length)) == 0 and \
                    bytes(peer[4:8]) == socket.inet_aton(denied):
                outcome = "ESCAPED"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    for t in threads:
        t.join()
    # Whatever the race did to the handed-over socket, it cannot listen.
    try:
        handed.listen(5)
        listened = "listen=0"
    except OSError as e:
        listened = f"listen={errno.errorcode.get(e.errno, e.errno)}"
    return "outcomes " + " ".join(f"{k}:{v}" for k, v in sorted(outcomes.items())) + " " + listened


def shutdown_listen(host, port, listen_port):
    """A handed-over socket still connecting (SYN_SENT) is undone by
    shutdown(); it must not then listen on the host."""
    s = socket.socket()
    s.setblocking(False)
    first = s.connect_ex((host, int(port)))
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    out = [name(first)]
    for what, act in (("bind", lambda: s.bind(("0.0.0.0", int(listen_port)))), ("listen", lambda: s.listen(5))):
        try:
            act()
            out.append(f"{what}=0")
        except OSError as e:
            out.append(f"{what}={errno.errorcode.get(e.errno, e.errno)}")
    return " ".join(out)


def alarm(host, port):
    """A signal while a blocking connect() waits (a timer): the call still
    ends as the connection does, and the handler runs."""
    import signal
    seen = []
    signal.signal(signal.SIGALRM, lambda *_: seen.append(1))
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)  # give up after about 3 s
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        s.connect((host, int(port)))
        result = "connected"
    except OSError as e:
        result = err(e)
    return f"{result} signal={'yes' if seen else 'no'}"


def hang(attempts=40):
    """Another thread clears O_NONBLOCK while the supervisor connects the
    command's socket to a server whose queue is full (SYNs dropped): the
    supervisor must stay responsive."""
    import fcntl
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    fillers = []
    for _ in range(2):
        f = socket.socket()
        f.setblocking(False)
        f.connect_ex(full.getsockname())
        fillers.append(f)
    alive = socket.socket()
    alive.bind(("127.0.0.1", 0))
    alive.listen(100)

    def answers():
        p = socket.socket()
        p.settimeout(3)
        try:
            p.connect(alive.getsockname())
            return True
        except OSError:
            return False
        finally:
            p.close()

    keep = []
    for i in range(attempts):
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 127)
        fd = s.fileno()
        stop = []

        def flip():
            while not stop:
                fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)
                fcntl.fcntl(fd, fcntl.F_SETFL, 0)

        def connect():
            try:
                s.connect(full.getsockname())
            except OSError:
                pass

        threading.Thread(target=flip, daemon=True).start()
        threading.Thread(target=connect, daemon=True).start()
        time.sleep(0.05)
        stop.append(1)
        keep.append(s)
        if not answers():
            return f"stuck after {i + 1} attempts"
    return f"answering after {attempts} attempts"


def relisten():
    """A listening socket passed in (socket activation, fd 3) is the host's;
    listen() on it again (Node's server.listen({fd: 3}) does) only sets
    its backlog, and must work."""
    s = socket.socket(fileno=3)
    s.listen(16)
    return f"ok listening on {s.getsockname()[1]}"


def lowport():
    """Ports below 1024 need CAP_NET_BIND_SERVICE, which the command does
    not hold: the supervisor binds for it, and must say no, whatever the
    address family says (an IPv4 socket binds AF_UNSPEC 0.0.0.0 too)."""
    out = []
    for family, port in ((socket.AF_INET, 81), (socket.AF_UNSPEC, 82), (socket.AF_INET, 8081)):
        s = socket.socket()
        raw = (ctypes.c_ubyte * 16)(*(bytes([family, 0]) + port.to_bytes(2, "big") + bytes(12)))
        rc = libc.bind(s.fileno(), ctypes.byref(raw), 16)
        out.append(f"{port}={name(0 if rc == 0 else ctypes.get_errno())}")
        s.close()
    return " ".join(out)


def unix():
    path = "/tmp/handoff-probe.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    client = socket.socket(socket.AF_UNIX)
    client.connect(path)
    conn, _ = server.accept()
    conn.sendall(b"unix hello\n")
    return "ok " + client.recv(100).decode().strip()


def local():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    client.connect(server.getsockname())
    conn, _ = server.accept()
    conn.sendall(b"local hello\n")
    return "ok " + client.recv(100).decode().strip()


PROBES = {"blocking": blocking, "nonblocking": nonblocking, "epoll_first": epoll_first, "options": options, "cloexec": cloexec,
          "disconnect": disconnect, "fastopen": fastopen, "race": race, "unix": unix, "local": local,
          "shutdown_listen": shutdown_listen, "hang": hang, "alarm": alarm, "relisten": relisten,
          "lowport": lowport}

for probe in sys.argv[1:]:
    words = probe.split()
    try:
        result = PROBES[words[0]](*words[1:])
    except OSError as e:
        result = err(e)
    print(f"{probe} => {result}", flush=True)
