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

// "A, then B": the candidates in the order they are tried, for errors.
std::string in_order(const std::vector<std::string>& candidates) {
  std::string text;
  for (const std::string& dir : candidates) text += (text.empty() ? "" : ", then ") + dir;
  return text;
}

}  // namespace

std::vector<std::string> preset_dir_candidates(const std::string& exe_path, const std::string& source_presets) {
  std::vector<std::string> candidates;
  if (!exe_path.empty()) {
    const std::filesystem::path exe_dir = std::filesystem::path(exe_path).parent_path();
    candidates.push_back((exe_dir.parent_path() / "share" / "nanossl" / "presets").string());
  }
  candidates.push_back(source_presets);
  return candidates;
}

std::vector<std::string> preset_dir_candidates() {
  std::error_code error;  // no /proc (not Linux): only the source tree is a candidate
  const std::filesystem::path exe = std::filesystem::canonical("/proc/self/exe", error);
  return preset_dir_candidates(error ? std::string() : exe.string(), NANOSSL_PRESET_DIR);
}

std::string find_preset_dir(const std::vector<std::string>& candidates) {
  for (const std::string& dir : candidates) {
    std::error_code error;
    if (std::filesystem::is_directory(dir, error)) return dir;
  }
  config_error("no presets directory: looked in " + in_order(candidates));
}

std::string preset_dir() { return find_preset_dir(preset_dir_candidates()); }

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
  std::string path = name_or_path, unknown;  // unknown: what the error adds for a name not found
  if (!is_path) {
    const std::vector<std::string> candidates = preset_dir_candidates();
    path = find_preset_dir(candidates) + "/" + name_or_path + ".json";
    unknown = " (no preset named '" + name_or_path + "'; presets are looked for in " + in_order(candidates) +
              ", the first that exists is used)";
  }
  std::ifstream in(path);
  if (!in) config_error("cannot open preset " + path + unknown);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_config_json(text, path);
}

std::vector<PresetInfo> list_presets() {
  std::vector<PresetInfo> presets;
  const std::string dir = preset_dir();
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
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
  if (error) config_error("cannot list the presets in " + dir + ": " + error.message());
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
