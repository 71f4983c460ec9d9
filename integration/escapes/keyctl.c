/*
 * keyctl: reach the kernel keyring, which is not fully namespaced: read a
 * secret the caller keeps in its session keyring (the test plants one:
 * `keyctl --plant needle=HEX -- airlock run ...` joins a fresh session
 * keyring, adds a "user" key "airlock-escape" holding the secret, and runs
 * the rest of the command in it; the keyring goes away with its last
 * process), then add keys and join keyrings of one's own.
 *
 * Modelled on CVE-2016-0728 (keyring reference-count overflow to root,
 * reached through keyctl(KEYCTL_JOIN_SESSION_KEYRING)); credentials such
 * as Kerberos KEYRING: ticket caches live in these keyrings.
 *
 * Arguments: needle=HEX.
 */
#include "escape.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>

static long keyctl5(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
  return syscall(SYS_keyctl, op, a2, a3, a4, a5);
}

static int plant(int argc, char **argv) {
  int i = 2;
  while (i < argc && strcmp(argv[i], "--") != 0) i++;
  if (i + 1 >= argc) {
    fprintf(stderr, "usage: keyctl --plant needle=HEX -- COMMAND...\n");
    return 2;
  }
  const char *secret = needle();
  if (keyctl5(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0 ||
      syscall(SYS_add_key, "user", "airlock-escape", secret, strlen(secret), KEY_SPEC_SESSION_KEYRING) < 0) {
    fprintf(stderr, "keyctl --plant: %s\n", strerror(errno));
    return 2;
  }
  execvp(argv[i + 1], argv + i + 1);
  fprintf(stderr, "keyctl --plant: %s: %s\n", argv[i + 1], strerror(errno));
  return 127;
}

int main(int argc, char **argv) {
  escape_init("keyctl", argc, argv);
  if (argc > 1 && strcmp(argv[1], "--plant") == 0) return plant(argc, argv);
  (void)needle();

  long key = keyctl5(KEYCTL_SEARCH, (unsigned long)KEY_SPEC_SESSION_KEYRING, (unsigned long)"user", (unsigned long)"airlock-escape", 0);
  if (key < 0) {
    held("read-session-key", "KEYCTL_SEARCH of the session keyring: %s", errname(errno));
  } else {
    char buf[256];
    long n = keyctl5(KEYCTL_READ, (unsigned long)key, (unsigned long)buf, sizeof buf, 0);
    if (n > 0 && holds_needle(buf, (size_t)(n < (long)sizeof buf ? n : (long)sizeof buf)))
      escaped("read-session-key", "read the caller's key %ld: the secret", key);
    else escaped("read-session-key", "found the caller's key %ld (read: %s)", key, n < 0 ? errname(errno) : "no secret");
  }

  long id = keyctl5(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_USER_KEYRING, 0, 0, 0);
  if (id >= 0) escaped("user-keyring", "KEYCTL_GET_KEYRING_ID gave the user keyring %ld", id);
  else held("user-keyring", "KEYCTL_GET_KEYRING_ID(user keyring): %s", errname(errno));

  long added = syscall(SYS_add_key, "user", "airlock-escape-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
  if (added >= 0) escaped("add_key", "add_key made key %ld", added);
  else held("add_key", "add_key: %s", errname(errno));

  long joined = keyctl5(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"airlock-escape-probe", 0, 0, 0);
  if (joined >= 0) escaped("join-session", "KEYCTL_JOIN_SESSION_KEYRING made keyring %ld (the CVE-2016-0728 path)", joined);
  else held("join-session", "KEYCTL_JOIN_SESSION_KEYRING: %s", errname(errno));

  long req = syscall(SYS_request_key, "user", "airlock-escape", NULL, 0);
  if (req >= 0) escaped("request_key", "request_key found key %ld", req);
  else held("request_key", "request_key: %s", errname(errno));
  return 0;
}
