// nn/: output shapes of every layer and of ResNet-10/18/34/50 with both stems,
// train/eval behaviour of BatchNorm, state dicts, device moves, parameter counts
// against torchvision's, gradient flow, and the initialisers.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "autograd/ops.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/resnet.h"
#include "tensor/random.h"
#include "test_util.h"

namespace nanossl::nn {
namespace {

using nanossl::testing::all_close;
using nanossl::testing::expect_error;

std::int64_t count_parameters(const Module& m) {
  std::int64_t n = 0;
  for (const Tensor& p : m.parameters()) n += p.numel();
  return n;
}

ResNetConfig small_config(int depth, ResNetStem stem, std::int64_t num_classes) {
  ResNetConfig config;
  config.depth = depth;
  config.stem = stem;
  config.width_multiplier = 4;
  config.num_classes = num_classes;
  return config;
}

TEST(Layers, OutputShapes) {
  manual_seed(1);
  const Tensor x = Tensor::randn({2, 3, 8, 8});
  EXPECT_EQ(Conv2d(3, 5, 3, {1, 1, 1})(x).shape(), (Shape{2, 5, 8, 8}));
  EXPECT_EQ(Conv2d(3, 5, 3, {2, 1, 1}, false)(x).shape(), (Shape{2, 5, 4, 4}));
  EXPECT_EQ(BatchNorm2d(3)(x).shape(), x.shape());
  EXPECT_EQ(ReLU()(x).shape(), x.shape());
  EXPECT_EQ(MaxPool2d(3, 2, 1)(x).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(AdaptiveAvgPool2d(1)(x).shape(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(Flatten()(x).shape(), (Shape{2, 192}));
  EXPECT_TRUE(Identity()(x).same(x));
  const Tensor v = Tensor::randn({4, 6});
  EXPECT_EQ(Linear(6, 3)(v).shape(), (Shape{4, 3}));
  EXPECT_EQ(BatchNorm1d(6)(v).shape(), v.shape());
  Sequential seq{std::make_shared<Conv2d>(3, 4, 1), std::make_shared<ReLU>(), std::make_shared<AdaptiveAvgPool2d>(),
                 std::make_shared<Flatten>(), std::make_shared<Linear>(4, 2)};
  EXPECT_EQ(seq(x).shape(), (Shape{2, 2}));
  EXPECT_EQ(seq.size(), 5u);
}

TEST(Layers, NamesAndShapesOfTensors) {
  Sequential seq{std::make_shared<Conv2d>(3, 4, 3), std::make_shared<BatchNorm2d>(4), std::make_shared<Linear>(4, 2, false)};
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const auto& [name, t] : seq.named_state()) {
    names.push_back(name);
    shapes.push_back(t.shape());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                             "1.running_var", "1.num_batches_tracked", "2.weight"}));
  EXPECT_EQ(shapes[0], (Shape{4, 3, 3, 3}));
  EXPECT_EQ(shapes[6], Shape{});
  EXPECT_EQ(seq.named_parameters().size(), 5u);
  EXPECT_EQ(seq.named_buffers().size(), 3u);
  for (const Tensor& p : seq.parameters()) EXPECT_TRUE(p.requires_grad());
  for (const auto& entry : seq.named_buffers()) EXPECT_FALSE(entry.second.requires_grad());
}

TEST(Layers, ErrorsNameTheLayer) {
  expect_error([] { Conv2d(0, 4, 3); }, {"[Conv2d]", "in_channels"});
  expect_error([] { AdaptiveAvgPool2d(2); }, {"[AdaptiveAvgPool2d]", "2"});
  expect_error([] { BatchNorm2d(3)(Tensor::randn({4, 3})); }, {"[BatchNorm2d]", "4x3"});
  expect_error([] { BatchNorm1d(3)(Tensor::randn({4, 3, 2, 2})); }, {"[BatchNorm1d]", "4x3x2x2"});
  expect_error([] { Sequential().push_back(nullptr); }, {"[Sequential]"});
  expect_error([] { Sequential s; s.push_back(std::make_shared<ReLU>()); (void)s[1]; }, {"[Sequential]", "index 1"});
}

TEST(Layers, LinearAndConvDefaultInitBounds) {
  manual_seed(2);
  Linear fc(50, 7);
  const double bound = 1.0 / std::sqrt(50.0);
  for (const Tensor* t : {&fc.weight, &fc.bias}) {
    for (float v : t->to_vector<float>()) {
      EXPECT_LE(std::fabs(v), bound);
    }
  }
  Conv2d conv(4, 6, 3);  // fan_in 36
  for (float v : conv.weight.to_vector<float>()) EXPECT_LE(std::fabs(v), 1.0 / 6.0);
  for (float v : conv.bias.to_vector<float>()) EXPECT_LE(std::fabs(v), 1.0 / 6.0);
}

TEST(Layers, BatchNormTrainUsesBatchStatisticsAndUpdatesRunning) {
  manual_seed(3);
  BatchNorm2d bn(3);
  const Tensor x = Tensor::randn({8, 3, 4, 4}) * 2.0 + 5.0;
  const Tensor y = bn(x);
  // Batch-normalised: each channel has mean ~0 and biased variance ~1.
  const Tensor mean_c = mean(y, {0, 2, 3});
  EXPECT_TRUE(all_close(mean_c, Tensor::zeros({3}), 1e-5, 0));
  const Tensor var_c = mean(y * y, {0, 2, 3});
  EXPECT_TRUE(all_close(var_c, Tensor::ones({3}), 1e-3, 0));
  // running_mean moved 10% of the way from 0 to the batch mean.
  const Tensor batch_mean = mean(x, {0, 2, 3});
  EXPECT_TRUE(all_close(bn.running_mean, batch_mean * 0.1, 1e-5, 1e-5));
  EXPECT_EQ(bn.num_batches_tracked.item(), 1.0);
  bn(x);
  EXPECT_EQ(bn.num_batches_tracked.item(), 2.0);

  // Eval: uses the running statistics, leaves them and the count alone.
  bn.eval();
  EXPECT_FALSE(bn.is_training());
  const Tensor running_before = bn.running_mean.clone();
  const Tensor z = bn(x);
  EXPECT_TRUE(all_close(bn.running_mean, running_before, 0, 0));
  EXPECT_EQ(bn.num_batches_tracked.item(), 2.0);
  const Tensor expected = (x - reshape(bn.running_mean, {1, 3, 1, 1})) /
                          sqrt(reshape(bn.running_var, {1, 3, 1, 1}) + 1e-5);
  EXPECT_TRUE(all_close(z, expected, 1e-4, 1e-4));
}

TEST(Layers, BatchNormWithoutLearnedBias) {
  // learn_bias = false: no "bias" parameter (beta fixed at 0), everything else as usual.
  manual_seed(7);
  BatchNorm1d bn(4, 0.1, 1e-5, /*learn_bias=*/false);
  EXPECT_FALSE(bn.bias.defined());
  std::vector<std::string> names;
  for (const auto& entry : bn.named_state()) names.push_back(entry.first);
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(bn.parameters().size(), 1u);
  EXPECT_EQ(BatchNorm2d(3, 0.1, 1e-5, false).named_parameters().size(), 1u);
  EXPECT_EQ(BatchNorm1d(3).named_parameters().size(), 2u);  // the default keeps it

  // Same output and gradients as an affine BN whose bias is held at zero.
  BatchNorm1d with_bias(4);
  bn.weight.fill_(1.5);
  with_bias.weight.fill_(1.5);
  Tensor x = Tensor::randn({6, 4}) * 2.0 + 1.0;
  x.set_requires_grad();
  Tensor x2 = x.detach().clone();
  x2.set_requires_grad();
  const Tensor weights = Tensor::randn({6, 4});
  const Tensor y = bn(x), y2 = with_bias(x2);
  EXPECT_TRUE(all_close(mean(y, {0}), Tensor::zeros({4}), 1e-5, 0));
  EXPECT_TRUE(all_close(y, y2, 1e-6, 1e-6));
  backward(sum(y * weights));
  backward(sum(y2 * weights));
  EXPECT_TRUE(all_close(x.grad(), x2.grad(), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(bn.weight.grad(), with_bias.weight.grad(), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(bn.running_mean, with_bias.running_mean, 0, 0));
  EXPECT_EQ(bn.num_batches_tracked.item(), 1.0);

  // Eval uses the running statistics and no shift.
  bn.eval();
  const Tensor expected = (x.detach() - reshape(bn.running_mean, {1, 4})) / sqrt(reshape(bn.running_var, {1, 4}) + 1e-5) * 1.5;
  EXPECT_TRUE(all_close(bn(x.detach()), expected, 1e-5, 1e-5));

  // A state dict round trip has no bias key, and one with a bias is rejected by name.
  BatchNorm1d other(4, 0.1, 1e-5, false);
  other.load_state_dict(bn.state_dict());
  EXPECT_TRUE(all_close(other.weight, bn.weight, 0, 0));
  auto state = bn.state_dict();
  state["bias"] = Tensor::zeros({4});
  expect_error([&] { other.load_state_dict(state); }, {"unexpected keys: bias"});
}

TEST(Module, TrainEvalIsRecursive) {
  auto model = make_resnet(small_config(18, ResNetStem::cifar, 10));
  model->eval();
  std::function<void(const Module&)> check = [&](const Module& m) {
    EXPECT_FALSE(m.is_training());
    for (const auto& entry : m.children()) check(*entry.second);
  };
  check(*model);
  model->train();
  EXPECT_TRUE(model->children().front().second->is_training());
}

TEST(Module, StateDictRoundTrip) {
  manual_seed(4);
  auto a = make_resnet(small_config(18, ResNetStem::cifar, 10));
  manual_seed(5);
  auto b = make_resnet(small_config(18, ResNetStem::cifar, 10));
  a->train();
  a->forward(Tensor::randn({4, 3, 8, 8}));  // running stats and counts move off their defaults
  EXPECT_FALSE(all_close(a->state_dict().at("conv1.weight"), b->state_dict().at("conv1.weight"), 0, 0));
  b->load_state_dict(a->state_dict());
  const auto sa = a->state_dict(), sb = b->state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (const auto& [name, t] : sa) {
    EXPECT_TRUE(all_close(sb.at(name), t, 0, 0)) << name;
    EXPECT_FALSE(sb.at(name).same(t)) << name << " must be copied, not shared";
  }
  a->eval();
  b->eval();
  const Tensor x = Tensor::randn({2, 3, 8, 8});
  EXPECT_TRUE(all_close(b->forward(x), a->forward(x), 0, 0));
  // The loaded batch count continues from the loaded value.
  EXPECT_EQ(sb.at("bn1.num_batches_tracked").item(), 1.0);
  b->train();
  b->forward(Tensor::randn({4, 3, 8, 8}));
  EXPECT_EQ(sb.at("bn1.num_batches_tracked").item(), 2.0);
}

TEST(Module, LoadStateDictNamesEveryBadKey) {
  Sequential seq{std::make_shared<Linear>(3, 2), std::make_shared<BatchNorm1d>(2)};
  auto state = seq.state_dict();
  state.erase("1.running_var");
  state["0.extra"] = Tensor::zeros({1});
  state["0.weight"] = Tensor::zeros({3, 2});
  const Tensor bias_before = seq.state_dict().at("0.bias").clone();
  state["0.bias"] = Tensor::full({2}, 7.0);
  expect_error([&] { seq.load_state_dict(state); },
               {"[load_state_dict]", "missing keys: 1.running_var", "unexpected keys: 0.extra",
                "mis-shaped keys: 0.weight (expected 2x3, got 3x2)"});
  // Nothing was copied by the failed load.
  EXPECT_TRUE(all_close(seq.state_dict().at("0.bias"), bias_before, 0, 0));
  // Non-strict: missing and unexpected keys are allowed, shapes are still checked.
  expect_error([&] { seq.load_state_dict(state, false); }, {"mis-shaped keys: 0.weight"});
  state["0.weight"] = Tensor::ones({2, 3});
  seq.load_state_dict(state, false);
  EXPECT_TRUE(all_close(seq.state_dict().at("0.weight"), Tensor::ones({2, 3}), 0, 0));
  EXPECT_TRUE(all_close(seq.state_dict().at("0.bias"), Tensor::full({2}, 7.0), 0, 0));
}

TEST(Module, LoadStateDictConvertsDtype) {
  Linear fc(3, 2);
  auto state = fc.state_dict();
  state["weight"] = Tensor::full({2, 3}, 0.5, DType::f64);
  fc.load_state_dict(state);
  EXPECT_EQ(fc.weight.dtype(), DType::f32);
  EXPECT_TRUE(all_close(fc.weight, Tensor::full({2, 3}, 0.5), 0, 0));
}

TEST(Module, ToKeepsValuesAndHandles) {
  manual_seed(6);
  auto model = make_resnet(small_config(18, ResNetStem::cifar, 10));
  const std::vector<Tensor> handles = model->parameters();
  const Tensor first_value = handles.front().clone();
  model->to(Device::cpu());
  const std::vector<Tensor> after = model->parameters();
  ASSERT_EQ(handles.size(), after.size());
  for (std::size_t i = 0; i < handles.size(); ++i) EXPECT_TRUE(handles[i].same(after[i]));
  EXPECT_TRUE(all_close(handles.front(), first_value, 0, 0));
  EXPECT_TRUE(handles.front().requires_grad());
}

TEST(Module, ZeroGradDropsGradients) {
  Linear fc(3, 2);
  backward(sum(fc(Tensor::randn({4, 3}))));
  EXPECT_TRUE(fc.weight.grad().defined());
  fc.zero_grad();
  EXPECT_FALSE(fc.weight.grad().defined());
  EXPECT_FALSE(fc.bias.grad().defined());
}

TEST(ResNet, OutputShapesForEveryDepthAndStem) {
  manual_seed(7);
  for (int depth : {10, 18, 34, 50}) {
    const std::int64_t expansion = depth == 50 ? 4 : 1;
    for (ResNetStem stem : {ResNetStem::cifar, ResNetStem::imagenet}) {
      auto model = make_resnet(small_config(depth, stem, 10));
      const std::int64_t side = stem == ResNetStem::cifar ? 8 : 32;
      const Tensor x = Tensor::randn({2, 3, side, side});
      EXPECT_EQ(model->feature_dim(), 4 * 8 * expansion);
      EXPECT_EQ(model->forward(x).shape(), (Shape{2, 10})) << depth << " " << to_string(stem);
      EXPECT_EQ(model->features(x).shape(), (Shape{2, model->feature_dim()}));
    }
  }
}

TEST(ResNet, EncoderWithoutClassifierOnGreyInput) {
  ResNetConfig config = small_config(18, ResNetStem::cifar, 0);
  config.in_channels = 1;
  config.width_multiplier = 16;
  auto model = make_resnet(config);
  EXPECT_EQ(model->feature_dim(), 128);
  EXPECT_EQ(model->forward(Tensor::randn({3, 1, 8, 8})).shape(), (Shape{3, 128}));
  for (const auto& entry : model->named_parameters()) EXPECT_NE(entry.first.rfind("fc.", 0), 0u) << entry.first;
  EXPECT_EQ(model->state_dict().at("conv1.weight").shape(), (Shape{16, 1, 3, 3}));
  expect_error([&] { model->forward(Tensor::randn({3, 3, 8, 8})); }, {"[resnet]", "(N,1,H,W)", "3x3x8x8"});
}

TEST(ResNet, ConfigErrors) {
  ResNetConfig config;
  config.depth = 101;
  expect_error([&] { make_resnet(config); }, {"[resnet]", "101"});
  config.depth = 18;
  config.in_channels = 2;
  expect_error([&] { make_resnet(config); }, {"[resnet]", "in_channels"});
  expect_error([] { parse_resnet_stem("tiny"); }, {"[resnet]", "tiny"});
  EXPECT_EQ(parse_resnet_stem("cifar"), ResNetStem::cifar);
}

TEST(ResNet, ParameterCountsMatchTorchvision) {
  ResNetConfig config;  // imagenet stem, 1000 classes, width 64
  EXPECT_EQ(count_parameters(*make_resnet(config)), 11689512);
  config.depth = 34;
  EXPECT_EQ(count_parameters(*make_resnet(config)), 21797672);
  config.depth = 50;
  EXPECT_EQ(count_parameters(*make_resnet(config)), 25557032);
  // ResNet-10 is torchvision's ResNet(BasicBlock, [1, 1, 1, 1]).
  config.depth = 10;
  EXPECT_EQ(count_parameters(*make_resnet(config)), 5418792);
  ResNetConfig cifar;
  cifar.stem = ResNetStem::cifar;
  cifar.num_classes = 10;
  EXPECT_EQ(count_parameters(*make_resnet(cifar)), 11173962);
  cifar.depth = 10;
  EXPECT_EQ(count_parameters(*make_resnet(cifar)), 4903242);
}

TEST(ResNet, GradientReachesEveryParameter) {
  manual_seed(8);
  for (int depth : {10, 18, 50}) {
    auto model = make_resnet(small_config(depth, ResNetStem::cifar, 5));
    const Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{0, 3, 4, 1}, {4});
    backward(cross_entropy(model->forward(Tensor::randn({4, 3, 8, 8})), labels));
    for (const auto& [name, p] : model->named_parameters()) {
      ASSERT_TRUE(p.grad().defined()) << name;
      EXPECT_EQ(p.grad().shape(), p.shape()) << name;
      double norm = 0;
      for (float g : p.grad().to_vector<float>()) norm += std::fabs(g);
      EXPECT_GT(norm, 0.0) << name;
    }
  }
}

TEST(ResNet, ZeroInitResidualZeroesLastBnGammas) {
  for (int depth : {18, 50}) {
    ResNetConfig config = small_config(depth, ResNetStem::cifar, 10);
    config.zero_init_residual = true;
    const auto state = make_resnet(config)->state_dict();
    const std::string last = depth == 50 ? ".bn3.weight" : ".bn2.weight";
    int zeroed = 0;
    for (const auto& [name, t] : state) {
      const bool is_last = name.size() > last.size() && name.compare(name.size() - last.size(), last.size(), last) == 0;
      const bool is_bn_weight = name.find("bn") != std::string::npos && name.ends_with(".weight");
      if (is_last) {
        EXPECT_TRUE(all_close(t, Tensor::zeros(t.shape()), 0, 0)) << name;
        ++zeroed;
      } else if (is_bn_weight) {
        EXPECT_TRUE(all_close(t, Tensor::ones(t.shape()), 0, 0)) << name;
      }
    }
    EXPECT_EQ(zeroed, depth == 50 ? 16 : 8);
  }
}

TEST(ResNet, TorchvisionInitialisation) {
  manual_seed(9);
  ResNetConfig config = small_config(18, ResNetStem::imagenet, 10);
  config.width_multiplier = 32;
  const auto state = make_resnet(config)->state_dict();
  // kaiming_normal_ fan_out: std = sqrt(2 / (K*R*S)); layer4 conv: K=256, 3x3.
  const std::vector<float> w = state.at("layer4.0.conv2.weight").to_vector<float>();
  double sum_sq = 0;
  for (float v : w) sum_sq += static_cast<double>(v) * v;
  const double std_expected = std::sqrt(2.0 / (256 * 9));
  EXPECT_NEAR(std::sqrt(sum_sq / w.size()), std_expected, 0.02 * std_expected);
  EXPECT_TRUE(all_close(state.at("layer1.0.bn1.bias"), Tensor::zeros({32}), 0, 0));
  EXPECT_TRUE(all_close(state.at("layer1.0.bn1.running_var"), Tensor::ones({32}), 0, 0));
  for (float v : state.at("fc.weight").to_vector<float>()) EXPECT_LE(std::fabs(v), 1.0 / std::sqrt(256.0));
}

TEST(ResNet, SameSeedSameModel) {
  manual_seed(10);
  const auto a = make_resnet(small_config(18, ResNetStem::cifar, 10))->state_dict();
  manual_seed(10);
  const auto b = make_resnet(small_config(18, ResNetStem::cifar, 10))->state_dict();
  for (const auto& [name, t] : a) EXPECT_TRUE(all_close(b.at(name), t, 0, 0)) << name;
}

TEST(Init, FansAndErrors) {
  EXPECT_EQ(init::fans(Tensor::empty({8, 4, 3, 3})), (std::pair<std::int64_t, std::int64_t>{36, 72}));
  EXPECT_EQ(init::fans(Tensor::empty({5, 7})), (std::pair<std::int64_t, std::int64_t>{7, 5}));
  expect_error([] { init::fans(Tensor::empty({5})); }, {"[init]", "f32[5]"});
  expect_error([] { Tensor t = Tensor::zeros({2, 2}, DType::i64); init::uniform_(t, 0, 1); }, {"[uniform_]"});
  Tensor t = Tensor::empty({1000}, DType::f64);
  init::uniform_(t, 2.0, 3.0);
  for (double v : t.to_vector<double>()) {
    EXPECT_GE(v, 2.0);
    EXPECT_LT(v, 3.0);
  }
}

}  // namespace
}  // namespace nanossl::nn
