#include "policy/resolve.hpp"

#include <seccomp.h>
#include <sys/capability.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "policy/build.hpp"
#include "policy/builtin_layers.hpp"
#include "policy/document.hpp"
#include "util/suggest.hpp"

namespace airlock::policy {
namespace {

constexpr int kMaxSetDepth = 8;

// "?path" (optional) and "+path" (create) name the same path as "path".
std::string strip_optional(const std::string& s) {
  return s.starts_with('?') || s.starts_with('+') ? s.substr(1) : s;
}

class ChainLoader {
 public:
  ChainLoader(const Catalog& catalog, Diagnostics& diag) : catalog_(catalog), diag_(diag) {}

  // Loads `ref` and everything it extends; layers_ ends up base first,
  // each file once even when reached twice (a diamond).
  // `top`: the profile's own source, already found by the caller.
  void load(const std::string& written_ref, const Item* from, std::optional<SourceText> top = std::nullopt) {
    const std::string ref = relative_to_includer(written_ref, from);
    if (std::find(stack_.begin(), stack_.end(), ref) != stack_.end()) {
      std::string cycle;
      for (auto it = std::find(stack_.begin(), stack_.end(), ref); it != stack_.end(); ++it) cycle += *it + " -> ";
      diag_.error(from ? from->where : SourceLoc{ref}, "profile.extends", "extends cycle: " + cycle + ref);
      return;
    }
    if (done_.count(ref)) return;
    std::optional<SourceText> source = std::move(top);
    try {
      if (!source) source = catalog_.find(ref);
    } catch (const Error& e) {
      // A directory, an unreadable or an endless file: said where it is named.
      if (!from) throw;
      diag_.error(from->where, "profile.extends", e.what());
      return;
    }
    if (!source) {
      if (from)
        diag_.error(from->where, "profile.extends",
                    "no profile or policy file named \"" + ref + "\"" + did_you_mean(ref, known_names()) +
                        "; searched " + search_path() + ", built-in");
      else
        throw Error("no profile named \"" + ref + "\"" + did_you_mean(ref, known_names()) + "; searched " +
                    search_path() + ", built-in; `airlock profiles` lists them");
      return;
    }
    Layer layer = load_layer(source->text, source->origin, source->name, diag_);
    layer.is_profile = source->is_profile;
    stack_.push_back(ref);
    for (const auto& base : layer.extends) load(base.text, &base);
    stack_.pop_back();
    done_.insert(ref);
    layers_.push_back(std::move(layer));
  }

  std::vector<Layer> take() { return std::move(layers_); }

 private:
  // A relative file path in `extends` means relative to the file that names
  // it, also when that file was itself named by a relative path (`airlock
  // check dir/p.toml`: its origin is "dir/p.toml", relative to the working
  // directory). Built-in files ("builtin:...") are in no directory.
  static std::string relative_to_includer(const std::string& ref, const Item* from) {
    const bool is_path = ref.find('/') != std::string::npos || ref.ends_with(".toml");
    if (!is_path || ref.starts_with('/') || !from || from->where.file.starts_with("builtin:")) return ref;
    return (std::filesystem::path(from->where.file).parent_path() / ref).lexically_normal().string();
  }

  // The names a reference could have meant, for "did you mean"; only asked
  // once a name was not found.
  std::vector<std::string> known_names() const {
    std::vector<std::string> names;
    try {
      for (const auto& source : catalog_.profiles()) names.push_back(source.name);
      for (const auto& source : catalog_.policy_files()) names.push_back(source.name);
    } catch (const Error&) {
      // An unreadable file elsewhere on the path: no suggestion, the error stands.
    }
    return names;
  }

  std::string search_path() const {
    std::string out;
    for (const auto& dir : catalog_.profile_dirs()) out += (out.empty() ? "" : ", ") + dir;
    return out;
  }

  const Catalog& catalog_;
  Diagnostics& diag_;
  std::vector<std::string> stack_;
  std::set<std::string> done_;
  std::vector<Layer> layers_;
};

class Merger {
 public:
  Merger(std::map<std::string, SetDef> sets, Variables& vars, Diagnostics& diag)
      : sets_(std::move(sets)), vars_(vars), diag_(diag) {}

  void add(const Layer& layer) {
    for (const auto& [key, field] : layer.fields) add_field(key, field);
  }

  std::map<std::string, MergedField>& result() { return merged_; }

 private:
  void add_field(const std::string& key, const Field& field) {
    auto& out = merged_[key];
    out.spec = field.spec;
    out.present = true;
    switch (field.spec->type) {
      case FieldType::string:
      case FieldType::boolean:
      case FieldType::limit:
        if (auto value = expand_scalar(field.scalar, key)) out.scalar = Item{std::move(*value), field.scalar.where};
        break;
      case FieldType::string_map:
        for (const auto& [name, item] : field.map)
          if (auto value = vars_.expand(item, key + "." + name, diag_)) out.map[name] = Item{std::move(*value), item.where};
        break;
      case FieldType::string_list:
      case FieldType::int_list:
        for (const auto& item : field.list) merge_entry(out.list, item, key, *field.spec);
        break;
    }
  }

  std::optional<std::string> expand_scalar(const Item& item, const std::string& key) {
    return vars_.expand(item, key, diag_);
  }

  void merge_entry(std::vector<Item>& list, const Item& item, const std::string& key, const FieldSpec& spec) {
    const bool removal = item.text.starts_with('!');
    // The entry without its '!': a copy only for a removal.
    std::optional<Item> stripped;
    if (removal) stripped = Item{item.text.substr(1), item.where};
    const Item& body = stripped ? *stripped : item;
    std::vector<Item> entries;
    if (body.text.starts_with('@')) {
      std::vector<std::string> chain;
      if (!expand_set(body, key, spec, entries, chain)) return;
    } else if (auto value = vars_.expand(body, key, diag_)) {
      entries.push_back(Item{std::move(*value), body.where});
    } else {
      return;
    }
    for (auto& entry : entries) {
      if (removal) {
        remove_entry(list, entry, item, key);
      } else if (std::none_of(list.begin(), list.end(), [&](const Item& e) { return e.text == entry.text; })) {
        list.push_back(std::move(entry));
      }
    }
  }

  void remove_entry(std::vector<Item>& list, const Item& entry, const Item& written, const std::string& key) {
    const auto target = strip_optional(entry.text);
    const auto before = list.size();
    std::erase_if(list, [&](const Item& e) { return strip_optional(e.text) == target; });
    // A removal that removes nothing is almost always a typo, and in a
    // security policy a typo in a removal leaves the thing in place.
    if (list.size() == before && !written.text.starts_with("!@"))
      diag_.error(written.where, key, "\"" + written.text + "\" removes nothing: \"" + target + "\" is not in the list");
  }

  // `chain`: the sets being expanded, outermost first, to name a cycle.
  bool expand_set(const Item& ref, const std::string& key, const FieldSpec& spec, std::vector<Item>& out,
                  std::vector<std::string>& chain) {
    const auto name = ref.text.substr(1);
    auto it = sets_.find(name);
    if (it == sets_.end() && spec.entries == EntryKind::egress && (name == "npm-registries" || name == "pip-indexes"))
      return expand_registries(ref, name, key, out);
    if (it == sets_.end()) {
      diag_.error(ref.where, key, "unknown set \"@" + name + "\"" + known_sets(spec.entries));
      return false;
    }
    const auto& set = it->second;
    if (set.kind != spec.entries) {
      diag_.error(ref.where, key,
                  "\"@" + name + "\" is a set of " + std::string(entry_kind_name(set.kind)) + " but " + key +
                      " takes " + std::string(entry_kind_name(spec.entries)));
      return false;
    }
    if (const auto again = std::find(chain.begin(), chain.end(), name); again != chain.end()) {
      std::string cycle;
      for (auto link = again; link != chain.end(); ++link) cycle += "@" + *link + " -> ";
      diag_.error(ref.where, key, "sets refer to each other in a cycle: " + cycle + "@" + name);
      return false;
    }
    if (static_cast<int>(chain.size()) >= kMaxSetDepth) {
      diag_.error(ref.where, key, "sets nested more than " + std::to_string(kMaxSetDepth) + " deep at \"@" + name + "\"");
      return false;
    }
    bool ok = true;
    for (const auto& entry : set.entries) {
      if (entry.text.starts_with('@')) {
        chain.push_back(name);
        ok = expand_set(entry, key, spec, out, chain) && ok;
        chain.pop_back();
      } else if (auto value = vars_.expand(entry, key, diag_)) {
        out.push_back(Item{std::move(*value), entry.where});
      } else {
        ok = false;
      }
    }
    return ok;
  }

  // "@npm-registries" / "@pip-indexes" in network.allow: every registry
  // the package manager is configured with ("host:port"), asked of the
  // package manager itself, and only when a profile uses the set.
  bool expand_registries(const Item& ref, const std::string& name, const std::string& key, std::vector<Item>& out) {
    try {
      const auto& all = name == "npm-registries" ? vars_.npm_registries() : vars_.pip_indexes();
      for (const auto& r : all) out.push_back(Item{r.host + ":" + r.port, ref.where});
      return true;
    } catch (const Error& e) {
      diag_.error(ref.where, key, "@" + name + ": " + e.what());
      return false;
    }
  }

  std::string known_sets(EntryKind kind) const {
    std::string out;
    for (const auto& [name, set] : sets_)
      if (set.kind == kind) out += (out.empty() ? "; known: @" : ", @") + name;
    if (kind == EntryKind::egress) out += (out.empty() ? "; known: @" : ", @") + std::string("npm-registries, @pip-indexes");
    return out;
  }

  std::map<std::string, SetDef> sets_;
  Variables& vars_;
  Diagnostics& diag_;
  std::map<std::string, MergedField> merged_;
};

Layer overrides_layer(const Overrides& o, const std::map<std::string, MergedField>& merged) {
  Layer layer;
  layer.name = layer.origin = "command line";
  auto add_list = [&](const char* key, const char* flag, const std::vector<std::string>& values) {
    if (values.empty()) return;
    auto& field = layer.fields[key];
    const auto [section, name] = std::pair(std::string(key).substr(0, std::string(key).find('.')),
                                           std::string(key).substr(std::string(key).find('.') + 1));
    field.spec = find_field(section, name);
    for (const auto& v : values) field.list.push_back(Item{v, SourceLoc{flag}});
  };
  auto set_scalar = [&](const char* key, const char* flag, const std::string& value) {
    auto& field = layer.fields[key];
    const std::string k(key);
    field.spec = find_field(k.substr(0, k.find('.')), k.substr(k.find('.') + 1));
    field.scalar = Item{value, SourceLoc{flag}};
  };
  add_list("filesystem.read", "--allow-read", o.allow_read);
  add_list("filesystem.write", "--allow-write", o.allow_write);
  add_list("filesystem.exec", "--allow-exec", o.allow_exec);
  add_list("network.allow", "--allow-net", o.allow_net);
  add_list("environment.keep", "--keep-env", o.keep_env);
  add_list("network.forward", "--forward", o.forward);
  add_list("network.publish", "--publish", o.publish);
  if (!o.allow_net.empty()) {
    auto mode = merged.find("network.mode");
    if (mode == merged.end() || mode->second.scalar.text == "none") set_scalar("network.mode", "--allow-net", "allowlist");
  }
  if (!o.set_env.empty()) {
    auto& field = layer.fields["environment.set"];
    field.spec = find_field("environment", "set");
    for (const auto& [k, v] : o.set_env) field.map[k] = Item{v, SourceLoc{"--set-env"}};
  }
  if (o.timeout) set_scalar("process.timeout", "--timeout", *o.timeout);
  if (o.best_effort) set_scalar("enforcement.best_effort", "--best-effort", "true");
  return layer;
}

// airlock's own configuration (profiles, policies, the trust record) is
// never writable inside a sandbox, whatever a profile grants: a step that
// could write it would choose the next run's sandbox.
void protect_own_configuration(Policy& policy, const Context& ctx) {
  const SourceLoc why{"built-in: airlock's own configuration is never writable in a sandbox"};
  for (const auto& dir : {user_config_dir(ctx.home), ctx.home + "/.config/airlock", std::string(kSystemConfigDir)}) {
    auto& protect = policy.filesystem.protect;
    if (std::none_of(protect.begin(), protect.end(), [&](const PathRule& r) { return r.path == dir; }))
      protect.push_back(PathRule{dir, true, why, false});
  }
}

}  // namespace

bool Overrides::empty() const {
  return allow_read.empty() && allow_write.empty() && allow_exec.empty() && allow_net.empty() && keep_env.empty() &&
         forward.empty() && publish.empty() && set_env.empty() && !timeout && !best_effort;
}

namespace {

// Builds the sets from every policy file and the profile chain, in that
// order. A name defined once is defined; a later file may add to it; only a
// profile may replace it, and says so (policy/document.hpp, SetChange).
class SetCollector {
 public:
  SetCollector(Diagnostics& diag, Policy& policy) : diag_(diag), policy_(policy) {}

  // The layer's sets are moved out (start-up time: copying every entry was
  // a tenth of resolving): nothing after reads them.
  void take(Layer& layer) {
    for (auto& [name, set] : layer.sets) take(std::move(set), layer);
  }

  std::map<std::string, SetDef> result() { return std::move(sets_); }

 private:
  void take(SetDef&& set, const Layer& layer) {
    auto it = sets_.find(set.name);
    if (it == sets_.end()) {
      if (set.change == SetChange::add)
        diag_.error(set.where, "sets." + set.name, "add = [...] extends a set, but no earlier file defines @" + set.name);
      else
        sets_.emplace(set.name, std::move(set));
      return;
    }
    const auto where = set.where.file + ":" + std::to_string(set.where.line) + ":" + std::to_string(set.where.column);
    SetDef& existing = it->second;
    const auto defined_at = existing.where.file + ":" + std::to_string(existing.where.line);
    switch (set.change) {
      case SetChange::define:
        diag_.error(set.where, "sets." + set.name,
                    "@" + set.name + " is already defined (" + defined_at +
                        "); a later file may only add to it (add = [...]), and only a profile may replace it "
                        "(replace = true with entries = [...]), so that a policy directory cannot empty a "
                        "security set");
        return;
      case SetChange::replace:
        if (!layer.is_profile) {
          diag_.error(set.where, "sets." + set.name,
                      "replace = true is for a profile's own [sets], not a policy file: @" + set.name +
                          " is defined at " + defined_at);
          return;
        }
        if (set.kind != existing.kind) {
          diag_.error(set.where, "sets." + set.name, "replaces @" + set.name + " with a set of another kind");
          return;
        }
        policy_.replaced_sets.push_back("@" + set.name + " (defined at " + defined_at + ", " +
                                        std::to_string(existing.entries.size()) + " entries) replaced by " + where +
                                        " (" + std::to_string(set.entries.size()) + " entries)");
        existing = std::move(set);
        return;
      case SetChange::add: {
        if (set.kind != EntryKind::none && set.kind != existing.kind) {
          diag_.error(set.where, "sets." + set.name, "adds to @" + set.name + ", a set of another kind");
          return;
        }
        std::size_t added = 0;
        for (const auto& entry : set.entries)
          if (std::none_of(existing.entries.begin(), existing.entries.end(),
                           [&](const Item& e) { return e.text == entry.text; })) {
            existing.entries.push_back(entry);
            ++added;
          }
        policy_.extended_sets.push_back("@" + set.name + ": " + std::to_string(added) + " entries added by " + where);
        return;
      }
    }
  }

  Diagnostics& diag_;
  Policy& policy_;
  std::map<std::string, SetDef> sets_;
};

}  // namespace

Policy resolve(const std::string& profile_ref, const Catalog& full_catalog, const Context& ctx,
               const Overrides& overrides) {
  // Every stage runs even after errors, so that one `airlock check` lists
  // them all: an invalid entry is left out of its layer, not fatal to it.
  Diagnostics diag;
  // A profile named by path, or found in /etc, the user's config or the
  // built-ins, resolves its extends and @sets without the project: only a
  // trusted profile of the project's own brings the project's files in.
  const auto top = full_catalog.find(profile_ref);
  const Catalog catalog =
      top && full_catalog.is_project_file(top->origin) ? full_catalog : full_catalog.without_project();
  ChainLoader loader(catalog, diag);
  loader.load(profile_ref, nullptr, top);
  auto layers = loader.take();

  // Sets: every policy file, then the chain's own [sets].
  Policy policy;
  SetCollector sets(diag, policy);
  for (const auto& file : catalog.policy_files()) {
    auto layer = load_layer(file.text, file.origin, file.name, diag);
    layer.is_profile = false;
    sets.take(layer);
  }
  std::map<std::string, Item> user_vars;
  for (auto& layer : layers) {
    sets.take(layer);
    for (const auto& [name, item] : layer.variables) user_vars[name] = item;
  }
  for (const auto& [name, value] : overrides.variables) user_vars[name] = Item{value, SourceLoc{"command line"}};

  Variables vars(ctx, std::move(user_vars));
  Merger merger(sets.result(), vars, diag);
  for (const auto& layer : layers) merger.add(layer);
  if (!overrides.empty()) merger.add(overrides_layer(overrides, merger.result()));

  policy.name = profile_ref;
  for (auto it = layers.rbegin(); it != layers.rend() && policy.description.empty(); ++it)
    policy.description = it->description;
  for (const auto& layer : layers) policy.chain.push_back(layer.origin);
  build_policy(merger.result(), policy, diag);
  protect_own_configuration(policy, ctx);
  policy.variables = vars.used();
  diag.throw_if_any();
  return policy;
}

}  // namespace airlock::policy
