// Encoders for evaluation: the encoder of a pretraining run, or a randomly
// initialised one of a given architecture, and their frozen features, cached in
// the pretraining run so that every probe of a study reuses one extraction.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/registry.h"
#include "commands/run_config.h"
#include "nn/resnet.h"
#include "ssl/features.h"

namespace nanossl {

struct Encoder {
  std::shared_ptr<nn::ResNet> model;  // num_classes 0: forward gives features
  std::string source;                 // the checkpoint directory, or "random (seed S)"
  std::string cache_dir;              // where its features are cached; empty: not cached
};

// `spec` is a pretraining run directory (its latest complete checkpoint; the
// architecture comes from the run's config.json, the input channels from its first
// convolution), a supervised run directory (the same, its network without the
// classifier), or "random": an encoder of `architecture` with `in_channels`,
// initialised from `seed`. Feature extraction converts
// images to the encoder's channels.
Encoder load_encoder(const std::string& spec, const ModelConfig& architecture, std::int64_t in_channels,
                     std::uint64_t seed, Device device);

// The encoder's features of every image of `dataset`, opened as `split` of `spec`
// ("shapes:256"; the cache key, as names do not tell sizes apart), from the cache
// when the same checkpoint already extracted them.
ssl::FeatureSet encoder_features(Encoder& encoder, const data::DatasetPtr& dataset, const std::string& spec,
                                 data::Split split, Device device, int workers);

}  // namespace nanossl
