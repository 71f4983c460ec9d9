// Fuzz target: a profile as bytes. parse_layer sees the bytes as they are;
// resolve sees them as a profile file that may extend the built-in profiles
// and use the built-in sets and variables.
#include <fstream>

#include "fuzz/targets.hpp"
#include "policy/diagnostics.hpp"
#include "policy/document.hpp"
#include "policy/resolve.hpp"
#include "support/temp_dir.hpp"

namespace airlock::fuzz {
namespace {

policy::Context fake_context() {
  policy::Context ctx;
  ctx.project = "/work/proj";
  ctx.home = "/home/u";
  ctx.tmp = "/tmp";
  ctx.uid = 1000;
  ctx.gid = 1000;
  // Never run npm or pip: a fixed answer, as the tests of resolve do.
  ctx.npm_registries = [] {
    return std::vector<policy::RegistryAddress>{{"registry.test", "443"}, {"scoped.test", "8443"}};
  };
  ctx.pip_indexes = [] {
    return std::vector<policy::RegistryAddress>{{"pypi.test", "443"}, {"files.test", "443"}};
  };
  return ctx;
}

// One directory per process, overwritten for every input: the profile has
// an absolute path, so a relative `extends` resolves next to it.
const std::string& profile_path() {
  static const test::TempDir dir("/tmp");
  static const std::string path = dir / "profile.toml";
  return path;
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace

void profile_input(Input data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  static const std::string origin = profile_path();

  policy::Diagnostics diag;
  (void)policy::parse_layer(text, origin, "profile", diag);
  const bool layer_rejected = !diag.empty();

  write_file(origin, text);
  static const policy::Catalog catalog({}, {}, true);
  static const policy::Context ctx = fake_context();
  try {
    (void)policy::resolve(origin, catalog, ctx);
  } catch (const policy::ProfileError& e) {
    if (e.messages().empty()) throw InvariantBroken("ProfileError without a message");
    return;
  } catch (const Error&) {
    // A refusal with a message (e.g. an `extends` path that is unreadable).
    return;
  }
  // resolve parses the same file with the same origin: what parse_layer
  // refused, resolve must refuse too.
  if (layer_rejected) throw InvariantBroken("resolve accepted a profile that parse_layer rejected");
}

}  // namespace airlock::fuzz
