// Gradient checks of batch_norm (training and eval, (N,C) and (N,C,H,W), with and
// without affine parameters, weight without bias) and l2_normalize, in double on the CPU.
#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "autograd/ops/norm.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::uniform;

namespace {
Tensor leaf(const Shape& shape, std::uint64_t seed) { return nanossl::testing::uniform_leaf(shape, -2.0, 2.0, seed); }
using Inputs = const std::vector<Tensor>&;
}  // namespace

TEST(GradcheckNorm, BatchNormTrainingAffine2d) {
  for (const Shape& s : {Shape{2, 3}, Shape{4, 3}, Shape{5, 1}}) {
    Tensor x = leaf(s, 1), w = leaf({s[1]}, 2), b = leaf({s[1]}, 3);
    auto r = gradcheck(
        [](Inputs in) { return batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
        {x, w, b});
    EXPECT_TRUE(r.ok) << shape_str(s) << ": " << r.message;
    EXPECT_GT(r.checked, 0);
  }
}

TEST(GradcheckNorm, BatchNormTrainingAffine4d) {
  Tensor x = leaf({2, 3, 2, 3}, 4), w = leaf({3}, 5), b = leaf({3}, 6);
  auto r =
      gradcheck([](Inputs in) { return batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
                {x, w, b});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckNorm, BatchNormTrainingWithoutAffine) {
  for (const Shape& s : {Shape{2, 4}, Shape{3, 2, 2, 2}, Shape{1, 2, 1, 3}}) {
    auto r = gradcheck(
        [](Inputs in) { return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true); },
        {leaf(s, 7)});
    EXPECT_TRUE(r.ok) << shape_str(s) << ": " << r.message;
  }
}

TEST(GradcheckNorm, BatchNormWeightWithoutBias) {
  // gamma without beta (nn::BatchNorm with learn_bias false), training and eval.
  for (const Shape& s : {Shape{4, 3}, Shape{3, 2, 2, 2}}) {
    const std::int64_t C = s[1];
    auto train = gradcheck(
        [](Inputs in) { return batch_norm(in[0], in[1], Tensor(), Tensor(), Tensor(), true); },
        {leaf(s, 21), leaf({C}, 22)});
    EXPECT_TRUE(train.ok) << shape_str(s) << ": " << train.message;
    EXPECT_GT(train.checked, 0);
    Tensor running_mean = uniform({C}, -1.0, 1.0, DType::f64, 23);
    Tensor running_var = uniform({C}, 0.5, 2.0, DType::f64, 24);
    auto eval = gradcheck(
        [&](Inputs in) { return batch_norm(in[0], in[1], Tensor(), running_mean, running_var, false); },
        {leaf(s, 25), leaf({C}, 26)});
    EXPECT_TRUE(eval.ok) << shape_str(s) << ": " << eval.message;
  }
}

TEST(GradcheckNorm, BatchNormTrainingWithRunningStats) {
  // The running buffers are updated on every call but do not affect the output.
  Tensor running_mean = Tensor::zeros({3}, DType::f64), running_var = Tensor::ones({3}, DType::f64);
  Tensor x = leaf({4, 3, 1, 2}, 8), w = leaf({3}, 9), b = leaf({3}, 10);
  auto r = gradcheck(
      [&](Inputs in) { return batch_norm(in[0], in[1], in[2], running_mean, running_var, true); },
      {x, w, b});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckNorm, BatchNormOnlyParametersRequireGrad) {
  Tensor x = uniform({3, 2, 2, 2}, -1.0, 1.0, DType::f64, 11);
  Tensor w = leaf({2}, 12), b = leaf({2}, 13);
  auto r =
      gradcheck([](Inputs in) { return batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
                {x, w, b});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GradcheckNorm, BatchNormEval) {
  for (const Shape& s : {Shape{3, 4}, Shape{2, 3, 2, 2}, Shape{1, 3}}) {
    const std::int64_t C = s[1];
    Tensor running_mean = uniform({C}, -1.0, 1.0, DType::f64, 14);
    Tensor running_var = uniform({C}, 0.5, 2.0, DType::f64, 15);
    Tensor x = leaf(s, 16), w = leaf({C}, 17), b = leaf({C}, 18);
    auto affine = gradcheck(
        [&](Inputs in) {
          return batch_norm(in[0], in[1], in[2], running_mean, running_var, false);
        },
        {x, w, b});
    EXPECT_TRUE(affine.ok) << shape_str(s) << ": " << affine.message;
    auto plain = gradcheck(
        [&](Inputs in) {
          return batch_norm(in[0], Tensor(), Tensor(), running_mean, running_var, false);
        },
        {x});
    EXPECT_TRUE(plain.ok) << shape_str(s) << ": " << plain.message;
  }
}

TEST(GradcheckNorm, L2Normalize) {
  for (const Shape& s : {Shape{4, 5}, Shape{1, 3}, Shape{3, 1}}) {
    auto r = gradcheck([](Inputs in) { return l2_normalize(in[0]); }, {leaf(s, 19)});
    EXPECT_TRUE(r.ok) << shape_str(s) << ": " << r.message;
  }
}

TEST(GradcheckNorm, L2NormalizeBelowEps) {
  // Rows with norm < eps are divided by the constant eps.
  Tensor x = uniform({3, 4}, -0.1, 0.1, DType::f64, 20);
  x.set_requires_grad();
  auto r = gradcheck([](Inputs in) { return l2_normalize(in[0], 1.0); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}
