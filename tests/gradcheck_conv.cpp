// Gradient checks of conv2d (every combination of stride, padding, dilation, kernel
// size and bias that the kernels branch on) and of max, average and global average
// pooling, in double on the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/pooling.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::randn_leaf;

namespace {
using Inputs = const std::vector<Tensor>&;

// Distinct values (a shuffled 0.1-spaced ramp), so max pooling has no ties.
Tensor distinct_leaf(const Shape& shape, unsigned seed) {
  std::vector<double> values(static_cast<std::size_t>(shape_numel(shape)));
  std::iota(values.begin(), values.end(), 0.0);
  std::shuffle(values.begin(), values.end(), std::mt19937(seed));
  for (double& v : values) v = 0.1 * v - 1.0;
  Tensor t = Tensor::from_vector(values, shape);
  t.set_requires_grad();
  return t;
}

struct ConvCase {
  Shape x;       // N,C,H,W
  Shape weight;  // K,C,R,S
  bool bias;
  Conv2dOptions options;
};

std::string describe(const ConvCase& c) {
  return "x " + shape_str(c.x) + ", weight " + shape_str(c.weight) +
         (c.bias ? ", bias" : ", no bias") + ", stride " + std::to_string(c.options.stride) +
         ", padding " + std::to_string(c.options.padding) + ", dilation " +
         std::to_string(c.options.dilation);
}

::testing::AssertionResult check_conv(const ConvCase& c) {
  std::vector<Tensor> inputs{randn_leaf(c.x), randn_leaf(c.weight), c.bias ? randn_leaf({c.weight[0]}) : Tensor()};
  auto r = gradcheck(
      [&](Inputs in) { return conv2d(in[0], in[1], in[2], c.options); }, inputs);
  if (!r.ok) return ::testing::AssertionFailure() << describe(c) << ": " << r.message;
  return ::testing::AssertionSuccess();
}
}  // namespace

TEST(GradcheckConv, Conv3x3StridesAndPadding) {
  EXPECT_TRUE(check_conv({{2, 3, 5, 5}, {4, 3, 3, 3}, true, {1, 1, 1}}));
  EXPECT_TRUE(check_conv({{2, 3, 5, 5}, {4, 3, 3, 3}, false, {1, 0, 1}}));
  EXPECT_TRUE(check_conv({{2, 2, 6, 5}, {3, 2, 3, 3}, true, {2, 1, 1}}));
  EXPECT_TRUE(check_conv({{1, 2, 5, 6}, {2, 2, 3, 3}, false, {2, 0, 1}}));
  EXPECT_TRUE(check_conv({{2, 2, 4, 4}, {2, 2, 3, 3}, true, {1, 2, 1}}));
  EXPECT_TRUE(check_conv({{1, 2, 8, 8}, {2, 2, 3, 3}, false, {1, 1, 1}}));  // Q = 8, a compile-time row width
}

TEST(GradcheckConv, Conv5x5AndDilation) {
  EXPECT_TRUE(check_conv({{1, 2, 6, 6}, {2, 2, 5, 5}, true, {1, 2, 1}}));
  EXPECT_TRUE(check_conv({{2, 1, 7, 6}, {2, 1, 5, 5}, false, {2, 1, 1}}));
  EXPECT_TRUE(check_conv({{2, 2, 6, 6}, {3, 2, 3, 3}, true, {1, 1, 2}}));
  EXPECT_TRUE(check_conv({{1, 2, 7, 7}, {2, 2, 3, 3}, false, {2, 2, 2}}));
  EXPECT_TRUE(check_conv({{1, 1, 9, 10}, {1, 1, 5, 5}, true, {1, 0, 2}}));
}

TEST(GradcheckConv, Conv1x1) {
  EXPECT_TRUE(check_conv({{2, 3, 4, 4}, {5, 3, 1, 1}, true, {1, 0, 1}}));   // im2col path
  EXPECT_TRUE(check_conv({{2, 3, 5, 5}, {2, 3, 1, 1}, false, {2, 0, 1}}));  // strided shortcut
  EXPECT_TRUE(check_conv({{1, 2, 4, 4}, {2, 2, 1, 1}, true, {1, 1, 1}}));   // padded
  EXPECT_TRUE(check_conv({{1, 1, 32, 32}, {2, 1, 1, 1}, true, {1, 0, 1}})); // pointwise, no im2col
}

TEST(GradcheckConv, OneImagePerGemm) {
  // 32x32 maps take the path where the GEMMs read dout and write out in place.
  EXPECT_TRUE(check_conv({{1, 1, 32, 32}, {2, 1, 3, 3}, true, {1, 1, 1}}));
}

TEST(GradcheckConv, BatchesAndSingleChannel) {
  EXPECT_TRUE(check_conv({{1, 1, 4, 4}, {1, 1, 3, 3}, true, {1, 1, 1}}));
  EXPECT_TRUE(check_conv({{3, 1, 5, 4}, {2, 1, 3, 3}, true, {1, 0, 1}}));
  EXPECT_TRUE(check_conv({{3, 2, 5, 5}, {1, 2, 2, 2}, false, {2, 1, 1}}));
}

TEST(GradcheckConv, OnlySomeInputsNeedGrad) {
  Tensor x = randn_leaf({2, 2, 4, 4});
  Tensor w = Tensor::randn({3, 2, 3, 3}, DType::f64), b = randn_leaf({3});
  auto r = gradcheck([](Inputs in) { return conv2d(in[0], in[1], in[2], {1, 1, 1}); }, {x, w, b});
  EXPECT_TRUE(r.ok) << r.message;
  Tensor x_const = Tensor::randn({2, 2, 4, 4}, DType::f64), w_leaf = randn_leaf({3, 2, 3, 3});
  auto s = gradcheck([](Inputs in) { return conv2d(in[0], in[1], Tensor(), {2, 1, 1}); },
                     {x_const, w_leaf});
  EXPECT_TRUE(s.ok) << s.message;
}

TEST(GradcheckPool, MaxPool) {
  struct Case {
    Shape x;
    std::int64_t kernel, stride, padding;
  };
  const Case cases[] = {{{2, 2, 4, 4}, 2, 2, 0}, {{1, 2, 5, 5}, 3, 2, 1},
                        {{2, 1, 5, 6}, 3, 1, 1}, {{1, 3, 7, 5}, 2, 1, 1},
                        {{3, 1, 6, 6}, 3, 3, 0}, {{1, 1, 3, 3}, 3, 1, 1}};
  unsigned seed = 1;
  for (const Case& c : cases) {
    auto r = gradcheck(
        [&](Inputs in) { return max_pool2d(in[0], c.kernel, c.stride, c.padding); },
        {distinct_leaf(c.x, seed++)});
    EXPECT_TRUE(r.ok) << shape_str(c.x) << " kernel " << c.kernel << ": " << r.message;
    EXPECT_EQ(r.skipped, 0) << shape_str(c.x);
  }
}

TEST(GradcheckPool, AvgPool) {
  struct Case {
    Shape x;
    std::int64_t kernel, stride, padding;
  };
  const Case cases[] = {{{2, 2, 4, 4}, 2, 2, 0}, {{1, 2, 5, 5}, 3, 2, 1},
                        {{2, 1, 5, 6}, 3, 1, 1}, {{1, 3, 7, 5}, 2, 1, 1},
                        {{1, 1, 6, 6}, 4, 2, 2}};
  for (const Case& c : cases) {
    auto r = gradcheck(
        [&](Inputs in) { return avg_pool2d(in[0], c.kernel, c.stride, c.padding); },
        {randn_leaf(c.x)});
    EXPECT_TRUE(r.ok) << shape_str(c.x) << " kernel " << c.kernel << ": " << r.message;
  }
}

TEST(GradcheckPool, GlobalAvgPool) {
  for (const Shape& s : {Shape{2, 3, 4, 4}, Shape{1, 1, 1, 1}, Shape{3, 2, 5, 3}}) {
    auto r = gradcheck([](Inputs in) { return global_avg_pool2d(in[0]); }, {randn_leaf(s)});
    EXPECT_TRUE(r.ok) << shape_str(s) << ": " << r.message;
  }
}

TEST(GradcheckPool, ConvThenPoolChain) {
  auto r = gradcheck(
      [](Inputs in) {
        Tensor y = conv2d(in[0], in[1], in[2], {1, 1, 1});
        return global_avg_pool2d(avg_pool2d(y, 2, 2));
      },
      {randn_leaf({2, 2, 4, 4}), randn_leaf({3, 2, 3, 3}), randn_leaf({3})});
  EXPECT_TRUE(r.ok) << r.message;
}
