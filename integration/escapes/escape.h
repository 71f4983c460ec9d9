/*
 * escape.h: what the escape probes in this directory share.
 *
 * A probe tries one technique and prints one line per attempt:
 *
 *   HELD <probe>/<check> <detail>      the sandbox refused it (detail: how)
 *   ESCAPED <probe>/<check> <detail>   it worked: a hole in the sandbox
 *   SKIP <probe>/<check> <reason>      the kernel or a tool lacks what the
 *                                      attempt needs (the reason names it)
 *
 * Arguments are KEY=VALUE words (README.md lists them); a probe ignores the
 * ones it does not use, so every probe can be given the same list. A probe
 * that lacks an argument it needs says so on stderr and prints nothing on
 * stdout, which the test counts as a failure. Standalone C11 with Linux
 * headers; no dependency beyond libc.
 */
#ifndef AIRLOCK_ESCAPE_H
#define AIRLOCK_ESCAPE_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *escape_probe = "?";
static int escape_argc;
static char **escape_argv;

static inline void escape_init(const char *probe, int argc, char **argv) {
  escape_probe = probe;
  escape_argc = argc;
  escape_argv = argv;
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void escape_report(const char *verdict, const char *check, const char *fmt, va_list ap) {
  char detail[512];
  vsnprintf(detail, sizeof detail, fmt, ap);
  for (char *c = detail; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  printf("%s %s/%s %s\n", verdict, escape_probe, check, detail);
  fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) void held(const char *check, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  escape_report("HELD", check, fmt, ap);
  va_end(ap);
}

static inline __attribute__((format(printf, 2, 3))) void escaped(const char *check, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  escape_report("ESCAPED", check, fmt, ap);
  va_end(ap);
}

static inline __attribute__((format(printf, 2, 3))) void skipped(const char *check, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  escape_report("SKIP", check, fmt, ap);
  va_end(ap);
}

/* The value of KEY=VALUE among the arguments, or NULL. */
static inline const char *arg(const char *key) {
  size_t n = strlen(key);
  for (int i = 1; i < escape_argc; i++) {
    if (strncmp(escape_argv[i], key, n) == 0 && escape_argv[i][n] == '=') return escape_argv[i] + n + 1;
  }
  return NULL;
}

static inline const char *need_arg(const char *key) {
  const char *v = arg(key);
  if (v == NULL || *v == '\0') {
    fprintf(stderr, "%s: needs the argument %s=...\n", escape_probe, key);
    exit(2);
  }
  return v;
}

/* Whether `name` is in the comma list targets=...; everything is when the
 * argument is absent. */
static inline int targeted(const char *name) {
  const char *list = arg("targets");
  if (list == NULL) return 1;
  size_t n = strlen(name);
  for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
    if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
  return 0;
}

static inline int arg_int(const char *key) { return atoi(need_arg(key)); }

static inline const char *errname(int err) {
  const char *name = strerrorname_np(err);
  return name != NULL ? name : "E?";
}

/* The secret every planted target holds, passed hex-encoded (needle=HEX) so
 * that the clear text is in no command line the sandbox can read. */
static inline const char *needle(void) {
  static char text[256];
  if (text[0] != '\0') return text;
  const char *hex = need_arg("needle");
  size_t i = 0;
  for (; hex[2 * i] && hex[2 * i + 1] && i + 1 < sizeof text; i++) {
    unsigned v = 0;
    sscanf(hex + 2 * i, "%2x", &v);
    text[i] = (char)v;
  }
  text[i] = '\0';
  return text;
}

static inline int holds_needle(const char *buf, size_t len) {
  const char *n = needle();
  return memmem(buf, len, n, strlen(n)) != NULL;
}

/* Reads up to cap bytes of path; -1 with errno set when it cannot be opened or read. */
static inline ssize_t read_path(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0) {
      int err = errno;
      close(fd);
      errno = err;
      return got > 0 ? (ssize_t)got : -1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  close(fd);
  return (ssize_t)got;
}

/* Runs fn in a child, so that a kill (seccomp's SIGSYS) ends only the
 * attempt; returns the wait status. The child's return value is its exit
 * code (by convention 0 for success, else an errno). */
static inline int in_child(int (*fn)(void *), void *ctx) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(fn(ctx) & 0xff);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

/* "ok", "errno=EPERM" or "signal=SIGSYS" for an in_child() status. */
static inline const char *child_outcome(int status) {
  static char text[64];
  if (status == -1) snprintf(text, sizeof text, "fork-failed");
  else if (WIFSIGNALED(status)) snprintf(text, sizeof text, "signal=SIG%s", sigabbrev_np(WTERMSIG(status)));
  else if (WEXITSTATUS(status) == 0) snprintf(text, sizeof text, "ok");
  else snprintf(text, sizeof text, "errno=%s", errname(WEXITSTATUS(status)));
  return text;
}

static inline int child_succeeded(int status) { return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

/* "HOST:PORT" or "[V6]:PORT" into a socket address; 0 on success. */
#include <arpa/inet.h>
#include <netinet/in.h>
static inline int parse_endpoint(const char *text, struct sockaddr_storage *ss, socklen_t *len) {
  char host[128];
  const char *colon = strrchr(text, ':');
  if (colon == NULL) return -1;
  size_t hl = (size_t)(colon - text);
  if (hl >= sizeof host) return -1;
  memcpy(host, text, hl);
  host[hl] = '\0';
  int port = atoi(colon + 1);
  memset(ss, 0, sizeof *ss);
  if (host[0] == '[') {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    host[strlen(host) - 1] = '\0';
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

/* connect() with a deadline; 0 when connected, else the errno. */
static inline int connect_within(int fd, const struct sockaddr *sa, socklen_t len, int ms) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  if (connect(fd, sa, len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int r = poll(&p, 1, ms);
  if (r == 0) return ETIMEDOUT;
  if (r < 0) return errno;
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) return errno;
  if (err == 0 && fcntl(fd, F_SETFL, flags) < 0) return errno;
  return err;
}

/* Waits up to ms for data on fd and reads it; bytes read, 0 on timeout, -1 on error. */
static inline ssize_t recv_within(int fd, char *buf, size_t cap, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r = poll(&p, 1, ms);
  if (r <= 0) return r;
  return recv(fd, buf, cap, MSG_DONTWAIT);
}

/* What a connection tells the test's listeners: who is calling. */
static inline void introduce(int fd) {
  char hello[128];
  int n = snprintf(hello, sizeof hello, "airlock-escape %s %s\n", arg("label") ? arg("label") : "unlabelled", escape_probe);
  if (send(fd, hello, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* the reply decides */ }
}

#endif
