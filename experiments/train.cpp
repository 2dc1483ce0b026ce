// `nanossl train`: supervised training from scratch, with checkpoints that make a
// killed run resumable exactly (`--resume DIR`): the model, the optimizer's
// momentum, the step, the loader's epoch and position and the generator state are
// all saved, and the loader's batches are a pure function of (seed, epoch, index).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "autograd/ops.h"
#include "data/channels_view.h"
#include "data/corrupt.h"
#include "data/registry.h"
#include "experiments/commands.h"
#include "experiments/run.h"
#include "experiments/training.h"
#include "nn/checkpoint.h"
#include "nn/schedule.h"
#include "ssl/simclr.h"
#include "tensor/random.h"

namespace nanossl {

namespace fs = std::filesystem;

int run_train(const RunOptions& options) {
  const RunStart run = start_run("train", options);
  const std::string& out = run.out;
  Json config = run.config;
  const Device device = Device::parse(config_string(config, "device"));
  const std::uint64_t seed = static_cast<std::uint64_t>(config_int(config, "seed"));
  manual_seed(seed);

  // ---- data ----
  const std::string dataset_name = config_string(config, "dataset");
  const int channels = static_cast<int>(config_int(config, "channels"));  // 0: the dataset's
  data::DatasetPtr train_set = data::with_channels(
      labeled_training_set(data::open_dataset(dataset_name, data::Split::train), config_int(config, "labels"), seed),
      channels);
  data::DatasetPtr test_set = data::with_channels(data::open_dataset(dataset_name, data::Split::test), channels);
  // The quality study trains on corrupted images and tests on clean ones.
  const data::CorruptionSpec corruption = data::parse_corruption(config_string(config, "corruption"));
  if (corruption.kind != data::Corruption::none) {
    train_set = std::make_shared<data::CorruptedDataset>(train_set, corruption, seed);
  }
  data::LoaderConfig loader_config = training_loader_config(config, *train_set, device, seed);
  loader_config.augmentation = data::parse_augmentation(config_string(config, "augmentation"));
  data::Loader loader(train_set, loader_config);
  const std::int64_t steps_per_epoch = nanossl::steps_per_epoch("train", loader, train_set->size(), loader_config.batch_size);

  // ---- model, optimizer, schedule ----
  auto model = make_model(config, train_set->channels(), train_set->hierarchy().num_fine());
  model->to(device);
  const std::int64_t epochs = config_int(config, "epochs"), total_steps = epochs * steps_per_epoch;
  const nn::WarmupCosine schedule = make_schedule(config, loader_config.batch_size, steps_per_epoch, total_steps);
  auto optimizer = make_optimizer(config, *model, schedule.base_lr);

  RunCounters counters;
  if (run.checkpoint) {
    counters = restore_run(*run.checkpoint, *model, *optimizer);
  } else if (!config_string(config, "init_encoder").empty()) {
    const std::string source = ssl::load_pretrained_encoder(*model, config_string(config, "init_encoder"));
    std::printf("fine-tuning from the encoder of %s\n", source.c_str());
  }
  std::int64_t& step = counters.step;
  std::int64_t& epoch = counters.epoch;
  std::int64_t& position = counters.position;
  const std::int64_t stop_after = config_int(config, "stop_after_steps");
  const std::int64_t log_every = config_int(config, "log_every");
  const std::int64_t checkpoint_every = config_int(config, "checkpoint_every");
  const std::int64_t eval_every = config_int(config, "eval_every_epochs");
  const std::string preprocessing = preprocessing_note(*train_set);

  CheckpointCadence cadence(checkpoint_every, counters.step);
  auto save = [&] {
    save_run(out, *model, *optimizer, counters, config, preprocessing);
    cadence.saved(counters.step);
  };

  std::printf("train %s: %lld images (%lld steps/epoch x %lld epochs), ResNet-%lld width %lld, %s\n",
              train_set->name().c_str(), static_cast<long long>(train_set->size()),
              static_cast<long long>(steps_per_epoch), static_cast<long long>(epochs),
              static_cast<long long>(config_int(config, "model.depth")),
              static_cast<long long>(config_int(config, "model.width")), device.str().c_str());
  MetricsFile metrics(out + "/metrics.csv", {"step", "epoch", "lr", "loss", "train_acc", "images_per_s", "test_acc"},
                      step);
  ProgressClock clock(step, total_steps);
  double loss_sum = 0.0, correct = 0.0, seen = 0.0;
  model->train();
  while (epoch < epochs && !(stop_after > 0 && step >= stop_after)) {
    loader.start(epoch, position);
    while (auto batch = loader.next()) {
      optimizer->set_lr(schedule.at(step));
      const Tensor x = batch->images.to(device), y = batch->labels.to(device);
      const Tensor logits = (*model)(x);
      const Tensor loss = cross_entropy(logits, y);
      backward(loss);
      optimizer->step();
      optimizer->zero_grad();
      {
        NoGradGuard no_grad;
        const auto p = argmax(logits, 1).to(Device::cpu()).to_vector<std::int64_t>();
        const auto t = batch->labels.to_vector<std::int64_t>();
        for (std::size_t i = 0; i < p.size(); ++i) correct += p[i] == t[i];
        seen += static_cast<double>(p.size());
      }
      loss_sum += loss.item();
      ++step;
      position = batch->position + 1;
      if (position == steps_per_epoch) {
        ++epoch;
        position = 0;
      }
      const bool epoch_end = position == 0;
      if (step % log_every == 0 || epoch_end) {
        const double steps_in_window = seen / static_cast<double>(loader_config.batch_size);
        const double images_per_s = clock.images_per_s(seen);
        std::string test_acc;
        if (epoch_end && eval_every > 0 && epoch % eval_every == 0 && epoch < epochs) {
          test_acc = format_number(evaluate(*model, test_set, device, 256, loader_config.workers).top1);
        }
        metrics.row({std::to_string(step), std::to_string(epoch), format_number(optimizer->lr()),
                     format_number(loss_sum / steps_in_window), format_number(100.0 * correct / seen),
                     format_number(images_per_s), test_acc});
        std::printf("epoch %lld  step %lld/%lld  loss %.4f  acc %.1f%%  %.0f img/s  ETA %s%s\n",
                    static_cast<long long>(epoch), static_cast<long long>(step), static_cast<long long>(total_steps),
                    loss_sum / steps_in_window, 100.0 * correct / seen, images_per_s, clock.eta(step).c_str(),
                    test_acc.empty() ? "" : ("  test " + test_acc + "%").c_str());
        std::fflush(stdout);
        loss_sum = correct = seen = 0.0;
      }
      if (cadence.due(step, epoch_end)) save();
      if ((stop_after > 0 && step >= stop_after) || epoch_end) break;
    }
  }
  if (stop_after > 0 && step >= stop_after && step < total_steps) {
    save();
    std::printf("stopped after step %lld as asked; continue with --resume %s\n", static_cast<long long>(step), out.c_str());
    return 0;
  }

  // ---- final evaluation ----
  const Evaluation result = evaluate(*model, test_set, device, 256, loader_config.workers);
  const double seconds = clock.seconds();
  Json summary = {{"dataset", dataset_name},
                  {"train_images", train_set->size()},
                  {"test_images", result.images},
                  {"test_top1", result.top1},
                  {"test_per_class", result.per_class},
                  {"test_top1_by_level", result.by_level},
                  {"class_names", test_set->hierarchy().fine_names},
                  {"steps", step},
                  {"epochs", epochs},
                  {"seconds_this_process", seconds},
                  {"preprocessing", preprocessing}};
  write_text(out + "/result.json", summary.dump(2));
  save();
  std::printf("test top-1 %.2f%% on %lld images; results in %s\n", result.top1, static_cast<long long>(result.images),
              out.c_str());
  return 0;
}

int run_finetune(RunOptions options, const std::string& encoder) {
  if (options.resume.empty()) {
    if (encoder.empty()) throw std::invalid_argument("[finetune] --encoder DIR (a `nanossl pretrain` run) is required");
    const fs::path config_path = fs::path(encoder) / "config.json";
    std::ifstream in(config_path);
    if (!in) throw std::runtime_error("[finetune] " + encoder + ": no config.json (expected a `nanossl pretrain` run)");
    const Json pretrain = Json::parse(in);
    // The encoder's architecture wins over the preset's: the weights must fit.
    for (const char* key : {"depth", "stem", "width"}) {
      const Json& value = pretrain.at("model").at(key);
      options.overrides.push_back(std::string("model.") + key + "=" +
                                  override_text(value));
    }
    // and its input channels are those of its first convolution
    options.overrides.push_back("channels=" + std::to_string(ssl::read_pretrained_encoder(encoder).in_channels()));
    options.overrides.push_back("init_encoder=" + encoder);
  }
  return run_train(options);
}

}  // namespace nanossl
