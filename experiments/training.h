// Pieces every training command shares: the model, data and optimizer a config
// describes, evaluation on a test split, and the metrics file.
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/loader.h"
#include "experiments/config.h"
#include "nn/optim.h"
#include "nn/resnet.h"
#include "nn/schedule.h"

namespace nanossl {

// config.model: {depth, stem, width, zero_init_residual}; channels and classes
// come from the data.
std::shared_ptr<nn::ResNet> make_model(const Json& config, std::int64_t in_channels, std::int64_t num_classes);
// The loader of a training run: config.batch_size and config.workers, the seed,
// images at the dataset's size, full batches only, pinned memory for a GPU.
data::LoaderConfig training_loader_config(const Json& config, const data::Dataset& dataset, Device device,
                                          std::uint64_t seed);
// loader.batches_per_epoch(), or "[command] N images make no batch of B".
std::int64_t steps_per_epoch(const char* command, const data::Loader& loader, std::int64_t images,
                             std::int64_t batch_size);

// config.optimizer.{lr, lr_scaling} and config.schedule.{warmup_epochs (fractions
// allowed), final_lr}: linear warm-up, then cosine decay over total_steps, the
// learning rate scaled by the batch size.
nn::WarmupCosine make_schedule(const Json& config, std::int64_t batch_size, std::int64_t steps_per_epoch,
                               std::int64_t total_steps);
// config.optimizer: {name: sgd|lars, lr, lr_scaling, momentum, nesterov, weight_decay,
// eta, exclude_bn_and_bias}; the learning rate is already scaled by batch size.
std::unique_ptr<nn::Optimizer> make_optimizer(const Json& config, const nn::Module& model, double lr);
// The labelled training set: all of `base` (labels == 0) or a class-balanced
// fixed subset of `labels` images.
data::DatasetPtr labeled_training_set(data::DatasetPtr base, std::int64_t labels, std::uint64_t seed);
// How images reach the model, written into checkpoints and results.
std::string preprocessing_note(const data::Dataset& dataset);

// Top-1 accuracy (percent) of fine-class predictions at every level of the label
// hierarchy: {"fine": ..., "coarse": ...} (coarse when the dataset has one; a
// prediction is right there when it falls in the true coarse class).
Json accuracy_by_level(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& labels,
                       const data::LabelHierarchy& hierarchy);

struct Evaluation {
  double top1 = 0.0;                 // percent
  Json by_level;                     // accuracy_by_level of the predictions
  std::vector<double> per_class;     // percent, one per fine class
  std::int64_t images = 0;
};
// Eval-mode forward over every image of `dataset` (no augmentation).
Evaluation evaluate(nn::Module& model, data::DatasetPtr dataset, Device device, std::int64_t batch_size, int workers);

// metrics.csv: a header, then one row per call; on resume, rows past the resumed
// step are dropped so the file reads as one uninterrupted run.
class MetricsFile {
 public:
  MetricsFile(const std::string& path, const std::vector<std::string>& columns, std::int64_t resume_step);
  ~MetricsFile();
  void row(const std::vector<std::string>& values);

 private:
  std::FILE* file_ = nullptr;
};

std::string format_number(double value);  // shortest round-tripping text ("%.9g")

}  // namespace nanossl
