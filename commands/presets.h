// Presets and overrides as JSON: a preset is a JSON file (a name in presets/ or a
// path) holding the keys a run changes from the defaults of its typed config
// (run_config.h); `--set key.path=value` changes one key of the resolved config.
#pragma once
#include <string>
#include <vector>

#include "commands/config_fields.h"

namespace nanossl {

// Where named presets are looked for, in this order: the installed presets beside
// the running executable (<exe dir>/../share/nanossl/presets, found through
// /proc/self/exe, so a relocated install or the .deb finds its own), then the
// source tree's presets/ (compiled in as NANOSSL_PRESET_DIR, for build/nanossl and
// the tests, whose <exe dir>/../share has none). The installed copy comes first so
// that an installed binary on the machine that built it reads what was installed.
std::vector<std::string> preset_dir_candidates();
// The candidates for an executable at `exe_path` (empty: unknown) built from a
// tree whose presets are `source_presets`; what preset_dir_candidates() returns.
std::vector<std::string> preset_dir_candidates(const std::string& exe_path, const std::string& source_presets);
// The first of `candidates` that is a directory. Throws naming every candidate
// when none is.
std::string find_preset_dir(const std::vector<std::string>& candidates);
// find_preset_dir(preset_dir_candidates()): the directory named presets come from.
std::string preset_dir();

// "train-fashion" -> PRESET_DIR/train-fashion.json (preset_dir()); anything with a
// '/' or ending in .json is a path. Throws naming the preset and what is wrong; for
// an unknown name, the directories it looked in.
Json load_preset(const std::string& name_or_path);
// A preset's text as JSON (comments allowed), what load_preset does with a file's
// contents; `what` names the source in errors. Nesting deeper than
// kMaxConfigDepth levels is refused (nlohmann's dump and copy recurse once per
// level, so a deeper document would overflow the stack rather than fail).
inline constexpr int kMaxConfigDepth = 64;
Json parse_config_json(const std::string& text, const std::string& what);
// One preset of preset_dir(): the command it configures (from its file name: train-*,
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
