// Presets and overrides as JSON: a preset is a JSON file (a name in presets/ or a
// path) holding the keys a run changes from the defaults of its typed config
// (run_config.h); `--set key.path=value` changes one key of the resolved config.
#pragma once
#include <string>
#include <vector>

#include "commands/config_fields.h"

namespace nanossl {

// "train-fashion" -> presets/train-fashion.json; anything with a '/' or ending in
// .json is a path. Throws naming the preset and what is wrong.
Json load_preset(const std::string& name_or_path);
// A preset's text as JSON (comments allowed), what load_preset does with a file's
// contents; `what` names the source in errors. Nesting deeper than
// kMaxConfigDepth levels is refused (nlohmann's dump and copy recurse once per
// level, so a deeper document would overflow the stack rather than fail).
inline constexpr int kMaxConfigDepth = 64;
Json parse_config_json(const std::string& text, const std::string& what);
// One preset of presets/: the command it configures (from its file name: train-*,
// pretrain-*, finetune-*, linear-*, knn-*, study-*), the name that command's
// --preset takes ("train-fashion"; a study's without "study-": "quick"), and its
// "// about" line.
struct PresetInfo {
  std::string command, name, about, path;
};
// Every preset, sorted by command, then name. Throws naming a preset that is not
// valid JSON or has no "// about" line.
std::vector<PresetInfo> list_presets();

// Sets `key` ("a.b.c") of `config` to `value`. The key must already exist (the
// config is written whole, defaults included, before overrides apply, so a key
// that is missing is a typo) and a value of another JSON type is refused.
void set_key(Json& config, const std::string& key, const Json& value);
// "a.b.c=value": the value parsed as JSON, else taken as a bare string.
void apply_override(Json& config, const std::string& assignment);

}  // namespace nanossl
