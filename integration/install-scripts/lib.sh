# shellcheck shell=bash disable=SC2034 # FIXTURES, L, RC, OUT, ERR and the checks are for the sourcing script
# Helpers shared by integration/test_install_scripts.sh (npm's layout) and
# test_install_scripts_pnpm.sh (pnpm's): source it after lib.sh and
# core_lib.sh. The callers set WHO (root or nobody), W (the user's working
# directory, for the outputs), P (the project), IS_HOME and, for
# expect_same_tree, BASE (the project's pristine copy).

FIXTURES="$AIRLOCK_SRC/integration/install-scripts"
L="airlock: install-scripts:"
COLLECTORS=()
cleanup() {
  ((${#COLLECTORS[@]})) && kill "${COLLECTORS[@]}" 2>/dev/null
  cleanup_scratch
}
trap cleanup EXIT

# require_install_scripts_tools: what building the fixtures needs, or a skip.
require_install_scripts_tools() {
  require_commands npm node python3 make cc unshare
  [[ -f /usr/include/node/node_api.h && -f /usr/include/node/common.gypi ]] \
    || skip "the system's Node headers (/usr/include/node) are not installed"
  require_full_sandbox
}

# setup_world NAME: setup.sh's world for $WHO in $SCRATCH/NAME-$WHO, its
# collector stopped at exit. Sets W, P (the project), R (an empty directory
# for reports) and setup.sh's IS_* variables.
setup_world() {
  W="$SCRATCH/$1-$WHO"
  mkdir -p "$W"
  chmod 755 "$W"
  eval "$(bash "$FIXTURES/setup.sh" "$W")"
  COLLECTORS+=("$IS_COLLECTOR_PID")
  P=$IS_PROJECT
  R="$W/reports"
  mkdir -p "$R"
}

# has_line TEXT PREFIX: a line of TEXT is PREFIX, or PREFIX and more after a space.
has_line() {
  local line
  while IFS= read -r line; do
    [[ $line == "$2" || $line == "$2 "* ]] && return 0
  done <<<"$1"
  return 1
}
expect_line() {
  if has_line "$2" "$3"; then pass "$1"; else fail "$1: no line [$3] in: $(tail -c 4000 <<<"$2")"; fi
}

# valid REPORT: the report against packaging/install-scripts-report.schema.json.
valid() {
  python3 - "$AIRLOCK_SRC/packaging/install-scripts-report.schema.json" "$1" <<'PY' 2>&1 | tail -1
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
errors = [e.message for e in Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2])))]
print("; ".join(errors) if errors else "valid")
PY
}

# rq REPORT EXPR [ARG...]: EXPR evaluated in Python over the JSON report r,
# with p the packages by name and a the ARGs.
rq() {
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
p = {x["name"]: x for x in r.get("packages", [])} if isinstance(r, dict) else {}
a = sys.argv[3:]
print(eval(sys.argv[2]))' "$@" 2>&1 | tail -1
}

# tree_sums DIR [OWN...]: every entry under DIR (type, mode, SHA-256 or link
# target), less the OWN directories (relative to DIR: a package's own
# directory, node_modules/NAME under npm), whose nested node_modules stay in.
tree_sums() {
  python3 - "$@" <<'PY'
import hashlib, os, stat, sys
root, own = sys.argv[1], sys.argv[2:]
def kept(rel):
    for base in own:
        if rel.startswith(base + "/") and not (rel == base + "/node_modules" or rel.startswith(base + "/node_modules/")):
            return False
    return True
for top, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(dirs + files):
        path = os.path.join(top, name)
        rel = os.path.relpath(path, root)
        if not kept(rel):
            continue
        st = os.lstat(path)
        mode = oct(stat.S_IMODE(st.st_mode))
        if stat.S_ISLNK(st.st_mode):
            print("l", rel, "->", os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            print("d", rel, mode)
        else:
            with open(path, "rb") as f:
                print("f", rel, mode, hashlib.sha256(f.read()).hexdigest())
PY
}
# expect_same_tree WHAT [OWN...]: the project is the pristine copy but in the OWN directories.
expect_same_tree() {
  local what=$1 diff; shift
  diff=$(diff <(tree_sums "$BASE" "$@") <(tree_sums "$P" "$@"))
  if [[ -z $diff ]]; then pass "$what"; else fail "$what: changed: $(head -c 3000 <<<"$diff")"; fi
}

# airlock_is NAME ARGS...: `airlock ARGS` as $WHO in the project, with the
# planted environment tokens; stdout and stderr kept in $W/NAME.{out,err}.
# Sets RC, OUT and ERR.
airlock_is() {
  local name=$1; shift
  (cd "${IN:-$P}" && as_user "$WHO" timeout -k 5 240 env -i HOME="$IS_HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 \
     NPM_TOKEN="${ENV_NPM_TOKEN:-}" GITHUB_TOKEN="${ENV_GITHUB_TOKEN:-}" "$AIRLOCK" "$@") \
    >"$W/$name.out" 2>"$W/$name.err" </dev/null
  RC=$?
  OUT=$(<"$W/$name.out")
  ERR=$(<"$W/$name.err")
}
# node_in DIR CODE: node -e CODE as $WHO in DIR, outside any sandbox.
node_in() {
  (cd "$1" && as_user "$WHO" env -i HOME="$IS_HOME" PATH=/usr/bin:/bin node -e "$2" 2>&1)
}
ESBUILD_CHECK='console.log(require("esbuild").transformSync("let x: number = 1", { loader: "ts" }).code.trim() + "|" + (globalThis.__airlockTampered || ""))'
ADDON_CHECK='console.log(require("tiny-addon").hello())'
