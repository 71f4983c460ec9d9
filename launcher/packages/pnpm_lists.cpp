#include "packages/pnpm_lists.hpp"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace airlock::packages {
namespace {

struct PnpmList {
  const char* key;
  bool allow;
};

constexpr PnpmList kPnpmLists[] = {
    {"onlyBuiltDependencies", true}, {"neverBuiltDependencies", false}, {"ignoredBuiltDependencies", false}};
constexpr const char* kNotHonoured[] = {"dangerouslyAllowAllBuilds", "onlyBuiltDependenciesFile"};

void add_pnpm_entry(Approvals& out, const std::string& entry, bool allow, const std::string& source) {
  if (auto rule = pnpm_entry_rule(entry, allow, source, out.warnings)) out.rules.push_back(std::move(*rule));
}

std::string not_honoured(const std::string& source) {
  return source + ": not honoured; name the packages to build instead";
}

// "FILE:LINE:COLUMN" of a YAML node or error mark (yaml-cpp counts from 0).
std::string yaml_place(const std::string& shown, const YAML::Mark& mark) {
  if (mark.is_null()) return shown;
  return shown + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// YAML 1.2's core schema booleans (what pnpm's YAML reader takes): plain
// scalars only, so a quoted "true" stays a string, and "yes" is no boolean.
std::optional<bool> yaml_boolean(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() != "?") return std::nullopt;
  const auto& text = node.Scalar();
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

}  // namespace

void pnpm_package_json_rules(const nlohmann::json& pnpm, const std::string& shown, Approvals& out) {
  const std::string prefix = "package.json pnpm.";
  if (!pnpm.is_object()) throw Error(shown + ": pnpm: not an object");
  for (const auto& list : kPnpmLists) {
    const auto value = pnpm.find(list.key);
    if (value == pnpm.end()) continue;
    const auto wrong = Error(shown + ": pnpm." + list.key + ": not a list of package names");
    if (!value->is_array()) throw wrong;
    for (const auto& item : *value) {
      if (!item.is_string()) throw wrong;
      add_pnpm_entry(out, item.get<std::string>(), list.allow, prefix + list.key);
    }
  }
  if (const auto builds = pnpm.find("allowBuilds"); builds != pnpm.end()) {
    if (!builds->is_object()) throw Error(shown + ": pnpm.allowBuilds: not an object of package names");
    for (const auto& [name, allow] : builds->items()) {
      if (!allow.is_boolean())
        throw Error(shown + ": pnpm.allowBuilds[" + nlohmann::json(name).dump() + "]: true or false expected");
      add_pnpm_entry(out, name, allow.get<bool>(), prefix + "allowBuilds");
    }
  }
  for (const char* key : kNotHonoured)
    if (pnpm.contains(key)) out.warnings.push_back(not_honoured(prefix + key));
}

void pnpm_workspace_rules(const std::string& yaml, const std::string& shown, Approvals& out) {
  const std::string prefix = "pnpm-workspace.yaml ";
  YAML::Node loaded;
  try {
    loaded = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw Error(yaml_place(shown, e.mark) + ": " + e.msg);
  }
  // const: operator[] on a mutable node would add the keys it looks up.
  const YAML::Node& root = loaded;
  if (root.IsNull()) return;
  if (!root.IsMap()) throw Error(yaml_place(shown, root.Mark()) + ": not a mapping of settings");
  for (const auto& list : kPnpmLists) {
    const auto value = root[list.key];
    if (!value || value.IsNull()) continue;
    const auto wrong = [&](const YAML::Node& at) {
      return Error(yaml_place(shown, at.Mark()) + ": " + list.key + ": not a list of package names");
    };
    if (!value.IsSequence()) throw wrong(value);
    for (const auto& item : value) {
      if (!item.IsScalar()) throw wrong(item);
      add_pnpm_entry(out, item.Scalar(), list.allow, prefix + list.key);
    }
  }
  if (const auto builds = root["allowBuilds"]; builds && !builds.IsNull()) {
    if (!builds.IsMap()) throw Error(yaml_place(shown, builds.Mark()) + ": allowBuilds: not a mapping of package names");
    for (const auto& entry : builds) {
      const auto allow = yaml_boolean(entry.second);
      if (!entry.first.IsScalar() || !allow)
        throw Error(yaml_place(shown, entry.second.Mark()) + ": allowBuilds: " +
                    (entry.first.IsScalar() ? entry.first.Scalar() + ": " : "") + "true or false expected");
      add_pnpm_entry(out, entry.first.Scalar(), *allow, prefix + "allowBuilds");
    }
  }
  for (const char* key : kNotHonoured)
    if (root[key]) out.warnings.push_back(not_honoured(prefix + key));
}

}  // namespace airlock::packages
