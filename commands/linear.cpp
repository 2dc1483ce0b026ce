// `nanossl linear` and `nanossl knn`: evaluate a frozen encoder. Features of the
// whole training and test splits are extracted once in eval mode (and cached in the
// pretraining run); the linear probe is a multinomial logistic regression trained
// on the features of the labelled subset, the kNN classifier votes with the
// labelled subset as its memory. `--encoder random` evaluates an untrained encoder
// of the preset's architecture, the baseline SimCLR has to beat; `encoder2` adds a
// second encoder whose features are concatenated (the paper's redundancy test).
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "data/registry.h"
#include "data/subset.h"
#include "commands/encoders.h"
#include "commands/evaluation.h"
#include "commands/runs.h"
#include "nn/safetensors.h"
#include "ssl/knn.h"
#include "ssl/linear_probe.h"

namespace nanossl {
namespace {

struct EvalData {
  data::DatasetPtr train, test;
  ssl::FeatureSet train_features, test_features;  // train: the labelled subset only
  std::vector<std::string> sources;
};

// Features of `config.encoder` (and `config.encoder2` if set) for the labelled
// subset of the training split and for the whole test split.
EvalData features_for(const FrozenEvalConfig& config, const char* command) {
  EvalData data;
  const std::string& dataset = config.dataset;
  data.train = data::open_dataset(dataset, data::Split::train);
  data.test = data::open_dataset(dataset, data::Split::test);
  const Device device = Device::parse(config.device);
  const auto seed = static_cast<std::uint64_t>(config.seed);
  const int workers = static_cast<int>(config.workers);
  // The labelled subset (class-balanced, fixed by the seed; the images `train` uses
  // for the same labels and seed), or all of the training split.
  const std::int64_t labels = config.labels, classes = data.train->hierarchy().num_fine();
  data::DatasetPtr labelled = data.train;
  std::string labelled_key = dataset;
  if (labels != 0 && labels != data.train->size()) {
    if (labels < 0 || labels % classes != 0) {
      throw std::invalid_argument("[config] labels: " + std::to_string(labels) + " is not a positive multiple of the " +
                                  std::to_string(classes) + " classes of " + dataset);
    }
    labelled = std::make_shared<data::SubsetDataset>(data.train, data::labeled_subset(*data.train, labels / classes, seed),
                                                     dataset + "[" + std::to_string(labels) + " labels]");
    labelled_key = dataset + "-labels" + std::to_string(labels) + "-seed" + std::to_string(seed);
  }
  std::vector<std::string> specs = {config.encoder};
  if (!config.encoder2.empty()) specs.push_back(config.encoder2);
  for (std::size_t e = 0; e < specs.size(); ++e) {
    if (specs[e].empty()) throw std::invalid_argument(std::string("[") + command + "] no encoder: pass --encoder DIR or random");
    const std::int64_t channels = config.channels ? config.channels : data.train->channels();
    Encoder encoder = load_encoder(specs[e], config.model, channels, seed + e, device);
    // Only the labelled images are encoded: a probe on 100 labels costs 100 images.
    ssl::FeatureSet train = encoder_features(encoder, labelled, labelled_key, data::Split::train, device, workers);
    ssl::FeatureSet test = encoder_features(encoder, data.test, dataset, data::Split::test, device, workers);
    data.train_features = e == 0 ? train : ssl::concat_features(data.train_features, train);
    data.test_features = e == 0 ? test : ssl::concat_features(data.test_features, test);
    data.sources.push_back(encoder.source);
  }
  return data;
}

}  // namespace

int linear_probe(const RunStart<ProbeConfig>& run) {
  const ProbeConfig& config = run.config;
  EvalData data = features_for(config.eval, "linear");
  ssl::ProbeOptions probe;
  // 100 epochs of 620 labels at batch 256 are 300 steps: the probe stops short of
  // fitting them (78% train top-1 on glyphs) and a few-label comparison measures the
  // optimiser, not the features. min_steps stretches the epochs of small sets.
  const std::int64_t labelled = data.train_features.features.size(0);
  const std::int64_t steps_per_epoch =
      std::max<std::int64_t>(1, (labelled + config.probe.batch_size - 1) / config.probe.batch_size);
  probe.epochs = std::max(config.probe.epochs, (config.probe.min_steps + steps_per_epoch - 1) / steps_per_epoch);
  probe.batch_size = config.probe.batch_size;
  probe.lr = config.probe.lr;
  probe.momentum = config.probe.momentum;
  probe.nesterov = config.probe.nesterov;
  probe.weight_decay = config.probe.weight_decay;
  probe.standardize = config.probe.standardize;
  probe.seed = static_cast<std::uint64_t>(config.eval.seed);
  std::printf("linear probe on %lld x %lld features of %s, %lld epochs\n",
              static_cast<long long>(data.train_features.features.size(0)),
              static_cast<long long>(data.train_features.features.size(1)), data.sources[0].c_str(),
              static_cast<long long>(probe.epochs));
  ProgressClock clock(0, 1);
  const std::int64_t classes = data.train->hierarchy().num_fine();
  const ssl::ProbeResult result = ssl::train_linear_probe(data.train_features, data.test_features, classes, probe);
  MetricsFile metrics(run.out + "/metrics.csv", {"epoch", "loss"}, 0);
  for (std::size_t e = 0; e < result.epoch_loss.size(); ++e) {
    metrics.row({std::to_string(e + 1), format_number(result.epoch_loss[e])});
  }
  nn::save_safetensors(run.out + "/probe.safetensors", {{"weight", result.weight}, {"bias", result.bias}},
                       {{"encoder", data.sources[0]}});
  Json summary = {{"dataset", config.eval.dataset},
                  {"encoders", data.sources},
                  {"labels", data.train_features.features.size(0)},
                  {"feature_dim", data.train_features.features.size(1)},
                  {"train_top1", result.train_top1},
                  {"test_top1", result.test_top1},
                  {"test_per_class", result.test_per_class},
                  {"test_top1_by_level",
                   accuracy_by_level(result.test_predictions, data.test_features.labels.to_vector<std::int64_t>(),
                                     data.test->hierarchy())},
                  {"class_names", data.test->hierarchy().fine_names},
                  {"seconds", clock.seconds()}};
  write_text(run.out + "/result.json", summary.dump(2));
  std::printf("linear probe: test top-1 %.2f%% (train %.2f%%) in %.0f s; results in %s\n", result.test_top1,
              result.train_top1, clock.seconds(), run.out.c_str());
  return 0;
}

int knn_classifier(const RunStart<KnnConfig>& run) {
  const KnnConfig& config = run.config;
  ProgressClock clock(0, 1);
  EvalData data = features_for(config.eval, "knn");
  ssl::KnnOptions knn;
  knn.k = config.knn.k;
  knn.temperature = config.knn.temperature;
  const ssl::KnnResult result =
      ssl::knn_classify(data.train_features, data.test_features, data.train->hierarchy().num_fine(), knn);
  MetricsFile metrics(run.out + "/metrics.csv", {"k", "temperature", "test_top1"}, 0);
  metrics.row({std::to_string(knn.k), format_number(knn.temperature), format_number(result.top1)});
  Json summary = {{"dataset", config.eval.dataset},
                  {"encoders", data.sources},
                  {"memory_images", data.train_features.features.size(0)},
                  {"k", knn.k},
                  {"temperature", knn.temperature},
                  {"test_top1", result.top1},
                  {"test_per_class", result.per_class},
                  {"test_top1_by_level", accuracy_by_level(result.predictions,
                                                           data.test_features.labels.to_vector<std::int64_t>(),
                                                           data.test->hierarchy())},
                  {"class_names", data.test->hierarchy().fine_names},
                  {"seconds", clock.seconds()}};
  write_text(run.out + "/result.json", summary.dump(2));
  std::printf("kNN (k %lld, T %g): test top-1 %.2f%%; results in %s\n", static_cast<long long>(knn.k),
              knn.temperature, result.top1, run.out.c_str());
  return 0;
}

int run_linear(const RunOptions& options, const std::string& encoder, const std::string& encoder2) {
  ProbeConfig config = resolve_config<ProbeConfig>(options.preset, options.overrides);
  config.eval.encoder = encoder;
  config.eval.encoder2 = encoder2;
  if (options.print_config) return print_config(config);
  return linear_probe(start_fresh(options.out, config));
}

int run_knn(const RunOptions& options, const std::string& encoder) {
  KnnConfig config = resolve_config<KnnConfig>(options.preset, options.overrides);
  config.eval.encoder = encoder;
  if (options.print_config) return print_config(config);
  return knn_classifier(start_fresh(options.out, config));
}

}  // namespace nanossl
