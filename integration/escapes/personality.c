/*
 * personality: change the execution domain. airlock's fixed seccomp rule
 * allows only PER_LINUX and the query, so setting flags is refused; and
 * were it not, the flags must not survive into a program that runs with
 * more privilege (no setuid program gains any here), MMAP_PAGE_ZERO must
 * not map page 0, and UNAME26 must not leak kernel memory.
 *
 * Modelled on CVE-2009-1895 (PER_CLEAR_ON_SETID missed MMAP_PAGE_ZERO, so
 * a setuid program ran with page 0 mapped and NULL dereferences in the
 * kernel became exploitable) and CVE-2012-0957 (UNAME26 leaked kernel
 * stack bytes through uname(2)).
 *
 * Arguments: setuid=PATH (a setuid-root copy of setuid_exec, planted by
 * the test). `personality page0` is the re-executed mode that reports
 * whether page 0 is mapped.
 */
#include "escape.h"

#include <sys/personality.h>
#include <sys/utsname.h>

static int page_zero_mapped(void) {
  char maps[65536];
  ssize_t n = read_path("/proc/self/maps", maps, sizeof maps - 1);
  if (n <= 0) return -1;
  maps[n] = '\0';
  return strncmp(maps, "00000000-", 9) == 0;
}

int main(int argc, char **argv) {
  escape_init("personality", argc, argv);
  if (argc == 2 && strcmp(argv[1], "page0") == 0) return page_zero_mapped() == 1 ? 10 : 0;

  int before = personality(0xffffffff);
  if (personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC) < 0) {
    held("set", "personality(ADDR_NO_RANDOMIZE|READ_IMPLIES_EXEC): %s", errname(errno));
  } else {
    escaped("set", "personality(ADDR_NO_RANDOMIZE|READ_IMPLIES_EXEC) is allowed (was 0x%x): ASLR and W^X are off for what runs next", before);
  }

  /* Into a setuid program: the kernel must clear the dangerous flags, and
   * no_new_privs/nosuid mean it gains nothing anyway. */
  const char *setuid_path = need_arg("setuid");
  int out[2];
  if (pipe(out) != 0) return 2;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC | MMAP_PAGE_ZERO);
    execl(setuid_path, setuid_path, "ids", (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  char ids[1024] = "";
  ssize_t n = read(out[0], ids, sizeof ids - 1);
  ids[n > 0 ? n : 0] = '\0';
  close(out[0]);
  waitpid(pid, NULL, 0);
  int ruid = -1, euid = -1, pers = -1;
  unsigned long long capeff = 1;
  sscanf(ids, "ruid=%d euid=%d capeff=%llx personality=%x", &ruid, &euid, &capeff, &pers);
  if (ruid < 0) held("setuid-exec", "the setuid helper did not run (%s)", ids[0] ? ids : "no output");
  else if (euid != ruid || capeff != 0) escaped("setuid-exec", "the setuid helper gained privilege with the flags set: %s", ids);
  else held("setuid-exec", "setuid helper ran without privilege (%s); personality there 0x%x", ids, pers);

  /* MMAP_PAGE_ZERO into a plain exec of ourselves. */
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    personality(MMAP_PAGE_ZERO);
    execl("/proc/self/exe", "personality", "page0", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 10) escaped("mmap-page-zero", "page 0 is mapped after exec with MMAP_PAGE_ZERO");
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) held("mmap-page-zero", "exec with MMAP_PAGE_ZERO: page 0 stays unmapped (vm.mmap_min_addr)");
  else held("mmap-page-zero", "exec with MMAP_PAGE_ZERO: %s", child_outcome(status));

  if (personality(UNAME26) >= 0) {
    struct utsname u;
    uname(&u);
    personality(PER_LINUX);
    held("uname26", "UNAME26 allowed; release reads \"%s\" (the CVE-2012-0957 leak was fixed in the kernel)", u.release);
  } else {
    held("uname26", "personality(UNAME26): %s", errname(errno));
  }
  return 0;
}
