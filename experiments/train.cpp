// `nanossl train`: supervised training from scratch, with checkpoints that make a
// killed run resumable exactly (`--resume DIR`): the model, the optimizer's
// momentum, the step, the loader's epoch and position and the generator state are
// all saved, and the loader's batches are a pure function of (seed, epoch, index).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "autograd/ops.h"
#include "data/registry.h"
#include "experiments/commands.h"
#include "experiments/training.h"
#include "nn/checkpoint.h"
#include "nn/schedule.h"
#include "tensor/random.h"

namespace nanossl {
namespace {

namespace fs = std::filesystem;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("[train] cannot write " + path);
  out << text << "\n";
}

std::string eta_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  return text;
}

}  // namespace

int run_train(const TrainOptions& options) {
  // ---- configuration: a fresh run from a preset, or the saved one of --resume ----
  std::string out = options.out;
  Json config;
  std::optional<nn::LoadedCheckpoint> checkpoint;
  if (!options.resume.empty()) {
    out = options.resume;
    checkpoint = nn::load_latest_checkpoint(out);
    if (!checkpoint) throw std::runtime_error("[train] --resume " + out + ": no complete checkpoint to resume from");
    config = Json::parse(checkpoint->state.config_json);
    config["stop_after_steps"] = 0;  // a stop asked of the earlier process is not inherited
    for (const std::string& assignment : options.overrides) {
      if (assignment.rfind("stop_after_steps=", 0) != 0) {
        throw std::invalid_argument("[train] --resume takes the saved configuration; only stop_after_steps may change");
      }
      apply_override(config, assignment);
    }
  } else {
    config = resolve_config(options.preset, options.overrides);
  }
  fs::create_directories(out);
  write_text(out + "/config.json", config.dump(2));

  const Device device = Device::parse(config_string(config, "device"));
  const std::uint64_t seed = static_cast<std::uint64_t>(config_int(config, "seed"));
  manual_seed(seed);

  // ---- data ----
  const std::string dataset_name = config_string(config, "dataset");
  data::DatasetPtr train_set = labeled_training_set(data::open_dataset(dataset_name, data::Split::train),
                                                    config_int(config, "labels"), seed);
  data::DatasetPtr test_set = data::open_dataset(dataset_name, data::Split::test);
  data::LoaderConfig loader_config;
  loader_config.batch_size = config_int(config, "batch_size");
  loader_config.augmentation = data::parse_augmentation(config_string(config, "augmentation"));
  loader_config.out_size = train_set->height();
  loader_config.drop_last = true;
  loader_config.seed = seed;
  loader_config.workers = static_cast<int>(config_int(config, "workers"));
  loader_config.pin_memory = device.is_cuda();
  data::Loader loader(train_set, loader_config);
  const std::int64_t steps_per_epoch = loader.batches_per_epoch();
  if (steps_per_epoch == 0) {
    throw std::invalid_argument("[train] " + std::to_string(train_set->size()) + " training images make no batch of " +
                                std::to_string(loader_config.batch_size));
  }

  // ---- model, optimizer, schedule ----
  auto model = make_model(config, train_set->channels(), train_set->hierarchy().num_fine());
  model->to(device);
  const std::int64_t epochs = config_int(config, "epochs"), total_steps = epochs * steps_per_epoch;
  nn::WarmupCosine schedule;
  schedule.base_lr = nn::scale_lr(config_double(config, "optimizer.lr"), loader_config.batch_size,
                                  nn::parse_lr_scaling(config_string(config, "optimizer.lr_scaling")));
  schedule.warmup_steps = config_int(config, "schedule.warmup_epochs") * steps_per_epoch;
  schedule.total_steps = total_steps;
  schedule.final_lr = config_double(config, "schedule.final_lr");
  schedule.validate();
  auto optimizer = make_optimizer(config, *model, schedule.base_lr);

  std::int64_t step = 0, epoch = 0, position = 0;
  if (checkpoint) {
    nn::check_state_matches(model->state_dict(), checkpoint->model, checkpoint->dir + "/model.safetensors");
    model->load_state_dict(checkpoint->model);
    optimizer->load_state(checkpoint->state.optimizer);
    set_generator_state(checkpoint->state.rng);
    step = checkpoint->state.step;
    epoch = checkpoint->state.epoch;
    position = checkpoint->state.loader_position;
    std::printf("resuming %s from %s (step %lld, epoch %lld, batch %lld)\n", out.c_str(), checkpoint->dir.c_str(),
                static_cast<long long>(step), static_cast<long long>(epoch), static_cast<long long>(position));
  }
  const std::int64_t stop_after = config_int(config, "stop_after_steps");
  const std::int64_t log_every = config_int(config, "log_every");
  const std::int64_t checkpoint_every = config_int(config, "checkpoint_every");
  const std::int64_t eval_every = config_int(config, "eval_every_epochs");
  const std::string preprocessing = preprocessing_note(*train_set);

  auto save = [&] {
    nn::TrainingState state;
    state.step = step;
    state.epoch = epoch;
    state.loader_position = position;
    state.rng = generator_state();
    state.config_json = config.dump();
    for (const auto& [name, tensor] : optimizer->state()) state.optimizer[name] = tensor;
    nn::save_checkpoint(out, model->state_dict(), state, {{"preprocessing", preprocessing}});
  };

  std::printf("train %s: %lld images (%lld steps/epoch x %lld epochs), ResNet-%lld width %lld, %s\n",
              train_set->name().c_str(), static_cast<long long>(train_set->size()),
              static_cast<long long>(steps_per_epoch), static_cast<long long>(epochs),
              static_cast<long long>(config_int(config, "model.depth")),
              static_cast<long long>(config_int(config, "model.width")), device.str().c_str());
  MetricsFile metrics(out + "/metrics.csv", {"step", "epoch", "lr", "loss", "train_acc", "images_per_s", "test_acc"},
                      step);
  const auto start = std::chrono::steady_clock::now();
  auto since = start;
  double loss_sum = 0.0, correct = 0.0, seen = 0.0;
  const std::int64_t first_step = step;
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
        const auto now = std::chrono::steady_clock::now();
        const double window = std::chrono::duration<double>(now - since).count();
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const double steps_in_window = seen / static_cast<double>(loader_config.batch_size);
        const double images_per_s = window > 0 ? seen / window : 0.0;
        const double eta = (step > first_step) ? elapsed / static_cast<double>(step - first_step) *
                                                     static_cast<double>(total_steps - step) : 0.0;
        std::string test_acc;
        if (epoch_end && eval_every > 0 && epoch % eval_every == 0 && epoch < epochs) {
          test_acc = format_number(evaluate(*model, test_set, device, 256, loader_config.workers).top1);
        }
        metrics.row({std::to_string(step), std::to_string(epoch), format_number(optimizer->lr()),
                     format_number(loss_sum / steps_in_window), format_number(100.0 * correct / seen),
                     format_number(images_per_s), test_acc});
        std::printf("epoch %lld  step %lld/%lld  loss %.4f  acc %.1f%%  %.0f img/s  ETA %s%s\n",
                    static_cast<long long>(epoch), static_cast<long long>(step), static_cast<long long>(total_steps),
                    loss_sum / steps_in_window, 100.0 * correct / seen, images_per_s, eta_text(eta).c_str(),
                    test_acc.empty() ? "" : ("  test " + test_acc + "%").c_str());
        std::fflush(stdout);
        loss_sum = correct = seen = 0.0;
        since = std::chrono::steady_clock::now();
      }
      if ((checkpoint_every > 0 && step % checkpoint_every == 0) || epoch_end) save();
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
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Json summary = {{"dataset", dataset_name},
                  {"train_images", train_set->size()},
                  {"test_images", result.images},
                  {"test_top1", result.top1},
                  {"test_per_class", result.per_class},
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

}  // namespace nanossl
