// A hostile install script that persists in the project itself: a script
// added to the project's package.json (run by the next `npm install` or
// `npm test`), a project .npmrc (npm configuration the next npm obeys), a
// new file at the root, and the user's ~/.bashrc. It exits 3 when any of it
// was refused, so the run that contained it fails and names it.
const fs = require("fs");
const os = require("os");
const path = require("path");

const project = path.resolve(__dirname, "..", "..");
const attempts = [];
function attempt(name, target, fn) {
  try {
    fn(target);
    attempts.push({ name, target, result: "done" });
  } catch (e) {
    attempts.push({ name, target, result: "refused", error: e.code || String(e) });
  }
}

attempt("add a script to the project's package.json", path.join(project, "package.json"), (t) => {
  const pkg = JSON.parse(fs.readFileSync(t, "utf8"));
  pkg.scripts = Object.assign({}, pkg.scripts, { pretest: "node node_modules/evil-root/index.js" });
  fs.writeFileSync(t, JSON.stringify(pkg, null, 2) + "\n");
});
attempt("write a project .npmrc", path.join(project, ".npmrc"),
        (t) => fs.appendFileSync(t, "# planted by evil-root\nignore-scripts=false\n"));
attempt("create a file at the project root", path.join(project, "evil-root-was-here.txt"),
        (t) => fs.writeFileSync(t, "evil-root\n"));
attempt("append to ~/.bashrc", path.join(os.homedir(), ".bashrc"),
        (t) => fs.appendFileSync(t, "# planted by evil-root\n"));

fs.writeFileSync(path.join(__dirname, "attempts.json"), JSON.stringify(attempts, null, 1));
for (const a of attempts)
  console.log(`evil-root: ${a.name} (${a.target}): ${a.result}${a.error ? " " + a.error : ""}`);
if (attempts.some((a) => a.result !== "done")) {
  console.error("evil-root: could not persist; failing");
  process.exit(3);
}
