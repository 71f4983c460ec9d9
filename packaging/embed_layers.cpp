// Build-time tool: parses every built-in profile and policy file with the
// same parser a run uses and writes them out as C++ that constructs the
// parsed layers (policy/builtin_layers.hpp). A run then starts from data
// instead of parsing TOML it ships with: toml11 took a quarter of the CPU
// time of `airlock run -- /bin/true` (integration/bench).
//
//   airlock_embed_layers OUTPUT.cpp
//
// A built-in file with any problem fails the build, with the problem's
// file:line:column.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "policy/builtin.hpp"
#include "policy/document.hpp"

namespace {

using airlock::policy::Field;
using airlock::policy::Item;
using airlock::policy::Layer;
using airlock::policy::SetDef;
using airlock::policy::SourceLoc;

// Octal escapes: unlike \x they end after three digits, so the character
// after one can never be read as part of it.
std::string literal(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f || c == '?') {  // '?': no trigraphs
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", byte);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string loc(const SourceLoc& where) {
  return "{" + literal(where.file) + ", " + std::to_string(where.line) + ", " + std::to_string(where.column) + "}";
}

std::string item(const Item& it) { return "{" + literal(it.text) + ", " + loc(it.where) + "}"; }

// Lists and maps as calls of the helpers below (kHelpers), which build each
// string once: an initializer list of Items would copy every one of them
// (start-up time).
std::string raw_item(const Item& it) {
  return literal(it.text) + "sv, " + literal(it.where.file) + "sv, " + std::to_string(it.where.line) + ", " +
         std::to_string(it.where.column);
}

std::string items(const std::vector<Item>& list) {
  std::string out = "items({";
  for (const auto& it : list) out += "{" + raw_item(it) + "}, ";
  return out + "})";
}

std::string item_map(const std::map<std::string, Item>& map) {
  std::string out = "item_map({";
  for (const auto& [key, it] : map) out += "{" + literal(key) + "sv, " + raw_item(it) + "}, ";
  return out + "})";
}

constexpr const char* kHelpers = R"(struct RawItem {
  std::string_view text, file;
  unsigned line, column;
};

std::vector<Item> items(std::initializer_list<RawItem> raw) {
  std::vector<Item> out;
  out.reserve(raw.size());
  for (const auto& r : raw) out.push_back(Item{std::string(r.text), SourceLoc{std::string(r.file), r.line, r.column}});
  return out;
}

struct RawEntry {
  std::string_view key, text, file;
  unsigned line, column;
};

std::map<std::string, Item> item_map(std::initializer_list<RawEntry> raw) {
  std::map<std::string, Item> out;
  for (const auto& r : raw)
    out.emplace(std::string(r.key), Item{std::string(r.text), SourceLoc{std::string(r.file), r.line, r.column}});
  return out;
}

)";

void write_set(std::ostream& out, const SetDef& set) {
  out << "  {\n    SetDef& s = layer.sets[" << literal(set.name) << "];\n"
      << "    s.name = " << literal(set.name) << ";\n"
      << "    s.change = SetChange{" << static_cast<int>(set.change) << "};\n"
      << "    s.kind = EntryKind{" << static_cast<int>(set.kind) << "};\n"
      << "    s.description = " << literal(set.description) << ";\n"
      << "    s.entries = " << items(set.entries) << ";\n"
      << "    s.where = " << loc(set.where) << ";\n  }\n";
}

void write_field(std::ostream& out, const std::string& name, const Field& field) {
  out << "  {\n    Field& f = layer.fields[" << literal(name) << "];\n"
      << "    f.spec = find_field(" << literal(field.spec->section) << ", " << literal(field.spec->key) << ");\n"
      << "    f.scalar = " << item(field.scalar) << ";\n"
      << "    f.list = " << items(field.list) << ";\n"
      << "    f.map = " << item_map(field.map) << ";\n"
      << "    f.where = " << loc(field.where) << ";\n  }\n";
}

void write_layer(std::ostream& out, std::size_t index, const Layer& layer) {
  out << "Layer layer_" << index << "() {\n  Layer layer;\n"
      << "  layer.name = " << literal(layer.name) << ";\n"
      << "  layer.origin = " << literal(layer.origin) << ";\n"
      << "  layer.is_profile = " << (layer.is_profile ? "true" : "false") << ";\n"
      << "  layer.description = " << literal(layer.description) << ";\n"
      << "  layer.extends = " << items(layer.extends) << ";\n"
      << "  layer.variables = " << item_map(layer.variables) << ";\n";
  for (const auto& [name, set] : layer.sets) write_set(out, set);
  for (const auto& [name, field] : layer.fields) write_field(out, name, field);
  out << "  return layer;\n}\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: airlock_embed_layers OUTPUT.cpp\n";
    return 2;
  }
  std::ostringstream out;
  out << "// Generated by packaging/embed_layers.cpp; do not edit.\n"
      << "#include \"policy/builtin_layers.hpp\"\n\n"
      << "#include <initializer_list>\n#include <string_view>\n\n"
      << "namespace airlock::policy {\nnamespace {\n\nusing namespace std::string_view_literals;\n\n"
      << kHelpers;
  const auto& files = airlock::policy::builtin_files();
  bool failed = false;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& file = files[i];
    airlock::policy::Diagnostics diag;
    Layer layer = airlock::policy::parse_layer(file.text, std::string(file.origin), std::string(file.name), diag);
    try {
      diag.throw_if_any();
    } catch (const airlock::policy::ProfileError& e) {
      for (const auto& message : e.messages()) std::cerr << message << "\n";
      failed = true;
    }
    write_layer(out, i, layer);
  }
  if (failed) return 1;
  out << "}  // namespace\n\nstd::optional<Layer> builtin_layer(std::string_view origin) {\n";
  for (std::size_t i = 0; i < files.size(); ++i)
    out << "  if (origin == " << literal(files[i].origin) << ") return layer_" << i << "();\n";
  out << "  return std::nullopt;\n}\n\n}  // namespace airlock::policy\n";

  const std::string path = argv[1];
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out.str();
  file.close();
  if (!file) {
    std::cerr << "airlock_embed_layers: cannot write " << path << "\n";
    return 1;
  }
  return 0;
}
