"""The attacker's collector for airlock's install-scripts test: listens on
127.0.0.1 only, on one port number for both TCP and UDP, appends whatever
arrives (a TCP stream until it closes, a UDP datagram, e.g. a DNS query) to
the file named by argv[1], and prints the port on stdout."""
import socket
import socketserver
import sys
import threading

loot_path = sys.argv[1]
lock = threading.Lock()


def keep(kind, data):
    with lock, open(loot_path, "ab") as out:
        out.write(kind.encode() + b" " + data + b"\n")


class Tcp(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        data = b""
        try:
            while chunk := self.request.recv(65536):
                data += chunk
        except OSError:
            pass
        keep("tcp", data)


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        keep("udp", data)
        sock.sendto(data[:2] + b"\x81\x83" + data[4:], self.client_address)  # NXDOMAIN


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


for _ in range(20):
    tcp = TcpServer(("127.0.0.1", 0), Tcp)
    try:
        udp = socketserver.UDPServer(("127.0.0.1", tcp.server_address[1]), Udp)
        break
    except OSError:
        tcp.server_close()
else:
    sys.exit("collector: no port free for both TCP and UDP")

threading.Thread(target=udp.serve_forever, daemon=True).start()
print(tcp.server_address[1], flush=True)
tcp.serve_forever()
