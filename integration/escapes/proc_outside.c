/*
 * proc_outside: read the environment and memory of processes outside the
 * sandbox through /proc: the supervisor (which runs with the caller's full
 * environment), the shell that started it, and a victim process holding a
 * secret in its environment; then look for the secret in every process the
 * sandbox can see, including airlock's own init.
 *
 * Modelled on CVE-2019-5736 (runc: the host runtime reached through
 * /proc/<pid>) and CVE-2012-0056 ("Mempodipper": writing /proc/<pid>/mem);
 * /proc/<pid>/environ is how CI tokens leak to anything running as the
 * same user (the reason DESIGN.md's degraded mode names it).
 *
 * Arguments: supervisor=PID shell=PID victim=PID needle=HEX [targets=...].
 */
#include "escape.h"

#include <dirent.h>

static void try_target(const char *who, int pid) {
  static const char *const files[] = {"environ", "mem", "cmdline", "maps"};
  char path[64], check[64], buf[65536];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, files[i]);
    snprintf(check, sizeof check, "%s-%s", files[i], who);
    /* Opening is the test: /proc/PID/mem opens only for a process allowed
     * to ptrace the target, and reading it at offset 0 (unmapped) fails. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      held(check, "%s: %s", path, errname(errno));
      continue;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    int err = errno;
    close(fd);
    if (n > 0 && holds_needle(buf, (size_t)n)) escaped(check, "%s holds the victim's secret", path);
    else if (n >= 0) escaped(check, "%s is readable (%zd bytes) from inside", path, n);
    else escaped(check, "%s opened (read at offset 0: %s)", path, errname(err));
  }
  snprintf(path, sizeof path, "/proc/%d/root/", pid);
  snprintf(check, sizeof check, "root-%s", who);
  DIR *d = opendir(path);
  if (d == NULL) held(check, "%s: %s", path, errname(errno));
  else {
    escaped(check, "%s lists the process's root directory", path);
    closedir(d);
  }
}

/* Every process the sandbox can see, but this one: the secret must be in
 * none of their environments or command lines. */
static void scan_all(void) {
  DIR *proc = opendir("/proc");
  if (proc == NULL) {
    held("scan", "/proc: %s", errname(errno));
    return;
  }
  int seen = 0;
  char leaks[256] = "";
  struct dirent *e;
  char path[300], buf[65536];
  while ((e = readdir(proc)) != NULL) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    seen++;
    static const char *const files[] = {"environ", "cmdline"};
    for (int i = 0; i < 2; i++) {
      snprintf(path, sizeof path, "/proc/%d/%s", pid, files[i]);
      ssize_t n = read_path(path, buf, sizeof buf);
      if (n > 0 && holds_needle(buf, (size_t)n) && strlen(leaks) + strlen(path) + 2 < sizeof leaks) {
        strcat(leaks, " ");
        strcat(leaks, path);
      }
    }
  }
  closedir(proc);
  if (leaks[0] != '\0') escaped("scan", "the secret is in%s", leaks);
  else held("scan", "the secret is in none of the %d other processes visible here", seen);
}

int main(int argc, char **argv) {
  escape_init("proc_outside", argc, argv);
  if (targeted("supervisor")) try_target("supervisor", arg_int("supervisor"));
  if (targeted("shell")) try_target("shell", arg_int("shell"));
  if (targeted("victim")) try_target("victim", arg_int("victim"));
  if (targeted("scan")) scan_all();
  return 0;
}
