// Model, loader, schedule, optimizer and labelled set built from a run configuration.
#include "commands/builders.h"

#include <stdexcept>

#include "data/subset.h"

namespace nanossl {

nn::ResNetConfig resnet_config(const ModelConfig& model, std::int64_t in_channels, std::int64_t num_classes) {
  nn::ResNetConfig resnet;
  resnet.depth = static_cast<int>(model.depth);
  resnet.stem = nn::parse_resnet_stem(model.stem);
  resnet.width_multiplier = model.width;
  resnet.zero_init_residual = model.zero_init_residual;
  resnet.in_channels = in_channels;
  resnet.num_classes = num_classes;
  return resnet;
}

std::shared_ptr<nn::ResNet> make_model(const ModelConfig& model, std::int64_t in_channels, std::int64_t num_classes) {
  return nn::make_resnet(resnet_config(model, in_channels, num_classes));
}

data::LoaderConfig training_loader_config(const LoopConfig& loop, const data::Dataset& dataset, Device device) {
  data::LoaderConfig loader;
  loader.batch_size = loop.batch_size;
  loader.out_size = dataset.height();
  loader.drop_last = true;
  loader.seed = static_cast<std::uint64_t>(loop.seed);
  loader.workers = static_cast<int>(loop.workers);
  loader.pin_memory = device.is_cuda();
  return loader;
}

namespace {

data::SimclrAugmentConfig augment_config(const AugmentConfig& config) {
  data::SimclrAugmentConfig augment;
  augment.strength = config.strength;
  augment.crop_scale_min = config.crop_scale_min;
  const std::string& blur = config.blur;
  if (blur == "auto") augment.blur = data::BlurMode::automatic;
  else if (blur == "on") augment.blur = data::BlurMode::on;
  else if (blur == "off") augment.blur = data::BlurMode::off;
  else throw std::invalid_argument("[config] augment.blur: expected auto, on or off, got '" + blur + "'");
  augment.validate();
  return augment;
}

}  // namespace

data::LoaderConfig pretraining_loader_config(const PretrainConfig& config, const data::Dataset& dataset, Device device) {
  data::LoaderConfig loader = training_loader_config(config.loop, dataset, device);
  loader.views = 2;
  loader.augmentation = data::Augmentation::simclr;
  loader.simclr = augment_config(config.augment);
  if (config.augment.crop_size > 0) loader.out_size = static_cast<int>(config.augment.crop_size);
  return loader;
}

std::int64_t steps_per_epoch(const char* command, const data::Loader& loader, std::int64_t images,
                             std::int64_t batch_size) {
  const std::int64_t steps = loader.batches_per_epoch();
  if (steps == 0) {
    throw std::invalid_argument(std::string("[") + command + "] " + std::to_string(images) +
                                " training images make no batch of " + std::to_string(batch_size));
  }
  return steps;
}

nn::WarmupCosine make_schedule(const OptimizerConfig& optimizer, const ScheduleConfig& schedule,
                               std::int64_t batch_size, std::int64_t steps_per_epoch, std::int64_t total_steps) {
  nn::WarmupCosine cosine;
  cosine.base_lr = nn::scale_lr(optimizer.lr, batch_size, nn::parse_lr_scaling(optimizer.lr_scaling));
  cosine.warmup_steps = static_cast<std::int64_t>(schedule.warmup_epochs * static_cast<double>(steps_per_epoch));
  cosine.total_steps = total_steps;
  cosine.final_lr = schedule.final_lr;
  cosine.validate();
  return cosine;
}

std::unique_ptr<nn::Optimizer> make_optimizer(const OptimizerConfig& optimizer, const nn::Module& model, double lr) {
  // Only what trains: a frozen parameter (the EMA target network of MoCo and BYOL)
  // has neither a gradient nor optimizer state.
  nn::NamedTensors trainable = model.named_parameters();
  std::erase_if(trainable, [](const auto& entry) { return !entry.second.requires_grad(); });
  auto params = nn::optimizer_params(trainable, optimizer.exclude_bn_and_bias);
  if (optimizer.name == "sgd") {
    nn::SgdOptions options;
    options.lr = lr;
    options.momentum = optimizer.momentum;
    options.nesterov = optimizer.nesterov;
    options.weight_decay = optimizer.weight_decay;
    return std::make_unique<nn::Sgd>(std::move(params), options);
  }
  if (optimizer.name == "lars") {
    nn::LarsOptions options;
    options.lr = lr;
    options.momentum = optimizer.momentum;
    options.weight_decay = optimizer.weight_decay;
    options.eta = optimizer.eta;
    return std::make_unique<nn::Lars>(std::move(params), options);
  }
  throw std::invalid_argument("[config] optimizer.name: expected sgd or lars, got '" + optimizer.name + "'");
}

data::DatasetPtr labeled_training_set(data::DatasetPtr base, std::int64_t labels, std::uint64_t seed) {
  if (labels == 0 || labels == base->size()) return base;
  const std::int64_t classes = base->hierarchy().num_fine();
  if (labels < 0 || labels % classes != 0) {
    throw std::invalid_argument("[config] labels: " + std::to_string(labels) + " is not a positive multiple of the " +
                                std::to_string(classes) + " classes of " + base->name());
  }
  if (labels > base->size()) {
    throw std::invalid_argument("[config] labels: " + std::to_string(labels) + " is more than the " +
                                std::to_string(base->size()) + " training images of " + base->name());
  }
  auto indices = data::labeled_subset(*base, labels / classes, seed);
  return std::make_shared<data::SubsetDataset>(base, std::move(indices),
                                               base->name() + "[" + std::to_string(labels) + " labels]");
}

std::string preprocessing_note(const data::Dataset& dataset) {
  const std::string shape = std::to_string(dataset.channels()) + "x" + std::to_string(dataset.height()) + "x" +
                            std::to_string(dataset.width());
  const std::string source = dataset.name().rfind("fashion", 0) == 0
                                 ? "Fashion-MNIST 28x28 bytes zero-padded by 2 px on each side to " + shape
                                 : dataset.name() + " images as " + shape + " bytes";
  return source + ", divided by 255 into [0, 1], no mean/std normalisation";
}

}  // namespace nanossl
