// `nanossl pretrain`: SimCLR pretraining. Two augmented views of every image of a
// batch go through the encoder and projection head as one batch of 2N (so BN sees
// both), NT-Xent pulls each image's views together, LARS with warmup + cosine
// updates the weights, and a weighted kNN classifier on frozen features monitors
// the representation every few epochs. Checkpoints and --resume work as for
// `nanossl train`: the loader's batches and views are a pure function of (seed,
// epoch, index), so a resumed run continues bit for bit.
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "autograd/ops.h"
#include "data/channels_view.h"
#include "data/corrupt.h"
#include "data/pool.h"
#include "data/registry.h"
#include "data/subset.h"
#include "experiments/commands.h"
#include "experiments/run.h"
#include "experiments/training.h"
#include "nn/schedule.h"
#include "ssl/features.h"
#include "ssl/knn.h"
#include "ssl/simclr.h"
#include "tensor/random.h"

namespace nanossl {
namespace {

// The images SimCLR learns from: `dataset`'s training split, or its fixed subset of
// `images` (nested across sizes for one data_seed: the 3k are inside the 7.5k); a
// pool "pool:A+B[+C]" takes images / parts from each (the same images a single-
// domain run of that size would use); converted to `channels` (0: the dataset's, or
// for a pool the most any part has); corrupted by `corruption` unless "none".
data::DatasetPtr pretraining_set(const Json& config) {
  const std::string name = config_string(config, "dataset");
  const std::int64_t images = config_int(config, "images");
  const auto data_seed = static_cast<std::uint64_t>(config_int(config, "data_seed"));
  int channels = static_cast<int>(config_int(config, "channels"));
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
  const data::CorruptionSpec corruption = data::parse_corruption(config_string(config, "corruption"));
  if (corruption.kind != data::Corruption::none) {
    set = std::make_shared<data::CorruptedDataset>(set, corruption, data_seed);
  }
  return set;
}

data::SimclrAugmentConfig augment_config(const Json& config) {
  data::SimclrAugmentConfig augment;
  augment.strength = config_double(config, "augment.strength");
  augment.crop_scale_min = config_double(config, "augment.crop_scale_min");
  const std::string blur = config_string(config, "augment.blur");
  if (blur == "auto") augment.blur = data::BlurMode::automatic;
  else if (blur == "on") augment.blur = data::BlurMode::on;
  else if (blur == "off") augment.blur = data::BlurMode::off;
  else throw std::invalid_argument("[config] augment.blur: expected auto, on or off, got '" + blur + "'");
  augment.validate();
  return augment;
}

// The kNN monitor: clean, labelled images of the same dataset (first `count` of a
// class-balanced fixed subset; 0: all), features in eval mode.
data::DatasetPtr monitor_set(const std::string& name, data::Split split, std::int64_t count) {
  data::DatasetPtr set = data::open_dataset(name, split);
  if (count <= 0 || count >= set->size()) return set;
  auto indices = data::nested_subsets(*set, {count}, /*seed=*/0, /*class_balanced=*/true)[0];
  return std::make_shared<data::SubsetDataset>(set, std::move(indices), set->name() + "[" + std::to_string(count) + "]");
}

std::shared_ptr<ssl::Simclr> make_simclr(const Json& config, std::int64_t in_channels) {
  ssl::SimclrConfig simclr;
  simclr.encoder.depth = static_cast<int>(config_int(config, "model.depth"));
  simclr.encoder.stem = nn::parse_resnet_stem(config_string(config, "model.stem"));
  simclr.encoder.width_multiplier = config_int(config, "model.width");
  simclr.encoder.zero_init_residual = config_bool(config, "model.zero_init_residual");
  simclr.encoder.in_channels = in_channels;
  simclr.head_layers = static_cast<int>(config_int(config, "head.layers"));
  simclr.head_hidden = config_int(config, "head.hidden");
  simclr.projection_dim = config_int(config, "head.dim");
  return std::make_shared<ssl::Simclr>(simclr);
}

}  // namespace

int run_pretrain(const RunOptions& options) {
  const RunStart run = start_run("pretrain", options);
  const std::string& out = run.out;
  const Json& config = run.config;
  const Device device = Device::parse(config_string(config, "device"));
  const auto seed = static_cast<std::uint64_t>(config_int(config, "seed"));
  manual_seed(seed);

  // ---- data: two views of every image ----
  data::DatasetPtr train_set = pretraining_set(config);
  data::LoaderConfig loader_config = training_loader_config(config, *train_set, device, seed);
  loader_config.views = 2;
  loader_config.augmentation = data::Augmentation::simclr;
  loader_config.simclr = augment_config(config);
  data::Loader loader(train_set, loader_config);
  const std::int64_t steps_per_epoch =
      nanossl::steps_per_epoch("pretrain", loader, train_set->size(), loader_config.batch_size);

  // ---- model, optimizer, schedule ----
  auto model = make_simclr(config, train_set->channels());
  model->to(device);
  const double temperature = config_double(config, "temperature");
  const std::int64_t epochs = config_int(config, "epochs"), total_steps = epochs * steps_per_epoch;
  const nn::WarmupCosine schedule = make_schedule(config, loader_config.batch_size, steps_per_epoch, total_steps);
  auto optimizer = make_optimizer(config, *model, schedule.base_lr);

  RunCounters counters = run.checkpoint ? restore_run(*run.checkpoint, *model, *optimizer) : RunCounters{};
  const std::int64_t stop_after = config_int(config, "stop_after_steps");
  const std::int64_t log_every = config_int(config, "log_every");
  const std::int64_t checkpoint_every = config_int(config, "checkpoint_every");
  const std::int64_t knn_every = config_int(config, "knn.every_epochs");
  const std::string preprocessing = preprocessing_note(*train_set);

  // ---- the kNN monitor ----
  // A pool has no labels of its own: its monitor needs knn.dataset.
  const std::string monitor_name = config_string(config, "knn.dataset").empty() ? config_string(config, "dataset")
                                                                                : config_string(config, "knn.dataset");
  if (knn_every > 0 && monitor_name.rfind("pool:", 0) == 0) {
    throw std::invalid_argument("[pretrain] a pool has no labels for the kNN monitor: set knn.dataset");
  }
  data::DatasetPtr knn_train, knn_test;
  ssl::KnnOptions knn_options;
  knn_options.k = config_int(config, "knn.k");
  knn_options.temperature = config_double(config, "knn.temperature");
  auto knn_top1 = [&]() -> double {
    if (!knn_train) {
      knn_train = monitor_set(monitor_name, data::Split::train, config_int(config, "knn.train_images"));
      knn_test = monitor_set(monitor_name, data::Split::test, config_int(config, "knn.test_images"));
    }
    const auto train_features = ssl::extract_features(model->encoder(), knn_train, device, 256, loader_config.workers);
    const auto test_features = ssl::extract_features(model->encoder(), knn_test, device, 256, loader_config.workers);
    return ssl::knn_classify(train_features, test_features, knn_train->hierarchy().num_fine(), knn_options).top1;
  };

  std::printf("pretrain %s: %lld images (%lld steps/epoch x %lld epochs), SimCLR ResNet-%lld width %lld, "
              "batch %lld (x2 views), tau %g, %s\n",
              train_set->name().c_str(), static_cast<long long>(train_set->size()),
              static_cast<long long>(steps_per_epoch), static_cast<long long>(epochs),
              static_cast<long long>(config_int(config, "model.depth")),
              static_cast<long long>(config_int(config, "model.width")),
              static_cast<long long>(loader_config.batch_size), temperature, device.str().c_str());
  MetricsFile metrics(out + "/metrics.csv",
                      {"step", "epoch", "lr", "loss", "positive_top1", "images_per_s", "knn_top1"}, counters.step);
  ProgressClock clock(counters.step, total_steps);
  CheckpointCadence cadence(checkpoint_every, counters.step);
  auto save = [&] {
    save_run(out, *model, *optimizer, counters, config, preprocessing);
    cadence.saved(counters.step);
  };
  double loss_sum = 0.0, top1_sum = 0.0, steps_in_window = 0.0;
  double last_knn = -1.0;
  model->train();
  while (counters.epoch < epochs && !(stop_after > 0 && counters.step >= stop_after)) {
    loader.start(counters.epoch, counters.position);
    while (auto batch = loader.next()) {
      optimizer->set_lr(schedule.at(counters.step));
      const ssl::ContrastiveStep step =
          ssl::contrastive_step(*model, batch->images.to(device), batch->images2.to(device), temperature);
      backward(step.loss);
      optimizer->step();
      optimizer->zero_grad();
      loss_sum += step.loss.item();
      top1_sum += step.positive_top1;
      steps_in_window += 1.0;
      ++counters.step;
      counters.position = batch->position + 1;
      if (counters.position == steps_per_epoch) {
        ++counters.epoch;
        counters.position = 0;
      }
      const bool epoch_end = counters.position == 0;
      if (counters.step % log_every == 0 || epoch_end) {
        const double images_per_s = clock.images_per_s(steps_in_window * static_cast<double>(loader_config.batch_size));
        std::string knn_text;
        if (epoch_end && knn_every > 0 && (counters.epoch % knn_every == 0 || counters.epoch == epochs)) {
          last_knn = knn_top1();
          knn_text = format_number(last_knn);
        }
        metrics.row({std::to_string(counters.step), std::to_string(counters.epoch), format_number(optimizer->lr()),
                     format_number(loss_sum / steps_in_window), format_number(top1_sum / steps_in_window),
                     format_number(images_per_s), knn_text});
        std::printf("epoch %lld  step %lld/%lld  loss %.4f  positive top-1 %.1f%%  %.0f img/s  ETA %s%s\n",
                    static_cast<long long>(counters.epoch), static_cast<long long>(counters.step),
                    static_cast<long long>(total_steps), loss_sum / steps_in_window, top1_sum / steps_in_window,
                    images_per_s, clock.eta(counters.step).c_str(), knn_text.empty() ? "" : ("  kNN " + knn_text + "%").c_str());
        std::fflush(stdout);
        loss_sum = top1_sum = steps_in_window = 0.0;
      }
      if (cadence.due(counters.step, epoch_end)) save();
      if ((stop_after > 0 && counters.step >= stop_after) || epoch_end) break;
    }
  }
  if (stop_after > 0 && counters.step >= stop_after && counters.step < total_steps) {
    save();
    std::printf("stopped after step %lld as asked; continue with --resume %s\n", static_cast<long long>(counters.step),
                out.c_str());
    return 0;
  }
  if (knn_every > 0 && last_knn < 0.0) last_knn = knn_top1();  // the last monitor ran before a resume
  save();
  Json summary = {{"dataset", config_string(config, "dataset")},
                  {"pretrain_set", train_set->name()},
                  {"pretrain_images", train_set->size()},
                  {"steps", counters.step},
                  {"epochs", epochs},
                  {"seconds_this_process", clock.seconds()},
                  {"preprocessing", preprocessing}};
  if (last_knn >= 0.0) summary["knn_top1"] = last_knn;
  write_text(out + "/result.json", summary.dump(2));
  std::printf("pretraining done in %.0f s%s; encoder in %s\n", clock.seconds(),
              last_knn >= 0.0 ? (", kNN top-1 " + format_number(last_knn) + "%").c_str() : "", out.c_str());
  return 0;
}

}  // namespace nanossl
