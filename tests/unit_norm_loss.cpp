// Hand-checked values and error messages of batch_norm, l2_normalize, log_softmax,
// cross_entropy, matmul and linear on the CPU: batch statistics, PyTorch's
// running-stat update, numerical stability, and errors naming the op and shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops/linalg.h"
#include "autograd/ops/loss.h"
#include "autograd/ops/norm.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;
using nanossl::testing::uniform;

namespace {

// Runs f and returns the message of the std::invalid_argument it throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

Tensor i64(const std::vector<std::int64_t>& values) {
  return Tensor::from_vector(values, {static_cast<std::int64_t>(values.size())});
}

// Per-channel mean and biased/unbiased variance of an (N,C,S) tensor, in double.
struct ChannelStats {
  std::vector<double> mean, var, unbiased;
};
ChannelStats channel_stats(const Tensor& x) {
  const std::int64_t N = x.size(0), C = x.size(1), S = x.numel() / (N * C);
  const std::vector<double> v = x.to(DType::f64).to_vector<double>();
  ChannelStats st;
  for (std::int64_t c = 0; c < C; ++c) {
    double sum = 0.0, squares = 0.0;
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t s = 0; s < S; ++s) sum += v[(n * C + c) * S + s];
    const double mean = sum / static_cast<double>(N * S);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t s = 0; s < S; ++s) squares += std::pow(v[(n * C + c) * S + s] - mean, 2);
    st.mean.push_back(mean);
    st.var.push_back(squares / static_cast<double>(N * S));
    st.unbiased.push_back(squares / static_cast<double>(N * S - 1));
  }
  return st;
}

}  // namespace

TEST(BatchNorm, TrainingNormalisesEachChannel) {
  for (const Shape& s : {Shape{16, 3}, Shape{4, 3, 5, 2}}) {
    Tensor x = uniform(s, -3.0, 5.0, DType::f32, 1);
    const ChannelStats st =
        channel_stats(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true));
    for (std::size_t c = 0; c < st.mean.size(); ++c) {
      EXPECT_NEAR(st.mean[c], 0.0, 1e-5) << shape_str(s) << " channel " << c;
      EXPECT_NEAR(st.var[c], 1.0, 1e-3) << shape_str(s) << " channel " << c;  // var/(var+eps)
    }
  }
}

TEST(BatchNorm, AffineScalesAndShifts) {
  Tensor x = uniform({6, 2, 3, 3}, -1.0, 1.0, DType::f64, 2);
  Tensor w = Tensor::from_vector(std::vector<double>{2.0, -0.5}, {2});
  Tensor b = Tensor::from_vector(std::vector<double>{1.0, 3.0}, {2});
  const ChannelStats st = channel_stats(batch_norm(x, w, b, Tensor(), Tensor(), true, 0.1, 1e-12));
  EXPECT_NEAR(st.mean[0], 1.0, 1e-9);
  EXPECT_NEAR(st.mean[1], 3.0, 1e-9);
  EXPECT_NEAR(st.var[0], 4.0, 1e-9);
  EXPECT_NEAR(st.var[1], 0.25, 1e-9);
}

TEST(BatchNorm, RunningStatsFollowPyTorchAfterOneStep) {
  Tensor x = uniform({5, 3, 2, 2}, -2.0, 4.0, DType::f64, 3);
  Tensor running_mean = Tensor::from_vector(std::vector<double>{0.5, -1.0, 2.0}, {3});
  Tensor running_var = Tensor::from_vector(std::vector<double>{1.0, 2.0, 0.5}, {3});
  batch_norm(x, Tensor(), Tensor(), running_mean, running_var, true, 0.2);
  const ChannelStats st = channel_stats(x);
  const std::vector<double> m0{0.5, -1.0, 2.0}, v0{1.0, 2.0, 0.5};
  const std::vector<double> m = running_mean.to_vector<double>(),
                            v = running_var.to_vector<double>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(m[c], 0.8 * m0[c] + 0.2 * st.mean[c], 1e-12);
    EXPECT_NEAR(v[c], 0.8 * v0[c] + 0.2 * st.unbiased[c], 1e-12);  // unbiased, as PyTorch
  }
}

TEST(BatchNorm, EvalUsesRunningStatsAndLeavesThemAlone) {
  Tensor x = uniform({4, 2}, -1.0, 1.0, DType::f64, 4);
  Tensor running_mean = Tensor::from_vector(std::vector<double>{0.25, -0.5}, {2});
  Tensor running_var = Tensor::from_vector(std::vector<double>{4.0, 0.25}, {2});
  Tensor w = Tensor::from_vector(std::vector<double>{3.0, 1.0}, {2});
  Tensor b = Tensor::from_vector(std::vector<double>{0.0, -2.0}, {2});
  Tensor y = batch_norm(x, w, b, running_mean, running_var, false, 0.1, 1e-5);
  const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
  const double mean[2] = {0.25, -0.5}, var[2] = {4.0, 0.25}, wv[2] = {3.0, 1.0},
               bv[2] = {0.0, -2.0};
  for (int i = 0; i < 8; ++i) {
    const int c = i % 2;
    EXPECT_NEAR(yv[i], (xv[i] - mean[c]) / std::sqrt(var[c] + 1e-5) * wv[c] + bv[c], 1e-12);
  }
  EXPECT_EQ(running_mean.to_vector<double>(), (std::vector<double>{0.25, -0.5}));
  EXPECT_EQ(running_var.to_vector<double>(), (std::vector<double>{4.0, 0.25}));
}

TEST(BatchNorm, LargeMeanKeepsPrecisionInFloat) {
  // A naive E[x^2] - E[x]^2 in float loses every digit of a variance of ~0.3 at 1e4.
  Tensor x = uniform({256, 2}, 1e4 - 1.0, 1e4 + 1.0, DType::f32, 5);
  const ChannelStats st =
      channel_stats(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true));
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(st.mean[c], 0.0, 1e-4);
    EXPECT_NEAR(st.var[c], 1.0, 1e-3);
  }
}

TEST(BatchNorm, HugeFiniteValuesStillNormaliseInFloat) {
  // Deviations of 1e25 square past float's range: the statistics fall back to double,
  // so a diverging (but finite) activation still normalises and is not zeroed.
  Tensor x = uniform({64, 2}, -1e25, 1e25, DType::f32, 9);
  x.set_requires_grad();
  Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  const ChannelStats st = channel_stats(y);
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(st.mean[c], 0.0, 1e-4);
    EXPECT_NEAR(st.var[c], 1.0, 1e-3);
  }
  backward(y, uniform(y.shape(), -1e20, 1e20, DType::f32, 10));
  const ChannelStats gs = channel_stats(x.grad());
  for (int c = 0; c < 2; ++c) EXPECT_TRUE(std::isfinite(gs.var[c])) << c;
}

TEST(BatchNorm, TrainingGradientSumsToZeroPerChannel) {
  Tensor x = uniform({3, 2, 2, 2}, -1.0, 1.0, DType::f64, 6);
  x.set_requires_grad();
  Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  backward(y, uniform(y.shape(), -1.0, 1.0, DType::f64, 7));
  const ChannelStats st = channel_stats(x.grad());
  EXPECT_NEAR(st.mean[0], 0.0, 1e-12);
  EXPECT_NEAR(st.mean[1], 0.0, 1e-12);
}

TEST(BatchNorm, NoGradStillUpdatesRunningStats) {
  Tensor x = uniform({4, 2}, 1.0, 3.0, DType::f32, 8);
  x.set_requires_grad();
  Tensor running_mean = Tensor::zeros({2}), running_var = Tensor::ones({2});
  NoGradGuard guard;
  Tensor y = batch_norm(x, Tensor(), Tensor(), running_mean, running_var, true);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_GT(running_mean.to_vector<float>()[0], 0.1f);
}

TEST(BatchNorm, ErrorsNameTheOpAndShapes) {
  Tensor x = Tensor::zeros({4, 3});
  EXPECT_EQ(error_of([&] {
              batch_norm(Tensor::zeros({4, 3, 2}), Tensor(), Tensor(), Tensor(), Tensor(), true);
            }),
            "[batch_norm] expects an (N,C) or (N,C,H,W) input, got 4x3x2");
  EXPECT_EQ(error_of([&] { batch_norm(x, Tensor::ones({2}), Tensor(), Tensor(), Tensor(), true); }),
            "[batch_norm] weight has shape 2, expected 3 (one per channel of input 4x3)");
  EXPECT_NE(error_of([&] {
              batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false);
            }).find("[batch_norm] eval mode needs running_mean and running_var"),
            std::string::npos);
  EXPECT_EQ(error_of([&] {
              batch_norm(Tensor::zeros({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true);
            }),
            "[batch_norm] training needs more than 1 value per channel, got input 1x3");
  EXPECT_NE(error_of([&] {
              batch_norm(x, Tensor::ones({3}, DType::f64), Tensor(), Tensor(), Tensor(), true);
            }).find("[batch_norm] tensors have different dtypes"),
            std::string::npos);
}

TEST(L2Normalize, RowsHaveUnitNormAndZeroRowsStayZero) {
  Tensor x = Tensor::from_vector(std::vector<float>{3, 4, 0, 0, 0, 0, 1, -1, 1}, {3, 3});
  Tensor y = l2_normalize(x);
  const std::vector<float> v = y.to_vector<float>();
  EXPECT_NEAR(v[0], 0.6f, 1e-7);
  EXPECT_NEAR(v[1], 0.8f, 1e-7);
  EXPECT_EQ(v[3], 0.0f);
  EXPECT_EQ(v[4], 0.0f);
  EXPECT_NEAR(v[6] * v[6] + v[7] * v[7] + v[8] * v[8], 1.0f, 1e-6);
  EXPECT_EQ(error_of([] {
              l2_normalize(Tensor::zeros({2, 3, 4}));
            }),
            "[l2_normalize] expects an (N,D) input, got 2x3x4");
}

TEST(LogSoftmax, RowsExponentiateToOne) {
  Tensor x = uniform({5, 7}, -4.0, 4.0, DType::f32, 9);
  const std::vector<float> y = log_softmax(x).to_vector<float>();
  for (int i = 0; i < 5; ++i) {
    double sum = 0.0;
    for (int j = 0; j < 7; ++j) sum += std::exp(static_cast<double>(y[i * 7 + j]));
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(LogSoftmax, StableForLogitsNear1e4) {
  Tensor big = Tensor::from_vector(
      std::vector<float>{1e4f, 1e4f + 1, 1e4f + 2, -1e4f, -1e4f, -1e4f + 1}, {2, 3});
  Tensor small = Tensor::from_vector(std::vector<float>{0, 1, 2, 0, 0, 1}, {2, 3});
  EXPECT_TRUE(all_close(log_softmax(big), log_softmax(small), 1e-6, 1e-6));
}

TEST(CrossEntropy, UniformLogitsGiveLogC) {
  Tensor loss = cross_entropy(Tensor::zeros({4, 10}), i64({0, 3, 9, 5}));
  EXPECT_EQ(loss.ndim(), 0u);
  EXPECT_NEAR(loss.item(), std::log(10.0), 1e-6);
}

TEST(CrossEntropy, HandCheckedValueAndGradient) {
  Tensor logits = Tensor::from_vector(std::vector<double>{1, 2, 3, 0, 0, 0}, {2, 3});
  logits.set_requires_grad();
  Tensor loss = cross_entropy(logits, i64({0, 2}));
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(loss.item(), ((std::log(z) - 1.0) + std::log(3.0)) / 2.0, 1e-12);
  backward(loss);
  const std::vector<double> g = logits.grad().to_vector<double>();
  const std::vector<double> expected{(std::exp(1.0) / z - 1) / 2,
                                     std::exp(2.0) / z / 2,
                                     std::exp(3.0) / z / 2,
                                     1.0 / 6,
                                     1.0 / 6,
                                     (1.0 / 3 - 1) / 2};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(g[i], expected[i], 1e-12) << i;
}

TEST(CrossEntropy, StableForLogitsNear1e4) {
  Tensor big = Tensor::from_vector(
      std::vector<float>{1e4f, 1e4f + 1, 1e4f + 2, -1e4f, -1e4f, -1e4f + 1}, {2, 3});
  Tensor small = Tensor::from_vector(std::vector<float>{0, 1, 2, 0, 0, 1}, {2, 3});
  big.set_requires_grad();
  small.set_requires_grad();
  Tensor y = i64({0, 2});
  Tensor loss_big = cross_entropy(big, y), loss_small = cross_entropy(small, y);
  EXPECT_NEAR(loss_big.item(), loss_small.item(), 1e-6);
  backward(loss_big);
  backward(loss_small);
  EXPECT_TRUE(all_close(big.grad(), small.grad(), 1e-7, 1e-6));
}

TEST(CrossEntropy, ErrorsNameTheOpAndShapes) {
  Tensor logits = Tensor::zeros({5, 10});
  EXPECT_EQ(error_of([&] {
              cross_entropy(logits, i64({0, 1, 2, 12, 3}));
            }),
            "[cross_entropy] label 12 at row 3 is outside [0, 10)");
  EXPECT_EQ(error_of([&] {
              cross_entropy(logits, i64({-1, 1, 2, 3, 4}));
            }),
            "[cross_entropy] label -1 at row 0 is outside [0, 10)");
  EXPECT_EQ(error_of([&] {
              cross_entropy(logits, i64({0, 1}));
            }),
            "[cross_entropy] logits 5x10 need labels of shape 5, got 2");
  EXPECT_NE(error_of([&] { cross_entropy(logits, Tensor::zeros({5})); }).find("labels must be i64"),
            std::string::npos);
  EXPECT_EQ(error_of([&] {
              log_softmax(Tensor::zeros({2, 3, 4}));
            }),
            "[log_softmax] expects (N,C) logits, got 2x3x4");
}

TEST(Matmul, HandCheckedProducts) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector(std::vector<float>{5, 6, 7, 8}, {2, 2});
  EXPECT_EQ(matmul(a, b).to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
  Tensor row = Tensor::from_vector(std::vector<float>{1, 2, 3}, {1, 3});
  Tensor col = Tensor::from_vector(std::vector<float>{4, 5, 6}, {3, 1});
  EXPECT_EQ(matmul(row, col).to_vector<float>(), (std::vector<float>{32}));
  EXPECT_EQ(matmul(col, row).shape(), (Shape{3, 3}));
}

TEST(Matmul, EmptyInnerDimensionGivesZeros) {
  EXPECT_EQ(matmul(Tensor::empty({2, 0}), Tensor::empty({0, 3})).to_vector<float>(),
            std::vector<float>(6, 0.0f));
  Tensor bias = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  EXPECT_EQ(linear(Tensor::empty({2, 0}), Tensor::empty({2, 0}), bias).to_vector<float>(),
            (std::vector<float>{1, 2, 1, 2}));
}

TEST(Matmul, BatchedMatchesPerBatchProducts) {
  Tensor a = uniform({3, 4, 5}, -1.0, 1.0, DType::f64, 10);
  Tensor b = uniform({3, 5, 2}, -1.0, 1.0, DType::f64, 11);
  Tensor shared = uniform({5, 2}, -1.0, 1.0, DType::f64, 12);
  Tensor batched = matmul(a, b), broadcast = matmul(a, shared);
  EXPECT_EQ(batched.shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(broadcast.shape(), (Shape{3, 4, 2}));
  for (std::int64_t i = 0; i < 3; ++i) {
    Tensor ai = a.narrow0(i, i + 1).view({4, 5});
    EXPECT_TRUE(all_close(batched.narrow0(i, i + 1).view({4, 2}),
                          matmul(ai, b.narrow0(i, i + 1).view({5, 2})), 1e-14, 0));
    EXPECT_TRUE(all_close(broadcast.narrow0(i, i + 1).view({4, 2}), matmul(ai, shared), 1e-14, 0));
  }
}

TEST(Matmul, ErrorsNameTheOpAndShapes) {
  EXPECT_EQ(error_of([] {
              matmul(Tensor::empty({64, 1568}), Tensor::empty({6272, 10}));
            }),
            "[matmul] (64x1568) @ (6272x10): inner dimensions differ");
  EXPECT_EQ(error_of([] {
              matmul(Tensor::empty({2, 3, 4}), Tensor::empty({5, 4, 6}));
            }),
            "[matmul] (2x3x4) @ (5x4x6): batch sizes differ");
  EXPECT_NE(error_of([] {
              matmul(Tensor::empty({3}), Tensor::empty({3, 2}));
            }).find("[matmul] (3) @ (3x2): expects"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              matmul(Tensor::empty({2, 3}), Tensor::empty({3, 2}, DType::f64));
            }).find("[matmul] tensors have different dtypes"),
            std::string::npos);
}

TEST(Linear, HandCheckedValueAndGradients) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, -1, 0}, {2, 2});
  Tensor w = Tensor::from_vector(std::vector<float>{1, 0, 0, 1, 1, 1}, {3, 2});
  Tensor b = Tensor::from_vector(std::vector<float>{0.5f, -1, 2}, {3});
  for (Tensor* t : {&x, &w, &b}) t->set_requires_grad();
  Tensor y = linear(x, w, b);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1.5f, 1, 5, -0.5f, -1, 1}));
  backward(y, Tensor::ones(y.shape()));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 2, 2, 2}));  // column sums of w
  EXPECT_EQ(w.grad().to_vector<float>(),
            (std::vector<float>{0, 2, 0, 2, 0, 2}));                      // column sums of x
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{2, 2, 2}));  // rows
  EXPECT_EQ(linear(x.detach(), w.detach()).to_vector<float>(),
            (std::vector<float>{1, 2, 3, -1, 0, -1}));
}

TEST(Linear, ErrorsNameTheOpAndShapes) {
  EXPECT_EQ(error_of([] {
              linear(Tensor::empty({64, 1568}), Tensor::empty({10, 6272}));
            }),
            "[linear] input 64x1568 has 1568 features, weight 10x6272 expects 6272");
  EXPECT_EQ(error_of([] {
              linear(Tensor::empty({4, 3}), Tensor::empty({2, 3}), Tensor::empty({3}));
            }),
            "[linear] bias has shape 3, expected 2 (one per output of weight 2x3)");
}
