#!/usr/bin/env bash
# The seccomp layer in a normal run (namespaces on), as root and as uid
# 65534: probes/try-syscall tries each attack inside `airlock run` with a
# terminal on stdin, and every line is asserted. Two controls make each
# line evidence: the probe outside the sandbox (the call is possible here),
# and the same sandbox with the profile's deny list emptied (what remains
# refused is airlock's fixed rules, which hold whatever the policy says).
source "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || skip "no C compiler (cc) to build the probe"
command -v script >/dev/null || skip "no script(1) (util-linux) to give the probe a terminal"
PROBES="$SCRATCH/probes"
mkdir -p "$PROBES"
cc -std=c11 -O2 -o "$PROBES/try-syscall" "$AIRLOCK_SRC/integration/probes/try-syscall.c" || { echo "FAIL cc"; exit 1; }
chmod -R 755 "$PROBES"
"$AIRLOCK" doctor 2>/dev/null | grep -q '^ok   user namespaces' || skip "user namespaces are not available"
"$AIRLOCK" doctor 2>/dev/null | grep -q '^ok   seccomp' || skip "seccomp filters are not available"

# The profile's own deny list removed: the policy filter allows everything.
NO_DENY_PROFILE="$SCRATCH/no-deny.toml"
cat > "$NO_DENY_PROFILE" <<'EOF'
[profile]
description = "default without its syscall deny list: leaves only airlock's fixed rules"
extends = ["default"]

[syscalls]
deny = ["!@default-deny"]
EOF
chmod 644 "$NO_DENY_PROFILE"

# in_terminal CMD...: runs CMD as $who with a fresh pseudo-terminal on
# stdin, stdout and stderr (script(1)); prints what CMD printed.
in_terminal() {
  local quoted
  printf -v quoted '%q ' "$@"
  (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin \
     script -qec "$quoted" /dev/null </dev/null) | tr -d '\r'
}
sandboxed() { in_terminal "$AIRLOCK" -q run --allow-exec "$PROBES" "$@"; }

# Typing into the caller's terminal from inside (CVE-2017-5226, bubblewrap;
# CVE-2019-10063, flatpak: the same ioctl with high bits set in cmd).
# Outside the sandbox the injection works on this terminal (with
# dev.tty.legacy_tiocsti=1); inside, the command has no controlling
# terminal (new session) and seccomp refuses the ioctl before the tty layer
# sees it: the fd -1 variants are EBADF without the filter, EPERM with it.
attack_terminal_injection() {
  local names=(tiocsti tiocsti-high tiocsti-tty tiocsti-tty-high) control out
  control=$(in_terminal "$PROBES/try-syscall" "${names[@]}")
  expect_eq "$who: control: TIOCSTI on a bad fd is EBADF outside" "errno=EBADF" "$(probe_result "$control" tiocsti)"
  if [[ $(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null) == 1 ]]; then
    expect_eq "$who: control: TIOCSTI injects into this terminal outside" ok "$(probe_result "$control" tiocsti-tty)"
  fi
  out=$(sandboxed -- "$PROBES/try-syscall" "${names[@]}")
  for name in "${names[@]}"; do expect_probe "$who: terminal injection" "$control" "$out" "$name" errno=EPERM; done
}

# Kernel attack surface and escape primitives that @default-deny refuses:
# io_uring (its operations bypass seccomp; many CVEs, e.g. CVE-2022-29582),
# ptrace of oneself and of a sibling (reading another process's memory and
# secrets), mount (CVE-2022-0185 was reached through fsconfig in a user
# namespace), bpf, keyrings (not namespaced), perf_event_open,
# userfaultfd (stalls the kernel mid-copy to widen race windows: the reason
# vm.unprivileged_userfaultfd exists), and making a user namespace of one's
# own (CVE-2022-0185 and CVE-2023-0386 need one).
# Then foreign ABIs: an i386 `int 0x80` or an x32 call bypasses every rule
# written for x86_64 numbers (CVE-2009-0835-style confusion); the filter
# kills the process (KILL_PROCESS, SIGSYS).
POLICY_NAMES=(io_uring_setup ptrace ptrace-attach ptrace-sibling mount bpf keyctl perf_event_open userfaultfd)
FIXED_NAMES=(tiocsti tiocsti-high unshare-user clone-newuser clone3 i386 x32)
expected_for() {
  case $1 in
    i386|x32) echo signal=SIGSYS ;;
    clone3) echo errno=ENOSYS ;;  # so that libc falls back to clone, whose flags are checked
    *) echo errno=EPERM ;;
  esac
}

attack_denied_syscalls() {
  local names=("${POLICY_NAMES[@]}" "${FIXED_NAMES[@]}") control out
  control=$(in_terminal "$PROBES/try-syscall" "${names[@]}")
  out=$(sandboxed -- "$PROBES/try-syscall" "${names[@]}")
  for name in "${names[@]}"; do
    if [[ $name == i386 && $(probe_result "$control" i386) != ok ]]; then
      # No i386 emulation (CONFIG_IA32_EMULATION=n or ia32_emulation=0):
      # `int 0x80` faults before seccomp sees it; it must still not succeed.
      [[ $(probe_result "$out" i386) != ok ]]; expect_eq "$who: in the sandbox: i386 (no emulation here)" 0 $?
      continue
    fi
    expect_probe "$who: in the sandbox" "$control" "$out" "$name" "$(expected_for "$name")"
  done
}

# The same sandbox with the profile's deny list emptied: the policy's lines
# change (so it was the policy filter that refused them), and the fixed
# rules still hold.
check_fixed_rules_hold_without_policy() {
  local out
  out=$(sandboxed --profile "$NO_DENY_PROFILE" -- "$PROBES/try-syscall" "${POLICY_NAMES[@]}" "${FIXED_NAMES[@]}")
  for name in "${POLICY_NAMES[@]}"; do
    [[ -n $(probe_result "$out" "$name") && $(probe_result "$out" "$name") != errno=EPERM ]]
    expect_eq "$who: without the deny list $name is not refused by seccomp ($(probe_result "$out" "$name"))" 0 $?
  done
  for name in "${FIXED_NAMES[@]}"; do
    [[ $name == i386 && $(probe_result "$(in_terminal "$PROBES/try-syscall" i386)" i386) != ok ]] && continue
    expect_eq "$who: fixed rule holds without the deny list: $name" "$(expected_for "$name")" \
      "$(probe_result "$out" "$name")"
  done
}

# What `explain` promised for foreign ABIs is what the kernel did.
check_explain_names_the_foreign_abi_action() {
  local out
  out=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" "$AIRLOCK" explain 2>&1)
  expect_contains "$who: explain: foreign ABIs are killed" "$out" "other ABIs (i386, x32): kill process (SIGSYS)"
}

# An allow-list (syscalls.default = "deny") that does not name execve: the
# filter is loaded before execve, so the command cannot start, and the run
# says so with 126, like any command that cannot be executed. The payload
# reports it and ends with exit_group alone: in a sanitizer build a call to
# a noreturn function first runs the runtime's own syscalls (sigaltstack),
# which such a filter refuses.
check_allow_list_without_execve() {
  local profile="$SCRATCH/$who/no-execve.toml" out status
  printf '[profile]\nextends = ["default"]\n\n[syscalls]\ndefault = "deny"\nallow = %s\n' \
    '["read", "write", "exit_group", "brk", "mmap", "munmap", "mprotect", "close", "openat", "newfstatat"]' >"$profile"
  chmod 644 "$profile"
  out=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" -q run \
        --profile "$profile" -- /bin/true 2>&1)
  status=$?
  expect_eq "$who: an allow-list without execve: 126" 126 "$status"
  expect_eq "$who: ... and says why, nothing else" "airlock: error: /bin/true: cannot execute: Operation not permitted" "$out"
}

check_build_still_works() {
  local out
  out=$(in_terminal "$AIRLOCK" -q run -- sh -c 'cc -o main src/main.c && ./main && echo built')
  expect_eq "$who: the build works in the sandbox" built "$out"
}

for who in root nobody; do
  make_fixture "$who"
  attack_terminal_injection
  attack_denied_syscalls
  check_fixed_rules_hold_without_policy
  check_explain_names_the_foreign_abi_action
  check_allow_list_without_execve
  check_build_still_works
done
finish
