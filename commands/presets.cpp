// Presets and overrides; see presets.h.
#include "commands/presets.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace nanossl {

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

void set_key(Json& config, const std::string& key, const Json& value) {
  Json* node = &config;
  std::stringstream parts(key);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (!node->is_object() || !node->contains(part)) config_error(key + ": no such key");
    node = &(*node)[part];
  }
  if (node->type() != value.type() && !(node->is_number() && value.is_number())) {
    config_error(key + " holds a " + std::string(node->type_name()) + ", got a " + value.type_name() + " (" +
                 value.dump() + ")");
  }
  *node = value;
}

void apply_override(Json& config, const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) config_error("override '" + assignment + "' is not key=value");
  const std::string text = assignment.substr(eq + 1);
  Json value;
  try {
    value = Json::parse(text);
  } catch (const Json::parse_error&) {
    value = text;  // a bare word: a string
  }
  try {
    set_key(config, assignment.substr(0, eq), value);
  } catch (const std::invalid_argument& error) {
    config_error("override '" + assignment + "': " + std::string(error.what()).substr(9));  // drops "[config] "
  }
}

}  // namespace nanossl
