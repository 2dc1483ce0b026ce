// Presets, overrides and typed lookups for run configurations.
#include "experiments/config.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nanossl {
namespace {

[[noreturn]] void config_error(const std::string& message) { throw std::invalid_argument("[config] " + message); }

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream stream(path);
  std::string part;
  while (std::getline(stream, part, '.')) parts.push_back(part);
  return parts;
}

const Json& lookup(const Json& config, const std::string& path) {
  const Json* node = &config;
  for (const std::string& part : split_path(path)) {
    if (!node->is_object() || !node->contains(part)) config_error(path + ": missing from the configuration");
    node = &(*node)[part];
  }
  return *node;
}

}  // namespace

Json load_preset(const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
  const std::string path = is_path ? name_or_path : std::string(NANOSSL_PRESET_DIR) + "/" + name_or_path + ".json";
  std::ifstream in(path);
  if (!in) config_error("cannot open preset " + path + (is_path ? "" : " (no preset named '" + name_or_path + "')"));
  try {
    return Json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    config_error(path + ": invalid JSON: " + e.what());
  }
}

void apply_override(Json& config, const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) config_error("override '" + assignment + "' is not key=value");
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  Json* node = &config;
  for (const std::string& part : split_path(key)) {
    if (!node->is_object() || !node->contains(part)) {
      config_error("override '" + assignment + "': no key '" + key + "' in the preset");
    }
    node = &(*node)[part];
  }
  Json value;
  try {
    value = Json::parse(text);
  } catch (const Json::parse_error&) {
    value = text;  // a bare word: a string
  }
  if (!node->is_null() && node->type() != value.type() && !(node->is_number() && value.is_number())) {
    config_error("override '" + assignment + "': " + key + " holds a " + node->type_name() + ", got a " +
                 value.type_name());
  }
  *node = value;
}

std::string override_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

Json resolve_config(const std::string& preset, const std::vector<std::string>& overrides) {
  Json config = load_preset(preset);
  for (const std::string& assignment : overrides) apply_override(config, assignment);
  return config;
}

std::int64_t config_int(const Json& config, const std::string& path) {
  const Json& v = lookup(config, path);
  if (!v.is_number_integer()) config_error(path + ": expected an integer, got " + v.dump());
  return v.get<std::int64_t>();
}

double config_double(const Json& config, const std::string& path) {
  const Json& v = lookup(config, path);
  if (!v.is_number()) config_error(path + ": expected a number, got " + v.dump());
  return v.get<double>();
}

bool config_bool(const Json& config, const std::string& path) {
  const Json& v = lookup(config, path);
  if (!v.is_boolean()) config_error(path + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}

std::string config_string(const Json& config, const std::string& path) {
  const Json& v = lookup(config, path);
  if (!v.is_string()) config_error(path + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

}  // namespace nanossl
