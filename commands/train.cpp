// `nanossl train`: supervised training from scratch, with checkpoints that make a
// killed run resumable exactly (`--resume DIR`): the model, the optimizer's
// momentum, the step, the loader's epoch and position and the generator state are
// all saved, and the loader's batches are a pure function of (seed, epoch, index).
#include <cstdio>
#include <stdexcept>

#include "autograd/ops.h"
#include "commands/builders.h"
#include "commands/evaluation.h"
#include "commands/runs.h"
#include "commands/training_loop.h"
#include "data/channels_view.h"
#include "data/corrupt.h"
#include "data/registry.h"
#include "ssl/simclr.h"
#include "tensor/random.h"

namespace nanossl {

int train(const RunStart<TrainConfig>& run) {
  const TrainConfig& config = run.config;
  const Device device = Device::parse(config.loop.device);
  const GemmPrecision precision(config.loop.precision);
  const auto seed = static_cast<std::uint64_t>(config.loop.seed);
  manual_seed(seed);

  // ---- data ----
  const int channels = static_cast<int>(config.channels);  // 0: the dataset's
  data::DatasetPtr train_set = data::with_channels(
      labeled_training_set(data::open_dataset(config.dataset, data::Split::train), config.labels, seed), channels);
  data::DatasetPtr test_set = data::with_channels(data::open_dataset(config.dataset, data::Split::test), channels);
  // The quality study trains on corrupted images and tests on clean ones.
  const data::CorruptionSpec corruption = data::parse_corruption(config.corruption);
  if (corruption.kind != data::Corruption::none) {
    train_set = std::make_shared<data::CorruptedDataset>(train_set, corruption, seed);
  }
  data::LoaderConfig loader_config = training_loader_config(config.loop, *train_set, device);
  loader_config.augmentation = data::parse_augmentation(config.augmentation);
  data::Loader loader(train_set, loader_config);
  const std::int64_t steps_per_epoch =
      nanossl::steps_per_epoch("train", loader, train_set->size(), loader_config.batch_size);

  // ---- model, optimizer, schedule ----
  auto model = make_model(config.model, train_set->channels(), train_set->hierarchy().num_fine());
  model->to(device);
  const std::int64_t epochs = config.loop.epochs;
  const nn::WarmupCosine schedule =
      make_schedule(config.optimizer, config.schedule, loader_config.batch_size, steps_per_epoch, epochs * steps_per_epoch);
  auto optimizer = make_optimizer(config.optimizer, *model, schedule.base_lr);

  RunCounters counters;
  if (run.checkpoint) {
    counters = restore_run(*run.checkpoint, *model, *optimizer);
  } else if (!config.init_encoder.empty()) {
    const std::string source = ssl::load_pretrained_encoder(*model, config.init_encoder);
    std::printf("fine-tuning from the encoder of %s\n", source.c_str());
  }
  const std::string preprocessing = preprocessing_note(*train_set);
  std::printf("train %s: %lld images (%lld steps/epoch x %lld epochs), ResNet-%lld width %lld, %s\n",
              train_set->name().c_str(), static_cast<long long>(train_set->size()),
              static_cast<long long>(steps_per_epoch), static_cast<long long>(epochs),
              static_cast<long long>(config.model.depth), static_cast<long long>(config.model.width),
              device.str().c_str());

  auto step = [&](const data::Batch& batch) {
    const Tensor logits = (*model)(batch.images.to(device));
    const Tensor loss = cross_entropy(logits, batch.labels.to(device));
    backward(loss);
    NoGradGuard no_grad;
    const auto predicted = argmax(logits, 1).to(Device::cpu()).to_vector<std::int64_t>();
    const auto labels = batch.labels.to_vector<std::int64_t>();
    double correct = 0.0;
    for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == labels[i];
    return StepReport{loss.item(), 100.0 * correct / static_cast<double>(predicted.size())};
  };
  auto monitor = [&](std::int64_t epoch) -> std::optional<double> {
    const std::int64_t every = config.eval_every_epochs;
    if (every <= 0 || epoch % every != 0 || epoch >= epochs) return std::nullopt;  // the final evaluation follows
    return evaluate(*model, test_set, device, 256, loader_config.workers).top1;
  };
  TrainingLoop loop({"train", run.out, config.loop, config_to_json(config), preprocessing, *model, *optimizer, schedule, loader,
                     steps_per_epoch, {"train_acc", "acc", "test_acc", "test"}, step, monitor},
                    counters);
  if (!loop.run()) return 0;

  // ---- final evaluation ----
  const Evaluation result = evaluate(*model, test_set, device, 256, loader_config.workers);
  loop.save();
  Json summary = {{"dataset", config.dataset},
                  {"train_images", train_set->size()},
                  {"test_images", result.images},
                  {"test_top1", result.top1},
                  {"test_per_class", result.per_class},
                  {"test_top1_by_level", result.by_level},
                  {"class_names", test_set->hierarchy().fine_names},
                  {"steps", loop.counters().step},
                  {"epochs", epochs},
                  {"seconds_this_process", loop.seconds()},
                  {"preprocessing", preprocessing}};
  loop.write_result(summary);
  std::printf("test top-1 %.2f%% on %lld images; results in %s\n", result.top1, static_cast<long long>(result.images),
              run.out.c_str());
  return 0;
}

int run_train(const RunOptions& options) {
  if (options.print_config) return print_config(planned_config<TrainConfig>("train", options));
  return train(start_run<TrainConfig>("train", options));
}

}  // namespace nanossl
