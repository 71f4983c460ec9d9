/*
 * setuid_exec: run a setuid-root program and a program with file
 * capabilities that the test planted in the project (as root: a copy of
 * this probe, mode 4755, and one with `setcap cap_dac_read_search+ep`),
 * and see whether either gains anything: a different effective uid, or
 * any capability.
 *
 * Modelled on CVE-2021-4034 (pkexec "PwnKit") and CVE-2023-4911 (glibc
 * ld.so "Looney Tunables"): a setuid-root program on the host is a local
 * root exploit waiting for its bug; a sandbox must make such programs
 * powerless (no_new_privs, nosuid mounts).
 *
 * Arguments: setuid=PATH [fcaps=PATH]. `setuid_exec ids` is the mode the
 * planted copies run in: it prints "ruid=N euid=N capeff=HEX personality=HEX".
 */
#include "escape.h"

#include <sys/personality.h>

static unsigned long long status_hex(const char *field) {
  char buf[8192];
  ssize_t n = read_path("/proc/self/status", buf, sizeof buf - 1);
  if (n <= 0) return ~0ULL;
  buf[n] = '\0';
  const char *at = strstr(buf, field);
  return at ? strtoull(at + strlen(field), NULL, 16) : ~0ULL;
}

static int print_ids(void) {
  unsigned long long eff = status_hex("CapEff:"), prm = status_hex("CapPrm:");
  printf("ruid=%d euid=%d capeff=%llx personality=%x capprm=%llx\n", (int)getuid(), (int)geteuid(), eff,
         (unsigned)personality(0xffffffff), prm);
  return 0;
}

static void run_helper(const char *check, const char *path) {
  int out[2];
  if (pipe(out) != 0) return;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    execl(path, path, "ids", (char *)NULL);
    printf("exec-failed %s\n", errname(errno));
    _exit(127);
  }
  close(out[1]);
  char ids[512] = "";
  ssize_t n = read(out[0], ids, sizeof ids - 1);
  ids[n > 0 ? n : 0] = '\0';
  close(out[0]);
  waitpid(pid, NULL, 0);
  int ruid = -1, euid = -1;
  unsigned pers = 0;
  unsigned long long eff = ~0ULL, prm = ~0ULL;
  if (sscanf(ids, "ruid=%d euid=%d capeff=%llx personality=%x capprm=%llx", &ruid, &euid, &eff, &pers, &prm) != 5) {
    held(check, "%s did not run: %s", path, ids[0] ? ids : "no output");
  } else if (euid != ruid || eff != 0 || prm != 0) {
    escaped(check, "%s gained privilege: %s", path, ids);
  } else {
    held(check, "%s ran with no privilege gained (%s)", path, ids);
  }
}

int main(int argc, char **argv) {
  escape_init("setuid_exec", argc, argv);
  if (argc == 2 && strcmp(argv[1], "ids") == 0) return print_ids();
  run_helper("setuid-root", need_arg("setuid"));
  if (arg("fcaps")) run_helper("file-capabilities", arg("fcaps"));
  else skipped("file-capabilities", "no fcaps= program: setcap(8) (libcap2-bin) is not installed");
  return 0;
}
