#!/usr/bin/env bash
# ctest-parts: root nobody
# airlock as the entrypoint of the containers packaging/container/ documents
# (issue #19), each emulated by integration/engines.sh on a plain host, as the
# container's root and as its uid 65534:
#   docker-airlock  Docker's defaults with --security-opt seccomp=seccomp-airlock.json
#   podman          rootless podman's defaults (a user namespace of 65536 ids,
#                   podman's capabilities and its own default seccomp profile)
#   k8s             pod.yaml with hostUsers: true (every capability dropped,
#                   no_new_privs, seccomp-airlock.json as a Localhost profile)
#   k8s-userns      pod.yaml as written (hostUsers: false)
# In each: doctor's verdict is what run does (the layers doctor says it cannot
# enforce are the ones a refusal lists; its hostname line is run's warning);
# where doctor says everything holds, run runs and inside it the engine's /proc
# masks stay, the home's secrets stay unread, nothing outside the project is
# written, the token variable is gone, no capability is left; where it does
# not (root without CAP_SETFCAP cannot map itself into a user namespace), run
# refuses with 125 naming the fix, and --best-effort still holds the secrets.
# runc's and Docker's own defaults are test_container_proc.sh and
# test_container_docker.sh.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# shellcheck source=container_lib.sh
source "$(dirname "$0")/container_lib.sh"
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || skip "python3-seccomp is not installed (bash packaging/deps.sh)"
[[ -r /usr/local/share/airlock-tests/podman/seccomp.json ]] ||
  skip "podman's default seccomp profile is not unpacked (bash packaging/deps.sh)"
doctor=$(cd "$SCRATCH" && "$AIRLOCK" doctor 2>/dev/null)
grep -q '^ok   user namespaces' <<<"$doctor" || skip "user namespaces are not available"
USERNS_BASE=100000  # engines.sh: ids 0..65535 of a container's user namespace are 100000.. outside

PROBE="$WALLS_PROBE"'
echo "timer_list $(head -c 4096 /proc/timer_list 2>/dev/null | wc -c)"
echo "keys $(head -c 4096 /proc/keys 2>/dev/null | wc -c)"
echo "acpi $(ls -A /proc/acpi 2>/dev/null | wc -l)"
if echo x 2>/dev/null >/proc/sys/kernel/domainname; then echo "sys writable"; else echo "sys read-only"; fi'

# expect_holds WHAT UID: the probe's output says every wall held and the
# command ran as UID.
expect_holds() {
  local what=$1 uid=$2
  expect_walls "$what" "$uid"
  expect_contains "$what: timer_list stays masked" "$OUT" "timer_list 0"
  expect_contains "$what: keys stays masked" "$OUT" "keys 0"
  expect_contains "$what: acpi stays masked" "$OUT" "acpi 0"
  expect_contains "$what: /proc/sys stays read-only" "$OUT" "sys read-only"
}

# expected ENGINE WHO: what doctor and run must say. "full": every layer; "refused":
# user namespaces are out (root without CAP_SETFCAP).
expected() {
  case $1/$2 in
    k8s/root|k8s-userns/root) echo refused ;;
    *) echo full ;;
  esac
}

# ctest runs each user's half as its own test (AIRLOCK_TEST_PART), in parallel.
read -ra users <<<"${AIRLOCK_TEST_PART:-root nobody}"
for WHO in "${users[@]}"; do
  for ENGINE in docker-airlock podman k8s k8s-userns; do
    what="$ENGINE, $WHO"
    make_fixture "$WHO"
    uid=0
    [[ $WHO == root ]] || uid=$NOBODY
    # Files the container's user owns belong to its ids outside (and an
    # earlier engine's run may have left them to another owner).
    owner=$uid
    case $ENGINE in podman|k8s-userns) owner=$((USERNS_BASE + uid)) ;; esac
    chown -R "$owner:$owner" "$SCRATCH/$WHO"

    # The control: the emulated engine is what it claims to be.
    in_engine "$ENGINE" "$WHO" "$PROJECT" -- sh -c 'grep -E "^(Uid|CapBnd|Seccomp):" /proc/self/status; head -c 4096 /proc/timer_list | wc -c'
    expect_contains "$what: control: seccomp filter loaded" "$OUT" "Seccomp:	2"
    expect_contains "$what: control: timer_list masked" "$OUT" $'\n0'
    case $ENGINE in k8s*) expect_contains "$what: control: every capability dropped" "$OUT" "CapBnd:	0000000000000000" ;; esac

    in_engine "$ENGINE" "$WHO" "$PROJECT" -- "$AIRLOCK" doctor
    doctor=$OUT
    profile=()
    if [[ $WHO == root && $ENGINE == docker-airlock ]]; then
      # The container's root is the host's: limits.processes needs the
      # command to run as another user (test_container_proc.sh shows the
      # refusal without one).
      printf '[profile]\nextends = ["default"]\n\n[process]\nuser = "%s"\n' "$NOBODY" >"$SCRATCH/as-nobody.toml"
      chmod 644 "$SCRATCH/as-nobody.toml"
      chown -R "$NOBODY:$NOBODY" "$PROJECT"
      profile=(--profile "$SCRATCH/as-nobody.toml")
      uid=$NOBODY
      in_engine "$ENGINE" "$WHO" "$PROJECT" -- "$AIRLOCK" doctor "${profile[@]}"
      doctor=$OUT
    fi
    in_engine "$ENGINE" "$WHO" "$PROJECT" NPM_TOKEN=npm_plantedtoken0123456789 -- \
      "$AIRLOCK" run "${profile[@]}" -- sh -c "$PROBE"
    expect_eq "$what: doctor predicts run layer by layer" "$(doctor_missing "$doctor")" "$(refusal_missing "$ERR")"
    if grep -q '^MISS hostname' <<<"$doctor"; then
      expect_contains "$what: doctor's hostname line is run's warning" "$ERR" "the sandbox keeps the hostname"
    else
      expect_not_contains "$what: no hostname warning where doctor has none" "$ERR" "keeps the hostname"
    fi
    case $ENGINE in
      podman) expect_contains "$what: podman's profile refuses sethostname, doctor says so" "$doctor" "MISS hostname" ;;
      *) expect_contains "$what: the sandbox has a hostname of its own" "$doctor" "ok   hostname" ;;
    esac

    if [[ $(expected "$ENGINE" "$WHO") == full ]]; then
      expect_contains "$what: doctor says every layer holds" "$doctor" "result: every layer"
      expect_eq "$what: run runs" 0 "$RC"
      [[ $RC == 0 ]] || head -5 <<<"$ERR"
      expect_holds "$what" "$uid"
      continue
    fi

    expect_contains "$what: doctor says user namespaces are out" "$doctor" "MISS user namespaces: uid 0 without CAP_SETFCAP"
    expect_not_contains "$what: doctor offers no engine setting for it" "$doctor" "In a container, allow"
    expect_eq "$what: run refuses (125)" 125 "$RC"
    expect_contains "$what: the refusal names the fix" "$ERR" "start the container as a non-root user"
    rm -f "$PROJECT/built.txt"
    in_engine "$ENGINE" "$WHO" "$PROJECT" NPM_TOKEN=npm_plantedtoken0123456789 -- \
      "$AIRLOCK" -q run --best-effort -- sh -c "$PROBE"
    expect_eq "$what: --best-effort runs" 0 "$RC"
    [[ $RC == 0 ]] || head -5 <<<"$ERR"
    expect_holds "$what: --best-effort" 0
  done
done
finish
