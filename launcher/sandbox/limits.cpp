#include "sandbox/limits.hpp"

#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "kernel/features.hpp"
#include "sandbox/capabilities.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace airlock::limits {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 7> kResources = {{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"fsize", RLIMIT_FSIZE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"stack", RLIMIT_STACK},
}};

constexpr std::string_view kTmp = "tmp";
constexpr std::string_view kProcesses = "processes";
// kernel/pid.c: pids below this are not reused once the count passed it.
constexpr std::uint64_t kReservedPids = 300;

int resource_named(const std::string& name) {
  const auto it = std::find_if(kResources.begin(), kResources.end(),
                               [&](const auto& r) { return r.first == name; });
  if (it != kResources.end()) return it->second;
  std::string known;
  for (const auto& r : kResources) known += (known.empty() ? "" : ", ") + std::string(r.first);
  throw Error("unknown limit '" + name + "' in [limits] (known: " + known + ", " + std::string(kTmp) + ", " +
              std::string(kProcesses) + ")");
}

std::string show(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

rlim_t wanted_value(const policy::Limit& limit) {
  return limit.kind == policy::Limit::Kind::unlimited ? RLIM_INFINITY : static_cast<rlim_t>(limit.value);
}

[[noreturn]] void explain_refusal(const Rlimit& entry, rlim_t wanted) {
  rlimit current{};
  check_syscall(::getrlimit(entry.resource, &current), "getrlimit " + entry.name);
  std::string message = "cannot set limit " + entry.name + " to " + show(wanted);
  if (wanted > current.rlim_max)
    message += ": the hard limit is " + show(current.rlim_max) +
               ", and only a process with CAP_SYS_RESOURCE may raise it";
  else
    message += ": refused by the kernel (EPERM)";
  // RLIMIT_NOFILE cannot exceed fs.nr_open, not even with CAP_SYS_RESOURCE.
  if (entry.resource == RLIMIT_NOFILE) message += "; nofile is also capped by sysctl fs.nr_open";
  throw Error(message);
}

}  // namespace

std::vector<Rlimit> build(const policy::Limits& limits) {
  std::vector<Rlimit> entries;
  for (const auto& [name, limit] : limits.rlimits)
    if (name != kTmp && name != kProcesses) entries.push_back({resource_named(name), name, limit});
  return entries;
}

std::optional<std::uint64_t> process_limit(const policy::Limits& limits) {
  const auto it = limits.rlimits.find(std::string(kProcesses));
  if (it == limits.rlimits.end() || it->second.kind != policy::Limit::Kind::value) return std::nullopt;
  return it->second.value;
}

PidRange pid_range_for(std::uint64_t processes) {
  // Init holds pid 1 and the command pid 2; the rest come from 300 on.
  return {kReservedPids + std::max<std::uint64_t>(processes, 2) - 1, kReservedPids - 1};
}

std::uint64_t memory_bytes() {
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) return 0;
  return static_cast<std::uint64_t>(info.totalram) * info.mem_unit;
}

std::optional<std::uint64_t> tmp_size(const policy::Limits& limits, std::uint64_t ram_bytes) {
  const auto it = limits.rlimits.find(std::string(kTmp));
  if (it == limits.rlimits.end() || it->second.kind == policy::Limit::Kind::keep) return std::nullopt;
  if (it->second.kind == policy::Limit::Kind::percent_of_ram) {
    if (ram_bytes == 0) throw Error("limits.tmp is a share of memory, and sysinfo(2) could not tell the machine's memory");
    // A whole number of pages: tmpfs rounds the size up to one anyway.
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    return std::max<std::uint64_t>(ram_bytes / 100 * it->second.value / page * page, page);
  }
  return it->second.kind == policy::Limit::Kind::unlimited ? 0 : it->second.value;
}

void apply(const std::vector<Rlimit>& entries) {
  for (const auto& entry : entries) {
    if (entry.limit.kind == policy::Limit::Kind::keep) continue;
    const rlim_t value = wanted_value(entry.limit);
    const rlimit wanted{value, value};
    if (::setrlimit(entry.resource, &wanted) == 0) continue;
    if (errno == EPERM) explain_refusal(entry, value);
    throw SystemError("setrlimit " + entry.name + " to " + show(value), errno);
  }
}

// Only core dumps are limited by default. A core file holds the process's
// memory, with whatever tokens it read, and lands in the working directory
// (the project), where the next step may publish it. The others stay as
// inherited because any fixed default breaks real builds: bundlers and test
// runners open thousands of files (nofile); nproc counts all of the user's
// processes, not the sandbox's, so parallel builds hit it (a pid cgroup is the
// right fence); artifacts and caches can be gigabytes (fsize); the timeout,
// not cpu, bounds run time; V8 and the JVM reserve far more address space
// than they use (as); and deep recursion in compilers needs the stack the
// user chose (stack).
policy::Limits defaults() {
  policy::Limits limits;
  for (const auto& [name, resource] : kResources) limits.rlimits[std::string(name)] = policy::Limit{};
  limits.rlimits["core"] = policy::Limit{policy::Limit::Kind::value, 0};
  return limits;
}

std::optional<std::string> nproc_unenforceable(const policy::Limits& limits, bool payload_is_host_root) {
  const auto it = limits.rlimits.find("nproc");
  if (!payload_is_host_root || it == limits.rlimits.end() || it->second.kind != policy::Limit::Kind::value)
    return std::nullopt;
  return "limits.nproc = " + std::to_string(it->second.value) +
         " cannot stop a command running as root: the kernel exempts uid 0 from RLIMIT_NPROC; "
         "set process.user to an unprivileged user";
}

bool payload_is_host_root(const policy::Process& process) {
  if (::getuid() != 0) return false;
  const std::string map = read_small_file("/proc/self/uid_map");
  unsigned long inside = 1, outside = 1, count = 0;
  bool zero_is_host_root = false;
  int used = 0;
  for (const char* at = map.c_str(); std::sscanf(at, "%lu %lu %lu%n", &inside, &outside, &count, &used) == 3; at += used)
    if (inside == 0) zero_is_host_root = outside == 0;
  if (!zero_is_host_root) return false;
  try {
    const auto identity = capabilities::build(process, kernel::may_set_ids());
    return !identity.switch_user || identity.uid == 0;
  } catch (const Error&) {
    return false;  // an unknown user: the run is refused later with that message
  }
}

}  // namespace airlock::limits
