/*
 * no-userns: run a command where namespaces cannot be created, the way
 * Docker's default seccomp profile leaves a container without CAP_SYS_ADMIN
 * (moby profiles/seccomp/default.json):
 *
 *   unshare           -> EPERM (whatever the flags)
 *   setns             -> EPERM
 *   clone with any CLONE_NEW* flag -> EPERM (plain fork/threads still work)
 *   clone3            -> ENOSYS (its flags are in memory seccomp cannot read;
 *                        libc falls back to clone)
 *
 *   no-userns airlock run -- true
 *
 * Sets no_new_privs, installs the filter with raw classic BPF (no libseccomp),
 * then execvp()s its arguments. The filter is inherited by everything the
 * command starts and cannot be removed. Calls of another ABI (i386, x32) are
 * let through unfiltered: the point is to model a container, not to be one.
 *
 * Build: cc -std=c11 -O2 -o no-userns integration/probes/no-userns.c
 * Exit status: the command's (execvp), or 126/127 when it cannot be started,
 * 125 when the filter cannot be installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define CLONE_FLAGS_ARG 0
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define CLONE_FLAGS_ARG 0
#else
#error "no-userns: add this architecture's AUDIT_ARCH and clone flags argument"
#endif

/* CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET,
 * the set Docker's profile refuses on clone (sched.h values). */
#define NAMESPACE_FLAGS 0x7e020000U

#define ARG_LOW(n) ((unsigned)offsetof(struct seccomp_data, args[n]))
#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
    return 125;
  }
  /* A jump offset counts the instructions skipped: the numbers on the right
   * are instruction indexes. */
  struct sock_filter program[] = {
      STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), /* 0 */
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),                  /* 1: -> 3 */
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),     /* 2: foreign ABI, not modelled */
      STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),   /* 3 */
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 4, 0),                 /* 4: -> 9 */
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setns, 3, 0),                   /* 5: -> 9 */
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 3, 0),                  /* 6: -> 10 */
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 3, 0),                   /* 7: -> 11 */
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                            /* 8 */
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),                    /* 9 */
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),                   /* 10 */
      /* The namespace flags sit in the low 32 bits of clone's flags, which
       * is the first word of the argument on a little-endian machine. */
      STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(CLONE_FLAGS_ARG)),            /* 11 */
      JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1),             /* 12: -> 13 / 14 */
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),                    /* 13 */
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                            /* 14 */
  };
  struct sock_fprog fprog = {
      .len = (unsigned short)(sizeof program / sizeof program[0]),
      .filter = program,
  };
  /* Without CAP_SYS_ADMIN the kernel accepts a filter only under
   * no_new_privs (seccomp(2)). */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("no-userns: prctl(PR_SET_NO_NEW_PRIVS)");
    return 125;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    perror("no-userns: prctl(PR_SET_SECCOMP)");
    return 125;
  }
  execvp(argv[1], argv + 1);
  int err = errno;
  fprintf(stderr, "no-userns: %s: %s\n", argv[1], strerror(err));
  return err == ENOENT ? 127 : 126;
}
