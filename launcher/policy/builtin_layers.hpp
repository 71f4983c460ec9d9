#pragma once
// The built-in profiles and policy files, already parsed: generated at build
// time by packaging/embed_layers.cpp with parse_layer itself, so a run
// builds these layers from data instead of parsing TOML (toml11 was a
// quarter of the start-up CPU time). The TOML texts stay in builtin.hpp for
// `airlock profiles --show` and friends.
#include <optional>
#include <string_view>

#include "policy/document.hpp"

namespace airlock::policy {

// The layer parse_layer gives for the built-in file with this origin
// ("builtin:profiles/npm-ci.toml"); nullopt for any other origin.
std::optional<Layer> builtin_layer(std::string_view origin);

// parse_layer, or the prebuilt layer when the source is a built-in file.
Layer load_layer(std::string_view text, const std::string& origin, const std::string& name, Diagnostics& diag);

}  // namespace airlock::policy
