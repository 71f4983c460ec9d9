"""A hostile install script's system calls that no build needs: unshare
(a new user namespace: root inside it is the start of many kernel exploits)
and keyctl (the session keyring: the kernel keyring is not namespaced and
may hold other sessions' credentials). Each attempt is recorded in
./attempts.json before the next one, in case a filter kills the process."""
import ctypes
import json
import os
import platform

here = os.path.dirname(os.path.abspath(__file__))
libc = ctypes.CDLL(None, use_errno=True)
attempts = []


def record(name, rc):
    err = ctypes.get_errno()
    attempts.append({"name": name, "target": name.split()[0],
                     "result": "done" if rc >= 0 else "refused",
                     "error": None if rc >= 0 else os.strerror(err)})
    with open(os.path.join(here, "attempts.json"), "w") as out:
        json.dump(attempts, out, indent=1)
    print(f"evil-syscall: {name}: {attempts[-1]['result']}"
          + (f" {attempts[-1]['error']}" if attempts[-1]["error"] else ""), flush=True)


CLONE_NEWUSER = 0x10000000
record("unshare(CLONE_NEWUSER)", libc.unshare(CLONE_NEWUSER))

KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING = 0, -3
keyctl = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
if keyctl is not None:
    libc.syscall.restype = ctypes.c_long
    record("keyctl(KEYCTL_GET_KEYRING_ID)",
           libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(KEYCTL_GET_KEYRING_ID),
                        ctypes.c_long(KEY_SPEC_SESSION_KEYRING), ctypes.c_long(0)))
