#pragma once
// One profile or policy file as written: its fields with their locations,
// before extends, merging and variables. The schema of every section lives
// here, so an unknown key or a wrong type is caught at parse time.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace airlock::policy {

struct Item {
  std::string text;
  SourceLoc where;
};

enum class FieldType { string, boolean, string_list, string_map, int_list, limit };

// What the entries of a list field are, which decides how they are checked
// and which `@set` kinds they may name.
enum class EntryKind { none, paths, names, syscalls, egress, endpoints, capabilities, requirements };

struct FieldSpec {
  std::string_view section;
  std::string_view key;
  FieldType type;
  EntryKind entries = EntryKind::none;
  std::string_view help;  // one line for explain / errors
};

const std::vector<FieldSpec>& schema();
const FieldSpec* find_field(std::string_view section, std::string_view key);

struct Field {
  const FieldSpec* spec = nullptr;
  Item scalar;                       // string, boolean ("true"/"false") and limit
  std::vector<Item> list;            // string_list, int_list
  std::map<std::string, Item> map;   // string_map
  SourceLoc where;
};

// How a [sets.NAME] table relates to a set of the same name defined by an
// earlier file: a new set (`entries`; an error when the name is taken), more
// entries for it (`add`), or, in a profile only, a replacement
// (`replace = true`), which `run` warns about. Security sets therefore
// cannot be emptied by a policy directory.
enum class SetChange { define, add, replace };

struct SetDef {
  std::string name;
  SetChange change = SetChange::define;
  EntryKind kind = EntryKind::none;
  std::string description;
  std::vector<Item> entries;
  SourceLoc where;
};

struct Layer {
  std::string name;    // "npm-ci", or the file path
  std::string origin;  // file path or "builtin:profiles/npm-ci.toml"
  bool is_profile = true;
  std::string description;
  std::vector<Item> extends;
  std::map<std::string, Item> variables;
  std::map<std::string, SetDef> sets;
  std::map<std::string, Field> fields;  // "filesystem.read" -> Field
};

// Parses TOML text into a Layer; problems go to `diag` (TOML syntax errors
// and duplicate keys included, with their location).
Layer parse_layer(std::string_view text, const std::string& origin, const std::string& name, Diagnostics& diag);

std::string_view entry_kind_name(EntryKind kind);

}  // namespace airlock::policy
