#!/usr/bin/python3
"""engine_userns.py BASE COUNT -- CMD...: runs CMD as root of a new user
namespace in which ids 0..COUNT-1 are BASE..BASE+COUNT-1 outside, as
rootless podman (the user's subordinate ids) and Kubernetes' hostUsers:
false (a 65536-id slice per pod) start a container. Run as the host's root:
a child unshares, this process writes its id maps (which needs CAP_SETUID
outside), and the child becomes the namespace's root and execs CMD. Part of
integration/engines.sh's emulation; exits with CMD's status.
"""
import ctypes
import os
import sys

CLONE_NEWUSER = 0x10000000


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        raise SystemExit(__doc__)
    base, count = int(sys.argv[1]), int(sys.argv[2])
    unshared_r, unshared_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(unshared_r)
        os.close(mapped_w)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWUSER) != 0:
            raise SystemExit("engine_userns.py: unshare(CLONE_NEWUSER): %s" % os.strerror(ctypes.get_errno()))
        os.write(unshared_w, b"u")
        if os.read(mapped_r, 1) != b"m":
            os._exit(125)
        os.setgroups([])
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
        os.execvp(sys.argv[4], sys.argv[4:])
    os.close(unshared_w)
    os.close(mapped_r)
    if os.read(unshared_r, 1) != b"u":
        os.waitpid(pid, 0)
        raise SystemExit("engine_userns.py: the child did not get its user namespace")
    for kind in ("uid_map", "gid_map"):
        with open("/proc/%d/%s" % (pid, kind), "w") as f:
            f.write("0 %d %d\n" % (base, count))
    os.write(mapped_w, b"m")
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
