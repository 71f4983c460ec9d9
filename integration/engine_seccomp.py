#!/usr/bin/python3
"""engine_seccomp.py PROFILE.json CAPS -- CMD...: loads the seccomp filter a
container engine builds from its JSON profile (the OCI/moby format: a
default action, then rules by syscall name with argument comparisons and
includes/excludes by capability, architecture and kernel version), for a
container whose capability set is CAPS (comma-separated, CAP_* names), and
execs CMD under it. Part of integration/engines.sh's emulation: the rules
are decided as moby's profiles/seccomp does, so a test sees what a
container under that engine's default profile sees.
"""
import errno
import json
import os
import platform
import sys

import seccomp

# The arch names the profiles use for this machine.
NATIVE = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
OPS = {"SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE, "SCMP_CMP_EQ": seccomp.EQ,
       "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT, "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ}


def action(name, errno_ret):
    if name == "SCMP_ACT_ALLOW":
        return seccomp.ALLOW
    if name == "SCMP_ACT_ERRNO":
        return seccomp.ERRNO(errno_ret if errno_ret is not None else errno.EPERM)
    if name in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"):
        return seccomp.KILL
    if name == "SCMP_ACT_KILL_PROCESS":
        return seccomp.KILL_PROCESS
    if name == "SCMP_ACT_TRAP":
        return seccomp.TRAP
    if name == "SCMP_ACT_LOG":
        return seccomp.LOG
    raise SystemExit("engine_seccomp.py: action %s is not emulated" % name)


def kernel_at_least(version):
    want = [int(x) for x in version.split(".")[:2]]
    have = [int(x) for x in platform.release().split("-")[0].split(".")[:2]]
    return have >= want


def applies(rule, caps):
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if any(c in caps for c in exc.get("caps") or []):
        return False
    if NATIVE in (exc.get("arches") or []):
        return False
    if any(c not in caps for c in inc.get("caps") or []):
        return False
    if inc.get("arches") and NATIVE not in inc["arches"]:
        return False
    if inc.get("minKernel") and not kernel_at_least(inc["minKernel"]):
        return False
    return True


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        raise SystemExit(__doc__)
    profile = json.load(open(sys.argv[1]))
    caps = set(sys.argv[2].split(","))
    default = action(profile["defaultAction"], profile.get("defaultErrnoRet"))
    f = seccomp.SyscallFilter(default)
    for rule in profile["syscalls"]:
        if not applies(rule, caps):
            continue
        act = action(rule["action"], rule.get("errnoRet"))
        args = [seccomp.Arg(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo", 0)) for a in rule.get("args") or []]
        for name in rule["names"]:
            try:
                f.add_rule(act, name, *args)
            except (RuntimeError, ValueError):
                pass  # not a system call of this architecture
    f.load()
    os.execvp(sys.argv[4], sys.argv[4:])


main()
