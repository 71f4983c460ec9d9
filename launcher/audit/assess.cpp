#include "audit/assess.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "audit/paths.hpp"
#include "gateway/matcher.hpp"

namespace airlock::audit {
namespace {


bool within_any(const std::string& path, const std::vector<std::string>& dirs) {
  return std::any_of(dirs.begin(), dirs.end(), [&](const std::string& d) { return path_within(path, d); });
}

std::string join_calls(const std::set<std::string>& calls) {
  std::string out;
  for (const auto& c : calls) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// The paths the command made: they did not exist before it ran, so no
// grant can name them; their first existing ancestor is what a grant covers.
class Creations {
 public:
  explicit Creations(const Observations& seen) {
    for (const auto& [path, record] : seen.paths)
      if (record.created) created_.insert(path);
  }

  bool made_by_command(const std::string& path) const { return outermost(path) != nullptr; }

  // The path itself when it existed before; else the existing directory
  // above everything the command created on the way to it.
  std::string anchor(const std::string& path, std::string& created_child) const {
    const std::string* top = outermost(path);
    if (top == nullptr) return path;
    created_child = *top;
    return path_parent(*top);
  }

 private:
  const std::string* outermost(const std::string& path) const {
    const std::string* top = nullptr;
    for (std::string p = path;; p = path_parent(p)) {
      if (const auto it = created_.find(p); it != created_.end()) top = &*it;
      if (p == "/") break;
    }
    return top;
  }

  std::set<std::string> created_;
};

class Assessor {
 public:
  Assessor(const Observations& seen, const BaseView& base, const Places& places)
      : seen_(seen), base_(base), places_(places), creations_(seen), matcher_(rules_of(base)) {}

  Assessment run() {
    for (const auto& [path, record] : seen_.paths) assess_path(path, record);
    for (const auto& [to, calls] : seen_.destinations) assess_destination(to, calls);
    for (const auto& [to, use] : seen_.named) assess_named(to, use);
    for (const auto& [to, error] : seen_.unconnected)
      out_.unconnected.push_back(to + (error.empty() ? "" : " (" + error + ")"));
    std::sort(out_.allow.begin(), out_.allow.end());
    out_.allow.erase(std::unique(out_.allow.begin(), out_.allow.end()), out_.allow.end());
    for (const auto& socket : seen_.unix_sockets)
      if (within_any(socket, base_.hide)) hidden_.insert(socket);
    for (const auto& [name, times] : seen_.denied_calls) {
      out_.syscalls[name] = times;
      add_violation("syscall", name, "refused by the base's [syscalls]");
    }
    for (const auto& [key, need] : needs_) out_.needs.push_back(need);
    out_.violations.assign(violations_.begin(), violations_.end());
    out_.secrets.assign(secrets_.begin(), secrets_.end());
    out_.hidden.assign(hidden_.begin(), hidden_.end());
    return std::move(out_);
  }

 private:
  static policy::Network rules_of(const BaseView& base) {
    policy::Network network;
    network.mode = base.mode;
    network.allow = base.allow;
    return network;
  }

  bool secret(const std::string& path) const { return within_any(path, places_.secrets); }

  bool covered(Access access, const std::string& path) const {
    switch (access) {
      case Access::read:
        return within_any(path, base_.read) || within_any(path, base_.write) || within_any(path, base_.exec);
      case Access::write:
        return within_any(path, base_.write);
      case Access::exec:
        return within_any(path, base_.exec);
    }
    return false;
  }

  static const char* missing_list(Access access) {
    switch (access) {
      case Access::read: return "not under filesystem.read, write or exec";
      case Access::write: return "not under filesystem.write";
      case Access::exec: return "not under filesystem.exec";
    }
    return "";
  }

  void add_violation(std::string kind, std::string subject, std::string detail) {
    violations_.insert(Violation{std::move(kind), std::move(subject), std::move(detail)});
  }

  // `observed` needs `access` on `target` (an existing path); records it
  // unless the base covers it.
  void need(Access access, const std::string& target, const std::string& observed, const PathRecord& record,
            const std::string& created_child = {}) {
    // The view keeps it read-only whatever filesystem.write says: a refusal
    // to name, never a grant to suggest (a grant would not lift it).
    if (access == Access::write && (within_any(target, base_.protect) || within_any(observed, base_.protect))) {
      add_violation("write", observed, join_calls(record.calls) + ": kept read-only by filesystem.protect");
      return;
    }
    if (covered(access, target)) return;
    const std::string what = std::string(access_name(access));
    const std::string on = target == observed ? "" : " (needs " + what + " on " + target + ")";
    add_violation(what, observed, join_calls(record.calls) + ": " + missing_list(access) + on);
    Need n{access, target, observed, created_child, {}};
    auto [it, inserted] = needs_.try_emplace({access, target}, n);
    it->second.observed.insert(observed);
    if (!inserted && observed < it->second.example) it->second.example = observed;
    if (!inserted && it->second.created_child.empty()) it->second.created_child = created_child;
  }

  void assess_path(const std::string& path, const PathRecord& record) {
    const std::string& written = record.written.empty() ? path : record.written;
    if (secret(path) || secret(written)) {
      secrets_.insert(SecretTouch{secret(written) ? written : path,
                                  uses_text(record.uses) + " (" + join_calls(record.calls) + ")"});
      return;
    }
    if (within_any(path, base_.hide)) {
      hidden_.insert(path);
      return;
    }
    const bool made = creations_.made_by_command(path);
    std::string created_child;
    // A path the command made is covered by the grant that let it make it.
    if ((record.uses & kRead) != 0 && record.existed && !made) need(Access::read, path, path, record);
    if ((record.uses & kWrite) != 0) {
      if (made) {
        const auto anchor = creations_.anchor(path, created_child);
        need(Access::write, anchor, path, record, created_child);
      } else if (record.existed) {
        need(Access::write, path, path, record);
      }
    }
    if ((record.uses & kExec) != 0 && (record.existed || made)) {
      created_child.clear();
      const auto anchor = made ? creations_.anchor(path, created_child) : path;
      need(Access::exec, anchor, path, record, created_child);
    }
    if ((record.uses & (kCreate | kRemove)) != 0 && path != "/") {
      // Creating or removing an entry is a right on the directory holding it.
      created_child.clear();
      const auto dir = creations_.anchor(path_parent(path), created_child);
      need(Access::write, dir, path, record, created_child);
    }
  }

  bool allowed_by_rule(const Destination& to) const {
    unsigned char bytes[16] = {};
    if (inet_pton(to.family, to.address.c_str(), bytes) != 1) return false;
    const std::size_t length = to.family == AF_INET ? 4 : 16;
    for (const auto& rule : base_.allow) {
      const bool port_ok = std::any_of(rule.ports.begin(), rule.ports.end(),
                                       [&](const policy::PortRange& r) { return r.contains(to.port); });
      if (!port_ok) continue;
      using Kind = policy::EgressRule::Kind;
      if (rule.kind != Kind::address && rule.kind != Kind::cidr) continue;
      if (rule.family != to.family || rule.address_bytes.size() != length) continue;
      const unsigned prefix = std::min<unsigned>(rule.prefix, static_cast<unsigned>(length * 8));
      bool match = true;
      for (unsigned bit = 0; bit < prefix && match; ++bit) {
        const unsigned mask = 0x80U >> (bit % 8);
        match = (static_cast<unsigned char>(rule.address_bytes[bit / 8]) & mask) == (bytes[bit / 8] & mask);
      }
      if (match) return true;
    }
    return false;
  }

  bool port_allowed(std::uint16_t port) const {
    return std::any_of(base_.allow.begin(), base_.allow.end(), [&](const policy::EgressRule& rule) {
      return std::any_of(rule.ports.begin(), rule.ports.end(),
                         [&](const policy::PortRange& r) { return r.contains(port); });
    });
  }

  void assess_destination(const Destination& to, const std::set<std::string>& calls) {
    if (seen_.unconnected.count(to.text()) != 0) return;  // an attempt: listed, never granted
    const std::string how = join_calls(calls);
    if (base_.mode == policy::NetworkMode::host) {
      // The host network, narrowed (by Landlock) to the allowed TCP ports when any are listed.
      if (base_.allow.empty() || port_allowed(to.port)) return;
      add_violation("connect", to.text(), how + ": port not in network.allow (host mode)");
      out_.allow.push_back(to);
      return;
    }
    if (to.loopback()) {
      // The sandbox's loopback is its own: a service the command started
      // itself is there; a host service needs network.forward.
      if (seen_.bound_ports.count(to.port) != 0) return;
      const bool forwarded = std::any_of(base_.forward.begin(), base_.forward.end(), [&](const policy::Endpoint& e) {
        return e.port == to.port && e.address == to.address;
      });
      if (forwarded) return;
      add_violation("connect", to.text(), how + ": a host loopback service, not in network.forward");
      out_.forward.push_back(to);
      return;
    }
    if (to.port == 53) {
      out_.dns.push_back(to);
      return;
    }
    if (base_.mode == policy::NetworkMode::allowlist && allowed_by_rule(to)) return;
    add_violation("connect", to.text(),
                  how + (base_.mode == policy::NetworkMode::none
                             ? ": network.mode is \"none\""
                             : ": matches no address rule of network.allow (name rules need the gateway's view)"));
    out_.allow.push_back(to);
  }

  // A connection the command made to a name (the gateway's view): the base
  // must allow the name on that port, and, since the gateway's DNS
  // rebinding guard refuses a name that resolves to loopback, private or
  // other special addresses unless an address rule names them, each such
  // address too.
  void assess_named(const NamedDestination& to, const NamedUse& use) {
    if (seen_.unconnected.count(to.text()) != 0) return;  // an attempt: listed, never granted
    const std::string how = use.calls.empty() ? "connect" : join_calls(use.calls);
    if (base_.mode == policy::NetworkMode::host) {
      if (base_.allow.empty() || port_allowed(to.port)) return;
      add_violation("connect", to.text(), how + ": port not in network.allow (host mode)");
      out_.allow_names.push_back(to);
      return;
    }
    if (base_.mode == policy::NetworkMode::none) {
      add_violation("connect", to.text(), how + ": network.mode is \"none\"");
      out_.allow_names.push_back(to);
    } else if (auto verdict = matcher_.check_name(to.name, to.port); !verdict.allowed) {
      add_violation("connect", to.text(), how + ": " + verdict.reason);
      out_.allow_names.push_back(to);
    }
    const auto lookup = seen_.names.find(to.name);
    if (lookup != seen_.names.end() && lookup->second.pinned) return;  // no DNS, no guard
    std::set<std::string> addresses = use.addresses;
    if (lookup != seen_.names.end()) addresses.insert(lookup->second.addresses.begin(), lookup->second.addresses.end());
    for (const auto& text : addresses) {
      const auto ip = gateway::IpAddress::parse(text);
      const auto range = ip ? gateway::special_range(*ip) : std::nullopt;
      if (!range) continue;
      if (base_.mode == policy::NetworkMode::allowlist && matcher_.check_address(*ip, to.port).allowed) continue;
      add_violation("connect", to.text(),
                    how + ": " + to.name + " resolved to " + text + ", a " + std::string(*range) +
                        " address, which the gateway refuses for a name unless an address rule allows it");
      const Destination needed{ip->family, ip->str(), to.port};
      out_.allow.push_back(needed);
      auto& why = out_.guarded[needed.text()];
      why += (why.empty() ? "" : ", ") + to.name + " resolved to it (" + std::string(*range) + ")";
    }
  }

  const Observations& seen_;
  const BaseView& base_;
  const Places& places_;
  Creations creations_;
  gateway::Matcher matcher_;
  Assessment out_;
  std::map<std::pair<Access, std::string>, Need> needs_;
  std::set<Violation> violations_;
  std::set<SecretTouch> secrets_;
  std::set<std::string> hidden_;
};

}  // namespace

std::string_view access_name(Access access) {
  switch (access) {
    case Access::read: return "read";
    case Access::write: return "write";
    case Access::exec: return "exec";
  }
  return "?";
}

std::string uses_text(unsigned uses) {
  std::string out;
  const std::pair<unsigned, const char*> names[] = {
      {kRead, "read"}, {kWrite, "write"}, {kExec, "exec"}, {kCreate, "create"}, {kRemove, "remove"}};
  for (const auto& [bit, name] : names)
    if ((uses & bit) != 0) out += (out.empty() ? "" : ", ") + std::string(name);
  return out.empty() ? "touch" : out;
}

Assessment assess(const Observations& seen, const BaseView& base, const Places& places) {
  return Assessor(seen, base, places).run();
}

}  // namespace airlock::audit
