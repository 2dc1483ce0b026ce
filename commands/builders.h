// What a run configuration describes, built: the model, the training loader, the
// learning-rate schedule, the optimizer and the labelled training set.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "commands/run_config.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "nn/optim.h"
#include "nn/resnet.h"
#include "nn/schedule.h"

namespace nanossl {

// The ResNet of `model`; channels and classes come from the data (0 classes: an
// encoder whose forward gives features).
nn::ResNetConfig resnet_config(const ModelConfig& model, std::int64_t in_channels, std::int64_t num_classes);
std::shared_ptr<nn::ResNet> make_model(const ModelConfig& model, std::int64_t in_channels, std::int64_t num_classes);
// The loader of a training run: loop.batch_size and loop.workers, the seed,
// images at the dataset's size, full batches only, pinned memory for a GPU.
data::LoaderConfig training_loader_config(const LoopConfig& loop, const data::Dataset& dataset, Device device);
// The loader of a pretraining: the training loader with two views of every image
// under the SimCLR augmentation of `config.augment`, resized to augment.crop_size
// when it is set (evaluation still sees the images at their own size: the
// encoder ends in a global pool).
data::LoaderConfig pretraining_loader_config(const PretrainConfig& config, const data::Dataset& dataset, Device device);
// loader.batches_per_epoch(), or "[command] N images make no batch of B".
std::int64_t steps_per_epoch(const char* command, const data::Loader& loader, std::int64_t images,
                             std::int64_t batch_size);

// Linear warm-up (schedule.warmup_epochs, fractions allowed), then cosine decay to
// schedule.final_lr over total_steps; the base rate is optimizer.lr scaled by the
// batch size as optimizer.lr_scaling says.
nn::WarmupCosine make_schedule(const OptimizerConfig& optimizer, const ScheduleConfig& schedule,
                               std::int64_t batch_size, std::int64_t steps_per_epoch, std::int64_t total_steps);
// SGD or LARS over the model's trainable parameters (requires_grad set); `lr` is
// already scaled by batch size.
std::unique_ptr<nn::Optimizer> make_optimizer(const OptimizerConfig& optimizer, const nn::Module& model, double lr);
// The labelled training set: all of `base` (labels == 0) or a class-balanced
// fixed subset of `labels` images.
data::DatasetPtr labeled_training_set(data::DatasetPtr base, std::int64_t labels, std::uint64_t seed);
// How images reach the model, written into checkpoints and results.
std::string preprocessing_note(const data::Dataset& dataset);

}  // namespace nanossl
