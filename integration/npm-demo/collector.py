"""The attacker's collection server for airlock's npm demo and tests: accepts
HTTP on 127.0.0.1, appends whatever arrives to the file named by argv[2],
and prints its port on stdout. Only ever listens on loopback."""
import http.server
import sys


class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        with open(sys.argv[2], "ab") as out:
            out.write(body + b"\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Collector)
print(server.server_address[1], flush=True)
server.serve_forever()
