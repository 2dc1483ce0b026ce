// Memory over a tiny training run: 50 steps of supervised ResNet-18 and of SimCLR
// (width 4, batch 16 of 8x8 images). After warm-up a step allocates from the caching
// allocator's free lists only, so resident memory is flat; under AddressSanitizer
// (scripts/sanitize.sh) the same run is the leak check, LeakSanitizer reporting at
// exit. The flatness check is skipped there, as ASan's quarantine grows by design.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "nn/optim.h"
#include "nn/resnet.h"
#include "ssl/simclr.h"
#include "tensor/random.h"

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAsan = true;
#else
constexpr bool kUnderAsan = false;
#endif

namespace nanossl {
namespace {

// VmRSS of /proc/self/status in MiB.
double resident_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1.0;
}

// Resident memory after `warmup` steps and after `steps`, in MiB.
template <class Step>
std::pair<double, double> resident_around(Step step, int warmup, int steps) {
  for (int i = 0; i < warmup; ++i) step();
  const double before = resident_mib();
  for (int i = warmup; i < steps; ++i) step();
  return {before, resident_mib()};
}

nn::ResNetConfig tiny_resnet() {
  nn::ResNetConfig config;
  config.depth = 18;
  config.stem = nn::ResNetStem::cifar;
  config.width_multiplier = 4;
  config.in_channels = 3;
  return config;
}

constexpr double kAllowedGrowthMib = 2.0;  // page-granular noise of the C library's own allocations

TEST(Memory, SupervisedStepsAreFlatAfterWarmup) {
  manual_seed(0);
  nn::ResNetConfig config = tiny_resnet();
  config.num_classes = 10;
  auto model = nn::make_resnet(config);
  nn::SgdOptions sgd;
  sgd.lr = 0.05;
  sgd.momentum = 0.9;
  nn::Sgd optimizer(nn::optimizer_params(model->named_parameters(), true), sgd);
  const Tensor images = Tensor::rand({16, 3, 8, 8});
  std::vector<std::int64_t> labels(16);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int64_t>(i % 10);
  const Tensor targets = Tensor::from_vector(labels, {16});
  const auto [before, after] = resident_around(
      [&] {
        const Tensor loss = cross_entropy((*model)(images), targets);
        backward(loss);
        optimizer.step();
        optimizer.zero_grad();
        ASSERT_TRUE(std::isfinite(loss.item()));
      },
      10, 50);
  std::printf("supervised: %.1f MiB resident after 10 steps, %.1f after 50\n", before, after);
  if (!kUnderAsan) EXPECT_LE(after - before, kAllowedGrowthMib);
}

TEST(Memory, SimclrStepsAreFlatAfterWarmup) {
  manual_seed(0);
  ssl::SimclrConfig simclr;
  simclr.encoder = tiny_resnet();
  ssl::Simclr model(simclr);
  nn::LarsOptions lars;
  lars.lr = 0.3;
  nn::Lars optimizer(nn::optimizer_params(model.named_parameters(), true), lars);
  const Tensor view1 = Tensor::rand({16, 3, 8, 8}), view2 = Tensor::rand({16, 3, 8, 8});
  const auto [before, after] = resident_around(
      [&] {
        const Tensor loss = ssl::contrastive_step(model, view1, view2, 0.5).loss;
        backward(loss);
        optimizer.step();
        optimizer.zero_grad();
        ASSERT_TRUE(std::isfinite(loss.item()));
      },
      10, 50);
  std::printf("simclr: %.1f MiB resident after 10 steps, %.1f after 50\n", before, after);
  if (!kUnderAsan) EXPECT_LE(after - before, kAllowedGrowthMib);
}

}  // namespace
}  // namespace nanossl
