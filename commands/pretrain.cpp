// `nanossl pretrain`: self-supervised pretraining by SimCLR, MoCo v2 or BYOL
// (`method`, commands/ssl_methods.h). Two augmented views of every image of a
// batch go through the networks as one batch of 2N (so BN sees both), the method's
// loss pulls each image's views together, LARS (or SGD) with warmup + cosine
// updates the weights, and a weighted kNN classifier on frozen features monitors
// the representation every few epochs. Checkpoints and --resume work as for
// `nanossl train` (the same training loop, commands/training_loop.h); a method's
// momentum network and queue are part of its model's state dict.
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "autograd/ops.h"
#include "commands/builders.h"
#include "commands/runs.h"
#include "commands/ssl_methods.h"
#include "commands/training_loop.h"
#include "data/channels_view.h"
#include "data/corrupt.h"
#include "data/domain_pool.h"
#include "data/registry.h"
#include "data/subset.h"
#include "ssl/features.h"
#include "ssl/knn.h"
#include "tensor/random.h"

namespace nanossl {
namespace {

// The images SimCLR learns from: `dataset`'s training split, or its fixed subset of
// `images` (nested across sizes for one data_seed: the 3k are inside the 7.5k); a
// pool "pool:A+B[+C]" takes images / parts from each (the same images a single-
// domain run of that size would use); converted to `channels` (0: the dataset's, or
// for a pool the most any part has); corrupted by `corruption` unless "none".
data::DatasetPtr pretraining_set(const PretrainConfig& config) {
  const std::string& name = config.dataset;
  const std::int64_t images = config.images;
  const auto data_seed = static_cast<std::uint64_t>(config.data_seed);
  int channels = static_cast<int>(config.channels);
  data::DatasetPtr set;
  if (name.rfind("pool:", 0) == 0) {
    std::vector<data::DatasetPtr> parts;
    for (std::size_t start = 5; start <= name.size();) {
      const std::size_t end = std::min(name.find('+', start), name.size());
      parts.push_back(data::open_dataset(name.substr(start, end - start), data::Split::train));
      start = end + 1;
    }
    if (parts.size() < 2) throw std::invalid_argument("[pretrain] dataset " + name + ": a pool needs two parts or more");
    const auto count = static_cast<std::int64_t>(parts.size());
    if (images <= 0 || images % count != 0) {
      throw std::invalid_argument("[pretrain] images: a pool of " + std::to_string(count) +
                                  " parts needs a positive multiple of " + std::to_string(count) + ", got " +
                                  std::to_string(images));
    }
    if (channels == 0) {
      for (const auto& part : parts) channels = std::max(channels, part->channels());
    }
    for (auto& part : parts) part = data::with_channels(part, channels);
    set = std::make_shared<data::PoolDataset>(parts, std::vector<std::int64_t>(parts.size(), images / count),
                                              data_seed, name + "[" + std::to_string(images) + "]");
  } else {
    set = data::with_channels(data::open_dataset(name, data::Split::train), channels);
    if (images > set->size() || images < 0) {
      throw std::invalid_argument("[pretrain] images: " + std::to_string(images) + " is not in [0, " +
                                  std::to_string(set->size()) + "] for " + name);
    }
    if (images > 0 && images < set->size()) {
      auto indices = data::nested_subsets(*set, {images}, data_seed, /*class_balanced=*/false)[0];
      set = std::make_shared<data::SubsetDataset>(set, std::move(indices), name + "[" + std::to_string(images) + "]");
    }
  }
  const data::CorruptionSpec corruption = data::parse_corruption(config.corruption);
  if (corruption.kind != data::Corruption::none) {
    set = std::make_shared<data::CorruptedDataset>(set, corruption, data_seed);
  }
  return set;
}

// The kNN monitor: clean, labelled images of the same dataset (first `count` of a
// class-balanced fixed subset; 0: all), features in eval mode.
data::DatasetPtr monitor_set(const std::string& name, data::Split split, std::int64_t count) {
  data::DatasetPtr set = data::open_dataset(name, split);
  if (count <= 0 || count >= set->size()) return set;
  auto indices = data::nested_subsets(*set, {count}, /*seed=*/0, /*class_balanced=*/true)[0];
  return std::make_shared<data::SubsetDataset>(set, std::move(indices), set->name() + "[" + std::to_string(count) + "]");
}

}  // namespace

int pretrain(const RunStart<PretrainConfig>& run) {
  const PretrainConfig& config = run.config;
  const Device device = Device::parse(config.loop.device);
  const GemmPrecision precision(config.loop.precision);
  manual_seed(static_cast<std::uint64_t>(config.loop.seed));

  // ---- data: two views of every image ----
  data::DatasetPtr train_set = pretraining_set(config);
  const data::LoaderConfig loader_config = pretraining_loader_config(config, *train_set, device);
  data::Loader loader(train_set, loader_config);
  const std::int64_t steps_per_epoch =
      nanossl::steps_per_epoch("pretrain", loader, train_set->size(), loader_config.batch_size);

  // ---- model, optimizer, schedule ----
  const std::int64_t epochs = config.loop.epochs;
  PretrainModel method = make_pretrain_model(config, train_set->channels(), epochs * steps_per_epoch);
  nn::Module* model = method.module.get();
  model->to(device);
  const nn::WarmupCosine schedule =
      make_schedule(config.optimizer, config.schedule, loader_config.batch_size, steps_per_epoch, epochs * steps_per_epoch);
  auto optimizer = make_optimizer(config.optimizer, *model, schedule.base_lr);
  const RunCounters counters = run.checkpoint ? restore_run(*run.checkpoint, *model, *optimizer) : RunCounters{};
  const std::string preprocessing = preprocessing_note(*train_set);

  // ---- the kNN monitor ----
  // A pool has no labels of its own: its monitor needs knn.dataset.
  const KnnMonitorConfig& knn = config.knn;
  const std::string monitor_name = knn.dataset.empty() ? config.dataset : knn.dataset;
  if (knn.every_epochs > 0 && monitor_name.rfind("pool:", 0) == 0) {
    throw std::invalid_argument("[pretrain] a pool has no labels for the kNN monitor: set knn.dataset");
  }
  data::DatasetPtr knn_train, knn_test;
  ssl::KnnOptions knn_options;
  knn_options.k = knn.k;
  knn_options.temperature = knn.temperature;
  auto knn_top1 = [&]() -> double {
    if (!knn_train) {
      knn_train = monitor_set(monitor_name, data::Split::train, knn.train_images);
      knn_test = monitor_set(monitor_name, data::Split::test, knn.test_images);
    }
    const auto train_features = ssl::extract_features(*method.encoder, knn_train, device, 256, loader_config.workers);
    const auto test_features = ssl::extract_features(*method.encoder, knn_test, device, 256, loader_config.workers);
    return ssl::knn_classify(train_features, test_features, knn_train->hierarchy().num_fine(), knn_options).top1;
  };

  std::printf("pretrain %s: %lld images (%lld steps/epoch x %lld epochs), %s ResNet-%lld width %lld, "
              "batch %lld (x2 views), %s\n",
              train_set->name().c_str(), static_cast<long long>(train_set->size()),
              static_cast<long long>(steps_per_epoch), static_cast<long long>(epochs), method.name.c_str(),
              static_cast<long long>(config.model.depth), static_cast<long long>(config.model.width),
              static_cast<long long>(loader_config.batch_size), device.str().c_str());
  auto step = [&](const data::Batch& batch) {
    // The optimizer step this batch is for, from the loader's counters (a pure
    // function of where the run stands, so a resumed run continues the schedules).
    const std::int64_t index = batch.epoch * steps_per_epoch + batch.position;
    return method.step(batch.images.to(device), batch.images2.to(device), index);
  };
  std::optional<double> last_knn;
  auto monitor = [&](std::int64_t epoch) -> std::optional<double> {
    if (knn.every_epochs <= 0 || (epoch % knn.every_epochs != 0 && epoch != epochs)) return std::nullopt;
    last_knn = knn_top1();
    return last_knn;
  };
  TrainingLoop loop({"pretrain", run.out, config.loop, config_to_json(config), preprocessing, *model, *optimizer, schedule, loader,
                     steps_per_epoch, {"positive_top1", "positive top-1", "knn_top1", "kNN"}, step, monitor},
                    counters);
  if (!loop.run()) return 0;
  if (knn.every_epochs > 0 && !last_knn) last_knn = knn_top1();  // the last monitor ran before a resume
  loop.save();
  Json summary = {{"method", config.method},
                  {"dataset", config.dataset},
                  {"pretrain_set", train_set->name()},
                  {"pretrain_images", train_set->size()},
                  {"steps", loop.counters().step},
                  {"epochs", epochs},
                  {"seconds_this_process", loop.seconds()},
                  {"preprocessing", preprocessing}};
  if (last_knn) summary["knn_top1"] = *last_knn;
  loop.write_result(summary);
  std::printf("pretraining done in %.0f s%s; encoder in %s\n", loop.seconds(),
              last_knn ? (", kNN top-1 " + format_number(*last_knn) + "%").c_str() : "", run.out.c_str());
  return 0;
}

int run_pretrain(const RunOptions& options) {
  if (options.print_config) return print_config(planned_config<PretrainConfig>("pretrain", options));
  return pretrain(start_run<PretrainConfig>("pretrain", options));
}

}  // namespace nanossl
