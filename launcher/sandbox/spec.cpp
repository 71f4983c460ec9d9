#include "sandbox/spec.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <array>
#include <cstring>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <filesystem>
#include <set>
#include <string_view>

#include <spdlog/spdlog.h>

#include "kernel/features.hpp"
#include "policy/socket_families.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/redact.hpp"
#include "util/error.hpp"
#include "util/path.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

extern char** environ;

namespace airlock::sandbox {
namespace {

// filesystem.redact: a read-only copy without credentials bound over the
// file. It is read without following any symbolic link (a step could point
// .git at ~/.ssh); a link, or anything but a regular file, is shown empty.
void redact_in_view(mounts::Layout& plan, const policy::PathRule& rule) {
  UniqueFd fd = open_no_symlinks(rule.path, O_RDONLY | O_NONBLOCK);
  if (!fd && errno == ENOENT) return;
  struct stat st {};
  std::string text;
  if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= 1024 * 1024) {
    std::array<char, 8192> buf{};
    ssize_t n;
    while ((n = ::read(fd.get(), buf.data(), buf.size())) > 0) text.append(buf.data(), static_cast<std::size_t>(n));
    if (n < 0) throw SystemError("filesystem.redact: read " + rule.path, errno);
    text = redact_file(rule.path, text);
  } else if (!fd && errno != ELOOP && errno != EXDEV) {
    throw SystemError("filesystem.redact: open " + rule.path, errno);
  }
  mounts::add_file(plan, rule.path, text, "redact: a copy without credentials (" + rule.where.str() + ")");
}


std::vector<std::string> rule_paths(const std::vector<policy::PathRule>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(r.path);
  return out;
}

// The ELF interpreter (PT_INTERP) a dynamically linked program needs: the
// kernel opens it with the program's exec rights, so Landlock must allow it.
std::optional<std::string> elf_interpreter(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  Elf64_Ehdr eh{};
  if (pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return std::nullopt;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) return std::nullopt;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    const auto off = static_cast<off_t>(eh.e_phoff + i * sizeof ph);
    if (pread(fd.get(), &ph, sizeof ph, off) != static_cast<ssize_t>(sizeof ph)) return std::nullopt;
    if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
    std::string interp(ph.p_filesz, '\0');
    if (pread(fd.get(), interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) !=
        static_cast<ssize_t>(interp.size()))
      return std::nullopt;
    interp.resize(std::strlen(interp.c_str()));
    return interp;
  }
  return std::nullopt;
}

std::string env_value(const std::vector<std::pair<std::string, std::string>>& env, const std::string& name) {
  for (const auto& [k, v] : env)
    if (k == name) return v;
  return {};
}

// systemd socket activation: LISTEN_FDS sockets start at fd 3 and are meant
// for us only when LISTEN_PID names this process.
std::vector<int> socket_activation_fds(const HostState& host) {
  std::string fds, pid;
  for (const auto& kv : host.env) {
    if (kv.starts_with("LISTEN_FDS=")) fds = kv.substr(11);
    if (kv.starts_with("LISTEN_PID=")) pid = kv.substr(11);
  }
  if (fds.empty() || pid != std::to_string(host.pid)) return {};
  const int n = std::atoi(fds.c_str());
  std::vector<int> out;
  for (int fd = 3; fd < 3 + n && n > 0 && n < 1024; ++fd) out.push_back(fd);
  return out;
}

// "+path" write rules (caches such as ~/.npm) are made on the host when
// missing, as the invoking user, so that a first run on a fresh machine
// works like later ones. Earlier steps may have written where the path
// goes (a cache is theirs to fill), so nothing is followed
// (make_directory_nofollow): a link on the way leaves the rule unwritable.
void create_missing_write_dirs(const std::vector<policy::PathRule>& write) {
  for (const auto& rule : write) {
    if (!rule.create) continue;
    struct stat st {};
    if (::lstat(rule.path.c_str(), &st) == 0) continue;
    if (const auto why = make_directory_nofollow(rule.path); !why.empty())
      spdlog::warn("cannot create {} ({}): {}; it stays unwritable", rule.path, rule.where.str(), why);
  }
}

// A protected path reached through a symbolic link (a checked-in
// `sub/.cargo -> ~/.ssh`, a `~/.config` kept in a dotfiles repository) is
// bound by where it leads, never through the link: binding the link's
// target as the host sees it would bring back whatever it points at, even a
// hidden directory. Where it leads is protected if the step could write it
// there; elsewhere the step cannot write it anyway, and it is left alone.
// `present`: lstat(2) succeeds (RealPaths answers nullopt where it fails).
std::vector<policy::PathRule> protect_where_links_lead(std::vector<policy::PathRule> protect,
                                                       const std::vector<policy::PathRule>& write,
                                                       const mounts::ExistsFn& present) {
  std::vector<policy::PathRule> out;
  RealPaths real_paths;
  for (auto& rule : protect) {
    const auto real = present(rule.path) ? real_paths.of(rule.path) : std::nullopt;
    if (!real || rule.path == *real) {
      out.push_back(std::move(rule));
      continue;
    }
    const std::string target = *real;
    const bool writable = std::any_of(write.begin(), write.end(), [&](const policy::PathRule& w) {
      const auto root = real_paths.of(w.path);
      return root && path_within(target, *root);
    });
    if (!writable) continue;
    rule.path = target;
    out.push_back(std::move(rule));
  }
  return out;
}

}  // namespace

HostState current_host_state(const std::vector<int>& pass_fds) {
  HostState host;
  for (char** e = environ; e && *e; ++e) host.env.emplace_back(*e);
  std::error_code ec;
  host.cwd = std::filesystem::current_path(ec).string();
  host.uid = getuid();
  host.gid = getgid();
  host.root = kernel::may_set_ids();
  host.pid = getpid();
  for (int fd = 0; fd <= 2 && host.terminal.empty(); ++fd) {
    char name[256];
    if (ttyname_r(fd, name, sizeof name) == 0 && std::string_view(name).starts_with("/dev/")) host.terminal = name;
  }
  for (int sig : kRelayedSignals) {
    struct sigaction current {};
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) host.ignored_signals.push_back(sig);
  }
  // Only the descriptors a run could pass on are asked about.
  auto candidates = pass_fds;
  for (int fd : socket_activation_fds(host)) candidates.push_back(fd);
  for (int fd : candidates)
    if (fcntl(fd, F_GETFD) >= 0) host.open_fds.push_back(fd);
  host.memory_bytes = limits::memory_bytes();
  return host;
}

void make_ready_on_host(const policy::Policy& policy) {
  create_missing_write_dirs(policy.filesystem.write);
  create_missing_write_dirs(policy.filesystem.overlay);
}

void wipe(HostState& host) {
  for (auto& kv : host.env) explicit_bzero(kv.data(), kv.size());
  host.env.clear();
}

std::string find_executable(const std::string& name, const std::string& path_var, int& err) {
  err = ENOENT;
  auto usable = [&err](const std::string& candidate) {
    struct stat st {};
    if (stat(candidate.c_str(), &st) != 0) return false;
    if (S_ISDIR(st.st_mode) || access(candidate.c_str(), X_OK) != 0) {
      err = EACCES;
      return false;
    }
    return true;
  };
  if (name.find('/') != std::string::npos) {
    const auto abs = std::filesystem::absolute(name).lexically_normal().string();
    return usable(abs) ? abs : std::string();
  }
  const std::string path = path_var.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_var;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const auto dir = path.substr(start, end - start);
    if (dir.starts_with('/')) {
      const auto candidate = dir + "/" + name;
      if (usable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return {};
}

landlock::Request landlock_request(const policy::Policy& policy, const EnforcementPlan& plan,
                                   const std::string& executable) {
  landlock::Request req;
  const auto& fs = policy.filesystem;
  req.read = rule_paths(fs.read);
  req.write = rule_paths(fs.write);
  req.exec = rule_paths(fs.exec);
  // An overlay is writable only where one can be mounted (plan.overlays:
  // namespaces, Linux 6.6+); elsewhere the directory stays read-only, never
  // written through to the host.
  for (auto& path : rule_paths(fs.overlay)) (plan.overlays ? req.write : req.read).push_back(std::move(path));
  // Landlock alone must keep hidden paths out (DESIGN.md, defence in depth):
  // without namespaces it is all there is, and /etc/shadow sits in /etc.
  // filesystem.redact needs the mount namespace (a copy bound in the
  // file's place); without one (best effort) it is not applied: hiding the
  // file instead would split the project's root for Landlock.
  req = landlock::without_hidden(std::move(req), rule_paths(fs.hide), landlock::list_directory);
  // Read-only beneath writable: Landlock can only split the writable
  // directory into its entries, and nothing new could then be created in
  // it. The mount layer enforces protect (read-only binds, parents pinned);
  // Landlock takes over only where there is no mount namespace, and there
  // only outside the project: splitting the project's root would keep a
  // build from creating anything at its top (README, "limits").
  if (!plan.namespaces) {
    std::vector<std::string> protect;
    const auto project = policy.variables.find("project");
    for (const auto& path : rule_paths(fs.protect))
      if (project == policy.variables.end() || !path_within(path, project->second)) protect.push_back(path);
    req = landlock::without_writes_to(std::move(req), protect, landlock::list_directory);
  }
  // The view itself needs the command and its loader; granting them exactly
  // (files, not directories) adds nothing else.
  if (!executable.empty()) {
    req.exec.push_back(executable);
    if (auto interp = elf_interpreter(executable)) req.exec.push_back(*interp);
  }
  if (policy.network.mode == policy::NetworkMode::host && !policy.network.allow.empty()) {
    req.restrict_tcp = plan.landlock_tcp;
    for (const auto& rule : policy.network.allow)
      for (const auto& ports : rule.ports) req.connect_tcp.push_back(ports);
  } else if (policy.network.mode != policy::NetworkMode::host && !plan.namespaces) {
    // No network namespace, so no gateway: Landlock is all that narrows the
    // network, to the allowed ports (whatever the address).
    req.restrict_tcp = plan.landlock_tcp;
    if (policy.network.mode == policy::NetworkMode::allowlist)
      for (const auto& rule : policy.network.allow)
        for (const auto& ports : rule.ports) req.connect_tcp.push_back(ports);
  }
  req.refuse_tcp = plan.handoff;
  return req;
}

seccomp::Request seccomp_spec(const policy::Policy& policy, bool handoff) {
  seccomp::Request sc;
  sc.notify_connect = handoff;
  sc.default_deny = policy.syscalls.default_action == policy::SyscallDefault::deny;
  sc.allow = policy.syscalls.allow;
  sc.deny = policy.syscalls.deny;
  sc.action = policy.syscalls.action == policy::SyscallAction::kill  ? seccomp::Action::kill
              : policy.syscalls.action == policy::SyscallAction::log ? seccomp::Action::log
                                                                     : seccomp::Action::errno_;
  sc.errno_value = policy.syscalls.errno_value;
  for (const auto& name : policy.syscalls.socket_families)
    if (const auto family = policy::socket_family(name)) sc.socket_families.push_back(*family);
  return sc;
}

std::string describe_enforcement(const policy::Policy& policy, const EnforcementPlan& plan) {
  std::string out = describe(plan);
  if (!plan.complete())
    out += policy.enforcement.best_effort ? "enforcement.best_effort = true: `airlock run` runs it anyway, without what is NOT enforced or met above\n"
                                          : "`airlock run` refuses this profile here unless --best-effort is given\n";
  out += "\n";
  try {
    if (plan.landlock_abi > 0) {
      out += landlock::describe(landlock::build(landlock_request(policy, plan, ""), plan.landlock_abi));
      out += "    exec  (the command and its ELF interpreter, added at run time)\n";
    } else {
      out += "Landlock: not available on this kernel: no Landlock rule is enforced\n";
    }
  } catch (const Error& e) {
    out += std::string("Landlock: the ruleset cannot be built: ") + e.what() + "\n";
  }
  out += "\n";
  try {
    if (plan.seccomp)
      out += seccomp::describe(seccomp::build(seccomp_spec(policy, plan.handoff)));
    else
      out += "seccomp: not available on this kernel: no system call is filtered\n";
  } catch (const Error& e) {
    out += std::string("seccomp: the filter cannot be built: ") + e.what() + "\n";
  }
  return out;
}

LoopbackBy loopback_by(const Spec& spec) {
  if (!spec.namespaces || spec.host_network) return LoopbackBy::nobody;
  return spec.gateway || spec.dns_refuser ? LoopbackBy::init : LoopbackBy::payload;
}

Spec prepare(const policy::Policy& policy, const EnforcementPlan& plan, const std::vector<std::string>& command,
             const HostState& host) {
  Spec spec;
  spec.argv = command;
  spec.namespaces = plan.namespaces;
  spec.hostname = policy.process.hostname;
  spec.cwd = policy.process.cwd.value_or(host.cwd);
  spec.timeout = policy.process.timeout;
  spec.grace = policy.process.grace;

  spec.env = environment::scrub(host.env, policy.environment);
  spec.executable = find_executable(command.at(0), env_value(spec.env.env, "PATH"), spec.exec_errno);

  // The layers ask about the same paths again and again (each protected
  // path three times, the project once per rule beneath it): one stat(2)
  // and one lstat(2) per path answer them all within this snapshot.
  // Where lstat(2) failed, stat(2) fails too (with or without a trailing
  // slash): the protected paths are looked for by both.
  std::map<std::string, bool> stat_seen, lstat_seen;
  const auto known_absent = [&lstat_seen](const std::string& path) {
    const auto at = lstat_seen.find(path.size() > 1 && path.ends_with('/') ? path.substr(0, path.size() - 1) : path);
    return at != lstat_seen.end() && !at->second;
  };
  const mounts::ExistsFn exists = [&stat_seen, &known_absent](const std::string& path) {
    const auto [at, fresh] = stat_seen.try_emplace(path, false);
    if (fresh) at->second = !known_absent(path) && mounts::host_path_exists(path);
    return at->second;
  };
  const mounts::ExistsFn present = [&lstat_seen](const std::string& path) {
    const auto [at, fresh] = lstat_seen.try_emplace(path, false);
    struct stat st {};
    if (fresh) at->second = ::lstat(path.c_str(), &st) == 0;
    return at->second;
  };
  spec.watched = watch_absent_protected(policy.filesystem, present);
  // Control files below the project's top: the ones there are bound
  // read-only like the top-level ones, new ones are refused after the run.
  auto view = policy.filesystem;
  if (const auto project = policy.variables.find("project"); project != policy.variables.end()) {
    spec.nested = watch_nested_control(policy.filesystem, project->second, view.protect);
    // Too large a tree to walk: its nested control files could be neither
    // bound read-only nor looked for afterwards, less than the profile asks.
    if (!spec.nested.complete && !policy.enforcement.best_effort)
      throw Error(project->second + " has more than " + std::to_string(spec.nested.max_directories) +
                  " directories (node_modules aside) or is more than " + std::to_string(spec.nested.max_depth) +
                  " deep, so its control files below the top cannot all be protected; run airlock from the "
                  "project's own directory (--project), or accept the run without that with --best-effort");
    if (!spec.nested.complete)
      spdlog::warn("{} is too large to walk: control files below its top are neither protected nor looked for "
                   "(best effort)",
                   project->second);
  }
  view.protect = protect_where_links_lead(std::move(view.protect), view.write, present);
  if (!plan.overlays) {
    view.read.insert(view.read.end(), view.overlay.begin(), view.overlay.end());
    view.overlay.clear();
  }
  std::string resolv_conf;  // where the gateway's resolv.conf is bound, if it is
  if (plan.namespaces) {
    spec.id_map = namespaces::id_map_for(host.uid, host.gid, host.root);
    spec.mounts = mounts::build(view, exists, landlock::list_directory, mounts::host_top_level);
    if (plan.host_proc) mounts::use_host_proc(spec.mounts);
    if (const auto size = limits::tmp_size(policy.limits, host.memory_bytes)) {
      mounts::limit_private_tmp(spec.mounts, *size);
      spec.watch_limits.tmp = *size != 0;
    }
    if (plan.process_fence == EnforcementPlan::ProcessFence::pid_max) {
      const auto processes = limits::process_limit(policy.limits).value();
      const auto range = limits::pid_range_for(processes);
      spec.mounts.pid_max = range.pid_max;
      spec.mounts.last_pid = range.last_pid;
      spec.watch_limits.processes = processes;
    }
    if (!host.terminal.empty()) mounts::add_terminal(spec.mounts, host.terminal);
    if (gateway::needed(policy.network)) {
      spec.gateway = gateway::build(policy.network);
      spec.gateway->handoff = plan.handoff;
      if (spec.gateway->dns_stub) {
        resolv_conf = mounts::follow_host_symlinks("/etc/resolv.conf");
        mounts::add_file(spec.mounts, resolv_conf, spec.gateway->resolv_conf,
                         "the gateway's DNS stub (network.mode = \"allowlist\")");
      }
    }
    if (policy.network.mode == policy::NetworkMode::none && !(spec.gateway && spec.gateway->dns_stub)) {
      spec.dns_refuser = true;
      resolv_conf = mounts::follow_host_symlinks("/etc/resolv.conf");
      mounts::add_file(spec.mounts, resolv_conf, refuser_resolv_conf(),
                       "init's DNS refuser (network.mode = \"none\"): every name refused at once, and named");
    }
  }
  if (plan.namespaces)
    for (const auto& rule : policy.filesystem.redact) redact_in_view(spec.mounts, rule);
  spec.caps = capabilities::build(policy.process, host.root);
  auto limits = limits::defaults();
  for (const auto& [name, limit] : policy.limits.rlimits) limits.rlimits[name] = limit;
  if (plan.process_fence == EnforcementPlan::ProcessFence::rlimit) {
    const auto processes = limits::process_limit(policy.limits).value();
    auto& nproc = limits.rlimits["nproc"];
    if (nproc.kind != policy::Limit::Kind::value || nproc.value > processes)
      nproc = policy::Limit{policy::Limit::Kind::value, processes};
  }
  spec.limits = limits::build(limits);

  if (plan.landlock_abi > 0) {
    auto request = landlock_request(policy, plan, spec.executable);
    // Where /etc/resolv.conf leads (into /run under systemd-resolved), so the
    // stub's file the symlink reaches is readable too.
    if (!resolv_conf.empty() && resolv_conf != "/etc/resolv.conf") request.read.push_back(resolv_conf);
    spec.landlock = landlock::build(request, plan.landlock_abi);
    // Rules on the host's own files are added while init builds the view.
    if (plan.namespaces)
      for (auto& rule : spec.landlock->paths) rule.host_base = mounts::host_identical_base(spec.mounts, rule.path);
  }
  if (plan.seccomp) spec.seccomp = seccomp::build(seccomp_spec(policy, spec.gateway && spec.gateway->handoff));

  spec.ignored_signals = host.ignored_signals;
  spec.pass_fds = policy.process.pass_fds;
  for (int fd : socket_activation_fds(host)) {
    spec.pass_fds.push_back(fd);
    ++spec.listen_fds;
  }
  for (int fd : spec.pass_fds)
    if (std::find(host.open_fds.begin(), host.open_fds.end(), fd) == host.open_fds.end())
      throw Error("process.pass_fds names fd " + std::to_string(fd) + ", which is not open");
  if (!spec.pass_fds.empty()) {
    std::sort(spec.pass_fds.begin(), spec.pass_fds.end());
    spec.pass_fds.erase(std::unique(spec.pass_fds.begin(), spec.pass_fds.end()), spec.pass_fds.end());
  }
  return spec;
}

namespace {

std::string joined(const std::vector<std::string>& words, const char* separator = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

template <typename Number>
std::string numbers(const std::vector<Number>& values) {
  std::vector<std::string> words;
  for (auto v : values) words.push_back(std::to_string(v));
  return joined(words);
}

std::string limit_text(const policy::Limit& limit) {
  switch (limit.kind) {
    case policy::Limit::Kind::value: return std::to_string(limit.value);
    case policy::Limit::Kind::unlimited: return "unlimited";
    case policy::Limit::Kind::keep: return "keep";
    case policy::Limit::Kind::percent_of_ram: return std::to_string(limit.value) + "% of RAM";
  }
  return "?";
}

std::string indented(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    out += "  " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string describe(const Spec& spec) {
  std::string out;
  auto line = [&out](const std::string& key, const std::string& value) { out += key + ": " + value + "\n"; };
  line("argv", joined(spec.argv));
  line("executable", spec.executable.empty() ? "(not found, errno " + std::to_string(spec.exec_errno) + ")" : spec.executable);
  line("cwd", spec.cwd);
  line("hostname", spec.hostname);
  line("namespaces", spec.namespaces ? "yes" : "no");
  line("host network", spec.host_network ? "yes" : "no");
  auto one_line = [](std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  };
  line("uid_map", one_line(spec.id_map.uid_map));
  line("gid_map", one_line(spec.id_map.gid_map));
  line("setgroups", spec.id_map.deny_setgroups ? "deny" : "allow");
  out += "environment:\n";
  for (const auto& [name, value] : spec.env.env) out += "  " + name + "=" + value + "\n";
  for (const auto& dropped : spec.env.dropped) out += "  dropped " + dropped.name + " (" + dropped.reason + ")\n";
  std::vector<std::string> caps;
  for (auto cap : spec.caps.keep) caps.push_back(std::to_string(cap));
  line("capabilities kept", caps.empty() ? "none" : joined(caps));
  line("user switch", spec.caps.switch_user ? std::to_string(spec.caps.uid) + ":" + std::to_string(spec.caps.gid) +
                                                  " groups " + numbers(spec.caps.groups)
                                            : "no");
  out += "rlimits:\n";
  for (const auto& entry : spec.limits) out += "  " + entry.name + " " + limit_text(entry.limit) + "\n";
  line("pass fds", numbers(spec.pass_fds));
  line("listen fds", std::to_string(spec.listen_fds));
  line("timeout", spec.timeout ? std::to_string(spec.timeout->count()) + " ms" : "none");
  line("grace", std::to_string(spec.grace.count()) + " ms");
  line("ignored signals", numbers(spec.ignored_signals));
  line("dns refuser", spec.dns_refuser ? "yes" : "no");
  line("loopback by", loopback_by(spec) == LoopbackBy::init      ? "init"
                      : loopback_by(spec) == LoopbackBy::payload ? "payload"
                                                                 : "nobody");
  line("watched limits", "processes " + std::to_string(spec.watch_limits.processes) +
                             (spec.watch_limits.tmp ? ", tmp" : ""));
  out += "watched absent paths:\n";
  for (const auto& w : spec.watched) out += "  " + w.path + " (below " + w.base + ")\n";
  line("nested control", spec.nested.project + (spec.nested.complete ? "" : " (incomplete)") + ": " +
                             joined(spec.nested.relatives, ", ") + "; existing: " + joined(spec.nested.existing, ", "));
  out += "mounts:\n" + indented(mounts::describe(spec.mounts));
  out += "landlock:\n" + (spec.landlock ? indented(landlock::describe(*spec.landlock)) : std::string("  none\n"));
  out += "seccomp:\n" + (spec.seccomp ? indented(seccomp::describe(*spec.seccomp)) : std::string("  none\n"));
  out += "gateway:\n" + (spec.gateway ? indented(gateway::describe(*spec.gateway)) : std::string("  none\n"));
  return out;
}

}  // namespace airlock::sandbox
