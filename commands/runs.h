// The commands as functions of a typed configuration: what the command line calls
// after resolving presets and overrides, and what the studies call directly.
#pragma once
#include <string>

#include "commands/run_config.h"
#include "commands/run_directory.h"

namespace nanossl {

// Supervised training (from scratch, or from config.init_encoder); writes
// result.json with the test accuracy.
int train(const RunStart<TrainConfig>& run);
// `config` made to fine-tune the encoder of the pretraining run in `encoder`: the
// architecture and input channels are the encoder's (the weights must fit), and
// init_encoder names it.
TrainConfig finetune_config(TrainConfig config, const std::string& encoder);
// SimCLR pretraining; writes result.json with the last kNN monitor score.
int pretrain(const RunStart<PretrainConfig>& run);
// Evaluations of frozen features (config.encoder, and config.encoder2 concatenated).
int linear_probe(const RunStart<ProbeConfig>& run);
int knn_classifier(const RunStart<KnnConfig>& run);

// --print-config: the resolved configuration, as JSON, on stdout.
template <class Config>
int print_config(const Config& config) {
  std::printf("%s\n", config_to_json(config).dump(2).c_str());
  return 0;
}

}  // namespace nanossl
