// The layers generated at build time (packaging/embed_layers.cpp) must be
// exactly what parsing the shipped TOML gives, or a run would enforce a
// different policy than the file it claims to come from.
#include <gtest/gtest.h>

#include "policy/builtin.hpp"
#include "policy/builtin_layers.hpp"

using namespace airlock::policy;

namespace {

void expect_same(const SourceLoc& a, const SourceLoc& b, const std::string& what) {
  EXPECT_EQ(a.file, b.file) << what;
  EXPECT_EQ(a.line, b.line) << what;
  EXPECT_EQ(a.column, b.column) << what;
}

void expect_same(const Item& a, const Item& b, const std::string& what) {
  EXPECT_EQ(a.text, b.text) << what;
  expect_same(a.where, b.where, what + " " + a.text);
}

void expect_same(const std::vector<Item>& a, const std::vector<Item>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i], what + "[" + std::to_string(i) + "]");
}

void expect_same(const std::map<std::string, Item>& a, const std::map<std::string, Item>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [key, item] : a) {
    ASSERT_TRUE(b.count(key)) << what << " " << key;
    expect_same(item, b.at(key), what + "." + key);
  }
}

void expect_same_layer(const Layer& a, const Layer& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.is_profile, b.is_profile);
  EXPECT_EQ(a.description, b.description);
  expect_same(a.extends, b.extends, "extends");
  expect_same(a.variables, b.variables, "variables");
  ASSERT_EQ(a.sets.size(), b.sets.size());
  for (const auto& [name, set] : a.sets) {
    ASSERT_TRUE(b.sets.count(name)) << name;
    const auto& other = b.sets.at(name);
    EXPECT_EQ(set.name, other.name);
    EXPECT_EQ(set.kind, other.kind) << name;
    EXPECT_EQ(set.description, other.description) << name;
    expect_same(set.entries, other.entries, "sets." + name);
    expect_same(set.where, other.where, "sets." + name);
  }
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (const auto& [name, field] : a.fields) {
    ASSERT_TRUE(b.fields.count(name)) << name;
    const auto& other = b.fields.at(name);
    EXPECT_EQ(field.spec, other.spec) << name;
    expect_same(field.scalar, other.scalar, name);
    expect_same(field.list, other.list, name);
    expect_same(field.map, other.map, name);
    expect_same(field.where, other.where, name);
  }
}

TEST(BuiltinLayers, EveryShippedFileIsPrebuiltExactlyAsParsed) {
  ASSERT_FALSE(builtin_files().empty());
  for (const auto& file : builtin_files()) {
    SCOPED_TRACE(std::string(file.origin));
    Diagnostics diag;
    const auto parsed = parse_layer(file.text, std::string(file.origin), std::string(file.name), diag);
    ASSERT_TRUE(diag.empty());
    const auto prebuilt = builtin_layer(file.origin);
    ASSERT_TRUE(prebuilt.has_value());
    EXPECT_FALSE(prebuilt->fields.empty() && prebuilt->sets.empty()) << "an empty layer proves nothing";
    expect_same_layer(*prebuilt, parsed);
  }
}

TEST(BuiltinLayers, OtherOriginsHaveNoPrebuiltLayer) {
  EXPECT_FALSE(builtin_layer("/etc/airlock/profiles/default.toml").has_value());
  EXPECT_FALSE(builtin_layer("builtin:profiles/no-such-profile.toml").has_value());
}

TEST(BuiltinLayers, AFileThatOnlyClaimsABuiltinOriginIsParsedFromItsText) {
  const auto& file = builtin_files().front();
  Diagnostics diag;
  const auto layer = load_layer("[profile]\ndescription = \"mine\"\n", std::string(file.origin),
                                std::string(file.name), diag);
  EXPECT_TRUE(diag.empty());
  EXPECT_EQ(layer.description, "mine");
  EXPECT_TRUE(layer.fields.empty());
}

TEST(BuiltinLayers, LoadLayerOfABuiltinTextGivesThePrebuiltLayer) {
  for (const auto& file : builtin_files()) {
    Diagnostics diag;
    const auto loaded = load_layer(file.text, std::string(file.origin), std::string(file.name), diag);
    const auto parsed = parse_layer(file.text, std::string(file.origin), std::string(file.name), diag);
    EXPECT_TRUE(diag.empty());
    expect_same_layer(loaded, parsed);
  }
}

}  // namespace
