// train_tiny: nanossl used as a library by a program of your own (docs/install.md).
// It builds a small ResNet-18, trains it for a few SGD steps on random images,
// saves a checkpoint, loads it into a fresh model and checks that both give the
// same outputs. Usage: train_tiny [RUN_DIR]   (default: ./train_tiny_run)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "autograd/ops.h"   // cross_entropy, backward, NoGradGuard
#include "nn/checkpoint.h"  // save_checkpoint, load_latest_checkpoint
#include "nn/optim.h"       // Sgd, optimizer_params
#include "nn/resnet.h"      // make_resnet
#include "tensor/random.h"  // manual_seed

using namespace nanossl;

int main(int argc, char** argv) {
  const std::string run_dir = argc > 1 ? argv[1] : "train_tiny_run";
  manual_seed(0);  // every random draw below (weights, images) follows from this seed

  // ResNet-18 for small images: the CIFAR stem (a 3x3 conv, no max-pool) and a base
  // width of 8 channels instead of torchvision's 64, so it trains in a blink.
  nn::ResNetConfig config;
  config.stem = nn::ResNetStem::cifar;
  config.width_multiplier = 8;
  config.num_classes = 10;
  auto model = nn::make_resnet(config);

  // One fixed batch: 16 random 3x32x32 "images" (NCHW) with labels 0..9.
  const Tensor images = Tensor::randn({16, 3, 32, 32});
  std::vector<std::int64_t> label_values;
  for (std::int64_t i = 0; i < 16; ++i) label_values.push_back(i % 10);
  const Tensor labels = Tensor::from_vector(label_values, {16});

  // SGD with momentum; each step: forward, loss, gradients, update.
  nn::Sgd sgd(nn::optimizer_params(model->named_parameters(), false), {.lr = 0.05, .momentum = 0.9});
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= 8; ++step) {
    const Tensor loss = cross_entropy(model->forward(images), labels);
    sgd.zero_grad();
    backward(loss);
    sgd.step();
    last_loss = loss.item();
    if (step == 1) first_loss = last_loss;
    std::printf("step %d  loss %.4f\n", step, last_loss);
  }

  // Save the weights (and batch-norm statistics), then load them into a new model.
  std::filesystem::remove_all(run_dir);
  nn::TrainingState state;
  state.step = 8;
  nn::save_checkpoint(run_dir, model->state_dict(), state);
  auto restored = nn::make_resnet(config);  // different random weights until loaded
  restored->load_state_dict(nn::load_latest_checkpoint(run_dir)->model);

  // In evaluation mode (batch norm uses its running statistics) both must agree.
  model->eval();
  restored->eval();
  NoGradGuard no_grad;  // inference only: build no graph
  const std::vector<float> a = model->forward(images).to_vector<float>();
  const std::vector<float> b = restored->forward(images).to_vector<float>();
  double max_difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) max_difference = std::max(max_difference, std::fabs(double(a[i]) - b[i]));
  std::printf("loss %.4f -> %.4f; checkpoint %s reloaded, outputs differ by at most %g\n", first_loss, last_loss,
              run_dir.c_str(), max_difference);
  const bool ok = last_loss < first_loss && max_difference < 1e-6;
  std::printf("%s\n", ok ? "OK: the loss went down and the reloaded model gives the same outputs" : "FAILED");
  return ok ? 0 : 1;
}
