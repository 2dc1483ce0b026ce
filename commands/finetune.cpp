// `nanossl finetune`: supervised training that starts from a pretrained encoder:
// `train` with init_encoder set and the architecture taken from the encoder's run.
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "commands/runs.h"
#include "ssl/simclr.h"

namespace nanossl {

TrainConfig finetune_config(TrainConfig config, const std::string& encoder) {
  if (encoder.empty()) throw std::invalid_argument("[finetune] --encoder DIR (a `nanossl pretrain` run) is required");
  const std::filesystem::path config_path = std::filesystem::path(encoder) / "config.json";
  std::ifstream in(config_path);
  if (!in) throw std::runtime_error("[finetune] " + encoder + ": no config.json (expected a `nanossl pretrain` run)");
  const PretrainConfig pretrain = config_from_json<PretrainConfig>(Json::parse(in), config_path.string());
  // The encoder's architecture wins over the preset's: the weights must fit; and
  // its input channels are those of its first convolution.
  config.model.depth = pretrain.model.depth;
  config.model.stem = pretrain.model.stem;
  config.model.width = pretrain.model.width;
  config.channels = ssl::read_pretrained_encoder(encoder).in_channels();
  config.init_encoder = encoder;
  return config;
}

int run_finetune(const RunOptions& options, const std::string& encoder) {
  if (!options.resume.empty()) {
    if (options.print_config) return print_config(planned_config<TrainConfig>("finetune", options));
    return train(start_run<TrainConfig>("finetune", options));
  }
  const TrainConfig config = finetune_config(resolve_config<TrainConfig>(options.preset, options.overrides), encoder);
  if (options.print_config) return print_config(config);
  return train(start_fresh(options.out, config));
}

}  // namespace nanossl
