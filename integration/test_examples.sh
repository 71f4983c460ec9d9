#!/usr/bin/env bash
# The CI integrations (packaging/ci/) and the container example
# (packaging/container/): every YAML file and YAML block of their READMEs
# parses; the shell the GitHub action and the GitLab template run works
# against the real airlock (report written, exit status passed on, inputs
# not injectable); the worker profile is valid and does what it says; the
# seccomp profile names only real system calls and none airlock needs.
source "$(dirname "$0")/lib.sh"
PYTHON=${AIRLOCK_PYTHON:-/usr/bin/python3}
"$PYTHON" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed for $PYTHON: bash packaging/deps.sh"
CI="$AIRLOCK_SRC/packaging/ci"
CONTAINER="$AIRLOCK_SRC/packaging/container"
BIN="$SCRATCH/bin"
mkdir -p "$BIN" && ln -s "$AIRLOCK" "$BIN/airlock"

# yq FILE EXPRESSION: a value out of a YAML file as JSON; EXPRESSION is Python
# over the parsed document `d`.
yq() { "$PYTHON" -c 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"; }
# The report's exit status, or "none".
report_status() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["exit_status"])' "$1" 2>/dev/null || echo none; }

# --- Everything parses ---------------------------------------------------------
for f in "$CI/github/action.yml" "$CI/gitlab/airlock.gitlab-ci.yml" "$CONTAINER/pod.yaml" "$CONTAINER/pod-host-users.yaml"; do
  err=$("$PYTHON" -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f" 2>&1)
  expect_eq "${f#"$AIRLOCK_SRC"/} parses as YAML" "" "$err"
done
blocks=$("$PYTHON" - "$CI/README.md" "$CONTAINER/README.md" <<'EOF'
import re, sys, yaml
count = 0
for path in sys.argv[1:]:
    for block in re.findall(r"```yaml\n(.*?)```", open(path).read(), re.S):
        count += 1
        try:
            yaml.safe_load(block)
        except yaml.YAMLError as e:
            print("a YAML block of %s does not parse: %s" % (path, e))
print(count)
EOF
)
expect_eq "every YAML block in the READMEs parses (and there are some)" "" "$(grep -v '^[0-9]*$' <<<"$blocks")"
[[ $(tail -1 <<<"$blocks") -ge 2 ]] && pass "the CI README has its examples" || fail "no YAML examples found"
err=$("$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$CONTAINER/seccomp-airlock.json" 2>&1)
expect_eq "seccomp-airlock.json parses as JSON" "" "$err"

# --- The Kubernetes pod against the API's schemas (offline) ----------------------
K8S_MODELS=${AIRLOCK_K8S_MODELS:-/usr/local/share/airlock-tests/kubernetes-models}
if [[ -d $K8S_MODELS/node_modules/kubernetes-models ]] && command -v node >/dev/null; then
  for pod in pod.yaml pod-host-users.yaml; do
    "$PYTHON" -c 'import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' \
      "$CONTAINER/$pod" > "$SCRATCH/pod.json"
    expect_eq "$pod is valid against the Kubernetes API schema" "valid Pod node-worker" \
      "$(node "$AIRLOCK_SRC/integration/k8s_validate.mjs" "$K8S_MODELS" "$SCRATCH/pod.json" 2>&1)"
  done
  # The check can fail: a misspelt seccomp profile type and a string for hostUsers.
  "$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d[0]["spec"]["securityContext"]["seccompProfile"]["type"] = "LocalHost"
json.dump(d, open(sys.argv[2], "w"))' "$SCRATCH/pod.json" "$SCRATCH/pod-bad.json"
  expect_contains "a pod with a misspelt seccompProfile type is refused by the schema" \
    "$(node "$AIRLOCK_SRC/integration/k8s_validate.mjs" "$K8S_MODELS" "$SCRATCH/pod-bad.json" 2>&1)" \
    "INVALID Pod node-worker: data/spec/securityContext/seccompProfile/type"
else
  fail "the Kubernetes API schemas are not installed ($K8S_MODELS): bash packaging/deps.sh"
fi

# --- GitHub composite action ---------------------------------------------------
action="$CI/github/action.yml"
expect_eq "the action is a composite action" '"composite"' "$(yq "$action" 'd["runs"]["using"]')"
expect_eq "inputs command, profile, report" '[true, true, true]' \
  "$(yq "$action" '[k in d["inputs"] for k in ("command", "profile", "report")]')"
expect_eq "command is required" 'true' "$(yq "$action" 'd["inputs"]["command"]["required"]')"
expect_eq "every run step names its shell" '[]' \
  "$(yq "$action" '[s.get("name") for s in d["runs"]["steps"] if "run" in s and "shell" not in s]')"
expect_eq "no \${{ }} is pasted into a script (inputs come through env)" '[]' \
  "$(yq "$action" '[s["name"] for s in d["runs"]["steps"] if "${{" in s.get("run", "")]')"
expect_eq "the report is uploaded with actions/upload-artifact, also after a failure" \
  '[["actions/upload-artifact@v4", true, "${{ steps.run.outputs.report }}"]]' \
  "$(yq "$action" '[[s["uses"], "always()" in s.get("if", ""), s["with"]["path"]] for s in d["runs"]["steps"] if "uses" in s]')"

step_script() { yq "$action" "[s for s in d['runs']['steps'] if s.get('id') == '$1'][0]['run']" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin))'; }
step_script install > "$SCRATCH/install.sh"
step_script run > "$SCRATCH/run.sh"
expect_eq "the action's scripts are valid bash" "" "$(bash -n "$SCRATCH/install.sh" 2>&1; bash -n "$SCRATCH/run.sh" 2>&1)"

make_fixture root
gh() {  # the environment the runner gives a step, plus INPUT_* as the action maps them
  : > "$SCRATCH/gh-output"; : > "$SCRATCH/gh-env"
  (cd "$PROJECT" && env -i PATH="$BIN:/usr/bin:/bin" HOME="$FAKE_HOME" GITHUB_TOKEN=ghs_plantedtoken0123456789 \
     GITHUB_OUTPUT="$SCRATCH/gh-output" GITHUB_ENV="$SCRATCH/gh-env" RUNNER_TEMP="$SCRATCH" \
     AIRLOCK_BIN="$AIRLOCK" INPUT_PROFILE=ci-step INPUT_REPORT=airlock-report.json INPUT_ARGS="" "$@")
}
gh INPUT_PACKAGE="" SOURCE_DIR="$AIRLOCK_SRC" bash "$SCRATCH/install.sh" >/dev/null 2>&1
expect_eq "install step: an airlock on PATH is used" "0 AIRLOCK_BIN=$BIN/airlock" "$? $(cat "$SCRATCH/gh-env")"

out=$(gh INPUT_COMMAND='echo built > out.txt; printenv GITHUB_TOKEN || echo no-token' bash "$SCRATCH/run.sh" 2>&1)
expect_eq "run step: the command succeeds" "0" "$?"
expect_eq "run step: it wrote into the project" "built" "$(cat "$PROJECT/out.txt" 2>/dev/null)"
expect_contains "run step: GITHUB_TOKEN did not reach it" "$out" "no-token"
expect_contains "run step: outputs exit-status" "$(cat "$SCRATCH/gh-output")" "exit-status=0"
expect_contains "run step: outputs the report's absolute path" "$(cat "$SCRATCH/gh-output")" "report=$PROJECT/airlock-report.json"
expect_eq "run step: the report says 0" "0" "$(report_status "$PROJECT/airlock-report.json")"

out=$(gh INPUT_COMMAND='exit 3' bash "$SCRATCH/run.sh" 2>&1)
expect_eq "run step: a failing command fails the step with its status" "3" "$?"
expect_contains "run step: ... and outputs it" "$(cat "$SCRATCH/gh-output")" "exit-status=3"
expect_contains "run step: ... with an annotation" "$out" "::error title=airlock::"

gh INPUT_COMMAND='cat ~/.ssh/id_rsa' bash "$SCRATCH/run.sh" >"$SCRATCH/out" 2>&1
expect_not_contains "run step: the planted key stays hidden" "$(cat "$SCRATCH/out")" "planted-ssh-key"

# (A directory of its own: one that holds the home with its hidden secrets
# is carved by Landlock, and nothing new can be created directly in it.)
mkdir -p "$SCRATCH/outdir"
gh INPUT_COMMAND="echo extra > $SCRATCH/outdir/extra.txt" INPUT_ARGS="--allow-write $SCRATCH/outdir --timeout 1m" \
  bash "$SCRATCH/run.sh" >/dev/null 2>&1
expect_eq "run step: args are passed as options (a write outside the project allowed)" "0 extra" \
  "$? $(cat "$SCRATCH/outdir/extra.txt" 2>/dev/null)"
gh INPUT_COMMAND=true INPUT_PROFILE="default\"; touch $SCRATCH/injected; \"" bash "$SCRATCH/run.sh" >/dev/null 2>&1
expect_eq "run step: a hostile profile input is a bad profile (125), not shell code" "125" "$?"
[[ -e $SCRATCH/injected ]] && fail "run step: the profile input ran as shell code" || pass "run step: nothing injected"

# --- GitLab CI template ----------------------------------------------------------
template="$CI/gitlab/airlock.gitlab-ci.yml"
expect_eq "the template defines only the hidden job .airlock" '[".airlock"]' "$(yq "$template" 'sorted(d)')"
expect_eq ".airlock has the documented variables" \
  '["AIRLOCK_ARGS", "AIRLOCK_BIN", "AIRLOCK_COMMAND", "AIRLOCK_DEB", "AIRLOCK_PROFILE", "AIRLOCK_REPORT"]' \
  "$(yq "$template" 'sorted(d[".airlock"]["variables"])')"
expect_eq "the report is an artefact, kept when the job fails" '["always", ["$AIRLOCK_REPORT"]]' \
  "$(yq "$template" '[d[".airlock"]["artifacts"]["when"], d[".airlock"]["artifacts"]["paths"]]')"

# As the runner does: before_script and script in one shell, the job's
# variables exported first (the template's defaults, a job's own replacing them).
gitlab_job() {  # gitlab_job SCRIPT_JSON|null [NAME=VALUE...]
  "$PYTHON" - "$template" "$@" > "$SCRATCH/job.sh" <<'EOF'
import json, shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))[".airlock"]
script = json.loads(sys.argv[2]) or job["script"]
variables = dict(job["variables"])
variables.update(arg.split("=", 1) for arg in sys.argv[3:])
print("set -e")
for name, value in variables.items():
    print("export %s=%s" % (name, shlex.quote(str(value))))
for line in job["before_script"] + script:
    print(line)
EOF
  (cd "$PROJECT" && env -i PATH="$BIN:/usr/bin:/bin" HOME="$FAKE_HOME" CI_JOB_TOKEN=planted-job-token \
     sh "$SCRATCH/job.sh" 2>&1)
}
out=$(gitlab_job null)
expect_eq "gitlab: without AIRLOCK_COMMAND the job fails with 125" "125" "$?"
expect_contains "gitlab: ... and says why" "$out" "set AIRLOCK_COMMAND"

out=$(gitlab_job null 'AIRLOCK_COMMAND=echo from-gitlab > gitlab.txt; printenv CI_JOB_TOKEN || echo no-job-token')
expect_eq "gitlab: AIRLOCK_COMMAND runs under airlock" "0" "$?"
expect_eq "gitlab: ... in the project" "from-gitlab" "$(cat "$PROJECT/gitlab.txt" 2>/dev/null)"
expect_contains "gitlab: CI_JOB_TOKEN did not reach it" "$out" "no-job-token"
expect_eq "gitlab: the report was written" "0" "$(report_status "$PROJECT/airlock-report.json")"

gitlab_job '["echo first", "airlock_run sleep 30"]' AIRLOCK_REPORT=custom.json 'AIRLOCK_ARGS=--timeout 300ms' >/dev/null
expect_eq "gitlab: airlock_run in a job's own script, with AIRLOCK_ARGS (timeout: 124)" "124" "$?"
expect_eq "gitlab: ... and its AIRLOCK_REPORT" "124" "$(report_status "$PROJECT/custom.json")"

# --- Container example ------------------------------------------------------------
dockerfile="$CONTAINER/Dockerfile"
entrypoint=$(grep '^ENTRYPOINT' "$dockerfile" | sed 's/^ENTRYPOINT //')
expect_eq "the entrypoint runs airlock with the worker profile by path" \
  '["airlock", "run", "--profile", "/etc/airlock/profiles/worker.toml", "--"]' "$entrypoint"
grep '^COPY packaging/' "$dockerfile" | awk '{print $2}' | while read -r src; do
  [[ -e $AIRLOCK_SRC/$src ]] && echo "ok $src" || echo "FAIL $src"
done > "$SCRATCH/copies"
expect_eq "every file the Dockerfile copies exists" "" "$(grep FAIL "$SCRATCH/copies")"
expect_eq "the Dockerfile copies deps.sh, worker.toml and the app" "3" "$(grep -c '^ok' "$SCRATCH/copies")"
expect_eq "the Dockerfile's build stage installs what packaging/deps.sh --build names" "1" \
  "$(grep -c '^RUN bash /tmp/deps.sh --build' "$dockerfile")"

# From a working directory (${project}) that does not hold the profile, as in
# the image (WORKDIR /app, the profile in /etc/airlock/profiles/): from /,
# every file is in the project, and airlock uses none that is not trusted.
mkdir -p "$SCRATCH/workdir"
(cd "$SCRATCH/workdir" && "$AIRLOCK" check "$CONTAINER/worker.toml" >/dev/null 2>&1)
expect_eq "worker.toml is a valid profile" "0" "$?"
explained=$(cd "$SCRATCH/workdir" && "$AIRLOCK" explain --profile "$CONTAINER/worker.toml" 2>&1)
expect_contains "worker.toml extends node-service" "$explained" "node-service"
expect_contains "worker.toml runs as node" "$explained" 'user = "node"'
expect_contains "worker.toml has no network" "$explained" 'mode = "none"'

# The worker under its profile, as the image runs it: started as root, it
# becomes another user (nobody here: this machine has no "node"), writes only
# the data directory, and stops cleanly on SIGTERM.
if command -v node >/dev/null; then
  cp -r "$CONTAINER/app" "$SCRATCH/app" && chmod -R a+rX "$SCRATCH/app"
  mkdir "$SCRATCH/data" && chown $NOBODY:$NOBODY "$SCRATCH/data"
  sed "s|^data = \"/data\"|data = \"$SCRATCH/data\"|; s|^user = \"node\"|user = \"nobody\"|" \
    "$CONTAINER/worker.toml" > "$SCRATCH/worker.toml"
  (cd "$SCRATCH/app" && exec env PATH=/usr/bin:/bin "$AIRLOCK" -q run --profile "$SCRATCH/worker.toml" -- node worker.js) &
  worker=$!
  for _ in $(seq 50); do grep -q 'data directory' "$SCRATCH/data/worker.log" 2>/dev/null && break; sleep 0.1; done
  kill -TERM "$worker"
  wait "$worker"
  expect_eq "worker: stops with status 0 on SIGTERM" "0" "$?"
  log=$(cat "$SCRATCH/data/worker.log" 2>/dev/null)
  expect_contains "worker: runs as the profile's user" "$log" "uid $NOBODY,"
  expect_contains "worker: its code is read-only" "$log" "writable: no (EROFS)"
  expect_contains "worker: its data directory is writable" "$log" "$SCRATCH/data writable: yes"
  expect_contains "worker: hears SIGTERM through airlock" "$log" "stopping after"
else
  echo "SKIP worker.js under worker.toml: node is not installed"
fi

seccomp="$CONTAINER/seccomp-airlock.json"
expect_eq "seccomp: allows by default, refuses a list with EPERM" '["SCMP_ACT_ALLOW", ["SCMP_ACT_ERRNO"], [1]]' \
  "$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps([d["defaultAction"], sorted({s["action"] for s in d["syscalls"]}), sorted({s["errnoRet"] for s in d["syscalls"]})]))' "$seccomp")"
names=$("$PYTHON" -c 'import json,sys; print(", ".join(json.dumps(n) for s in json.load(open(sys.argv[1]))["syscalls"] for n in s["names"]))' "$seccomp")
printf '[profile]\nextends = ["default"]\n[syscalls]\ndeny = [%s]\n' "$names" > "$SCRATCH/seccomp-names.toml"
if check=$("$AIRLOCK" check "$SCRATCH/seccomp-names.toml" 2>&1); then
  pass "seccomp: every name is a system call libseccomp knows"
else
  fail "seccomp: a name libseccomp does not know: $check"
fi
for needed in unshare clone clone3 mount umount2 pivot_root mount_setattr open_tree move_mount sethostname \
  landlock_create_ruleset landlock_add_rule landlock_restrict_self seccomp prctl setresuid setresgid setgroups \
  capset pidfd_open execve; do
  [[ ", $names," == *"\"$needed\","* ]] && fail "seccomp: refuses $needed, which airlock needs" || pass "seccomp: allows $needed"
done

# What integration/engines.sh k8s and k8s-userns emulate (test_container_engines.sh).
for pod in pod.yaml pod-host-users.yaml; do
  hostusers=false
  [[ $pod == pod.yaml ]] || hostusers=true
  expect_eq "$pod: hostUsers $hostusers" "$hostusers" "$(yq "$CONTAINER/$pod" 'd["spec"]["hostUsers"]')"
  expect_eq "$pod: Localhost seccomp profile airlock.json" '{"type": "Localhost", "localhostProfile": "airlock.json"}' \
    "$(yq "$CONTAINER/$pod" 'd["spec"]["securityContext"]["seccompProfile"]')"
  expect_eq "$pod: non-root, every capability dropped, no escalation, the runtime's /proc masks kept" \
    '[true, 1000, ["ALL"], false, null]' \
    "$(yq "$CONTAINER/$pod" '(lambda c: [d["spec"]["securityContext"]["runAsNonRoot"], d["spec"]["securityContext"]["runAsUser"], c["capabilities"]["drop"], c["allowPrivilegeEscalation"], c.get("procMount")])(d["spec"]["containers"][0]["securityContext"])')"
  expect_eq "$pod: /data is a volume" '"/data"' "$(yq "$CONTAINER/$pod" 'd["spec"]["containers"][0]["volumeMounts"][0]["mountPath"]')"
done
finish
