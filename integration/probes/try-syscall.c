/*
 * try-syscall: attempt system calls a sandbox should refuse, one line each.
 *
 *   try-syscall tiocsti io_uring_setup i386 ...
 *   tiocsti errno=EPERM
 *   io_uring_setup errno=EPERM
 *   i386 signal=SIGSYS
 *
 * Each attempt runs in its own child, so one that gets the process killed
 * (seccomp's kill action, SIGSYS) does not end the others. Attempts pass a
 * bad descriptor, pointer or flag wherever the call takes one: where nothing
 * blocks the call it fails harmlessly (EBADF, EFAULT, EINVAL, ESRCH) instead
 * of doing anything. A result is `ok` (the call returned >= 0),
 * `errno=NAME`, or `signal=NAME`. `try-syscall list` prints the names.
 *
 * Exit status: 0 when every attempt ran, 2 for an unknown name.
 * Standalone C11 with Linux headers only; see README.md for building.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

#define CLONE_NEWUSER_FLAG 0x10000000
#define CLONE_NEWNS_FLAG 0x00020000
#define CLONE_FS_FLAG 0x00000200
#define UFFD_USER_MODE_ONLY_FLAG 1
#define PTRACE_TRACEME_REQ 0
#define PTRACE_ATTACH_REQ 16
#define CLONE_ARGS_SIZE 88 /* struct clone_args as of Linux 5.7 */

static void *const bad_pointer = (void *)1;

/* The syscall's result as 0 (success) or the errno it failed with. */
static int result(long rc) { return rc < 0 ? errno : 0; }

static int wait_for(long pid) {
  int status = 0;
  if (pid < 0) return errno;
  if (pid == 0) _exit(0); /* the new child of clone/fork: nothing to do */
  if (waitpid((pid_t)pid, &status, 0) < 0) return errno;
  return 0;
}

static int try_tiocsti(void) { return result(ioctl(-1, TIOCSTI, "x")); }
/* The kernel truncates cmd to 32 bits: this is TIOCSTI (CVE-2019-10063). */
static int try_tiocsti_high(void) {
  return result(syscall(SYS_ioctl, -1, (1UL << 32) | TIOCSTI, "x"));
}
/* A real terminal: fd 0 when it is one (run under `script -qec CMD
 * /dev/null` to make it so), else the controlling terminal. Unfiltered, the
 * kernel pushes a space into that terminal's input (when legacy TIOCSTI is
 * on and the terminal is ours); filtered, the ioctl never reaches the tty. */
static int open_terminal(void) {
  if (isatty(0)) return 0;
  return open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}
static int try_tiocsti_tty(void) {
  int fd = open_terminal();
  if (fd < 0) return errno;
  return result(ioctl(fd, TIOCSTI, " "));
}
static int try_tiocsti_tty_high(void) {
  int fd = open_terminal();
  if (fd < 0) return errno;
  return result(syscall(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, " "));
}
static int try_tioclinux(void) { return result(ioctl(-1, TIOCLINUX, bad_pointer)); }
static int try_io_uring_setup(void) {
  return result(syscall(SYS_io_uring_setup, 1, bad_pointer));
}
static int try_ptrace(void) { return result(syscall(SYS_ptrace, PTRACE_TRACEME_REQ, 0, 0, 0)); }
/* pid 0 never exists: an unfiltered attempt is ESRCH, never an attach. */
static int try_ptrace_attach(void) {
  return result(syscall(SYS_ptrace, PTRACE_ATTACH_REQ, 0, 0, 0));
}
/* PTRACE_ATTACH from one child to its sibling, both ours: unfiltered it
 * succeeds (same user) unless Yama's ptrace_scope forbids it. */
static int try_ptrace_sibling(void) {
  int status = 0;
  pid_t target = fork();
  if (target < 0) return errno;
  if (target == 0) {
    for (;;) pause();
  }
  pid_t attacker = fork();
  if (attacker == 0) _exit(result(syscall(SYS_ptrace, PTRACE_ATTACH_REQ, target, 0, 0)) & 0xff);
  int err = attacker < 0 ? errno : 0;
  if (attacker > 0 && waitpid(attacker, &status, 0) < 0) err = errno;
  kill(target, SIGKILL);
  waitpid(target, NULL, 0);
  if (err != 0) return err;
  if (WIFSIGNALED(status)) raise(WTERMSIG(status)); /* e.g. SIGSYS: report it as ours */
  return WEXITSTATUS(status);
}
static int try_process_vm_readv(void) {
  return result(syscall(SYS_process_vm_readv, 0, bad_pointer, 1, bad_pointer, 1, ~0UL));
}
static int try_mount(void) {
  return result(syscall(SYS_mount, bad_pointer, bad_pointer, bad_pointer, 0, 0));
}
static int try_umount2(void) { return result(syscall(SYS_umount2, bad_pointer, 0)); }
static int try_pivot_root(void) {
  return result(syscall(SYS_pivot_root, bad_pointer, bad_pointer));
}
static int try_chroot(void) { return result(syscall(SYS_chroot, bad_pointer)); }
/* These succeed when nothing blocks them, but only in the throwaway child. */
static int try_unshare_user(void) { return result(syscall(SYS_unshare, CLONE_NEWUSER_FLAG)); }
static int try_unshare_mount(void) { return result(syscall(SYS_unshare, CLONE_NEWNS_FLAG)); }
static int try_unshare_fs(void) { return result(syscall(SYS_unshare, CLONE_FS_FLAG)); }
static int try_clone_newuser(void) {
  return wait_for(syscall(SYS_clone, CLONE_NEWUSER_FLAG | SIGCHLD, 0, 0, 0, 0));
}
static int try_clone3(void) { return result(syscall(SYS_clone3, bad_pointer, CLONE_ARGS_SIZE)); }
static int try_fork(void) { return wait_for(fork()); }
static int try_setns(void) { return result(syscall(SYS_setns, -1, 0)); }
static int try_bpf(void) { return result(syscall(SYS_bpf, 0, bad_pointer, 64)); }
static int try_keyctl(void) { return result(syscall(SYS_keyctl, -1, 0, 0, 0, 0)); }
static int try_add_key(void) {
  return result(syscall(SYS_add_key, bad_pointer, bad_pointer, 0, 0, 0));
}
static int try_perf_event_open(void) {
  return result(syscall(SYS_perf_event_open, bad_pointer, 0, -1, -1, 0));
}
/* USER_MODE_ONLY passes the privilege check; the unknown bit is EINVAL. */
static int try_userfaultfd(void) {
  return result(syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY_FLAG | 2));
}
static int try_init_module(void) {
  return result(syscall(SYS_init_module, bad_pointer, 0, bad_pointer));
}
static int try_kexec_load(void) { return result(syscall(SYS_kexec_load, 0, 0, 0, ~0UL)); }
static int try_reboot(void) { return result(syscall(SYS_reboot, 0, 0, 0, 0)); } /* bad magic */
static int try_swapon(void) { return result(syscall(SYS_swapon, bad_pointer, 0)); }
static int try_settimeofday(void) {
  return result(syscall(SYS_settimeofday, bad_pointer, bad_pointer));
}
static int try_acct(void) { return result(syscall(SYS_acct, bad_pointer)); }
static int try_open_by_handle_at(void) {
  return result(syscall(SYS_open_by_handle_at, -1, bad_pointer, 0));
}
static int try_fanotify_init(void) { return result(syscall(SYS_fanotify_init, ~0U, 0)); }
#if defined(__x86_64__) || defined(__i386__)
static int try_iopl(void) { return result(syscall(SYS_iopl, 4)); }
#endif
static int try_getpid(void) { return result(syscall(SYS_getpid)); }
static int try_open(void) {
  char buf[64];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = read(fd, buf, sizeof buf) < 0 ? errno : 0;
  close(fd);
  return err;
}
static int try_exec(void) {
  execl("/bin/true", "true", (char *)NULL);
  return errno;
}

#if defined(__x86_64__)
/* getpid (20 in the i386 table) through the 32-bit entry point. */
static int try_i386(void) {
  long ret = 20;
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
  if (ret < 0 && ret > -4096) return (int)-ret;
  return 0;
}
static int try_x32(void) { return result(syscall(__X32_SYSCALL_BIT | SYS_getpid)); }
#endif

struct attempt {
  const char *name;
  int (*run)(void);
};

static const struct attempt attempts[] = {
    {"tiocsti", try_tiocsti},
    {"tiocsti-high", try_tiocsti_high},
    {"tiocsti-tty", try_tiocsti_tty},
    {"tiocsti-tty-high", try_tiocsti_tty_high},
    {"tioclinux", try_tioclinux},
    {"io_uring_setup", try_io_uring_setup},
    {"ptrace", try_ptrace},
    {"ptrace-attach", try_ptrace_attach},
    {"ptrace-sibling", try_ptrace_sibling},
    {"process_vm_readv", try_process_vm_readv},
    {"mount", try_mount},
    {"umount2", try_umount2},
    {"pivot_root", try_pivot_root},
    {"chroot", try_chroot},
    {"unshare-user", try_unshare_user},
    {"unshare-mount", try_unshare_mount},
    {"unshare-fs", try_unshare_fs},
    {"clone-newuser", try_clone_newuser},
    {"clone3", try_clone3},
    {"fork", try_fork},
    {"setns", try_setns},
    {"bpf", try_bpf},
    {"keyctl", try_keyctl},
    {"add_key", try_add_key},
    {"perf_event_open", try_perf_event_open},
    {"userfaultfd", try_userfaultfd},
    {"init_module", try_init_module},
    {"kexec_load", try_kexec_load},
    {"reboot", try_reboot},
    {"swapon", try_swapon},
    {"settimeofday", try_settimeofday},
    {"acct", try_acct},
    {"open_by_handle_at", try_open_by_handle_at},
    {"fanotify_init", try_fanotify_init},
#if defined(__x86_64__) || defined(__i386__)
    {"iopl", try_iopl},
#endif
#if defined(__x86_64__)
    {"i386", try_i386},
    {"x32", try_x32},
#endif
    {"getpid", try_getpid},
    {"open", try_open},
    {"exec", try_exec},
};

#define NAME(x) {x, #x}
static const struct {
  int value;
  const char *name;
} errno_names[] = {
    NAME(EPERM),  NAME(ENOENT), NAME(ESRCH),  NAME(EINTR),  NAME(EIO),    NAME(ENXIO),
    NAME(E2BIG),  NAME(EBADF),  NAME(ECHILD), NAME(EAGAIN), NAME(ENOMEM), NAME(EACCES),
    NAME(EFAULT), NAME(EBUSY),  NAME(EEXIST), NAME(ENODEV), NAME(ENOTDIR), NAME(EISDIR),
    NAME(EINVAL), NAME(EMFILE), NAME(ENOTTY), NAME(ENOSPC), NAME(EROFS),  NAME(ERANGE),
    NAME(ENOSYS), NAME(EOPNOTSUPP), NAME(ENOEXEC), NAME(EUSERS), NAME(ENOKEY),
};
static const struct {
  int value;
  const char *name;
} signal_names[] = {
    NAME(SIGSYS), NAME(SIGSEGV), NAME(SIGKILL), NAME(SIGABRT), NAME(SIGBUS),
    NAME(SIGILL), NAME(SIGTRAP), NAME(SIGTERM), NAME(SIGSTOP),
};
#undef NAME

static void print_errno(const char *name, int err) {
  for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++) {
    if (errno_names[i].value == err) {
      printf("%s errno=%s\n", name, errno_names[i].name);
      return;
    }
  }
  printf("%s errno=%d\n", name, err);
}

static void print_signal(const char *name, int sig) {
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++) {
    if (signal_names[i].value == sig) {
      printf("%s signal=%s\n", name, signal_names[i].name);
      return;
    }
  }
  printf("%s signal=%d\n", name, sig);
}

/* Runs one attempt in a child; its exit status carries the errno. */
static void run(const struct attempt *a) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("%s fork-failed errno=%d\n", a->name, errno);
    return;
  }
  if (pid == 0) _exit(a->run() & 0xff);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) {
    printf("%s wait-failed errno=%d\n", a->name, errno);
  } else if (WIFSIGNALED(status)) {
    print_signal(a->name, WTERMSIG(status));
  } else if (WEXITSTATUS(status) == 0) {
    printf("%s ok\n", a->name);
  } else {
    print_errno(a->name, WEXITSTATUS(status));
  }
}

int main(int argc, char **argv) {
  const size_t count = sizeof attempts / sizeof attempts[0];
  int status = 0;
  /* A SIGSYS would otherwise write a core file for every killed attempt. */
  struct rlimit no_core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) perror("setrlimit(RLIMIT_CORE)");
  if (argc < 2) {
    fprintf(stderr, "usage: %s NAME... | list\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "list") == 0) {
      for (size_t j = 0; j < count; j++) printf("%s\n", attempts[j].name);
      continue;
    }
    size_t j = 0;
    while (j < count && strcmp(argv[i], attempts[j].name) != 0) j++;
    if (j == count) {
      printf("%s unknown\n", argv[i]);
      status = 2;
      continue;
    }
    run(&attempts[j]);
  }
  fflush(stdout);
  return status;
}
