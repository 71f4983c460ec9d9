// The built-in profiles' seccomp programs compiled at build time
// (sandbox/seccomp_prebuilt.hpp): every built-in profile is in the table,
// with and without the handoff, and each entry is exactly what libseccomp
// compiles from that profile here; any other filter is compiled by
// libseccomp as before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "policy/builtin.hpp"
#include "policy/catalog.hpp"
#include "policy/resolve.hpp"
#include "sandbox/seccomp.hpp"
#include "sandbox/seccomp_prebuilt.hpp"
#include "sandbox/spec.hpp"

namespace {

using namespace airlock;

bool same(const std::vector<seccomp::Program>& a, const std::vector<seccomp::Program>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].notify != b[i].notify || a[i].code.size() != b[i].code.size()) return false;
    for (std::size_t j = 0; j < a[i].code.size(); ++j) {
      const auto &x = a[i].code[j], &y = b[i].code[j];
      if (x.code != y.code || x.jt != y.jt || x.jf != y.jf || x.k != y.k) return false;
    }
  }
  return true;
}

bool in_table(const std::string& key) {
  const auto table = seccomp::prebuilt_filters();
  return std::any_of(table.begin(), table.end(), [&](const auto& p) { return p.key == key; });
}

// Every built-in profile's filter, with and without the handoff.
std::vector<std::pair<std::string, seccomp::Filter>> builtin_filters() {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/project/data");
  std::filesystem::create_directories(dir.path() + "/project/node_modules");
  std::filesystem::create_directories(dir.path() + "/home");
  policy::Context ctx;
  ctx.project = dir.path() + "/project";
  ctx.home = dir.path() + "/home";
  ctx.tmp = "/tmp";
  ctx.npm_registries = [] { return std::vector<policy::RegistryAddress>{{"registry.example.test", "443"}}; };
  ctx.pip_indexes = [] { return std::vector<policy::RegistryAddress>{{"index.example.test", "443"}}; };
  const policy::Catalog catalog({}, {}, true);
  std::vector<std::pair<std::string, seccomp::Filter>> out;
  for (const auto& file : policy::builtin_files()) {
    if (file.kind != policy::BuiltinKind::profile) continue;
    const auto policy = policy::resolve(std::string(file.name), catalog, ctx);
    for (const bool handoff : {false, true})
      out.emplace_back(std::string(file.name) + (handoff ? " (handoff)" : ""),
                       seccomp::build(sandbox::seccomp_spec(policy, handoff)));
  }
  out.emplace_back("audit's baseline", seccomp::build(seccomp::Request{}));
  return out;
}

TEST(SeccompPrebuilt, EveryBuiltinProfileIsCompiledAtBuildTimeAsLibseccompCompilesItHere) {
  const auto filters = builtin_filters();
  ASSERT_GE(filters.size(), 19u);
  for (const auto& [name, filter] : filters) {
    EXPECT_TRUE(in_table(seccomp::compile_key(filter))) << name << " is not in the table";
    EXPECT_TRUE(same(seccomp::compile(filter), seccomp::compile_with_libseccomp(filter)))
        << name << ": the table's programs differ from libseccomp's";
  }
}

TEST(SeccompPrebuilt, AnyOtherFilterIsCompiledByLibseccomp) {
  seccomp::Request request;
  request.deny = {"ptrace", "keyctl", "add_key", "request_key", "bpf", "userfaultfd"};
  request.errno_value = 13;
  const auto filter = seccomp::build(request);
  EXPECT_FALSE(in_table(seccomp::compile_key(filter)));
  EXPECT_TRUE(same(seccomp::compile(filter), seccomp::compile_with_libseccomp(filter)));
}

TEST(SeccompPrebuilt, TheKeyTellsFiltersThatCompileDifferentlyApart) {
  seccomp::Request a, b = a;
  b.deny = {"ptrace"};
  seccomp::Request c = b;
  c.errno_value = 13;
  seccomp::Request d = b;
  d.action = seccomp::Action::kill;
  const std::vector<std::string> keys = {seccomp::compile_key(seccomp::build(a)), seccomp::compile_key(seccomp::build(b)),
                                         seccomp::compile_key(seccomp::build(c)), seccomp::compile_key(seccomp::build(d))};
  for (std::size_t i = 0; i < keys.size(); ++i)
    for (std::size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " " << j;
}

}  // namespace
