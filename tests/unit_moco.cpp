// ssl/moco.h, ssl/info_nce.h, ssl/key_queue.h: InfoNCE against a naive double
// reference written here with plain loops, its gradient by finite differences in
// double; the queue's enqueue and wrap-around against hand-computed rows; the MoCo
// model's names, its momentum network (no gradient, no optimizer state, EMA by
// hand), the step and the encoder that evaluation reads from its checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "commands/builders.h"
#include "nn/checkpoint.h"
#include "ssl/info_nce.h"
#include "ssl/key_queue.h"
#include "ssl/moco.h"
#include "ssl/simclr.h"
#include "tensor/random.h"
#include "test_util.h"

namespace nanossl::ssl {
namespace {

using nanossl::testing::all_close;
using nanossl::testing::expect_error;
using nanossl::testing::uniform;

using Rows = std::vector<double>;  // row-major

// InfoNCE by its definition: u = q/|q|, v = k/|k|; s_b0 = u_b.v_b / tau and
// s_bj = u_b.queue_j / tau (j = 1..K); loss = mean_b (log sum_j exp(s_bj) - s_b0).
double naive_info_nce(const Rows& q, const Rows& k, const Rows& queue, std::int64_t B, std::int64_t D,
                      std::int64_t K, double tau) {
  auto unit = [D](const double* row, std::vector<double>& out) {
    double squares = 0.0;
    for (std::int64_t d = 0; d < D; ++d) squares += row[d] * row[d];
    out.resize(static_cast<std::size_t>(D));
    for (std::int64_t d = 0; d < D; ++d) out[d] = row[d] / std::sqrt(squares);
  };
  double loss = 0.0;
  std::vector<double> u, v;
  for (std::int64_t b = 0; b < B; ++b) {
    unit(&q[b * D], u);
    unit(&k[b * D], v);
    std::vector<double> s(static_cast<std::size_t>(K + 1), 0.0);
    for (std::int64_t d = 0; d < D; ++d) s[0] += u[d] * v[d] / tau;
    for (std::int64_t j = 0; j < K; ++j) {
      for (std::int64_t d = 0; d < D; ++d) s[j + 1] += u[d] * queue[j * D + d] / tau;
    }
    double total = 0.0;
    for (double value : s) total += std::exp(value);
    loss += (std::log(total) - s[0]) / static_cast<double>(B);
  }
  return loss;
}

Rows host(const Tensor& t) { return t.to(DType::f64).to_vector<double>(); }

TEST(InfoNce, MatchesNaiveReference) {
  std::uint64_t seed = 100;
  for (DType dtype : {DType::f64, DType::f32}) {
    const double tolerance = dtype == DType::f64 ? 1e-12 : 1e-5;
    for (std::int64_t B : {1, 3, 8}) {
      for (std::int64_t K : {1, 5, 32}) {
        for (double tau : {0.07, 0.2, 1.0}) {
          const std::int64_t D = 6;
          const Tensor q = uniform({B, D}, -1, 1, dtype, ++seed), k = uniform({B, D}, -1, 1, dtype, ++seed);
          const Tensor queue = l2_normalize(uniform({K, D}, -1, 1, dtype, ++seed));
          const double expected = naive_info_nce(host(q), host(k), host(queue), B, D, K, tau);
          EXPECT_NEAR(info_nce(q, k, queue, tau).item(), expected, tolerance * (1 + std::fabs(expected)))
              << "B " << B << " K " << K << " tau " << tau << " " << dtype_name(dtype);
        }
      }
    }
  }
}

TEST(InfoNce, GradientMatchesFiniteDifferences) {
  // Queries, keys and queue all require a gradient here (in MoCo only the queries
  // do), so every path through the composed ops is checked.
  for (double tau : {0.1, 0.5}) {
    const Tensor q = nanossl::testing::uniform_leaf({3, 4}, -1, 1, 1);
    const Tensor k = nanossl::testing::uniform_leaf({3, 4}, -1, 1, 2);
    const Tensor queue = nanossl::testing::uniform_leaf({5, 4}, -1, 1, 3);
    const GradcheckResult result = gradcheck(
        [tau](const std::vector<Tensor>& in) { return info_nce(in[0], in[1], in[2], tau); }, {q, k, queue});
    EXPECT_TRUE(result.ok) << result.message;
    EXPECT_EQ(result.checked, 3 * 4 + 3 * 4 + 5 * 4);
  }
}

TEST(InfoNce, HandMadeCases) {
  // Positive cosine 1 and K orthogonal negatives (cosine 0): loss = log(1 + K e^{-1/tau}).
  const double tau = 0.2;
  const Tensor q = Tensor::from_vector(Rows{1, 0, 0, 0, 2, 0}, {2, 3}, Device::cpu());
  const Tensor queue = Tensor::from_vector(Rows{0, 0, 1, 0, 0, -1}, {2, 3}, Device::cpu());
  EXPECT_NEAR(info_nce(q, q * 3.0, queue, tau).item(), std::log(1.0 + 2.0 * std::exp(-1.0 / tau)), 1e-12);
  EXPECT_DOUBLE_EQ(info_nce_top1(q, q, queue), 100.0);
  // A key opposite its query loses to every negative.
  EXPECT_DOUBLE_EQ(info_nce_top1(q, q * -1.0, queue), 0.0);
  // Only the queries get a gradient when keys and queue need none.
  Tensor leaf = q.clone();
  leaf.set_requires_grad();
  backward(info_nce(leaf, q, queue, tau));
  EXPECT_TRUE(leaf.grad().defined());
}

TEST(InfoNce, ErrorsNameTheOp) {
  const Tensor q = Tensor::randn({4, 3}), queue = Tensor::randn({6, 3});
  expect_error([&] { info_nce(Tensor(), q, queue, 0.2); }, {"[info_nce]", "undefined"});
  expect_error([&] { info_nce(q, Tensor::randn({5, 3}), queue, 0.2); }, {"[info_nce]", "4x3", "5x3"});
  expect_error([&] { info_nce(q, q, Tensor::randn({6, 2}), 0.2); }, {"[info_nce]", "width 2"});
  expect_error([&] { info_nce(q, q.to(DType::f64), queue, 0.2); }, {"[info_nce]", "dtype"});
  expect_error([&] { info_nce(q, q, queue, 0.0); }, {"[info_nce]", "temperature"});
  expect_error([&] { info_nce(Tensor::randn({4}), Tensor::randn({4}), queue, 0.2); }, {"[info_nce]", "2-D"});
}

// A queue of K = 5 rows of width 2 whose row r is (r, -r), pointer 0.
std::shared_ptr<KeyQueue> numbered_queue() {
  auto queue = std::make_shared<KeyQueue>(5, 2);
  Tensor keys = queue->keys();
  keys.copy_(Tensor::from_vector(std::vector<float>{0, 0, 1, -1, 2, -2, 3, -3, 4, -4}, {5, 2}, Device::cpu()));
  return queue;
}

std::vector<float> rows_of(const KeyQueue& queue) { return queue.keys().to_vector<float>(); }

TEST(KeyQueue, EnqueuesInOrderAndWrapsAround) {
  const auto owner = numbered_queue();
  KeyQueue& queue = *owner;
  EXPECT_EQ(queue.pointer(), 0);
  queue.enqueue(Tensor::from_vector(std::vector<float>{10, 11, 20, 21, 30, 31}, {3, 2}, Device::cpu()));
  EXPECT_EQ(rows_of(queue), (std::vector<float>{10, 11, 20, 21, 30, 31, 3, -3, 4, -4}));
  EXPECT_EQ(queue.pointer(), 3);
  // 3 more rows: two fill rows 3 and 4, the third wraps to row 0 (the oldest).
  queue.enqueue(Tensor::from_vector(std::vector<float>{40, 41, 50, 51, 60, 61}, {3, 2}, Device::cpu()));
  EXPECT_EQ(rows_of(queue), (std::vector<float>{60, 61, 20, 21, 30, 31, 40, 41, 50, 51}));
  EXPECT_EQ(queue.pointer(), 1);
  // A whole queue's worth from pointer 1: every row replaced, pointer back at 1.
  queue.enqueue(Tensor::from_vector(std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, {5, 2}, Device::cpu()));
  EXPECT_EQ(rows_of(queue), (std::vector<float>{5, 5, 1, 1, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(queue.pointer(), 1);
  EXPECT_EQ(queue.state_dict().at("pointer").item(), 1.0);
}

TEST(KeyQueue, StateDictRestoresKeysAndPointer) {
  const auto owner = numbered_queue();
  KeyQueue& queue = *owner;
  queue.enqueue(Tensor::from_vector(std::vector<float>{7, 7, 8, 8}, {2, 2}, Device::cpu()));
  KeyQueue restored(5, 2);
  restored.load_state_dict(queue.state_dict());
  EXPECT_EQ(restored.pointer(), 2);
  EXPECT_EQ(rows_of(restored), rows_of(queue));
  restored.enqueue(Tensor::from_vector(std::vector<float>{9, 9}, {1, 2}, Device::cpu()));
  EXPECT_EQ(rows_of(restored)[4], 9.0f);  // row 2
}

TEST(KeyQueue, StartsWithUnitKeysAndRefusesBadInput) {
  manual_seed(3);
  KeyQueue queue(16, 8);
  const std::vector<float> norms = sum(queue.keys() * queue.keys(), {1}).to_vector<float>();
  for (float n : norms) EXPECT_NEAR(n, 1.0f, 1e-5f);
  expect_error([&] { queue.enqueue(Tensor::randn({17, 8})); }, {"[KeyQueue]", "B <= 16"});
  expect_error([&] { queue.enqueue(Tensor::randn({2, 7})); }, {"[KeyQueue]", "(B,8)"});
  expect_error([&] { queue.enqueue(Tensor::randn({2, 8}, DType::f64)); }, {"[KeyQueue]", "dtype"});
  expect_error([&] { KeyQueue(0, 4); }, {"[KeyQueue]", "positive"});
}

MocoConfig tiny_moco(std::int64_t queue_size = 64) {
  MocoConfig config;
  config.encoder.depth = 18;
  config.encoder.stem = nn::ResNetStem::cifar;
  config.encoder.width_multiplier = 4;
  config.encoder.in_channels = 1;
  config.projection_dim = 8;
  config.queue_size = queue_size;
  return config;
}

TEST(Moco, NamesKeepTheEncoderPrefixAndTheKeyNetworkApart) {
  manual_seed(1);
  Moco model(tiny_moco());
  const auto state = model.state_dict();
  for (const char* name : {"encoder.conv1.weight", "encoder.layer4.1.bn2.running_var", "head.0.weight", "head.0.bias",
                           "head.2.weight", "head.2.bias", "momentum.encoder.conv1.weight", "momentum.head.2.bias",
                           "queue.keys", "queue.pointer"}) {
    EXPECT_TRUE(state.count(name)) << name;
  }
  EXPECT_EQ(state.at("queue.keys").shape(), (Shape{64, 8}));
  EXPECT_EQ(state.at("head.0.weight").shape(), (Shape{32, 32}));  // hidden = the encoder's width (4 x 8)
  // The key network starts as a copy of the query network, frozen.
  EXPECT_TRUE(all_close(state.at("momentum.encoder.conv1.weight"), state.at("encoder.conv1.weight"), 0, 0));
  EXPECT_TRUE(all_close(state.at("momentum.head.2.weight"), state.at("head.2.weight"), 0, 0));
  for (const auto& [name, parameter] : model.named_parameters()) {
    EXPECT_EQ(parameter.requires_grad(), name.rfind("momentum.", 0) != 0) << name;
  }
  // The optimizer sees the query network only.
  OptimizerConfig lars{.name = "lars"};
  const auto optimizer = make_optimizer(lars, model, 0.1);
  for (const auto& param : optimizer->params()) EXPECT_NE(param.name.rfind("momentum.", 0), 0u) << param.name;
  EXPECT_EQ(optimizer->params().size(), model.named_parameters().size() / 2);
}

TEST(Moco, MomentumUpdateIsTheEmaOfTheQueryNetwork) {
  manual_seed(2);
  Moco model(tiny_moco());
  Tensor online = model.encoder().named_parameters().front().second;  // conv1.weight
  const Tensor start = online.clone();
  {
    NoGradGuard no_grad;
    online.add_(Tensor::ones(online.shape()), 1.0);  // the query encoder moves by +1
  }
  model.update_momentum(0.75);
  const Tensor key = model.state_dict().at("momentum.encoder.conv1.weight");
  EXPECT_TRUE(all_close(key, start * 0.75 + (start + 1.0) * 0.25, 1e-6, 1e-6));  // = start + 0.25
}

TEST(Moco, StepTrainsTheQueriesOnlyAndEnqueuesAfterBackward) {
  manual_seed(4);
  Moco model(tiny_moco());
  model.train();
  const Tensor v1 = uniform({4, 1, 8, 8}, 0, 1, DType::f32, 5), v2 = uniform({4, 1, 8, 8}, 0, 1, DType::f32, 6);
  const Tensor queue_before = model.queue().keys().clone();
  const MocoStep step = moco_step(model, v1, v2, 0.2, 0.99);
  EXPECT_TRUE(std::isfinite(step.loss.item()));
  EXPECT_GT(step.loss.item(), 0.0);
  EXPECT_EQ(step.keys.shape(), (Shape{8, 8}));
  EXPECT_TRUE(all_close(model.queue().keys(), queue_before, 0, 0));  // not yet
  backward(step.loss);
  for (const auto& [name, parameter] : model.named_parameters()) {
    const bool key_network = name.rfind("momentum.", 0) == 0;
    EXPECT_EQ(parameter.grad().defined(), !key_network) << name;
  }
  enqueue_keys(model, step);
  EXPECT_EQ(model.queue().pointer(), 8);
  EXPECT_TRUE(all_close(model.queue().keys().narrow0(0, 8), step.keys, 0, 0));
  EXPECT_TRUE(all_close(model.queue().keys().narrow0(8, 64), queue_before.narrow0(8, 64), 0, 0));
  // A batch whose 2N keys exceed the queue is refused before any work.
  Moco small(tiny_moco(6));
  expect_error([&] { moco_step(small, v1, v2, 0.2, 0.99); }, {"[moco_step]", "queue_size"});
}

TEST(Moco, EvaluationReadsTheQueryEncoderFromItsCheckpoint) {
  manual_seed(7);
  Moco model(tiny_moco());
  model.update_momentum(0.0);  // no change: the key network equals the query network
  Tensor key_weight = model.momentum().named_parameters().front().second;
  key_weight.add_(Tensor::ones(key_weight.shape()), 5.0);  // make the two encoders differ
  nanossl::testing::TempDir dir;
  nn::TrainingState state;
  state.step = 3;
  state.config_json = "{}";
  nn::save_checkpoint(dir.path, model.state_dict(), state);
  const PretrainedEncoder encoder = read_any_encoder(dir.path);
  const auto expected = model.encoder().state_dict();
  ASSERT_EQ(encoder.state.size(), expected.size());
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(encoder.state.count(name)) << name;
    EXPECT_TRUE(all_close(encoder.state.at(name), tensor, 0, 0)) << name;
  }
  EXPECT_EQ(read_pretrained_encoder(dir.path).state.size(), expected.size());
}

}  // namespace
}  // namespace nanossl::ssl
