// Memory over a tiny training run: 50 steps of supervised ResNet-18 and of SimCLR
// (width 4, batch 16 of 8x8 images). After warm-up a step allocates from the caching
// allocator's free lists only, so resident memory is flat; under AddressSanitizer
// (scripts/sanitize.sh) the same run is the leak check, LeakSanitizer reporting at
// exit. The flatness check is skipped there, as ASan's quarantine grows by design.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "bench/machine.h"  // resident_mib
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

constexpr double kAllowedGrowthMib = 2.0;  // page-granular noise of the C library's own allocations

// Runs 50 steps of `loss` (forward to a scalar) with `optimizer` and checks that
// resident memory grows by at most kAllowedGrowthMib between step 10 and step 50.
template <class Loss>
void expect_flat_memory(const char* what, Loss loss, nn::Optimizer& optimizer) {
  auto step = [&] {
    const Tensor value = loss();
    backward(value);
    optimizer.step();
    optimizer.zero_grad();
    ASSERT_TRUE(std::isfinite(value.item()));
  };
  for (int i = 0; i < 10; ++i) step();
  const double before = bench::resident_mib("VmRSS");
  for (int i = 10; i < 50; ++i) step();
  const double after = bench::resident_mib("VmRSS");
  std::printf("%s: %.1f MiB resident after 10 steps, %.1f after 50\n", what, before, after);
  if (!kUnderAsan) {
    EXPECT_LE(after - before, kAllowedGrowthMib) << what;
  }
}

nn::ResNetConfig tiny_resnet() {
  nn::ResNetConfig config;
  config.depth = 18;
  config.stem = nn::ResNetStem::cifar;
  config.width_multiplier = 4;
  config.in_channels = 3;
  return config;
}

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
  expect_flat_memory("supervised", [&] { return cross_entropy((*model)(images), targets); }, optimizer);
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
  expect_flat_memory("simclr", [&] { return ssl::contrastive_step(model, view1, view2, 0.5).loss; }, optimizer);
}

}  // namespace
}  // namespace nanossl
