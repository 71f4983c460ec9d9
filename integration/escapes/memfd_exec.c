/*
 * memfd_exec: run a program that exists in no directory: copy /bin/true
 * into a memfd (memfd_create(2)) and execute it, by fexecve (execveat with
 * AT_EMPTY_PATH) and by execve of /proc/self/fd/N. Landlock's execute
 * right is checked on the file's path, and a memfd lives on the kernel's
 * internal tmpfs, which Landlock does not judge: a profile's `exec`
 * allow-list does not cover it.
 *
 * Is that an escape? Only if it grants something the command could not do
 * otherwise. The probe therefore also tries the other ways to run code
 * that no `exec` rule names:
 *   - a program written to a writable directory that is also executable
 *     (the project in `default`, /tmp in `ci-step`);
 *   - the dynamic loader run as a program on a binary written to a
 *     writable directory (`ld.so ./prog` maps it with mmap(PROT_EXEC), which
 *     Landlock does not govern);
 *   - anonymous memory mapped writable and executable, where any machine
 *     code can be written and called (what every JIT does; only a
 *     memory-deny-write-execute policy, PR_SET_MDWE, would stop it, and it
 *     would stop node and java too).
 * A memfd exec is reported ESCAPED only when it works and none of these
 * does; otherwise HELD, naming what already allows the same.
 *
 * Modelled on fileless malware that runs payloads from memfds (e.g. the
 * Ezuri crypter and TeamTNT's tooling) and on the kernel's own answer,
 * MFD_NOEXEC_SEAL and vm.memfd_noexec (Linux 6.3).
 *
 * Arguments: writable=DIR.
 */
#include "escape.h"

#include <elf.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static int copy_true(int fd) {
  int src = open("/bin/true", O_RDONLY | O_CLOEXEC);
  if (src < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0)
    if (write(fd, buf, (size_t)n) != n) {
      close(src);
      return -1;
    }
  close(src);
  return n < 0 ? -1 : 0;
}

static char *const true_argv[] = {"true", NULL};
static char *const empty_env[] = {NULL};

struct run {
  int fd;
  int via_proc;
};

static int exec_fd(void *ctx) {
  const struct run *r = ctx;
  if (r->via_proc) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", r->fd);
    execve(path, true_argv, empty_env);
  } else {
    syscall(SYS_execveat, r->fd, "", true_argv, empty_env, AT_EMPTY_PATH);
  }
  return errno;
}

static int exec_path(void *ctx) {
  execve((const char *)ctx, true_argv, empty_env);
  return errno;
}

/* The ELF interpreter of /bin/true (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2. */
static int interpreter(char *out, size_t cap) {
  int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  Elf64_Ehdr eh;
  int found = -1;
  if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
    for (unsigned i = 0; i < eh.e_phnum && found < 0; i++) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph) break;
      if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz >= cap) continue;
      if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
        out[ph.p_filesz] = '\0';
        found = 0;
      }
    }
  }
  close(fd);
  return found;
}

static const char *ldso_target;
static int exec_via_loader(void *ctx) {
  char *const argv[] = {(char *)ctx, (char *)ldso_target, NULL};
  execve((const char *)ctx, argv, empty_env);
  return errno;
}

/* What else runs code no `exec` rule names, as text for the report. */
static void other_ways(char *out, size_t cap) {
  out[0] = '\0';
  const char *dirs[] = {need_arg("writable"), "/tmp", "/dev/shm"};
  char loader[256] = "";
  int have_loader = interpreter(loader, sizeof loader) == 0;
  for (size_t i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/.escape-true-%d", dirs[i], (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (fd < 0) continue;
    int ok = copy_true(fd) == 0;
    close(fd);
    char line[700] = "";
    if (ok && child_succeeded(in_child(exec_path, path))) {
      snprintf(line, sizeof line, "%s is writable and executable; ", dirs[i]);
    } else if (ok && have_loader) {
      ldso_target = path;
      if (child_succeeded(in_child(exec_via_loader, loader)))
        snprintf(line, sizeof line, "%s runs a binary written to %s; ", loader, dirs[i]);
    }
    if (strlen(out) + strlen(line) + 1 < cap) strcat(out, line);
    unlink(path);
  }
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) {
#if defined(__x86_64__) || defined(__i386__)
    *(volatile unsigned char *)page = 0xc3; /* ret: proves written code runs */
    ((void (*)(void))page)();
#endif
    munmap(page, 4096);
    if (strlen(out) + 64 < cap) strcat(out, "anonymous memory can be written and executed (no MDWE); ");
  }
  size_t n = strlen(out);
  if (n >= 2) out[n - 2] = '\0';
}

int main(int argc, char **argv) {
  escape_init("memfd_exec", argc, argv);
  char others[2048];
  other_ways(others, sizeof others);

  int fd = memfd_create("escape", MFD_CLOEXEC);
  if (fd < 0) {
    held("memfd_create", "memfd_create: %s", errname(errno));
    return 0;
  }
  if (copy_true(fd) != 0) {
    held("memfd_create", "copying /bin/true into the memfd: %s", errname(errno));
    return 0;
  }
  /* Not close-on-exec for the /proc/self/fd route: execve needs it open. */
  fcntl(fd, F_SETFD, 0);
  static const struct {
    const char *check, *what;
    int via_proc;
  } ways[] = {{"fexecve", "execveat(memfd, \"\", AT_EMPTY_PATH)", 0}, {"proc-self-fd", "execve(/proc/self/fd/N)", 1}};
  for (size_t i = 0; i < 2; i++) {
    struct run r = {fd, ways[i].via_proc};
    int status = in_child(exec_fd, &r);
    if (!child_succeeded(status)) held(ways[i].check, "%s: %s", ways[i].what, child_outcome(status));
    else if (others[0] != '\0')
      held(ways[i].check, "%s runs a program, which grants nothing new here: %s", ways[i].what, others);
    else
      escaped(ways[i].check, "%s runs a program though nothing else runs unlisted code: the exec allow-list is bypassed", ways[i].what);
  }
  close(fd);
  return 0;
}
