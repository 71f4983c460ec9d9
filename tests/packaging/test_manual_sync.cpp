// airlock-profile(5) documents exactly the schema airlock enforces: every key
// of every section, the shipped profiles and the shipped sets. A key added to
// policy/document.cpp without a manual entry (or a manual entry for a key that
// does not exist) fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "policy/builtin.hpp"
#include "policy/diagnostics.hpp"
#include "policy/document.hpp"

namespace {

constexpr const char* kManual = AIRLOCK_SOURCE_DIR "/packaging/man/airlock-profile.5";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// roff's "\-" is a printable hyphen-minus; names in the page are written with it.
std::string unescape(std::string s) {
  for (auto at = s.find("\\-"); at != std::string::npos; at = s.find("\\-", at)) s.erase(at, 1);
  return s;
}

// section ("filesystem") -> keys documented as ".TP" / ".TQ" items whose tag
// starts with "\fBkey\fR", under the heading ".SS [section]".
std::map<std::string, std::set<std::string>> documented_keys(const std::string& page) {
  std::map<std::string, std::set<std::string>> out;
  const std::regex heading(R"(^\.SS \[([a-z_]+)\]\s*$)");
  const std::regex tag(R"(^\\fB([a-z_]+)\\fR)");
  std::istringstream lines(page);
  std::string line, section;
  bool item_follows = false;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.starts_with(".SH") || line.starts_with(".SS")) {
      section = std::regex_match(line, m, heading) ? m[1].str() : "";
    } else if (item_follows && !section.empty() && std::regex_search(line, m, tag)) {
      out[section].insert(m[1].str());
    }
    item_follows = line == ".TP" || line == ".TQ";
  }
  return out;
}

// The text of one ".SH NAME" section, up to the next ".SH".
std::string section_text(const std::string& page, const std::string& name) {
  const auto start = page.find("\n.SH " + name + "\n");
  if (start == std::string::npos) return "";
  const auto end = page.find("\n.SH ", start + 1);
  return unescape(page.substr(start, end == std::string::npos ? std::string::npos : end - start));
}

}  // namespace

TEST(ManualSync, EverySchemaKeyIsDocumented) {
  const auto documented = documented_keys(read_file(kManual));
  ASSERT_FALSE(documented.empty()) << "no keys found in " << kManual;
  for (const auto& spec : airlock::policy::schema()) {
    const std::string section(spec.section), key(spec.key);
    EXPECT_TRUE(documented.count(section) && documented.at(section).count(key))
        << section << "." << key << " is accepted by airlock but not documented under \".SS [" << section
        << "]\" in packaging/man/airlock-profile.5";
  }
}

TEST(ManualSync, EveryDocumentedKeyExists) {
  const std::map<std::string, std::set<std::string>> fixed = {
      {"profile", {"description", "extends"}},
      {"sets", {"kind", "description", "entries", "add", "replace"}},
      {"variables", {}},
  };
  for (const auto& [section, keys] : documented_keys(read_file(kManual))) {
    if (auto it = fixed.find(section); it != fixed.end()) {
      EXPECT_EQ(keys, it->second) << "[" << section << "] in packaging/man/airlock-profile.5";
      continue;
    }
    for (const auto& key : keys)
      EXPECT_NE(airlock::policy::find_field(section, key), nullptr)
          << section << "." << key << " is documented in packaging/man/airlock-profile.5 but airlock rejects it";
  }
}

TEST(ManualSync, EveryShippedProfileAndSetIsDocumented) {
  const auto page = read_file(kManual);
  const auto profiles = section_text(page, "SHIPPED PROFILES");
  const auto sets = section_text(page, "SHIPPED SETS");
  ASSERT_FALSE(profiles.empty());
  ASSERT_FALSE(sets.empty());
  const std::regex set_ref(R"(@([a-z0-9_-]+))");
  std::set<std::string> documented_sets;
  for (std::sregex_iterator it(sets.begin(), sets.end(), set_ref), end; it != end; ++it)
    documented_sets.insert((*it)[1].str());

  int seen_profiles = 0;
  for (const auto& file : airlock::policy::builtin_files()) {
    if (file.kind == airlock::policy::BuiltinKind::profile) {
      ++seen_profiles;
      const std::regex named("\\.BR? ([^\\n]*\\b)?" + std::string(file.name) + "\\b");
      EXPECT_TRUE(std::regex_search(profiles, named))
          << "shipped profile " << file.name << " is not listed under SHIPPED PROFILES in airlock-profile.5";
      continue;
    }
    airlock::policy::Diagnostics diag;
    const auto layer = airlock::policy::parse_layer(file.text, std::string(file.origin), std::string(file.name), diag);
    ASSERT_TRUE(diag.empty()) << file.origin;
    for (const auto& [name, set] : layer.sets)
      EXPECT_TRUE(documented_sets.count(name))
          << "shipped set @" << name << " (" << file.origin << ") is not named under SHIPPED SETS in airlock-profile.5";
  }
  EXPECT_GE(seen_profiles, 3);
}
