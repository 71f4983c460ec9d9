#include "policy/document.hpp"

#include <algorithm>
#include <optional>
#include <sstream>
#include <toml.hpp>

#include "policy/toml_errors.hpp"
#include "util/suggest.hpp"

namespace airlock::policy {
namespace {

using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

// Line starts of one file, so that a value's location is a binary search.
// toml11's own value.location() counts newlines from the start of the file
// for every call, which made locations the largest cost of loading a
// profile on every run.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  SourceLoc at(std::size_t offset, const std::string& origin) const {
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset) - 1;
    return SourceLoc{origin, static_cast<unsigned>(it - starts_.begin() + 1), static_cast<unsigned>(offset - *it + 1)};
  }

 private:
  std::vector<std::size_t> starts_;
};

// toml11 parses arrays and inline tables by recursion, one set of stack
// frames per level: "a = [[[[..." a few thousand deep overflows the stack
// (SIGSEGV) before any error can be reported. A profile needs three levels
// at most, so deeper nesting is refused before toml11 sees the text.
constexpr int kMaxNesting = 32;

// Offset just past a string that starts at `i` with `quote` (one or three
// quote characters); basic strings honour backslash escapes. A one-line
// string also ends at a newline (toml11 reports it as unterminated).
std::size_t skip_string(std::string_view text, std::size_t i, std::string_view quote) {
  const bool basic = quote.front() == '"';
  const bool multiline = quote.size() == 3;
  for (i += quote.size(); i < text.size(); ++i) {
    if (basic && text[i] == '\\') {
      ++i;
    } else if (!multiline && text[i] == '\n') {
      return i;
    } else if (text.substr(i, quote.size()) == quote) {
      i += quote.size();
      // A multi-line string may end with one or two quotes of its own: """a""""
      for (int extra = 0; multiline && extra < 2 && i < text.size() && text[i] == quote.front(); ++extra) ++i;
      return i;
    }
  }
  return text.size();
}

// The offset of the first '[' or '{' nested deeper than kMaxNesting outside
// strings and comments, if any.
std::optional<std::size_t> too_deep_at(std::string_view text) {
  int depth = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      const auto eol = text.find('\n', i);
      i = eol == std::string_view::npos ? text.size() : eol;
    } else if (c == '"' || c == '\'') {
      const std::string_view triple = c == '"' ? "\"\"\"" : "'''";
      i = skip_string(text, i, text.substr(i, 3) == triple ? triple : triple.substr(0, 1));
    } else {
      if (c == '[' || c == '{') {
        if (++depth > kMaxNesting) return i;
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
      ++i;
    }
  }
  return std::nullopt;
}

SourceLoc loc_of(const TomlValue& v, const LineIndex& index, const std::string& origin) {
  // toml11 3.x keeps the parsed region of every value (detail::region, a
  // public class of the pinned Debian 12 package); its offset in the source
  // is all we need.
  if (const auto* region = dynamic_cast<const toml::detail::region*>(toml::detail::get_region(v)))
    return index.at(static_cast<std::size_t>(region->first() - region->begin()), origin);
  const auto l = v.location();
  return SourceLoc{origin, static_cast<unsigned>(l.line()), static_cast<unsigned>(l.column())};
}

std::string type_name(const TomlValue& v) {
  std::ostringstream os;
  os << v.type();
  return os.str();
}

const char* expected_for(FieldType type) {
  switch (type) {
    case FieldType::string: return "a string";
    case FieldType::boolean: return "true or false";
    case FieldType::string_list: return "an array of strings";
    case FieldType::string_map: return "a table of strings";
    case FieldType::int_list: return "an array of integers";
    case FieldType::limit: return "an integer, a size/duration string, \"unlimited\" or \"keep\"";
  }
  return "?";
}

class LayerParser {
 public:
  LayerParser(Layer& layer, const LineIndex& index, Diagnostics& diag) : layer_(layer), index_(index), diag_(diag) {}

  void parse_root(const TomlValue& root) {
    for (const auto& [section, value] : root.as_table()) {
      if (section == "profile") {
        parse_profile_section(value);
      } else if (section == "variables") {
        parse_string_table(value, "variables", layer_.variables);
      } else if (section == "sets") {
        parse_sets(value);
      } else if (is_schema_section(section)) {
        parse_section(section, value);
      } else {
        diag_.error(where(value), section,
                    "unknown section [" + section + "]" + did_you_mean(section, section_names()) +
                        "; expected one of profile, variables, sets, filesystem, network, environment, "
                        "syscalls, process, limits, enforcement, install_scripts");
      }
    }
  }

 private:
  static bool is_schema_section(const std::string& section) {
    for (const auto& spec : schema())
      if (spec.section == section) return true;
    return false;
  }

  bool expect_table(const TomlValue& v, const std::string& key) {
    if (v.is_table()) return true;
    diag_.error(where(v), key, "expected a table, found " + type_name(v));
    return false;
  }

  void parse_profile_section(const TomlValue& v) {
    if (!expect_table(v, "profile")) return;
    for (const auto& [key, value] : v.as_table()) {
      const std::string full = "profile." + key;
      if (key == "description") {
        if (value.is_string()) layer_.description = value.as_string().str;
        else diag_.error(where(value), full, "expected a string, found " + type_name(value));
      } else if (key == "extends") {
        read_string_list(value, full, layer_.extends);
      } else {
        diag_.error(where(value), full,
                    "unknown key" + did_you_mean(key, {"description", "extends"}) + "; expected description or extends");
      }
    }
  }

  void parse_string_table(const TomlValue& v, const std::string& key, std::map<std::string, Item>& out) {
    if (!expect_table(v, key)) return;
    for (const auto& [name, value] : v.as_table()) {
      if (!value.is_string()) {
        diag_.error(where(value), key + "." + name, "expected a string, found " + type_name(value));
        continue;
      }
      out[name] = Item{value.as_string().str, where(value)};
    }
  }

  void read_string_list(const TomlValue& v, const std::string& key, std::vector<Item>& out) {
    if (!v.is_array()) {
      diag_.error(where(v), key, "expected an array of strings, found " + type_name(v));
      return;
    }
    for (const auto& element : v.as_array()) {
      if (!element.is_string()) {
        diag_.error(where(element), key, "expected a string in the array, found " + type_name(element));
        continue;
      }
      out.push_back(Item{element.as_string().str, where(element)});
    }
  }

  void parse_sets(const TomlValue& v) {
    if (!expect_table(v, "sets")) return;
    for (const auto& [name, body] : v.as_table()) {
      const std::string key = "sets." + name;
      if (!expect_table(body, key)) continue;
      SetDef set{name, SetChange::define, EntryKind::none, "", {}, where(body)};
      bool has_kind = false, has_entries = false, has_add = false, replace = false;
      for (const auto& [field, value] : body.as_table()) {
        if (field == "kind" && value.is_string()) {
          has_kind = true;
          set.kind = parse_set_kind(value, key + ".kind");
        } else if (field == "description" && value.is_string()) {
          set.description = value.as_string().str;
        } else if (field == "entries") {
          has_entries = true;
          read_string_list(value, key + ".entries", set.entries);
        } else if (field == "add") {
          has_add = true;
          read_string_list(value, key + ".add", set.entries);
        } else if (field == "replace" && value.is_boolean()) {
          replace = value.as_boolean();
        } else {
          diag_.error(where(value), key + "." + field,
                      "unknown key or wrong type; a set has kind (string), description (string), entries (array), "
                      "add (array: entries for a set defined elsewhere) and replace (boolean)");
        }
      }
      if (has_add && (has_entries || replace))
        diag_.error(set.where, key, "add = [...] extends a set defined elsewhere; it goes without entries and replace");
      else if (replace && !has_entries)
        diag_.error(set.where, key, "replace = true needs the set's new entries = [...]");
      set.change = has_add ? SetChange::add : replace ? SetChange::replace : SetChange::define;
      if (!has_kind && !has_add) diag_.error(set.where, key, "missing kind = \"paths\" | \"names\" | \"syscalls\"");
      layer_.sets[name] = std::move(set);
    }
  }

  EntryKind parse_set_kind(const TomlValue& v, const std::string& key) {
    const auto& s = v.as_string().str;
    if (s == "paths") return EntryKind::paths;
    if (s == "names") return EntryKind::names;
    if (s == "syscalls") return EntryKind::syscalls;
    diag_.error(where(v), key, "unknown set kind \"" + s + "\"; expected paths, names or syscalls");
    return EntryKind::none;
  }

  void parse_section(const std::string& section, const TomlValue& v) {
    if (!expect_table(v, section)) return;
    for (const auto& [key, value] : v.as_table()) {
      const std::string full = section + "." + key;
      const FieldSpec* spec = find_field(section, key);
      if (!spec) {
        diag_.error(where(value), full, "unknown key" + did_you_mean(key, key_names(section)) + "; " + known_keys(section));
        continue;
      }
      Field field{spec, {}, {}, {}, where(value)};
      if (read_field(*spec, value, full, field)) layer_.fields[full] = std::move(field);
    }
  }

  static std::vector<std::string> section_names() {
    std::vector<std::string> names = {"profile", "variables", "sets"};
    for (const auto& spec : schema())
      if (std::find(names.begin(), names.end(), spec.section) == names.end()) names.emplace_back(spec.section);
    return names;
  }

  static std::vector<std::string> key_names(const std::string& section) {
    std::vector<std::string> names;
    for (const auto& spec : schema())
      if (spec.section == section) names.emplace_back(spec.key);
    return names;
  }

  static std::string known_keys(const std::string& section) {
    std::string out = "[" + section + "] accepts ";
    bool first = true;
    for (const auto& spec : schema()) {
      if (spec.section != section) continue;
      out += (first ? "" : ", ") + std::string(spec.key);
      first = false;
    }
    return out;
  }

  bool wrong_type(const TomlValue& v, const std::string& key, FieldType type) {
    diag_.error(where(v), key, std::string("expected ") + expected_for(type) + ", found " + type_name(v));
    return false;
  }

  bool read_field(const FieldSpec& spec, const TomlValue& v, const std::string& key, Field& field) {
    const auto at = where(v);
    switch (spec.type) {
      case FieldType::string:
        if (!v.is_string()) return wrong_type(v, key, spec.type);
        field.scalar = Item{v.as_string().str, at};
        return true;
      case FieldType::boolean:
        if (!v.is_boolean()) return wrong_type(v, key, spec.type);
        field.scalar = Item{v.as_boolean() ? "true" : "false", at};
        return true;
      case FieldType::limit:
        if (v.is_integer()) {
          if (v.as_integer() < 0) {
            diag_.error(at, key, "must not be negative");
            return false;
          }
          field.scalar = Item{std::to_string(v.as_integer()), at};
        } else if (v.is_string()) {
          field.scalar = Item{v.as_string().str, at};
        } else {
          return wrong_type(v, key, spec.type);
        }
        return true;
      case FieldType::string_list: {
        if (!v.is_array()) return wrong_type(v, key, spec.type);
        const auto before = field.list.size();
        read_string_list(v, key, field.list);
        return field.list.size() - before == v.as_array().size();
      }
      case FieldType::int_list:
        if (!v.is_array()) return wrong_type(v, key, spec.type);
        for (const auto& element : v.as_array()) {
          if (!element.is_integer()) return wrong_type(element, key, spec.type);
          field.list.push_back(Item{std::to_string(element.as_integer()), where(element)});
        }
        return true;
      case FieldType::string_map:
        if (!v.is_table()) return wrong_type(v, key, spec.type);
        parse_string_table(v, key, field.map);
        return true;
    }
    return false;
  }

  SourceLoc where(const TomlValue& v) const { return loc_of(v, index_, layer_.origin); }

  Layer& layer_;
  const LineIndex& index_;
  Diagnostics& diag_;
};

}  // namespace

const std::vector<FieldSpec>& schema() {
  static const std::vector<FieldSpec> fields = {
      {"filesystem", "view", FieldType::string, EntryKind::none, "\"host\" (host tree read-only) or \"minimal\" (empty root)"},
      {"filesystem", "read", FieldType::string_list, EntryKind::paths, "paths the command may read"},
      {"filesystem", "write", FieldType::string_list, EntryKind::paths, "paths the command may write"},
      {"filesystem", "exec", FieldType::string_list, EntryKind::paths, "paths the command may execute from"},
      {"filesystem", "hide", FieldType::string_list, EntryKind::paths, "paths masked by an empty directory or file"},
      {"filesystem", "devices", FieldType::string_list, EntryKind::paths, "extra device nodes under /dev"},
      {"filesystem", "protect", FieldType::string_list, EntryKind::paths,
       "paths kept read-only even beneath a writable path"},
      {"filesystem", "redact", FieldType::string_list, EntryKind::paths,
       "files shown as a read-only copy without their credentials (.git/config, .npmrc)"},
      {"filesystem", "overlay", FieldType::string_list, EntryKind::paths,
       "directories writable inside whose writes are discarded at exit (caches)"},
      {"network", "mode", FieldType::string, EntryKind::none, "\"none\", \"allowlist\" or \"host\""},
      {"network", "allow", FieldType::string_list, EntryKind::egress, "destinations HOST:PORT the command may reach"},
      {"network", "forward", FieldType::string_list, EntryKind::endpoints, "host loopback services reachable inside"},
      {"network", "publish", FieldType::string_list, EntryKind::endpoints, "sandbox ports exposed on the host"},
      {"network", "hosts", FieldType::string_map, EntryKind::none, "static name -> address pins"},
      {"network", "handoff", FieldType::boolean, EntryKind::none, "hand allowed TCP connections over instead of relaying them"},
      {"environment", "keep", FieldType::string_list, EntryKind::names, "variable names (globs) passed through"},
      {"environment", "set", FieldType::string_map, EntryKind::none, "variables set inside"},
      {"environment", "deny", FieldType::string_list, EntryKind::names, "variable names (globs) always dropped"},
      {"environment", "allow_secrets", FieldType::string_list, EntryKind::names, "secret names let through deny"},
      {"syscalls", "default", FieldType::string, EntryKind::none, "\"allow\" (deny-list) or \"deny\" (allow-list)"},
      {"syscalls", "allow", FieldType::string_list, EntryKind::syscalls, "syscalls allowed"},
      {"syscalls", "deny", FieldType::string_list, EntryKind::syscalls, "syscalls refused"},
      {"syscalls", "action", FieldType::string, EntryKind::none, "\"errno\", \"kill\" or \"log\""},
      {"syscalls", "errno", FieldType::string, EntryKind::none, "errno name for the errno action, e.g. \"EPERM\""},
      {"syscalls", "socket_families", FieldType::string_list, EntryKind::none,
       "address families sockets may have (\"unix\", \"inet\", \"inet6\", \"netlink\", ...); others fail with EAFNOSUPPORT"},
      {"process", "timeout", FieldType::string, EntryKind::none, "duration before SIGTERM"},
      {"process", "grace", FieldType::string, EntryKind::none, "duration between SIGTERM and SIGKILL"},
      {"process", "capabilities", FieldType::string_list, EntryKind::capabilities, "capabilities kept"},
      {"process", "user", FieldType::string, EntryKind::none, "as root: user to run as"},
      {"process", "group", FieldType::string, EntryKind::none, "as root: group to run as"},
      {"process", "pass_fds", FieldType::int_list, EntryKind::none, "file descriptors passed to the command"},
      {"process", "hostname", FieldType::string, EntryKind::none, "hostname inside"},
      {"process", "cwd", FieldType::string, EntryKind::none, "working directory inside"},
      {"process", "token_phase", FieldType::string_list, EntryKind::none,
       "tools whose tokens this phase holds: their project configuration may not redirect them (\"npm\")"},
      {"limits", "nofile", FieldType::limit, EntryKind::none, "open files"},
      {"limits", "nproc", FieldType::limit, EntryKind::none, "processes of the user"},
      {"limits", "fsize", FieldType::limit, EntryKind::none, "largest file written"},
      {"limits", "core", FieldType::limit, EntryKind::none, "core dump size"},
      {"limits", "cpu", FieldType::limit, EntryKind::none, "CPU time"},
      {"limits", "as", FieldType::limit, EntryKind::none, "address space"},
      {"limits", "stack", FieldType::limit, EntryKind::none, "stack size"},
      {"limits", "tmp", FieldType::limit, EntryKind::none, "size of the private /tmp and of /dev/shm"},
      {"limits", "processes", FieldType::limit, EntryKind::none,
       "tasks (processes and threads) the command may have at once"},
      {"enforcement", "require", FieldType::string_list, EntryKind::requirements, "layers that must be enforced"},
      {"enforcement", "best_effort", FieldType::boolean, EntryKind::none, "run with what the kernel offers"},
      {"install_scripts", "allow_net", FieldType::string_map, EntryKind::none,
       "package name -> destinations HOST:PORT (space-separated) its install scripts may reach"},
  };
  return fields;
}

const FieldSpec* find_field(std::string_view section, std::string_view key) {
  for (const auto& spec : schema())
    if (spec.section == section && spec.key == key) return &spec;
  return nullptr;
}

std::string_view entry_kind_name(EntryKind kind) {
  switch (kind) {
    case EntryKind::paths: return "paths";
    case EntryKind::names: return "names";
    case EntryKind::syscalls: return "syscalls";
    case EntryKind::egress: return "network destinations";
    case EntryKind::endpoints: return "endpoints";
    case EntryKind::capabilities: return "capabilities";
    case EntryKind::requirements: return "requirements";
    case EntryKind::none: break;
  }
  return "values";
}

Layer parse_layer(std::string_view text, const std::string& origin, const std::string& name, Diagnostics& diag) {
  Layer layer;
  layer.name = name;
  layer.origin = origin;
  try {
    const LineIndex index(text);
    if (const auto deep = too_deep_at(text)) {
      diag.error(index.at(*deep, origin), "",
                 "arrays and inline tables nested more than " + std::to_string(kMaxNesting) +
                     " deep (a profile needs three levels at most)");
      return layer;
    }
    std::istringstream stream{std::string(text)};
    const auto root = toml::parse<toml::discard_comments, std::map, std::vector>(stream, origin);
    LayerParser(layer, index, diag).parse_root(root);
  } catch (const toml::syntax_error& e) {
    const auto problem = describe_toml_error(e.what(), text, e.location().line(), e.location().column());
    diag.error(SourceLoc{origin, problem.line, problem.column}, "", "TOML syntax: " + problem.message);
  } catch (const toml::exception& e) {
    const auto problem = describe_toml_error(e.what(), text, e.location().line(), e.location().column());
    diag.error(SourceLoc{origin, problem.line, problem.column}, "", "TOML: " + problem.message);
  }
  return layer;
}

}  // namespace airlock::policy
