/*
 * perf_event: open performance counters on oneself and on the whole
 * machine; perf events have been a steady source of kernel exploits and
 * leak information about other processes (side channels).
 *
 * Modelled on CVE-2013-2094 (perf_swevent_init out-of-bounds write to
 * root, exploited in the wild) and the kernel.perf_event_paranoid levels.
 */
#include "escape.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>

static const char *paranoid(void) {
  static char text[16] = "?";
  ssize_t n = read_path("/proc/sys/kernel/perf_event_paranoid", text, sizeof text - 1);
  text[n > 0 ? n - 1 : 1] = '\0';
  return text;
}

static void attempt(const char *check, const char *what, int pid, int cpu, int exclude_kernel) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = (unsigned)exclude_kernel;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, pid, cpu, -1, 0);
  if (fd >= 0) {
    escaped(check, "perf_event_open (%s) gave a counter", what);
    close((int)fd);
  } else {
    held(check, "perf_event_open (%s): %s (kernel.perf_event_paranoid=%s)", what, errname(errno), paranoid());
  }
}

int main(int argc, char **argv) {
  escape_init("perf_event", argc, argv);
  attempt("self-user", "this process, user space only", 0, -1, 1);
  attempt("cpu-wide", "every process on CPU 0", -1, 0, 0);
  return 0;
}
