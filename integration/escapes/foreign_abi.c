/*
 * foreign_abi: make system calls through the i386 (int 0x80) and x32 entry
 * points of an x86_64 kernel, where the numbers differ: a filter written for
 * x86_64 numbers that does not check the architecture lets them through.
 *
 * Modelled on CVE-2009-0835 (seccomp on x86_64 mixed up 32- and 64-bit
 * system call numbers) and the warning in the kernel's
 * Documentation/userspace-api/seccomp_filter.rst that a filter must check
 * seccomp_data.arch, since the same number means different calls per ABI.
 *
 * Each attempt runs in a child: the filter's answer to a foreign
 * architecture is to kill the process (SIGSYS). i386 getpid shows whether
 * the entry point is open at all; i386 and x32 unshare(CLONE_NEWUSER) are
 * calls the x86_64 rules refuse.
 */
#include "escape.h"

#include <sys/syscall.h>

#define NEWUSER 0x10000000
#define X32_BIT 0x40000000L
#define I386_GETPID 20
#define I386_UNSHARE 310

#if defined(__x86_64__)
static long int80(long nr, long a1) {
  long ret = nr;
  __asm__ volatile("int $0x80" : "+a"(ret) : "b"(a1) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

static int i386_getpid(void *ctx) {
  (void)ctx;
  long r = int80(I386_GETPID, 0);
  return r < 0 && r > -4096 ? (int)-r : 0;
}
static int i386_unshare(void *ctx) {
  (void)ctx;
  long r = int80(I386_UNSHARE, NEWUSER);
  return r < 0 && r > -4096 ? (int)-r : 0;
}
static int x32_getpid(void *ctx) {
  (void)ctx;
  return syscall(X32_BIT | SYS_getpid) < 0 ? errno : 0;
}
static int x32_unshare(void *ctx) {
  (void)ctx;
  return syscall(X32_BIT | SYS_unshare, NEWUSER) < 0 ? errno : 0;
}

static void attempt(const char *check, int (*fn)(void *), const char *what) {
  int status = in_child(fn, NULL);
  if (child_succeeded(status)) {
    escaped(check, "%s succeeded: rules written for x86_64 numbers do not apply here", what);
  } else if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV && strncmp(check, "i386", 4) == 0) {
    held(check, "%s: signal=SIGSEGV: the kernel has no i386 emulation (ia32_emulation=0 or CONFIG_IA32_EMULATION=n)", what);
  } else {
    held(check, "%s: %s", what, child_outcome(status));
  }
}
#endif

int main(int argc, char **argv) {
  escape_init("foreign_abi", argc, argv);
#if defined(__x86_64__)
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core); /* the killed children must not dump */
  attempt("i386-getpid", i386_getpid, "int 0x80 getpid");
  attempt("i386-unshare", i386_unshare, "int 0x80 unshare(CLONE_NEWUSER)");
  attempt("x32-getpid", x32_getpid, "x32 getpid");
  attempt("x32-unshare", x32_unshare, "x32 unshare(CLONE_NEWUSER)");
#else
  skipped("x86", "not an x86_64 machine: no i386/x32 entry points to try");
#endif
  return 0;
}
