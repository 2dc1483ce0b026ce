// Run configurations: a JSON preset (a file, or a name in experiments/presets/)
// plus `--set key=value` overrides with dotted keys (`--set model.width=32`). The
// fully resolved configuration is written next to every run's results.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nanossl {

using Json = nlohmann::json;

// "train-fashion" -> experiments/presets/train-fashion.json; anything with a '/'
// or ending in .json is a path. Throws naming the preset and what is wrong.
Json load_preset(const std::string& name_or_path);
// Applies "a.b.c=value" (value parsed as JSON, else taken as a string). A key
// must already exist in the preset, so a typo is an error, not a silent no-op.
void apply_override(Json& config, const std::string& assignment);
// A JSON value as the right-hand side of an override: strings bare, the rest as JSON.
std::string override_text(const Json& value);
Json resolve_config(const std::string& preset, const std::vector<std::string>& overrides);

// Typed lookups with the key path in every error ("[config] model.width: expected
// an integer, got \"x\"").
std::int64_t config_int(const Json& config, const std::string& path);
double config_double(const Json& config, const std::string& path);
bool config_bool(const Json& config, const std::string& path);
std::string config_string(const Json& config, const std::string& path);

}  // namespace nanossl
