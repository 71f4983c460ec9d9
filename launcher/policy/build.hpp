#pragma once
// The last step of resolution: merged, substituted fields -> typed Policy,
// with every value checked (absolute paths, ports, CIDRs, syscall and
// capability names, durations, sizes).
#include <map>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/document.hpp"
#include "policy/policy.hpp"

namespace airlock::policy {

// A field after merging the whole chain: list entries are final and
// substituted; a leading "?" (optional path) is still there.
struct MergedField {
  const FieldSpec* spec = nullptr;
  Item scalar;
  std::vector<Item> list;
  std::map<std::string, Item> map;
  bool present = false;
};

void build_policy(const std::map<std::string, MergedField>& fields, Policy& policy, Diagnostics& diag);

// errno name ("EPERM") or number -> value; nullopt when unknown.
std::optional<int> errno_from_name(const std::string& name);
std::string errno_name(int value);

// Features `enforcement.require` may name.
const std::vector<std::string>& known_features();

}  // namespace airlock::policy
