#include "policy/build.hpp"

#include <seccomp.h>
#include <sys/capability.h>

#include <algorithm>
#include <sstream>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <sys/resource.h>

#include "policy/egress.hpp"
#include "policy/socket_families.hpp"
#include "policy/units.hpp"
#include "util/path.hpp"

namespace airlock::policy {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 12> kErrnoNames{{
    {"EPERM", EPERM}, {"EACCES", EACCES}, {"ENOSYS", ENOSYS}, {"EINVAL", EINVAL}, {"ENOENT", ENOENT},
    {"EIO", EIO}, {"EROFS", EROFS}, {"EAGAIN", EAGAIN}, {"ENOTSUP", ENOTSUP}, {"EOPNOTSUPP", EOPNOTSUPP},
    {"ENOMEM", ENOMEM}, {"EFAULT", EFAULT}}};

class PolicyBuilder {
 public:
  PolicyBuilder(const std::map<std::string, MergedField>& fields, Diagnostics& diag) : fields_(fields), diag_(diag) {}

  void build(Policy& p) {
    build_filesystem(p.filesystem);
    build_network(p.network);
    build_environment(p.environment);
    build_syscalls(p.syscalls);
    build_process(p.process);
    build_limits(p.limits);
    build_enforcement(p.enforcement);
    build_install_scripts(p.install_scripts);
  }

 private:
  const MergedField* get(const std::string& key) const {
    auto it = fields_.find(key);
    return it == fields_.end() || !it->second.present ? nullptr : &it->second;
  }
  const std::vector<Item>& list(const std::string& key) const {
    static const std::vector<Item> none;
    const auto* f = get(key);
    return f ? f->list : none;
  }

  template <typename Enum, std::size_t N>
  void choose(const std::string& key, const std::array<std::pair<std::string_view, Enum>, N>& options, Enum& out) {
    const auto* f = get(key);
    if (!f) return;
    std::string expected;
    for (const auto& [name, value] : options) {
      if (f->scalar.text == name) {
        out = value;
        return;
      }
      expected += (expected.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    }
    diag_.error(f->scalar.where, key, "unknown value \"" + f->scalar.text + "\"; expected " + expected);
  }

  std::vector<PathRule> paths(const std::string& key, bool under_dev = false) {
    std::vector<PathRule> out;
    for (const auto& item : list(key)) {
      PathRule rule;
      rule.optional = item.text.starts_with('?');
      rule.create = item.text.starts_with('+');
      rule.path = rule.optional || rule.create ? item.text.substr(1) : item.text;
      if (rule.create && key != "filesystem.write" && key != "filesystem.overlay") {
        diag_.error(item.where, key, "\"+\" (create when missing) is only for filesystem.write and filesystem.overlay");
        continue;
      }
      // A path that could not be created is skipped like an optional one.
      rule.optional = rule.optional || rule.create;
      rule.where = item.where;
      if (!rule.path.starts_with('/')) {
        diag_.error(item.where, key,
                    "\"" + rule.path + "\" is not an absolute path; write \"/...\" or start with ${project}, ${home}");
        continue;
      }
      auto normal = normalize_absolute(rule.path);
      if (!normal) {
        diag_.error(item.where, key, "\"" + rule.path + "\" contains \"..\"; name the real path");
        continue;
      }
      rule.path = std::move(*normal);
      if (under_dev && !rule.path.starts_with("/dev/")) {
        diag_.error(item.where, key, "\"" + rule.path + "\" is not a device under /dev/");
        continue;
      }
      out.push_back(std::move(rule));
    }
    return out;
  }

  void build_filesystem(Filesystem& fs) {
    choose<View, 2>("filesystem.view", {{{"host", View::host}, {"minimal", View::minimal}}}, fs.view);
    fs.read = paths("filesystem.read");
    fs.write = paths("filesystem.write");
    fs.exec = paths("filesystem.exec");
    fs.hide = paths("filesystem.hide");
    fs.devices = paths("filesystem.devices", true);
    fs.protect = paths("filesystem.protect");
    fs.redact = paths("filesystem.redact");
    fs.overlay = paths("filesystem.overlay");
  }

  void build_network(Network& net) {
    choose<NetworkMode, 3>("network.mode",
                           {{{"none", NetworkMode::none}, {"allowlist", NetworkMode::allowlist},
                             {"host", NetworkMode::host}}},
                           net.mode);
    std::string why;
    for (const auto& item : list("network.allow")) {
      if (auto rule = parse_egress_rule(item.text, why)) {
        rule->where = item.where;
        net.allow.push_back(std::move(*rule));
      } else {
        diag_.error(item.where, "network.allow", "\"" + item.text + "\": " + why);
      }
    }
    for (auto [key, out] : {std::pair{"network.forward", &net.forward}, std::pair{"network.publish", &net.publish}}) {
      for (const auto& item : list(key)) {
        if (auto endpoint = parse_endpoint(item.text, why)) {
          endpoint->where = item.where;
          out->push_back(std::move(*endpoint));
        } else {
          diag_.error(item.where, key, "\"" + item.text + "\": " + why);
        }
      }
    }
    if (const auto* hosts = get("network.hosts")) {
      for (const auto& [name, item] : hosts->map) {
        if (!is_ip_literal(item.text))
          diag_.error(item.where, "network.hosts." + name, "\"" + item.text + "\" is not a literal IP address");
        else
          net.hosts[name] = item.text;
      }
    }
    if (const auto* f = get("network.handoff")) net.handoff = f->scalar.text == "true";
  }

  // Environment names may hold any byte but '=' and NUL (npm reads
  // "npm_config_//host/:_authToken"); globs add nothing to that.
  static bool is_env_name(const std::string& s, bool glob) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [glob](unsigned char c) {
      return c > ' ' && c != '=' && c < 0x7f && (glob || (c != '*' && c != '?' && c != '['));
    });
  }

  std::vector<std::string> names(const std::string& key, bool glob) {
    std::vector<std::string> out;
    for (const auto& item : list(key)) {
      if (!is_env_name(item.text, glob))
        diag_.error(item.where, key,
                    "\"" + item.text + "\" is not a variable name" + (glob ? " or glob" : "") + " (no spaces, no '=')");
      else
        out.push_back(item.text);
    }
    return out;
  }

  void build_environment(Environment& env) {
    env.keep = names("environment.keep", true);
    env.deny = names("environment.deny", true);
    env.allow_secrets = names("environment.allow_secrets", false);
    if (const auto* set = get("environment.set")) {
      for (const auto& [name, item] : set->map) {
        if (!is_env_name(name, false))
          diag_.error(item.where, "environment.set", "\"" + name + "\" is not a valid variable name");
        else
          env.set[name] = item.text;
      }
    }
  }

  std::vector<std::string> syscall_names(const std::string& key) {
    std::vector<std::string> out;
    for (const auto& item : list(key)) {
      if (seccomp_syscall_resolve_name(item.text.c_str()) == __NR_SCMP_ERROR)
        diag_.error(item.where, key, "unknown syscall \"" + item.text + "\"");
      else
        out.push_back(item.text);
    }
    return out;
  }

  void build_syscalls(Syscalls& sc) {
    choose<SyscallDefault, 2>("syscalls.default",
                              {{{"allow", SyscallDefault::allow}, {"deny", SyscallDefault::deny}}}, sc.default_action);
    choose<SyscallAction, 3>("syscalls.action",
                             {{{"errno", SyscallAction::errno_}, {"kill", SyscallAction::kill},
                               {"log", SyscallAction::log}}},
                             sc.action);
    sc.allow = syscall_names("syscalls.allow");
    sc.deny = syscall_names("syscalls.deny");
    if (const auto* f = get("syscalls.errno")) {
      if (auto value = errno_from_name(f->scalar.text))
        sc.errno_value = *value;
      else
        diag_.error(f->scalar.where, "syscalls.errno", "unknown errno \"" + f->scalar.text + "\"; expected e.g. \"EPERM\"");
    }
    for (const auto& item : list("syscalls.socket_families")) {
      if (!socket_family(item.text))
        diag_.error(item.where, "syscalls.socket_families",
                    "unknown address family \"" + item.text + "\"; known: " + socket_family_names());
      else if (std::find(sc.socket_families.begin(), sc.socket_families.end(), item.text) == sc.socket_families.end())
        sc.socket_families.push_back(item.text);
    }
  }

  std::optional<std::chrono::milliseconds> duration(const std::string& key) {
    const auto* f = get(key);
    if (!f) return std::nullopt;
    std::string why;
    auto d = parse_duration(f->scalar.text, why);
    if (!d) diag_.error(f->scalar.where, key, "\"" + f->scalar.text + "\" is not " + why);
    return d;
  }

  // Each entry is checked as network.allow checks its own, so that a typo
  // fails `airlock check`, not the package's build.
  void build_install_scripts(InstallScripts& out) {
    const auto* field = get("install_scripts.allow_net");
    if (!field) return;
    for (const auto& [package, item] : field->map) {
      const std::string key = "install_scripts.allow_net." + package;
      std::vector<std::string> destinations;
      std::istringstream words(item.text);
      for (std::string word; words >> word;) {
        std::string why;
        if (parse_egress_rule(word, why)) destinations.push_back(word);
        else diag_.error(item.where, key, "\"" + word + "\": " + why);
      }
      if (destinations.empty()) diag_.error(item.where, key, "names no destination (HOST:PORT, space-separated)");
      else out.allow_net[package] = std::move(destinations);
    }
  }

  void build_process(Process& proc) {
    proc.timeout = duration("process.timeout");
    if (auto grace = duration("process.grace")) proc.grace = *grace;
    for (const auto& item : list("process.capabilities")) {
      std::string upper = item.text;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      cap_value_t cap{};
      if (!upper.starts_with("CAP_") || cap_from_name(upper.c_str(), &cap) != 0)
        diag_.error(item.where, "process.capabilities", "unknown capability \"" + item.text + "\" (expected e.g. CAP_NET_BIND_SERVICE)");
      else
        proc.capabilities.push_back(upper);
    }
    if (const auto* f = get("process.user")) proc.user = f->scalar.text;
    if (const auto* f = get("process.group")) proc.group = f->scalar.text;
    for (const auto& item : list("process.token_phase")) {
      if (item.text != "npm")
        diag_.error(item.where, "process.token_phase", "unknown tool \"" + item.text + "\"; known: npm");
      else
        proc.token_phase.push_back(item.text);
    }
    for (const auto& item : list("process.pass_fds")) {
      int fd = -1;
      std::from_chars(item.text.data(), item.text.data() + item.text.size(), fd);
      if (fd < 3)
        diag_.error(item.where, "process.pass_fds", "fd " + item.text + " must be 3 or more (0-2 are stdio, always passed)");
      else
        proc.pass_fds.push_back(fd);
    }
    if (const auto* f = get("process.hostname")) {
      const auto& h = f->scalar.text;
      const bool ok = !h.empty() && h.size() <= 64 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.';
      });
      if (ok) proc.hostname = h;
      else diag_.error(f->scalar.where, "process.hostname", "\"" + h + "\" is not a hostname (letters, digits, '-', '.', at most 64)");
    }
    if (const auto* f = get("process.cwd")) {
      if (!f->scalar.text.starts_with('/'))
        diag_.error(f->scalar.where, "process.cwd", "\"" + f->scalar.text + "\" is not an absolute path");
      else
        proc.cwd = f->scalar.text;
    }
  }

  void build_limits(Limits& limits) {
    for (const auto& spec : schema()) {
      if (spec.section != "limits") continue;
      const std::string key = "limits." + std::string(spec.key);
      const auto* f = get(key);
      if (!f) continue;
      limits.rlimits[std::string(spec.key)] = parse_limit(spec.key, *f, key);
    }
  }

  Limit parse_limit(std::string_view name, const MergedField& f, const std::string& key) {
    const auto& text = f.scalar.text;
    if (text == "unlimited") return Limit{Limit::Kind::unlimited, RLIM_INFINITY};
    if (text == "keep") return Limit{Limit::Kind::keep, 0};
    if (name == "tmp" && text.size() > 1 && text.back() == '%') {
      const auto digits = text.substr(0, text.size() - 1);
      if (digits.size() <= 3 && digits.find_first_not_of("0123456789") == std::string::npos) {
        const auto percent = std::stoull(digits);
        if (percent >= 1 && percent <= 100) return Limit{Limit::Kind::percent_of_ram, percent};
      }
      diag_.error(f.scalar.where, key, "\"" + text + "\" is not a percentage of memory from 1% to 100%");
      return {};
    }
    std::string why;
    std::optional<std::uint64_t> value;
    if (name == "cpu") {
      if (text.find_first_not_of("0123456789") == std::string::npos && !text.empty()) {
        value = std::stoull(text);
      } else if (auto d = parse_duration(text, why)) {
        value = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(*d).count());
      }
      why = "seconds or " + why;
    } else if (name == "fsize" || name == "as" || name == "stack" || name == "core" || name == "tmp") {
      value = parse_size(text, why);
    } else if (text.find_first_not_of("0123456789") == std::string::npos && !text.empty() && text.size() < 19) {
      value = std::stoull(text);
    } else {
      why = "a number";
    }
    if (!value) {
      diag_.error(f.scalar.where, key, "\"" + text + "\" is not " + why + ", \"unlimited\" or \"keep\"");
      return {};
    }
    // The command itself is one; the kernel's pid_max cannot go lower, nor
    // above PID_MAX_LIMIT (4194304), of which 299 pids are never handed out.
    constexpr std::uint64_t kMostProcesses = 4194304 - 299;
    if (name == "processes" && (*value < 2 || *value > kMostProcesses)) {
      diag_.error(f.scalar.where, key,
                  "\"" + text + "\" is out of range: from 2 (the command and one more) to " +
                      std::to_string(kMostProcesses) + " (the kernel's most pids)");
      return {};
    }
    return Limit{Limit::Kind::value, *value};
  }

  void build_enforcement(Enforcement& enf) {
    if (const auto* f = get("enforcement.best_effort")) enf.best_effort = f->scalar.text == "true";
    for (const auto& item : list("enforcement.require")) {
      Requirement req;
      req.text = item.text;
      req.where = item.where;
      const auto ge = item.text.find(">=");
      req.feature = item.text.substr(0, ge);
      const auto& known = known_features();
      if (std::find(known.begin(), known.end(), req.feature) == known.end()) {
        std::string list_text;
        for (const auto& k : known) list_text += (list_text.empty() ? "" : ", ") + k;
        diag_.error(item.where, "enforcement.require", "unknown feature \"" + req.feature + "\"; expected one of " + list_text);
        continue;
      }
      if (ge != std::string::npos) {
        const auto version = item.text.substr(ge + 2);
        auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), req.min_version);
        if (ec != std::errc() || end != version.data() + version.size() || req.min_version < 1 || req.feature != "landlock") {
          diag_.error(item.where, "enforcement.require",
                      "\"" + item.text + "\": only landlock takes a minimum version, as \"landlock>=4\"");
          continue;
        }
      }
      enf.require.push_back(std::move(req));
    }
  }

  const std::map<std::string, MergedField>& fields_;
  Diagnostics& diag_;
};

}  // namespace

std::optional<int> errno_from_name(const std::string& name) {
  for (const auto& [n, value] : kErrnoNames)
    if (n == name) return value;
  int value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec == std::errc() && end == name.data() + name.size() && value > 0 && value < 4096) return value;
  return std::nullopt;
}

std::string errno_name(int value) {
  for (const auto& [n, v] : kErrnoNames)
    if (v == value) return std::string(n);
  return std::to_string(value);
}

const std::vector<std::string>& known_features() {
  static const std::vector<std::string> features = {"userns", "mountns", "pidns", "netns", "ipcns", "utsns",
                                                    "cgroupns", "landlock", "seccomp", "seccomp-notify"};
  return features;
}

void build_policy(const std::map<std::string, MergedField>& fields, Policy& policy, Diagnostics& diag) {
  PolicyBuilder(fields, diag).build(policy);
}

}  // namespace airlock::policy
