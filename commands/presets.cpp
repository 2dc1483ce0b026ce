// Presets and overrides; see presets.h.
#include "commands/presets.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace nanossl {

namespace {

// Parses `text`, throwing Json::parse_error for invalid JSON, Json::out_of_range
// for a number beyond a double, and config_error naming `what` for nesting deeper
// than kMaxConfigDepth.
Json parse_limited(const std::string& text, const std::string& what, bool ignore_comments) {
  const Json::parser_callback_t limit_depth = [&what](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxConfigDepth) {
      config_error(what + ": JSON nested deeper than " + std::to_string(kMaxConfigDepth) + " levels");
    }
    return true;
  };
  return Json::parse(text, limit_depth, /*allow_exceptions=*/true, ignore_comments);
}

}  // namespace

Json parse_config_json(const std::string& text, const std::string& what) {
  try {
    return parse_limited(text, what, /*ignore_comments=*/true);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number such as 1e400
    config_error(what + ": invalid JSON: " + e.what());
  }
}

Json load_preset(const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
  const std::string path = is_path ? name_or_path : std::string(NANOSSL_PRESET_DIR) + "/" + name_or_path + ".json";
  std::ifstream in(path);
  if (!in) config_error("cannot open preset " + path + (is_path ? "" : " (no preset named '" + name_or_path + "')"));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_config_json(text, path);
}

std::vector<PresetInfo> list_presets() {
  std::vector<PresetInfo> presets;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(NANOSSL_PRESET_DIR, error)) {
    if (entry.path().extension() != ".json") continue;
    const std::string stem = entry.path().stem().string();
    const std::size_t dash = stem.find('-');
    PresetInfo info;
    info.path = entry.path().string();
    info.command = stem.substr(0, dash);
    info.name = info.command == "study" && dash != std::string::npos ? stem.substr(dash + 1) : stem;
    const Json preset = load_preset(info.path);
    if (!preset.contains("// about") || !preset.at("// about").is_string()) {
      config_error(info.path + ": no \"// about\" line saying what the preset is for");
    }
    info.about = preset.at("// about").get<std::string>();
    presets.push_back(info);
  }
  if (error) config_error("cannot list the presets in " + std::string(NANOSSL_PRESET_DIR) + ": " + error.message());
  std::sort(presets.begin(), presets.end(), [](const PresetInfo& a, const PresetInfo& b) {
    return a.command != b.command ? a.command < b.command : a.name < b.name;
  });
  return presets;
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
  // Quoted in errors, cut to 100 characters.
  const std::string quoted = assignment.size() > 100 ? assignment.substr(0, 97) + "..." : assignment;
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) config_error("override '" + quoted + "' is not key=value");
  const std::string text = assignment.substr(eq + 1);
  Json value;
  try {
    try {
      value = parse_limited(text, "value", /*ignore_comments=*/false);
    } catch (const Json::parse_error&) {
      value = text;  // a bare word: a string, which JSON (config.json) can only hold as UTF-8
      try {
        (void)value.dump();
      } catch (const Json::type_error&) {
        config_error("value is not valid UTF-8");
      }
    } catch (const Json::out_of_range& e) {
      config_error(std::string("value: ") + e.what());  // 1e400
    }
    set_key(config, assignment.substr(0, eq), value);
  } catch (const std::invalid_argument& error) {
    config_error("override '" + quoted + "': " + std::string(error.what()).substr(9));  // drops "[config] "
  }
}

}  // namespace nanossl
