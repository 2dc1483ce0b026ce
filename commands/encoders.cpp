// Loading encoders for evaluation and caching their features; see encoders.h.
#include "commands/encoders.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "commands/builders.h"
#include "commands/progress.h"
#include "data/registry.h"
#include "nn/checkpoint.h"
#include "ssl/simclr.h"
#include "tensor/random.h"

namespace nanossl {
namespace fs = std::filesystem;

namespace {

// "fashion", "shapes:2000", "folder:/x/y" -> a file-name-safe key.
std::string file_key(const std::string& text) {
  std::string key;
  for (char c : text) key += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return key;
}

}  // namespace

Encoder load_encoder(const std::string& spec, const ModelConfig& architecture, std::int64_t in_channels,
                     std::uint64_t seed, Device device) {
  Encoder encoder;
  if (spec == "random") {
    manual_seed(seed);
    encoder.model = make_model(architecture, in_channels, 0);
    encoder.source = "random (seed " + std::to_string(seed) + ")";
  } else {
    const fs::path config_path = fs::path(spec) / "config.json";
    std::ifstream in(config_path);
    if (!in) throw std::runtime_error("[encoder] " + spec + ": no config.json (expected the run directory of `nanossl pretrain` or `nanossl train`)");
    Json run_config;
    try {
      run_config = Json::parse(in);
    } catch (const std::exception& error) {
      throw std::runtime_error("[encoder] " + config_path.string() + ": " + error.what());
    }
    const ssl::PretrainedEncoder pretrained = ssl::read_any_encoder(spec);
    if (!run_config.contains("model")) throw std::runtime_error("[encoder] " + config_path.string() + ": no model section");
    const ModelConfig model = config_from_json<ModelConfig>(run_config.at("model"), config_path.string());
    encoder.model = make_model(model, pretrained.in_channels(), 0);
    ssl::load_pretrained_encoder(*encoder.model, pretrained);
    encoder.source = pretrained.checkpoint_dir;
    encoder.cache_dir = (fs::path(spec) / "features" / fs::path(encoder.source).filename()).string();
  }
  encoder.model->to(device);
  encoder.model->eval();
  return encoder;
}

ssl::FeatureSet encoder_features(Encoder& encoder, const data::DatasetPtr& dataset, const std::string& spec,
                                 data::Split split, Device device, int workers) {
  const std::string cache =
      encoder.cache_dir.empty()
          ? ""
          : encoder.cache_dir + "/" + file_key(spec) + "-" + data::split_name(split) + ".safetensors";
  if (!cache.empty() && fs::exists(cache)) {
    try {
      ssl::FeatureSet set = ssl::load_features(cache);
      if (set.features.size(0) == dataset->size()) return set;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "ignoring the feature cache %s: %s\n", cache.c_str(), error.what());
    }
  }
  // 60,000 images take a while on a CPU: a live line on a terminal, one line in a log.
  ImageProgress progress("features of " + dataset->name() + " (" + data::split_name(split) + ")", dataset->size());
  ssl::FeatureSet set = ssl::extract_features(*encoder.model, dataset, device, 256, workers,
                                              [&](std::int64_t images) { progress.advance(images); });
  progress.finish();
  if (!cache.empty()) {
    fs::create_directories(encoder.cache_dir);
    ssl::save_features(cache, set);
  }
  return set;
}

}  // namespace nanossl
