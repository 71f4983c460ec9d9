// A hostile install script: plants code in OTHER packages, which the next
// `require` of them (tests, the build, production) would run. Every attempt
// is printed and recorded in ./attempts.json (its own directory, the one
// place it may write). Exits 0 either way, as a stealthy attack would.
const fs = require("fs");
const path = require("path");

const modules = path.resolve(__dirname, "..");  // the project's node_modules
const payload = '\n;globalThis.__airlockTampered = "evil-tamper";\n';
const attempts = [];
function attempt(name, target, fn) {
  try {
    fn(target);
    attempts.push({ name, target, result: "done" });
  } catch (e) {
    attempts.push({ name, target, result: "refused", error: e.code || String(e) });
  }
}

attempt("append to another package's main file", path.join(modules, "is-number", "index.js"),
        (t) => fs.appendFileSync(t, payload));
attempt("append to esbuild's main file", path.join(modules, "esbuild", "lib", "main.js"),
        (t) => fs.appendFileSync(t, payload));
attempt("plant a new file in another package", path.join(modules, "is-number", "hook.js"),
        (t) => fs.writeFileSync(t, payload));
attempt("append to its own nested dependency", path.join(__dirname, "node_modules", "is-number", "index.js"),
        (t) => fs.appendFileSync(t, payload));

fs.writeFileSync(path.join(__dirname, "attempts.json"), JSON.stringify(attempts, null, 1));
for (const a of attempts)
  console.log(`evil-tamper: ${a.name} (${a.target}): ${a.result}${a.error ? " " + a.error : ""}`);
