// libFuzzer target for the configuration readers. The input is a preset file's
// text, optionally followed by `--set` assignments, each after a NUL byte (as argv
// would pass them): "{\"epochs\": 2}\0model.width=8\0optimizer.lr=0.3". The text
// goes through parse_config_json (what load_preset does with a file); then, for
// every run configuration, through config_with_overrides (what resolve_config does
// after load_preset); and as study settings (which take no overrides) through
// config_from_json, each section's `set` patch then applied to its command's
// defaults (what Study::section_config does with the section's preset). A [config]
// error (std::invalid_argument) is the expected way to refuse; anything else
// escaping, a crash or a hang is a finding. A configuration that reads must also
// survive the trip through config.json text that a resumed run takes: written,
// parsed, read back, and written again as the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands/presets.h"
#include "commands/run_config.h"
#include "studies/settings.h"

namespace {

using namespace nanossl;

// What a run writes to OUT/config.json and a resume reads back.
template <class Config>
void check_round_trip(const Config& config) {
  const Json written = config_to_json(config);
  const Config again = config_from_json<Config>(Json::parse(written.dump(2)), "config.json");
  if (config_to_json(again) != written) {
    std::fprintf(stderr, "config changed through config.json: %s\n", written.dump().c_str());
    std::abort();
  }
}

template <class Config>
void resolve(const Json& preset, const std::vector<std::string>& overrides) {
  try {
    check_round_trip(config_with_overrides<Config>(preset, overrides, "preset fuzz.json"));
  } catch (const std::invalid_argument&) {
  }
}

// A study section's patch of dotted keys applied to its command's configuration.
template <class Config>
void patch(const Json& set) {
  try {
    Json json = config_to_json(Config{});
    for (const auto& [key, value] : set.items()) set_key(json, key, value);
    check_round_trip(config_from_json<Config>(json, "preset with the study's set"));
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t end = input.find('\0');
  std::vector<std::string> overrides;
  for (std::size_t at = end; at != std::string::npos;) {
    const std::size_t next = input.find('\0', at + 1);
    overrides.push_back(input.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    at = next;
  }
  Json preset;
  try {
    preset = parse_config_json(input.substr(0, end), "fuzz.json");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  resolve<TrainConfig>(preset, overrides);
  resolve<PretrainConfig>(preset, overrides);
  resolve<ProbeConfig>(preset, overrides);
  resolve<KnnConfig>(preset, overrides);
  try {
    const StudySettings settings = config_from_json<StudySettings>(preset, "preset fuzz.json");
    check_round_trip(settings);
    patch<PretrainConfig>(settings.pretrain.run.set);
    patch<TrainConfig>(settings.supervised.set);
    patch<TrainConfig>(settings.finetune.set);
    patch<ProbeConfig>(settings.linear.set);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
