#pragma once
// `${name}` substitution in profile values. Built-ins describe the invoking
// user and project; `[variables]` adds the profile's own. An undefined
// variable is an error, never an empty string: "${hme}/.cache" must not
// quietly become "/.cache".
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/document.hpp"
#include "policy/package_config.hpp"

namespace airlock::policy {

struct Context {
  std::string project;  // absolute
  std::string home;
  std::string tmp;
  unsigned uid = 0;
  unsigned gid = 0;
  // The default registry first, then every @scope:registry
  // (policy/package_config.hpp). Evaluated only when a profile uses
  // ${npm_registry} or @npm-registries: npm may not even be installed where
  // it is not needed.
  std::function<std::vector<RegistryAddress>()> npm_registries;
  // The package indexes pip is configured with (and, for the default index,
  // the host its files come from), read on first use.
  std::function<std::vector<RegistryAddress>()> pip_indexes;

  // The invoking user's context; `project` defaults to the working directory.
  static Context current(const std::optional<std::string>& project = std::nullopt);
};

class Variables {
 public:
  Variables(const Context& ctx, std::map<std::string, Item> user);

  // Substitutes every ${name} in `item`; reports problems to `diag` under
  // `key` and returns nullopt.
  std::optional<std::string> expand(const Item& item, const std::string& key, Diagnostics& diag);

  // The registries npm is configured with (read once, on first use).
  // Throws airlock::Error when npm's configuration cannot be read.
  const std::vector<RegistryAddress>& npm_registries();
  const std::vector<RegistryAddress>& pip_indexes();

  // Every variable that was expanded at least once, with its value.
  const std::map<std::string, std::string>& used() const { return used_; }

 private:
  std::optional<std::string> lookup(const std::string& name, const Item& at, const std::string& key,
                                    Diagnostics& diag, int depth);
  std::optional<std::string> expand_at(const Item& item, const std::string& key, Diagnostics& diag, int depth);

  const Context& ctx_;
  std::map<std::string, Item> user_;
  std::map<std::string, std::string> used_;
  std::optional<std::vector<RegistryAddress>> registries_;
  std::optional<std::vector<RegistryAddress>> pip_indexes_;
};

}  // namespace airlock::policy
