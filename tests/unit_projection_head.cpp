// ssl/projection_head: output shapes for 2 and 3 layers, the Sequential-style names
// (no Linear biases, no bias on the last BatchNorm), train/eval behaviour, the state
// dict round trip, gradient flow, and constructor and input errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/ops.h"
#include "nn/layers.h"
#include "ssl/projection_head.h"
#include "tensor/random.h"
#include "test_util.h"

namespace nanossl::ssl {
namespace {

using nanossl::testing::all_close;
using nanossl::testing::expect_error;

std::vector<std::string> names(const nn::NamedTensors& tensors) {
  std::vector<std::string> out;
  for (const auto& entry : tensors) out.push_back(entry.first);
  return out;
}

TEST(ProjectionHead, OutputShapes) {
  manual_seed(1);
  const Tensor h = Tensor::randn({6, 32});
  EXPECT_EQ(ProjectionHead(32, 32)(h).shape(), (Shape{6, 128}));  // out_dim defaults to 128
  EXPECT_EQ(ProjectionHead(32, 16, 8, 2)(h).shape(), (Shape{6, 8}));
  EXPECT_EQ(ProjectionHead(32, 16, 8, 3)(h).shape(), (Shape{6, 8}));
  ProjectionHead three(32, 64, 10, 3);
  EXPECT_EQ(three.num_layers, 3);
  ASSERT_EQ(three.linears.size(), 3u);
  EXPECT_EQ(three.linears[0]->weight.shape(), (Shape{64, 32}));
  EXPECT_EQ(three.linears[1]->weight.shape(), (Shape{64, 64}));
  EXPECT_EQ(three.linears[2]->weight.shape(), (Shape{10, 64}));
  EXPECT_EQ(three(h).dtype(), DType::f32);
}

TEST(ProjectionHead, NamesFollowTorchSequential) {
  ProjectionHead two(8, 6, 4, 2);
  EXPECT_EQ(names(two.named_parameters()),
            (std::vector<std::string>{"0.weight", "1.weight", "1.bias", "3.weight", "4.weight"}));
  EXPECT_EQ(names(two.named_state()),
            (std::vector<std::string>{"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                      "1.num_batches_tracked", "3.weight", "4.weight", "4.running_mean",
                                      "4.running_var", "4.num_batches_tracked"}));
  ProjectionHead three(8, 6, 4, 3);
  EXPECT_EQ(names(three.named_parameters()),
            (std::vector<std::string>{"0.weight", "1.weight", "1.bias", "3.weight", "4.weight", "4.bias",
                                      "6.weight", "7.weight"}));
  EXPECT_EQ(three.children().size(), 8u);  // Linear BN ReLU Linear BN ReLU Linear BN
  for (const auto& linear : three.linears) EXPECT_FALSE(linear->bias.defined());
  EXPECT_TRUE(three.norms[0]->bias.defined());
  EXPECT_TRUE(three.norms[1]->bias.defined());
  EXPECT_FALSE(three.norms[2]->bias.defined());
  // Mounted in a bigger model, the names gain its prefix, as torch's would.
  nn::Sequential model{std::make_shared<nn::Identity>(), std::make_shared<ProjectionHead>(8, 6, 4, 2)};
  EXPECT_EQ(names(model.named_parameters()).back(), "1.4.weight");
}

TEST(ProjectionHead, TrainNormalisesEvalUsesRunningStatistics) {
  manual_seed(2);
  ProjectionHead head(12, 12, 5, 2);
  const Tensor h = Tensor::randn({16, 12}) * 3.0 + 1.0;
  const Tensor z = head(h);
  // The last BN has gamma 1 and no beta: every output column has mean 0, variance 1.
  EXPECT_TRUE(all_close(mean(z, {0}), Tensor::zeros({5}), 1e-5, 0));
  EXPECT_TRUE(all_close(mean(z * z, {0}), Tensor::ones({5}), 1e-3, 0));
  for (const auto& norm : head.norms) EXPECT_EQ(norm->num_batches_tracked.item(), 1.0);
  const Tensor running = head.norms[1]->running_mean.clone();

  head.eval();
  for (const auto& entry : head.children()) EXPECT_FALSE(entry.second->is_training());
  const Tensor z_eval = head(h);
  EXPECT_FALSE(all_close(z_eval, z, 1e-3, 0));  // running statistics differ from the batch's
  EXPECT_TRUE(all_close(head(h), z_eval, 0, 0));  // and eval is deterministic
  EXPECT_TRUE(all_close(head.norms[1]->running_mean, running, 0, 0));
  EXPECT_EQ(head.norms[0]->num_batches_tracked.item(), 1.0);
  EXPECT_EQ(head(Tensor::randn({1, 12})).shape(), (Shape{1, 5}));  // one row is fine in eval
  head.train();
  expect_error([&] { head(Tensor::randn({1, 12})); }, {"[batch_norm]", "more than 1 value"});
}

TEST(ProjectionHead, StateDictRoundTrip) {
  manual_seed(3);
  ProjectionHead a(10, 10, 4, 3);
  manual_seed(4);
  ProjectionHead b(10, 10, 4, 3);
  a(Tensor::randn({8, 10}));  // running statistics move off their defaults
  const auto state = a.state_dict();
  EXPECT_EQ(state.count("7.bias"), 0u);
  EXPECT_EQ(state.count("6.bias"), 0u);
  b.load_state_dict(state);
  for (const auto& [name, t] : b.state_dict()) EXPECT_TRUE(all_close(t, state.at(name), 0, 0)) << name;
  a.eval();
  b.eval();
  const Tensor h = Tensor::randn({3, 10});
  EXPECT_TRUE(all_close(b(h), a(h), 0, 0));
  // A state dict with a bias for the last BN is rejected by name.
  auto with_bias = state;
  with_bias["7.bias"] = Tensor::zeros({4});
  expect_error([&] { b.load_state_dict(with_bias); }, {"[load_state_dict]", "unexpected keys: 7.bias"});
}

TEST(ProjectionHead, GradientReachesEveryParameter) {
  manual_seed(5);
  ProjectionHead head(6, 7, 3, 3);
  Tensor h = Tensor::randn({5, 6});
  h.set_requires_grad();
  // Weighted sum: a plain sum of a mean-free BN output would have zero gradient.
  const Tensor weights = Tensor::randn({5, 3});
  backward(sum(head(h) * weights));
  EXPECT_TRUE(h.grad().defined());
  for (const auto& [name, p] : head.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(max(p.grad() * p.grad()).item(), 0.0) << name;
  }
}

TEST(ProjectionHead, Errors) {
  expect_error([] { ProjectionHead(8, 8, 4, 1); }, {"[ProjectionHead]", "layers", "2 or 3", "1"});
  expect_error([] { ProjectionHead(8, 8, 4, 4); }, {"[ProjectionHead]", "layers", "4"});
  expect_error([] { ProjectionHead(0, 8); }, {"[ProjectionHead]", "in_dim", "0"});
  expect_error([] { ProjectionHead(8, -1); }, {"[ProjectionHead]", "hidden_dim", "-1"});
  expect_error([] { ProjectionHead(8, 8, 0); }, {"[ProjectionHead]", "out_dim"});
  ProjectionHead head(8, 8, 4);
  expect_error([&] { head(Tensor::randn({4, 9})); }, {"[ProjectionHead]", "(N,8)", "4x9"});
  expect_error([&] { head(Tensor::randn({4, 8, 1, 1})); }, {"[ProjectionHead]", "4x8x1x1"});
  expect_error([&] { head(Tensor()); }, {"[ProjectionHead]", "undefined"});
}

}  // namespace
}  // namespace nanossl::ssl
