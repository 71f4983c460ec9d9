#include "policy/explain.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "policy/build.hpp"
#include "policy/units.hpp"

namespace airlock::policy {
namespace {

// TOML basic strings share JSON's escapes for everything we emit.
std::string quote(const std::string& s) { return nlohmann::json(s).dump(); }

class TomlWriter {
 public:
  explicit TomlWriter(bool origins) : origins_(origins) {}

  void section(const std::string& name) { out_ << "\n[" << name << "]\n"; }
  void scalar(const std::string& key, const std::string& quoted_value) { out_ << key << " = " << quoted_value << "\n"; }
  void string(const std::string& key, const std::string& value) { scalar(key, quote(value)); }

  template <typename T, typename Text, typename Where>
  void list(const std::string& key, const std::vector<T>& items, Text text, Where where) {
    if (items.empty()) {
      out_ << key << " = []\n";
      return;
    }
    out_ << key << " = [\n";
    for (const auto& item : items) {
      out_ << "  " << quote(text(item)) << ",";
      const std::string w = where(item);
      if (origins_ && !w.empty()) out_ << "  # " << w;
      out_ << "\n";
    }
    out_ << "]\n";
  }

  void strings(const std::string& key, const std::vector<std::string>& items) {
    list(key, items, [](const std::string& s) { return s; }, [](const std::string&) { return std::string(); });
  }

  void paths(const std::string& key, const std::vector<PathRule>& rules) {
    list(key, rules, [](const PathRule& r) { return (r.create ? "+" : r.optional ? "?" : "") + r.path; },
         [](const PathRule& r) { return r.where.str(); });
  }

  void table(const std::string& key, const std::map<std::string, std::string>& values) {
    out_ << key << " = {";
    bool first = true;
    for (const auto& [k, v] : values) {
      out_ << (first ? " " : ", ") << quote(k) << " = " << quote(v);
      first = false;
    }
    out_ << (first ? "}" : " }") << "\n";
  }

  std::ostringstream& raw() { return out_; }
  std::string str() const { return out_.str(); }

 private:
  bool origins_;
  std::ostringstream out_;
};

const char* view_name(View v) { return v == View::host ? "host" : "minimal"; }
const char* mode_name(NetworkMode m) {
  switch (m) {
    case NetworkMode::none: return "none";
    case NetworkMode::allowlist: return "allowlist";
    case NetworkMode::host: return "host";
  }
  return "?";
}
const char* action_name(SyscallAction a) {
  switch (a) {
    case SyscallAction::errno_: return "errno";
    case SyscallAction::kill: return "kill";
    case SyscallAction::log: return "log";
  }
  return "?";
}

std::string limit_text(const std::string& name, const Limit& limit) {
  switch (limit.kind) {
    case Limit::Kind::unlimited: return quote("unlimited");
    case Limit::Kind::keep: return quote("keep");
    case Limit::Kind::percent_of_ram: return quote(std::to_string(limit.value) + "%");
    case Limit::Kind::value:
      if (name == "fsize" || name == "as" || name == "stack" || name == "core" || name == "tmp")
        return quote(format_size(limit.value));
      return std::to_string(limit.value);
  }
  return "?";
}

}  // namespace

std::string to_toml(const Policy& p, bool with_origins) {
  TomlWriter w(with_origins);
  auto& out = w.raw();
  out << "# airlock explain: profile \"" << p.name << "\" resolved\n";
  for (const auto& origin : p.chain) out << "#   from " << origin << "\n";
  for (const auto& [name, value] : p.variables) out << "#   ${" << name << "} = " << value << "\n";
  for (const auto& change : p.replaced_sets) out << "#   REPLACED: " << change << "\n";
  for (const auto& change : p.extended_sets) out << "#   extended: " << change << "\n";

  w.section("profile");
  w.string("description", p.description);

  w.section("filesystem");
  w.string("view", view_name(p.filesystem.view));
  w.paths("read", p.filesystem.read);
  w.paths("write", p.filesystem.write);
  w.paths("exec", p.filesystem.exec);
  w.paths("hide", p.filesystem.hide);
  w.paths("devices", p.filesystem.devices);
  w.paths("protect", p.filesystem.protect);
  w.paths("redact", p.filesystem.redact);
  w.paths("overlay", p.filesystem.overlay);

  w.section("network");
  w.string("mode", mode_name(p.network.mode));
  w.list("allow", p.network.allow, [](const EgressRule& r) { return r.text; },
         [](const EgressRule& r) { return r.where.str(); });
  w.list("forward", p.network.forward, [](const Endpoint& e) { return e.text; },
         [](const Endpoint& e) { return e.where.str(); });
  w.list("publish", p.network.publish, [](const Endpoint& e) { return e.text; },
         [](const Endpoint& e) { return e.where.str(); });
  w.table("hosts", p.network.hosts);
  w.scalar("handoff", p.network.handoff ? "true" : "false");

  w.section("environment");
  w.strings("keep", p.environment.keep);
  w.table("set", p.environment.set);
  w.strings("deny", p.environment.deny);
  w.strings("allow_secrets", p.environment.allow_secrets);

  w.section("syscalls");
  w.string("default", p.syscalls.default_action == SyscallDefault::allow ? "allow" : "deny");
  w.strings("allow", p.syscalls.allow);
  w.strings("deny", p.syscalls.deny);
  w.string("action", action_name(p.syscalls.action));
  w.string("errno", errno_name(p.syscalls.errno_value));
  w.strings("socket_families", p.syscalls.socket_families);

  w.section("process");
  if (p.process.timeout) w.string("timeout", format_duration(*p.process.timeout));
  w.string("grace", format_duration(p.process.grace));
  w.strings("capabilities", p.process.capabilities);
  if (p.process.user) w.string("user", *p.process.user);
  if (p.process.group) w.string("group", *p.process.group);
  if (!p.process.pass_fds.empty()) {
    out << "pass_fds = [";
    for (std::size_t i = 0; i < p.process.pass_fds.size(); ++i) out << (i ? ", " : "") << p.process.pass_fds[i];
    out << "]\n";
  }
  w.string("hostname", p.process.hostname);
  if (p.process.cwd) w.string("cwd", *p.process.cwd);
  w.strings("token_phase", p.process.token_phase);

  w.section("limits");
  for (const auto& [name, limit] : p.limits.rlimits) w.scalar(name, limit_text(name, limit));

  w.section("enforcement");
  w.list("require", p.enforcement.require, [](const Requirement& r) { return r.text; },
         [](const Requirement& r) { return r.where.str(); });
  w.scalar("best_effort", p.enforcement.best_effort ? "true" : "false");
  return w.str();
}

}  // namespace airlock::policy
