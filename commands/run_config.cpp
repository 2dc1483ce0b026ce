// Resolving presets and overrides into typed configurations; see run_config.h.
#include "commands/run_config.h"

#include "commands/presets.h"

namespace nanossl {

template <class Config>
Config config_with_overrides(const Json& saved, const std::vector<std::string>& overrides, const std::string& what) {
  Json json = config_to_json(config_from_json<Config>(saved, what));
  for (const std::string& assignment : overrides) apply_override(json, assignment);
  return config_from_json<Config>(json, what + " with --set overrides");
}

template <class Config>
Config resolve_config(const std::string& preset, const std::vector<std::string>& overrides) {
  return config_with_overrides<Config>(load_preset(preset), overrides, "preset " + preset);
}

template TrainConfig resolve_config<TrainConfig>(const std::string&, const std::vector<std::string>&);
template PretrainConfig resolve_config<PretrainConfig>(const std::string&, const std::vector<std::string>&);
template ProbeConfig resolve_config<ProbeConfig>(const std::string&, const std::vector<std::string>&);
template KnnConfig resolve_config<KnnConfig>(const std::string&, const std::vector<std::string>&);
template TrainConfig config_with_overrides<TrainConfig>(const Json&, const std::vector<std::string>&, const std::string&);
template PretrainConfig config_with_overrides<PretrainConfig>(const Json&, const std::vector<std::string>&,
                                                              const std::string&);
template ProbeConfig config_with_overrides<ProbeConfig>(const Json&, const std::vector<std::string>&, const std::string&);
template KnnConfig config_with_overrides<KnnConfig>(const Json&, const std::vector<std::string>&, const std::string&);

}  // namespace nanossl
