/*
 * bpf: load an eBPF program and make a map, the verifier and JIT being a
 * large kernel attack surface.
 *
 * Modelled on CVE-2017-16995 and CVE-2021-3490 (eBPF verifier bugs to
 * arbitrary kernel read/write from an unprivileged process), the reason
 * kernel.unprivileged_bpf_disabled exists.
 */
#include "escape.h"

#include <linux/bpf.h>
#include <sys/syscall.h>

static const char *sysctl_value(void) {
  static char text[16] = "?";
  ssize_t n = read_path("/proc/sys/kernel/unprivileged_bpf_disabled", text, sizeof text - 1);
  text[n > 0 ? n - 1 : 1] = '\0';
  return text;
}

int main(int argc, char **argv) {
  escape_init("bpf", argc, argv);
  struct bpf_insn prog[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0}, /* r0 = 0 */
      {.code = BPF_JMP | BPF_EXIT},                                          /* exit */
  };
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = (unsigned long)prog;
  attr.insn_cnt = 2;
  attr.license = (unsigned long)"GPL";
  long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd >= 0) {
    escaped("prog-load", "BPF_PROG_LOAD loaded a socket filter (fd %ld)", fd);
    close((int)fd);
  } else {
    held("prog-load", "BPF_PROG_LOAD: %s (kernel.unprivileged_bpf_disabled=%s)", errname(errno), sysctl_value());
  }

  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 8;
  attr.max_entries = 1;
  fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  if (fd >= 0) {
    escaped("map-create", "BPF_MAP_CREATE made a map (fd %ld)", fd);
    close((int)fd);
  } else {
    held("map-create", "BPF_MAP_CREATE: %s (kernel.unprivileged_bpf_disabled=%s)", errname(errno), sysctl_value());
  }
  return 0;
}
