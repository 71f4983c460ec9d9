#include "audit/generate.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "audit/paths.hpp"
#include "policy/egress.hpp"
#include "sandbox/environment.hpp"
#include "util/shell.hpp"

namespace airlock::audit {
namespace {

using paths::component;
using paths::prefix;

// Granted whole for reading and executing: they hold the system's
// programs, libraries and configuration, and profiles already name them so.
constexpr std::array kSystemTrees = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
                                     "opt", "etc", "nix", "snap", "gnu"};

// Calls whose users fall back to something else when they are refused
// (libuv, and so node, tries io_uring and uses its thread pool without it):
// observed, reported, and left refused.
constexpr std::array kCallsWithFallback = {"io_uring_setup", "io_uring_enter", "io_uring_register"};

// Caches and tools' directories under the home directory, by directory:
// ~/.npm, ~/.cache/pip, ~/.config/git, ~/.local/share/x; the depth of that
// level for `path` (which lies within the home directory).
std::size_t home_level(const std::string& path, const Places& places) {
  const std::size_t d = path_depth(places.home);
  const std::string_view first = component(path, d);
  if (first == ".cache" || first == ".config") return d + 2;
  if (first == ".local") {
    const std::string_view second = component(path, d + 1);
    return (second == "share" || second == "state" || second == "lib") ? d + 3 : d + 2;
  }
  return d + 1;
}

bool is_system_tree(std::string_view first) {
  return std::find(kSystemTrees.begin(), kSystemTrees.end(), first) != kSystemTrees.end();
}

bool has_fallback(const std::string& call) {
  return std::find(kCallsWithFallback.begin(), kCallsWithFallback.end(), call) != kCallsWithFallback.end();
}

// Either path lies within the other: a grant on one reaches the other.
bool overlaps(const std::string& a, const std::string& b) { return path_within(a, b) || path_within(b, a); }

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not
// one (a TOML document must be valid UTF-8, file names need not be).
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) >> 6) != 0x2) return 0;
  return n;
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Comment text stays on its line, and valid UTF-8, whatever a file name holds.
std::string comment_safe(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7f))) {
      out += '?';
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

class Planner {
 public:
  Planner(const Assessment& assessment, const BaseView& base, const Places& places)
      : assessment_(assessment), base_(base), places_(places) {}

  ProfilePlan run() {
    for (const auto& need : assessment_.needs) place(need);
    merge();
    plan_network();
    plan_.syscalls_default_deny = base_.syscalls_default_deny;
    for (const auto& [call, times] : assessment_.syscalls)
      (has_fallback(call) ? plan_.syscalls_left_denied : plan_.syscalls).push_back(call);
    std::sort(plan_.refused.begin(), plan_.refused.end());
    plan_.refused.erase(std::unique(plan_.refused.begin(), plan_.refused.end()), plan_.refused.end());
    return std::move(plan_);
  }

 private:
  // Why no grant may name `path` for `access`; empty when one may.
  std::string objection(const std::string& path, Access access) const {
    if (path == "/") return "is /";
    if (!valid_utf8(path)) return "is not valid UTF-8, which a profile cannot hold";
    if (places_.home != "/" && path_within(places_.home, path))
      return path == places_.home ? "is the home directory" : "holds the home directory";
    for (const auto& s : places_.secrets)
      if (overlaps(path, s)) return path_within(path, s) ? "is a known secret" : "holds a known secret (" + s + ")";
    if (access == Access::write)
      for (const auto& w : places_.write_protected)
        if (overlaps(path, w))
          return "holds a place a later login, tool or the developer obeys (" + w +
                 ": shell start-up, airlock or git configuration, a PATH directory, autostart, ...)";
    return {};
  }

  // Under the home directory a write that created a tool's directory
  // (~/.npm, ~/.cache/pip) is granted that directory, which exists since the
  // audit, rather than the directory holding it (~, ~/.cache), which would
  // open every other tool's files too.
  std::set<std::string> created_tool_dirs(const Need& need) const {
    std::set<std::string> dirs, shallow;
    if (need.access != Access::write || need.created_child.empty() || places_.home == "/" ||
        !path_within(need.anchor, places_.home) || (places_.project != "/" && path_within(need.anchor, places_.project)))
      return dirs;
    for (const auto& path : need.observed) {
      const std::size_t level = home_level(path, places_);
      if (level <= path_depth(need.anchor)) continue;
      // "~/.cache" itself is no tool's directory when one below it was seen.
      if (path_depth(path) >= level) {
        dirs.insert(prefix(path, level));
      } else if (path_depth(path) > path_depth(need.anchor)) {
        shallow.insert(path);
      }
    }
    if (dirs.empty()) return shallow;
    std::set<std::string> outermost;
    for (const auto& d : dirs)
      if (std::none_of(dirs.begin(), dirs.end(), [&](const std::string& o) { return o != d && path_within(d, o); }))
        outermost.insert(d);
    return outermost;
  }

  void place(const Need& need) {
    if (const auto dirs = created_tool_dirs(need); !dirs.empty()) {
      for (const auto& dir : dirs) {
        if (objection(dir, need.access).empty()) {
          add(Grant{need.access, dir, true, {}, true}, need);
        } else {
          plan_.refused.push_back(Refusal{need.access, dir, objection(dir, need.access)});
        }
      }
      return;
    }
    const std::string candidate = collapse(need, places_);
    // From the collapsed directory down to the anchor: the first path no
    // objection applies to.
    for (std::size_t n = path_depth(candidate); n <= path_depth(need.anchor); ++n) {
      const std::string path = n == path_depth(candidate) ? candidate : prefix(need.anchor, n);
      if (objection(path, need.access).empty()) {
        add(Grant{need.access, path, optional(path), {}, false}, need);
        return;
      }
    }
    // The anchor itself may not be granted (the home directory, typically,
    // where the command created a cache directory): the directory it
    // created exists now, and may be.
    if (!need.created_child.empty() && need.access == Access::write &&
        objection(need.created_child, need.access).empty()) {
      add(Grant{need.access, need.created_child, true, {}, true}, need);
      return;
    }
    plan_.refused.push_back(Refusal{need.access, need.anchor, objection(need.anchor, need.access) + " (e.g. " +
                                                                  profile_path(need.example, places_) + ")"});
  }

  bool optional(const std::string& path) const {
    return places_.home != "/" && path_within(path, places_.home) &&
           !(places_.project != "/" && path_within(path, places_.project));
  }

  // The comment's example: the smallest observed path below the grant
  // (stable whether or not the command also created the grant's directory).
  static std::string example_for(const std::string& grant, const Need& need) {
    for (const auto& p : need.observed)
      if (p != grant && path_within(p, grant)) return p;
    return grant;
  }

  void add(Grant grant, const Need& need) {
    grant.example = example_for(grant.path, need);
    grants_.push_back(std::move(grant));
  }

  // One grant per tree: a grant within another of the same kind goes, and
  // so does a read within a write (write implies read).
  void merge() {
    std::sort(grants_.begin(), grants_.end(), [](const Grant& a, const Grant& b) {
      return std::tie(a.access, a.path, a.example) < std::tie(b.access, b.path, b.example);
    });
    auto covered_by = [&](const Grant& g, Access by) {
      return std::any_of(grants_.begin(), grants_.end(), [&](const Grant& other) {
        return other.access == by && &other != &g && path_within(g.path, other.path) &&
               (other.path != g.path || by != g.access || &other < &g);
      });
    };
    for (const auto& g : grants_) {
      if (covered_by(g, g.access)) continue;
      if (g.access == Access::read && covered_by(g, Access::write)) continue;
      plan_.grants.push_back(g);
    }
  }

  void plan_network() {
    std::set<std::string> forward, allow;
    for (const auto& d : assessment_.forward) forward.insert(d.text());
    for (const auto& d : assessment_.allow) allow.insert(d.text());
    for (const auto& named : assessment_.allow_names) {
      // A name from a DNS query may hold anything; a rule holds a DNS name.
      std::string why;
      if (policy::parse_egress_rule(named.text(), why)) {
        allow.insert(named.text());
      } else {
        plan_.network_refused.push_back(named.text() + ": " + why);
      }
    }    plan_.forward.assign(forward.begin(), forward.end());
    plan_.allow.assign(allow.begin(), allow.end());
    plan_.allowlist = base_.mode == policy::NetworkMode::none && !plan_.allow.empty();
  }

  const Assessment& assessment_;
  const BaseView& base_;
  const Places& places_;
  std::vector<Grant> grants_;
  ProfilePlan plan_;
};

std::string command_text(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& arg : command) {
    // A token on a command line must not end up in a file meant for review and version control.
    const std::string shown = environment::credential_kind(arg) ? "<redacted>" : arg;
    out += (out.empty() ? "" : " ") + shell_word(shown);
  }
  return comment_safe(out);
}

// The example cut to one level below the grant ("~/.npm/_logs/..."): file
// names with dates or hashes in them would make every audit's output differ.
std::string example_below(const std::string& grant, const std::string& example) {
  if (!path_within(example, grant) || path_depth(example) <= path_depth(grant) + 1) return example;
  return prefix(example, path_depth(grant) + 1) + "/...";
}

std::string shortened(std::string text) {
  constexpr std::size_t kMax = 60;
  if (text.size() > kMax) text = text.substr(0, kMax - 3) + "...";
  return text;
}

void write_paths(std::ostringstream& out, const char* key, const ProfilePlan& plan, Access access,
                 const Places& places) {
  std::vector<std::pair<std::string, const Grant*>> entries;
  for (const auto& g : plan.grants)
    // Under home, a directory to write is created when missing ("+"), so
    // the profile works on a fresh machine; one only read is skipped ("?").
    if (g.access == access)
      entries.emplace_back((g.optional ? (access == Access::write ? "+" : "?") : "") + profile_path(g.path, places), &g);
  if (entries.empty()) return;
  std::sort(entries.begin(), entries.end());
  out << key << " = [\n";
  for (const auto& [text, g] : entries) {
    out << "  " << quote(text) << ",";
    if (g->example != g->path)
      out << "  # e.g. " << comment_safe(profile_path(example_below(g->path, g->example), places));
    out << "\n";
  }
  out << "]\n";
}

void write_list(std::ostringstream& out, const char* key, const std::vector<std::string>& values) {
  out << key << " = [";
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << quote(values[i]);
  out << "]\n";
}

void write_header(std::ostringstream& out, const ProfilePlan& plan, const Assessment& assessment,
                  const Places& places, const GenerateOptions& options) {
  out << "# Generated by `airlock audit` (airlock " << options.airlock_version << "). Review it before use.\n"
      << "# Command: " << command_text(options.command) << "\n"
      << "# It extends " << quote(options.extends)
      << " with what the command used that the base does not allow,\n"
      << "# paths collapsed to directories. Everything else stays as the base says.\n";
  const auto any = [&](Access access) {
    return std::any_of(plan.grants.begin(), plan.grants.end(),
                       [&](const Grant& g) { return g.optional && g.access == access; });
  };
  if (any(Access::write))
    out << "# An entry written \"+path\" (a tool's cache under home) is created, as a 0700\n"
        << "# directory of yours, where it does not exist yet: the profile works on a fresh machine.\n";
  if (any(Access::read) || any(Access::exec))
    out << "# An entry written \"?path\" is skipped where the path does not exist.\n";
  if (!assessment.secrets.empty()) {
    out << "#\n# KNOWN SECRETS THE COMMAND TOUCHED (hidden during the audit, NOT granted here):\n";
    for (const auto& s : assessment.secrets)
      out << "#   " << comment_safe(profile_path(s.path, places)) << ": " << comment_safe(s.how) << "\n";
  }
  if (!plan.refused.empty() || !plan.network_refused.empty()) {
    out << "#\n# Needed but NOT granted (no safe rule covers them; the command may fail there):\n";
    for (const auto& r : plan.refused)
      out << "#   " << access_name(r.access) << " " << comment_safe(profile_path(r.path, places)) << ": "
          << comment_safe(r.why) << "\n";
    for (const auto& r : plan.network_refused) out << "#   connect " << comment_safe(r) << "\n";
  }
  if (!assessment.unconnected.empty()) {
    out << "#\n# Attempted, NOT granted (nothing answered from the host, so the command's connect()\n"
        << "# failed as it would have without the audit):\n";
    for (const auto& to : assessment.unconnected) out << "#   connect " << comment_safe(to) << "\n";
  }
}

void write_syscalls(std::ostringstream& out, const ProfilePlan& plan) {
  if (plan.syscalls.empty() && plan.syscalls_left_denied.empty()) return;
  out << "\n[syscalls]\n";
  for (const auto& call : plan.syscalls_left_denied)
    out << "# " << call << ": used, but left refused (callers fall back when it is refused)\n";
  if (plan.syscalls.empty()) return;
  out << "# The base refuses these and the command used them: each entry lifts a refusal.\n"
      << "# Check that each is really needed.\n"
      << (plan.syscalls_default_deny ? "allow" : "deny") << " = [\n";
  for (const auto& call : plan.syscalls)
    out << "  " << quote(plan.syscalls_default_deny ? call : "!" + call) << ",  # FLAGGED: refused by the base\n";
  out << "]\n";
}

}  // namespace

std::string collapse(const Need& need, const Places& places) {
  const std::string& anchor = need.anchor;
  const bool reading = need.access != Access::write;
  for (const char* served : {"/tmp", "/proc", "/dev"})
    if (path_within(anchor, served)) return served;  // the sandbox's own mounts
  if (places.project != "/" && path_within(anchor, places.project))
    return reading ? prefix(anchor, path_depth(places.project) + 1) : anchor;
  if (places.home != "/" && path_within(anchor, places.home)) return prefix(anchor, home_level(anchor, places));
  if (is_system_tree(component(anchor, 0))) return reading ? prefix(anchor, 1) : anchor;
  return reading ? prefix(anchor, 3) : anchor;
}

std::string profile_path(const std::string& path, const Places& places) {
  auto escape = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      out += c;
      if (c == '$') out += '$';  // "$$" is a literal '$' in profile values
    }
    return out;
  };
  struct Var {
    const char* name;
    const std::string* dir;
  };
  std::array<Var, 2> vars = {Var{"${project}", &places.project}, Var{"${home}", &places.home}};
  // The longer directory first: a project inside the home is ${project}.
  if (places.home.size() > places.project.size()) std::swap(vars[0], vars[1]);
  for (const auto& var : vars)
    if (var.dir->size() > 1 && path_within(path, *var.dir)) return var.name + escape(path.substr(var.dir->size()));
  return escape(path);
}

ProfilePlan plan_profile(const Assessment& assessment, const BaseView& base, const Places& places) {
  return Planner(assessment, base, places).run();
}

std::string render(const ProfilePlan& plan, const Assessment& assessment, const Places& places,
                   const GenerateOptions& options) {
  std::ostringstream out;
  write_header(out, plan, assessment, places, options);
  out << "\n[profile]\n"
      << "description = " << quote(options.extends + " plus what `" + shortened(command_text(options.command)) +
                                   "` used (airlock audit)")
      << "\n"
      << "extends = [" << quote(options.extends) << "]\n";
  const bool any_path = !plan.grants.empty();
  if (any_path) {
    out << "\n[filesystem]\n";
    write_paths(out, "read", plan, Access::read, places);
    write_paths(out, "write", plan, Access::write, places);
    write_paths(out, "exec", plan, Access::exec, places);
  }
  if (!plan.forward.empty() || !plan.allow.empty()) {
    out << "\n[network]\n";
    if (plan.allowlist) out << "mode = \"allowlist\"\n";
    for (const auto& entry : plan.allow)
      if (const auto it = assessment.guarded.find(entry); it != assessment.guarded.end())
        out << "# " << entry << ": " << comment_safe(it->second)
            << "; the gateway lets a name reach such an address only when an address rule allows it\n";
    if (!plan.allow.empty()) write_list(out, "allow", plan.allow);
    if (!plan.forward.empty()) write_list(out, "forward", plan.forward);
  }
  write_syscalls(out, plan);
  return out.str();
}

}  // namespace airlock::audit
