// Model, optimizer, data and evaluation built from a run configuration.
#include "experiments/training.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "autograd/ops.h"
#include "data/subset.h"

namespace nanossl {

std::shared_ptr<nn::ResNet> make_model(const Json& config, std::int64_t in_channels, std::int64_t num_classes) {
  nn::ResNetConfig model;
  model.depth = static_cast<int>(config_int(config, "model.depth"));
  model.stem = nn::parse_resnet_stem(config_string(config, "model.stem"));
  model.width_multiplier = config_int(config, "model.width");
  model.zero_init_residual = config_bool(config, "model.zero_init_residual");
  model.in_channels = in_channels;
  model.num_classes = num_classes;
  return nn::make_resnet(model);
}

data::LoaderConfig training_loader_config(const Json& config, const data::Dataset& dataset, Device device,
                                          std::uint64_t seed) {
  data::LoaderConfig loader;
  loader.batch_size = config_int(config, "batch_size");
  loader.out_size = dataset.height();
  loader.drop_last = true;
  loader.seed = seed;
  loader.workers = static_cast<int>(config_int(config, "workers"));
  loader.pin_memory = device.is_cuda();
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

nn::WarmupCosine make_schedule(const Json& config, std::int64_t batch_size, std::int64_t steps_per_epoch,
                               std::int64_t total_steps) {
  nn::WarmupCosine schedule;
  schedule.base_lr = nn::scale_lr(config_double(config, "optimizer.lr"), batch_size,
                                  nn::parse_lr_scaling(config_string(config, "optimizer.lr_scaling")));
  schedule.warmup_steps = static_cast<std::int64_t>(config_double(config, "schedule.warmup_epochs") *
                                                    static_cast<double>(steps_per_epoch));
  schedule.total_steps = total_steps;
  schedule.final_lr = config_double(config, "schedule.final_lr");
  schedule.validate();
  return schedule;
}

std::unique_ptr<nn::Optimizer> make_optimizer(const Json& config, const nn::Module& model, double lr) {
  const std::string name = config_string(config, "optimizer.name");
  auto params = nn::optimizer_params(model.named_parameters(), config_bool(config, "optimizer.exclude_bn_and_bias"));
  if (name == "sgd") {
    nn::SgdOptions options;
    options.lr = lr;
    options.momentum = config_double(config, "optimizer.momentum");
    options.nesterov = config_bool(config, "optimizer.nesterov");
    options.weight_decay = config_double(config, "optimizer.weight_decay");
    return std::make_unique<nn::Sgd>(std::move(params), options);
  }
  if (name == "lars") {
    nn::LarsOptions options;
    options.lr = lr;
    options.momentum = config_double(config, "optimizer.momentum");
    options.weight_decay = config_double(config, "optimizer.weight_decay");
    options.eta = config_double(config, "optimizer.eta");
    return std::make_unique<nn::Lars>(std::move(params), options);
  }
  throw std::invalid_argument("[config] optimizer.name: expected sgd or lars, got '" + name + "'");
}

data::DatasetPtr labeled_training_set(data::DatasetPtr base, std::int64_t labels, std::uint64_t seed) {
  if (labels == 0 || labels == base->size()) return base;
  const std::int64_t classes = base->hierarchy().num_fine();
  if (labels < 0 || labels % classes != 0) {
    throw std::invalid_argument("[config] labels: " + std::to_string(labels) + " is not a positive multiple of the " +
                                std::to_string(classes) + " classes of " + base->name());
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

Json accuracy_by_level(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& labels,
                       const data::LabelHierarchy& hierarchy) {
  if (predicted.size() != labels.size() || labels.empty()) {
    throw std::invalid_argument("[accuracy_by_level] " + std::to_string(predicted.size()) + " predictions for " +
                                std::to_string(labels.size()) + " labels");
  }
  double fine = 0.0, coarse = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    fine += predicted[i] == labels[i];
    if (hierarchy.has_coarse()) {
      coarse += hierarchy.fine_to_coarse[static_cast<std::size_t>(predicted[i])] ==
                hierarchy.fine_to_coarse[static_cast<std::size_t>(labels[i])];
    }
  }
  const double n = static_cast<double>(labels.size());
  Json levels = {{"fine", 100.0 * fine / n}};
  if (hierarchy.has_coarse()) levels["coarse"] = 100.0 * coarse / n;
  return levels;
}

Evaluation evaluate(nn::Module& model, data::DatasetPtr dataset, Device device, std::int64_t batch_size, int workers) {
  data::LoaderConfig config;
  config.batch_size = batch_size;
  config.augmentation = data::Augmentation::none;
  config.out_size = dataset->height();
  config.shuffle = false;
  config.workers = workers;
  data::Loader loader(dataset, config);
  loader.start(0);
  const auto classes = static_cast<std::size_t>(dataset->hierarchy().num_fine());
  std::vector<std::int64_t> correct(classes, 0), seen(classes, 0);
  std::vector<std::int64_t> all_predicted, all_labels;
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Evaluation result;
  while (auto batch = loader.next()) {
    const Tensor predicted = argmax(model(batch->images.to(device)), 1).to(Device::cpu());
    const auto p = predicted.to_vector<std::int64_t>(), y = batch->labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < p.size(); ++i) {
      ++seen[static_cast<std::size_t>(y[i])];
      correct[static_cast<std::size_t>(y[i])] += p[i] == y[i];
    }
    all_predicted.insert(all_predicted.end(), p.begin(), p.end());
    all_labels.insert(all_labels.end(), y.begin(), y.end());
    result.images += static_cast<std::int64_t>(p.size());
  }
  model.train(was_training);
  std::int64_t total_correct = 0;
  for (std::size_t k = 0; k < classes; ++k) {
    total_correct += correct[k];
    result.per_class.push_back(seen[k] ? 100.0 * static_cast<double>(correct[k]) / static_cast<double>(seen[k]) : 0.0);
  }
  result.top1 = result.images ? 100.0 * static_cast<double>(total_correct) / static_cast<double>(result.images) : 0.0;
  if (result.images) result.by_level = accuracy_by_level(all_predicted, all_labels, dataset->hierarchy());
  return result;
}

MetricsFile::MetricsFile(const std::string& path, const std::vector<std::string>& columns, std::int64_t resume_step) {
  std::vector<std::string> kept;
  if (resume_step > 0 && std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      if (!line.empty() && std::stoll(line.substr(0, line.find(','))) <= resume_step) kept.push_back(line);
    }
  }
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) throw std::runtime_error("[metrics] cannot write " + path);
  for (std::size_t i = 0; i < columns.size(); ++i) std::fprintf(file_, "%s%s", i ? "," : "", columns[i].c_str());
  std::fprintf(file_, "\n");
  for (const std::string& line : kept) std::fprintf(file_, "%s\n", line.c_str());
  std::fflush(file_);
}

MetricsFile::~MetricsFile() {
  if (file_) std::fclose(file_);
}

void MetricsFile::row(const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) std::fprintf(file_, "%s%s", i ? "," : "", values[i].c_str());
  std::fprintf(file_, "\n");
  std::fflush(file_);
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

}  // namespace nanossl
