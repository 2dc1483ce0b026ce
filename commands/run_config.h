// The typed configurations of the commands: TrainConfig (train and finetune),
// PretrainConfig, ProbeConfig (linear) and KnnConfig. Each struct's member
// initialisers are the defaults (the Fashion-MNIST recipes of docs/training.md and
// docs/simclr.md) and its `fields` lists every key once, with a line of help; see
// config_fields.h for how that list is read from and written to JSON. A preset
// (presets/NAME.json) holds only what it changes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "commands/config_fields.h"

namespace nanossl {

struct ModelConfig {
  std::int64_t depth = 18;
  std::string stem = "cifar";
  std::int64_t width = 16;
  bool zero_init_residual = false;
  template <class F>
  void fields(F& f) {
    f("depth", depth, "ResNet depth: 10, 18, 34 or 50 (10: one block per stage)", between(10, 50));
    f("stem", stem, "cifar (3x3 stride-1 conv, no max-pool) or imagenet (7x7 stride-2 conv + max-pool)");
    f("width", width, "channels of the first stage (64 in torchvision's ResNets)", at_least(1));
    f("zero_init_residual", zero_init_residual, "start the last BN of every residual branch at zero");
  }
};

struct OptimizerConfig {
  std::string name = "sgd";
  double lr = 0.1;
  std::string lr_scaling = "none";
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
  double eta = 0.001;
  bool exclude_bn_and_bias = true;
  template <class F>
  void fields(F& f) {
    f("name", name, "sgd or lars");
    f("lr", lr, "base learning rate, before lr_scaling", positive());
    f("lr_scaling", lr_scaling, "none, linear (lr x batch/256) or sqrt (lr x sqrt(batch))");
    f("momentum", momentum, "heavy-ball momentum", between(0, 1));
    f("nesterov", nesterov, "Nesterov momentum (sgd only)");
    f("weight_decay", weight_decay, "L2 weight decay", at_least(0));
    f("eta", eta, "LARS trust coefficient (lars only)", positive());
    f("exclude_bn_and_bias", exclude_bn_and_bias, "no weight decay (and for LARS no trust scaling) on BN and biases");
  }
};

struct ScheduleConfig {
  double warmup_epochs = 0.0;
  double final_lr = 0.0;
  template <class F>
  void fields(F& f) {
    f("warmup_epochs", warmup_epochs, "linear warm-up length in epochs (fractions allowed)", at_least(0));
    f("final_lr", final_lr, "learning rate at the end of the cosine decay", at_least(0));
  }
};

// What every checkpointed loop (train, pretrain) takes, spliced in at the top level.
struct LoopConfig {
  std::int64_t epochs = 7;
  std::int64_t batch_size = 128;
  std::int64_t workers = 1;
  std::int64_t seed = 0;
  std::string device = "cpu";
  std::int64_t log_every = 50;
  std::int64_t checkpoint_every = 200;
  std::int64_t stop_after_steps = 0;
  bool detect_anomaly = false;
  std::string precision = "fp32";
  template <class F>
  void fields(F& f) {
    f("epochs", epochs, "passes over the training images", at_least(1));
    f("batch_size", batch_size, "images per step (SimCLR: source images, two views each)", at_least(1));
    f("workers", workers, "loader threads decoding and augmenting", between(1, 256));
    f("seed", seed, "seed of initialisation, subsets, shuffling and augmentation", at_least(0));
    f("device", device, "cpu or cuda[:N]");
    f("log_every", log_every, "steps between metrics rows and progress lines", at_least(1));
    f("checkpoint_every", checkpoint_every, "steps between checkpoints (0: at epoch ends only)", at_least(0));
    f("stop_after_steps", stop_after_steps, "stop (with a checkpoint) after this many steps; 0: run to the end",
      at_least(0));
    f("detect_anomaly", detect_anomaly,
      "on a non-finite loss or gradient, re-run that step checking every op, and name the first to produce one");
    f("precision", precision,
      "fp32, or bf16: the CPU GEMMs round their operands to bfloat16 and sum in float (AVX512_BF16 CPUs; "
      "elsewhere fp32, said once; docs/precision.md)");
  }
};

// `nanossl train` (from scratch) and `nanossl finetune` (from an encoder).
struct TrainConfig {
  std::string about;
  std::string dataset = "fashion";
  std::int64_t labels = 0;
  std::int64_t channels = 0;
  std::string corruption = "none";
  std::string init_encoder;
  std::string augmentation = "supervised";
  ModelConfig model;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  LoopConfig loop;
  std::int64_t eval_every_epochs = 0;
  template <class F>
  void fields(F& f) {
    f("// about", about, "what the preset is for");
    f("dataset", dataset, "fashion, glyphs, shapes, cifar10:DIR, folder:DIR, ... (docs/data-readers.md)");
    f("labels", labels, "labelled training images, a class-balanced fixed subset; 0: all", at_least(0));
    f("channels", channels, "input channels the images are converted to; 0: the dataset's", between(0, 3));
    f("corruption", corruption, "corruption of the training images (docs/corruptions.md); none");
    f("init_encoder", init_encoder, "a pretraining run whose encoder initialises the network (finetune)");
    f("augmentation", augmentation, "supervised (crop + flip) or none");
    f("model", model, "");
    f("optimizer", optimizer, "");
    f("schedule", schedule, "");
    loop.fields(f);
    f("eval_every_epochs", eval_every_epochs, "epochs between test-set evaluations during training; 0: at the end only",
      at_least(0));
  }
};

struct HeadConfig {
  std::int64_t layers = 2;
  std::int64_t hidden = 0;
  std::int64_t dim = 128;
  template <class F>
  void fields(F& f) {
    f("layers", layers, "Linear layers of the projection head (BN + ReLU between them); moco and byol take 2",
      between(1, 8));
    f("hidden", hidden, "hidden width of the head; 0: the encoder's feature width", at_least(0));
    f("dim", dim, "projection (embedding) dimension", at_least(1));
  }
};

struct AugmentConfig {
  double strength = 0.5;
  double crop_scale_min = 0.2;
  std::int64_t crop_size = 0;
  std::string blur = "auto";
  template <class F>
  void fields(F& f) {
    f("strength", strength, "colour-jitter strength s (brightness, contrast, saturation 0.8s, hue 0.2s)",
      between(0, 1.25));
    f("crop_scale_min", crop_scale_min, "smallest area fraction of the random resized crop", {0.0, 1.0, true});
    f("crop_size", crop_size,
      "side of the views the crop is resized to; 0: the images' side (24 on 32-px images: 0.56x the compute)",
      at_least(0));
    f("blur", blur, "Gaussian blur: auto (off at 32 px and below), on or off");
  }
};

struct KnnMonitorConfig {
  std::int64_t every_epochs = 1;
  std::string dataset;
  std::int64_t k = 200;
  double temperature = 0.1;
  std::int64_t train_images = 10000;
  std::int64_t test_images = 2000;
  template <class F>
  void fields(F& f) {
    f("every_epochs", every_epochs, "epochs between kNN monitor evaluations; 0: never", at_least(0));
    f("dataset", dataset, "labelled dataset of the monitor; empty: the pretraining dataset (a pool needs one)");
    f("k", k, "neighbours that vote", at_least(1));
    f("temperature", temperature, "temperature of the similarity weights", positive());
    f("train_images", train_images, "memory images (class-balanced fixed subset); 0: all", at_least(0));
    f("test_images", test_images, "test images scored; 0: all", at_least(0));
  }
};

// MoCo v2's settings (method moco); docs/methods.md.
struct MocoSettings {
  std::int64_t queue_size = 4096;
  double momentum = 0.99;
  bool cosine_momentum = false;
  template <class F>
  void fields(F& f) {
    f("queue_size", queue_size, "negative keys in the queue (65536 in the paper); at least 2 x batch_size",
      at_least(1));
    f("momentum", momentum, "EMA momentum of the key encoder (0.999 in the paper, for far more steps)",
      between(0, 1));
    f("cosine_momentum", cosine_momentum, "raise the momentum to 1 on a cosine schedule over the run, as BYOL");
  }
};

// BYOL's settings (method byol); docs/methods.md.
struct ByolSettings {
  double momentum = 0.99;
  std::int64_t predictor_hidden = 0;
  template <class F>
  void fields(F& f) {
    f("momentum", momentum, "base EMA momentum of the target, raised to 1 on a cosine schedule (0.996 in the paper)",
      between(0, 1));
    f("predictor_hidden", predictor_hidden, "hidden width of the predictor; 0: the projector's (head.hidden)",
      at_least(0));
  }
};

// `nanossl pretrain`: SimCLR, MoCo v2 or BYOL.
struct PretrainConfig {
  std::string about;
  std::string dataset = "fashion";
  std::int64_t images = 0;
  std::int64_t data_seed = 0;
  std::string corruption = "none";
  std::int64_t channels = 0;
  std::string method = "simclr";
  ModelConfig model;
  HeadConfig head;
  double temperature = 0.2;
  MocoSettings moco;
  ByolSettings byol;
  AugmentConfig augment;
  OptimizerConfig optimizer{.name = "lars", .lr = 0.075, .lr_scaling = "sqrt", .nesterov = false, .weight_decay = 1e-6};
  ScheduleConfig schedule{.warmup_epochs = 0.5};
  LoopConfig loop{.epochs = 5, .log_every = 20, .checkpoint_every = 100};
  KnnMonitorConfig knn;
  template <class F>
  void fields(F& f) {
    f("// about", about, "what the preset is for");
    f("dataset", dataset, "a dataset, or a pool of domains pool:A+B[+C]");
    f("images", images, "pretraining images, a fixed nested subset (a pool: split evenly); 0: all", at_least(0));
    f("data_seed", data_seed, "seed of the subset and the corruption (fixed across pretraining seeds)", at_least(0));
    f("corruption", corruption, "corruption of the pretraining images (docs/corruptions.md); none");
    f("channels", channels, "input channels the images are converted to; 0: the dataset's (a pool: the most)", between(0, 3));
    f("method", method, "simclr, moco (MoCo v2) or byol (docs/methods.md)");
    f("model", model, "");
    f("head", head, "");
    f("temperature", temperature, "temperature of NT-Xent (simclr) and InfoNCE (moco)", positive());
    f("moco", moco, "");
    f("byol", byol, "");
    f("augment", augment, "");
    f("optimizer", optimizer, "");
    f("schedule", schedule, "");
    loop.fields(f);
    f("knn", knn, "");
  }
};

// What evaluating frozen features takes (linear, knn), spliced in at the top level.
struct FrozenEvalConfig {
  std::string dataset = "fashion";
  std::int64_t labels = 0;
  std::int64_t channels = 0;
  std::string encoder;
  std::string encoder2;
  ModelConfig model;
  std::int64_t seed = 0;
  std::string device = "cpu";
  std::int64_t workers = 1;
  template <class F>
  void fields(F& f) {
    f("dataset", dataset, "the dataset whose training split trains and whose test split scores");
    f("labels", labels, "labelled training images, a class-balanced fixed subset; 0: all", at_least(0));
    f("channels", channels, "input channels of a random encoder; 0: the dataset's", between(0, 3));
    f("encoder", encoder, "a pretrain or train run directory, or random");
    f("encoder2", encoder2, "a second encoder whose features are concatenated; empty: none");
    f("model", model, "architecture of a random encoder (a run's encoder brings its own)");
    f("seed", seed, "seed of the labelled subset, the probe and a random encoder", at_least(0));
    f("device", device, "cpu or cuda[:N]");
    f("workers", workers, "loader threads for feature extraction", between(1, 256));
  }
};

struct ProbeOptimConfig {
  std::int64_t epochs = 100;
  std::int64_t min_steps = 1000;
  std::int64_t batch_size = 256;
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 0.0;
  bool standardize = true;
  template <class F>
  void fields(F& f) {
    f("epochs", epochs, "passes of the probe over the cached features", at_least(1));
    f("min_steps", min_steps,
      "at least this many SGD steps: a few-label probe gets more epochs, so it converges; 0: epochs alone",
      at_least(0));
    f("batch_size", batch_size, "features per step", at_least(1));
    f("lr", lr, "learning rate (cosine decay to 0)", positive());
    f("momentum", momentum, "SGD momentum", between(0, 1));
    f("nesterov", nesterov, "Nesterov momentum");
    f("weight_decay", weight_decay, "L2 weight decay", at_least(0));
    f("standardize", standardize, "standardise features with the training set's mean and std");
  }
};

// `nanossl linear`: a linear probe on frozen features.
struct ProbeConfig {
  std::string about;
  FrozenEvalConfig eval;
  ProbeOptimConfig probe;
  template <class F>
  void fields(F& f) {
    f("// about", about, "what the preset is for");
    eval.fields(f);
    f("probe", probe, "");
  }
};

struct KnnOptionsConfig {
  std::int64_t k = 200;
  double temperature = 0.1;
  template <class F>
  void fields(F& f) {
    f("k", k, "neighbours that vote", at_least(1));
    f("temperature", temperature, "temperature of the similarity weights", positive());
  }
};

// `nanossl knn`: weighted kNN on frozen features, the labelled subset as memory.
struct KnnConfig {
  std::string about;
  FrozenEvalConfig eval;
  KnnOptionsConfig knn;
  template <class F>
  void fields(F& f) {
    f("// about", about, "what the preset is for");
    eval.fields(f);
    f("knn", knn, "");
  }
};

// A preset (a name in presets/ or a JSON file) with `--set key.path=value`
// overrides applied: the preset read as a Config (defaults filled in), written
// out whole, each override applied to that (so any key of the config can be set,
// and a typo is refused), read back.
template <class Config>
Config resolve_config(const std::string& preset, const std::vector<std::string>& overrides);
// A saved configuration (config.json of a run) with overrides applied likewise.
template <class Config>
Config config_with_overrides(const Json& saved, const std::vector<std::string>& overrides, const std::string& what);

}  // namespace nanossl
