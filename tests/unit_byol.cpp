// ssl/byol.h, ssl/normalized_mse.h, ssl/momentum.h: BYOL's loss against a naive
// double reference and its gradient by finite differences in double; the EMA
// update and the cosine momentum schedule against hand-computed values; the BYOL
// model's names, its target network (no gradient, no optimizer state) and step.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "commands/builders.h"
#include "nn/layers.h"
#include "ssl/byol.h"
#include "ssl/momentum.h"
#include "ssl/normalized_mse.h"
#include "tensor/random.h"
#include "test_util.h"

namespace nanossl::ssl {
namespace {

using nanossl::testing::all_close;
using nanossl::testing::expect_error;
using nanossl::testing::uniform;

using Rows = std::vector<double>;

// mean_n || p_n/|p_n| - z_n/|z_n| ||^2, written out.
double naive_normalized_mse(const Rows& p, const Rows& z, std::int64_t N, std::int64_t D) {
  double loss = 0.0;
  for (std::int64_t n = 0; n < N; ++n) {
    double pp = 0.0, zz = 0.0;
    for (std::int64_t d = 0; d < D; ++d) {
      pp += p[n * D + d] * p[n * D + d];
      zz += z[n * D + d] * z[n * D + d];
    }
    for (std::int64_t d = 0; d < D; ++d) {
      const double diff = p[n * D + d] / std::sqrt(pp) - z[n * D + d] / std::sqrt(zz);
      loss += diff * diff / static_cast<double>(N);
    }
  }
  return loss;
}

Rows host(const Tensor& t) { return t.to(DType::f64).to_vector<double>(); }

TEST(NormalizedMse, MatchesNaiveReference) {
  std::uint64_t seed = 40;
  for (DType dtype : {DType::f64, DType::f32}) {
    const double tolerance = dtype == DType::f64 ? 1e-12 : 1e-5;
    for (std::int64_t N : {1, 4, 16}) {
      for (std::int64_t D : {2, 9}) {
        const Tensor p = uniform({N, D}, -1, 1, dtype, ++seed), z = uniform({N, D}, -1, 1, dtype, ++seed);
        EXPECT_NEAR(normalized_mse(p, z).item(), naive_normalized_mse(host(p), host(z), N, D), tolerance)
            << "N " << N << " D " << D << " " << dtype_name(dtype);
      }
    }
  }
}

TEST(NormalizedMse, GradientMatchesFiniteDifferences) {
  const Tensor p = nanossl::testing::uniform_leaf({4, 5}, -1, 1, 8);
  const Tensor z = nanossl::testing::uniform_leaf({4, 5}, -1, 1, 9);
  const GradcheckResult result =
      gradcheck([](const std::vector<Tensor>& in) { return normalized_mse(in[0], in[1]); }, {p, z});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.checked, 40);
}

TEST(NormalizedMse, IsTwoMinusTwoCosine) {
  const Tensor p = Tensor::from_vector(Rows{1, 0, 0, 3, 2, 0}, {3, 2}, Device::cpu());
  const Tensor z = Tensor::from_vector(Rows{5, 0, 0, -1, 0, 7}, {3, 2}, Device::cpu());
  // rows: same direction (0), opposite (4), orthogonal (2): mean 2.
  EXPECT_NEAR(normalized_mse(p, z).item(), 2.0, 1e-12);
  EXPECT_NEAR(normalized_mse(p, p * 0.5).item(), 0.0, 1e-12);
  expect_error([&] { normalized_mse(p, Tensor::randn({3, 3}, DType::f64)); }, {"[normalized_mse]", "differ"});
  expect_error([&] { normalized_mse(Tensor(), p); }, {"[normalized_mse]", "defined"});
  expect_error([&] { normalized_mse(Tensor::randn({3}), Tensor::randn({3})); }, {"[normalized_mse]", "(N,D)"});
}

// A 2x2 Linear whose weight and bias are given.
std::shared_ptr<nn::Linear> linear_with(const std::vector<float>& weight, const std::vector<float>& bias) {
  auto layer = std::make_shared<nn::Linear>(2, 2);
  NoGradGuard no_grad;
  layer->weight.copy_(Tensor::from_vector(weight, {2, 2}, Device::cpu()));
  layer->bias.copy_(Tensor::from_vector(bias, {2}, Device::cpu()));
  return layer;
}

TEST(EmaUpdate, AveragesEveryParameterByHand) {
  auto target = linear_with({1, 2, 3, 4}, {10, 20});
  const auto online = linear_with({5, 6, 7, 8}, {0, 0});
  ema_update(*target, *online, 0.75);  // 0.75 t + 0.25 o
  EXPECT_EQ(target->weight.to_vector<float>(), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(target->bias.to_vector<float>(), (std::vector<float>{7.5f, 15}));
  ema_update(*target, *online, 1.0);  // momentum 1: frozen
  EXPECT_EQ(target->weight.to_vector<float>(), (std::vector<float>{2, 3, 4, 5}));
  ema_update(*target, *online, 0.0);  // momentum 0: a copy
  EXPECT_EQ(target->weight.to_vector<float>(), (std::vector<float>{5, 6, 7, 8}));
  expect_error([&] { ema_update(*target, nn::Linear(2, 3), 0.5); }, {"[ema_update]", "weight"});
  expect_error([&] { ema_update(*target, *online, 1.5); }, {"[ema_update]", "[0, 1]"});
}

TEST(EmaUpdate, InitTargetCopiesAndFreezes) {
  auto target = linear_with({0, 0, 0, 0}, {0, 0});
  const auto online = linear_with({1, 2, 3, 4}, {5, 6});
  init_target(*target, *online);
  EXPECT_EQ(target->weight.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_FALSE(target->weight.requires_grad());
  EXPECT_FALSE(target->bias.requires_grad());
  EXPECT_TRUE(online->weight.requires_grad());
}

TEST(CosineMomentum, RisesFromBaseToOne) {
  EXPECT_DOUBLE_EQ(cosine_momentum(0.99, 0, 100), 0.99);
  EXPECT_NEAR(cosine_momentum(0.99, 50, 100), 0.995, 1e-15);  // halfway: (1 + base) / 2
  EXPECT_NEAR(cosine_momentum(0.9, 25, 100), 1.0 - 0.1 * (std::cos(std::numbers::pi / 4) + 1) / 2, 1e-15);
  EXPECT_DOUBLE_EQ(cosine_momentum(0.99, 100, 100), 1.0);
  EXPECT_DOUBLE_EQ(cosine_momentum(0.99, 150, 100), 1.0);
  for (std::int64_t step = 1; step <= 100; ++step) {
    EXPECT_GT(cosine_momentum(0.99, step, 100), cosine_momentum(0.99, step - 1, 100)) << step;
  }
}

ByolConfig tiny_byol() {
  ByolConfig config;
  config.encoder.depth = 18;
  config.encoder.stem = nn::ResNetStem::cifar;
  config.encoder.width_multiplier = 4;
  config.encoder.in_channels = 1;
  config.projection_dim = 8;
  config.predictor_hidden = 12;
  return config;
}

TEST(Byol, NamesAndShapes) {
  manual_seed(1);
  Byol model(tiny_byol());
  const auto state = model.state_dict();
  for (const char* name : {"encoder.conv1.weight", "head.0.weight", "head.1.running_mean", "head.3.bias",
                           "predictor.0.weight", "predictor.1.weight", "predictor.3.weight",
                           "target.encoder.conv1.weight", "target.head.1.running_var", "target.head.3.bias"}) {
    EXPECT_TRUE(state.count(name)) << name;
  }
  EXPECT_FALSE(state.count("target.predictor.0.weight"));  // the target has no predictor
  EXPECT_EQ(state.at("head.0.weight").shape(), (Shape{32, 32}));
  EXPECT_EQ(state.at("predictor.0.weight").shape(), (Shape{12, 8}));
  EXPECT_EQ(state.at("predictor.3.weight").shape(), (Shape{8, 12}));
  EXPECT_TRUE(all_close(state.at("target.encoder.conv1.weight"), state.at("encoder.conv1.weight"), 0, 0));
  // The optimizer sees the online network only, and LARS excludes its 1-D tensors.
  OptimizerConfig lars{.name = "lars"};
  const auto optimizer = make_optimizer(lars, model, 0.1);
  for (const auto& param : optimizer->params()) {
    EXPECT_NE(param.name.rfind("target.", 0), 0u) << param.name;
    EXPECT_EQ(param.adapt, param.tensor.ndim() > 1) << param.name;
    EXPECT_EQ(param.decay, param.tensor.ndim() > 1) << param.name;
  }
}

TEST(Byol, StepTrainsTheOnlineNetworkOnlyAndTheTargetFollows) {
  manual_seed(2);
  Byol model(tiny_byol());
  model.train();
  const Tensor v1 = uniform({4, 1, 8, 8}, 0, 1, DType::f32, 3), v2 = uniform({4, 1, 8, 8}, 0, 1, DType::f32, 4);
  const ByolStep step = byol_step(model, v1, v2, 0.99);
  EXPECT_GT(step.loss.item(), 0.0);
  EXPECT_LE(step.loss.item(), 8.0);
  backward(step.loss);
  for (const auto& [name, parameter] : model.named_parameters()) {
    const bool target = name.rfind("target.", 0) == 0;
    EXPECT_EQ(parameter.grad().defined(), !target) << name;
  }
  // One SGD-like move of the online encoder; the target moves a quarter of the way.
  Tensor online = model.encoder().named_parameters().front().second;
  const Tensor target_before = model.state_dict().at("target.encoder.conv1.weight").clone();
  {
    NoGradGuard no_grad;
    online.add_(online.grad(), -1.0);
  }
  model.update_target(0.75);
  const Tensor expected = target_before * 0.75 + online * 0.25;
  EXPECT_TRUE(all_close(model.state_dict().at("target.encoder.conv1.weight"), expected, 1e-6, 1e-6));
}

}  // namespace
}  // namespace nanossl::ssl
