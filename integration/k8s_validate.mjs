// Validates Kubernetes objects (a JSON array, as yaml.safe_load_all gives)
// against the API's schemas, offline: the kubernetes-models package from the
// npm registry (packaging/deps.sh installs it). Prints "valid KIND NAME" or
// "INVALID KIND NAME: why" per object; exit status 1 if any is invalid.
// Usage: node k8s_validate.mjs MODELS_DIR FILE.json
import fs from "fs";
import path from "path";
import { pathToFileURL } from "url";

const [modelsDir, file] = process.argv.slice(2);
const entry = (sub) => pathToFileURL(path.join(modelsDir, "node_modules", "kubernetes-models", sub, "index.js")).href;
const core = await import(entry("v1"));
const apps = await import(entry("apps/v1"));
const kinds = { "v1": core, "apps/v1": apps };

for (const doc of JSON.parse(fs.readFileSync(file, "utf8"))) {
  if (!doc) continue;
  const what = `${doc.kind} ${doc.metadata?.name ?? "(unnamed)"}`;
  const Model = kinds[doc.apiVersion]?.[doc.kind];
  if (!Model) {
    console.log(`INVALID ${what}: no schema for apiVersion ${doc.apiVersion} kind ${doc.kind}`);
    process.exitCode = 1;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`valid ${what}`);
  } catch (e) {
    console.log(`INVALID ${what}: ${e.message}`);
    process.exitCode = 1;
  }
}
