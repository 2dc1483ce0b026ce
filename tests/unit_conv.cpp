// Unit tests of conv2d and pooling: output shapes, small hand-computed values and
// gradients, agreement with a direct (loop) convolution on shapes that take every
// kernel path (several im2col chunks, the pointwise path), and the error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/pooling.h"
#include "test_util.h"

#include <omp.h>

using namespace nanossl;
using nanossl::testing::all_close;
using nanossl::testing::uniform;

namespace {

Tensor ramp(const Shape& shape, double start = 1.0, double step = 1.0) {
  std::vector<float> v(static_cast<std::size_t>(shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(start + step * i);
  return Tensor::from_vector(v, shape);
}

Tensor values(const std::vector<float>& v, const Shape& shape) {
  return Tensor::from_vector(v, shape);
}

void expect_values(const Tensor& t, const std::vector<float>& expected) {
  ASSERT_EQ(t.numel(), static_cast<std::int64_t>(expected.size()));
  const std::vector<float> got = t.to_vector<float>();
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 1e-5) << "element " << i;
}

// Expects `f` to throw std::invalid_argument whose message contains `fragment`.
template <class F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << fragment;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

// Direct convolution in double, the definition written as loops.
struct DirectConv {
  std::vector<double> out, dx, dweight, dbias;
};
DirectConv direct_conv(const Tensor& x, const Tensor& w, const Tensor& dout,
                       const Conv2dOptions& o) {
  const auto X = x.to(DType::f64).to_vector<double>(), Wt = w.to(DType::f64).to_vector<double>();
  const auto G = dout.to(DType::f64).to_vector<double>();
  const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const std::int64_t K = w.size(0), R = w.size(2), S = w.size(3);
  const std::int64_t P = dout.size(2), Q = dout.size(3);
  DirectConv d{std::vector<double>(N * K * P * Q), std::vector<double>(X.size()),
               std::vector<double>(Wt.size()), std::vector<double>(K)};
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t p = 0; p < P; ++p)
        for (std::int64_t q = 0; q < Q; ++q) {
          const std::int64_t o_idx = ((n * K + k) * P + p) * Q + q;
          d.dbias[k] += G[o_idx];
          for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t r = 0; r < R; ++r)
              for (std::int64_t s = 0; s < S; ++s) {
                const std::int64_t h = p * o.stride - o.padding + r * o.dilation;
                const std::int64_t ww = q * o.stride - o.padding + s * o.dilation;
                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                const std::int64_t x_idx = ((n * C + c) * H + h) * W + ww;
                const std::int64_t w_idx = ((k * C + c) * R + r) * S + s;
                d.out[o_idx] += Wt[w_idx] * X[x_idx];
                d.dx[x_idx] += Wt[w_idx] * G[o_idx];
                d.dweight[w_idx] += X[x_idx] * G[o_idx];
              }
        }
  return d;
}

Tensor as_tensor(const std::vector<double>& v, const Shape& shape) {
  return Tensor::from_vector(v, shape);
}

void check_against_direct(const Shape& xs, const Shape& ws, const Conv2dOptions& o) {
  Tensor x = uniform(xs, -1, 1, DType::f32, 11);
  Tensor w = uniform(ws, -0.2, 0.2, DType::f32, 12);
  x.set_requires_grad();
  w.set_requires_grad();
  Tensor zero_bias = Tensor::zeros({ws[0]});
  zero_bias.set_requires_grad();
  Tensor y = conv2d(x, w, zero_bias, o);
  Tensor g = uniform(y.shape(), -0.05, 0.05, DType::f32, 13);
  backward(y, g);
  const DirectConv d = direct_conv(x, w, g, o);
  const std::string what = "x " + shape_str(xs) + " w " + shape_str(ws);
  EXPECT_TRUE(all_close(y.to(DType::f64), as_tensor(d.out, y.shape()), 1e-4, 1e-4)) << what;
  EXPECT_TRUE(all_close(x.grad().to(DType::f64), as_tensor(d.dx, xs), 1e-4, 1e-4)) << what;
  EXPECT_TRUE(all_close(w.grad().to(DType::f64), as_tensor(d.dweight, ws), 1e-4, 1e-4)) << what;
  EXPECT_TRUE(all_close(zero_bias.grad().to(DType::f64), as_tensor(d.dbias, {ws[0]}), 1e-4, 1e-4))
      << what;
}

}  // namespace

TEST(Conv2d, OutputShapes) {
  Tensor x = Tensor::zeros({2, 3, 32, 32});
  EXPECT_EQ(conv2d(x, Tensor::zeros({8, 3, 3, 3}), Tensor(), {1, 1, 1}).shape(),
            (Shape{2, 8, 32, 32}));
  EXPECT_EQ(conv2d(x, Tensor::zeros({8, 3, 3, 3}), Tensor(), {2, 1, 1}).shape(),
            (Shape{2, 8, 16, 16}));
  EXPECT_EQ(conv2d(x, Tensor::zeros({4, 3, 7, 7}), Tensor(), {2, 3, 1}).shape(),
            (Shape{2, 4, 16, 16}));
  EXPECT_EQ(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({4}), {1, 0, 2}).shape(),
            (Shape{2, 4, 28, 28}));
  EXPECT_EQ(conv2d(x, Tensor::zeros({5, 3, 1, 1}), Tensor(), {2, 0, 1}).shape(),
            (Shape{2, 5, 16, 16}));
  EXPECT_EQ(conv2d(Tensor::zeros({1, 1, 5, 7}), Tensor::zeros({1, 1, 3, 2})).shape(),
            (Shape{1, 1, 3, 6}));
}

TEST(Conv2d, HandComputedValues) {
  Tensor x = ramp({1, 1, 3, 3});  // 1..9
  // Diagonal kernel: out = x[p][q] + x[p+1][q+1], plus bias.
  Tensor diag = values({1, 0, 0, 1}, {1, 1, 2, 2});
  expect_values(conv2d(x, diag, values({0.5f}, {1})), {6.5f, 8.5f, 12.5f, 14.5f});
  // All-ones 2x2 kernel, padding 1, stride 2: windows start at -1 and 1.
  Tensor ones = Tensor::ones({1, 1, 2, 2});
  expect_values(conv2d(x, ones, Tensor(), {2, 1, 1}), {1, 5, 11, 28});
  // Dilation 2: the four corners.
  expect_values(conv2d(x, ones, Tensor(), {1, 0, 2}), {20});
  // 1x1 kernel mixing two channels into two outputs.
  Tensor x2 = ramp({1, 2, 1, 2});  // channel 0: 1 2, channel 1: 3 4
  Tensor mix = values({1, 10, -1, 2}, {2, 2, 1, 1});
  expect_values(conv2d(x2, mix), {31, 42, 5, 6});
}

TEST(Conv2d, HandComputedGradients) {
  Tensor x = ramp({1, 1, 3, 3});
  Tensor w = Tensor::ones({1, 1, 2, 2}), b = Tensor::zeros({1});
  x.set_requires_grad();
  w.set_requires_grad();
  b.set_requires_grad();
  Tensor y = conv2d(x, w, b);
  backward(y, Tensor::ones(y.shape()));
  // Each input pixel receives one gradient per window covering it.
  expect_values(x.grad(), {1, 2, 1, 2, 4, 2, 1, 2, 1});
  // Each weight tap sums the inputs it meets: the four 2x2 sub-squares of 1..9.
  expect_values(w.grad(), {12, 16, 24, 28});
  expect_values(b.grad(), {4});
}

TEST(Conv2d, MatchesDirectConvolution) {
  check_against_direct({2, 3, 7, 6}, {4, 3, 3, 3}, {1, 1, 1});
  check_against_direct({3, 2, 9, 9}, {3, 2, 5, 5}, {2, 2, 2});
  check_against_direct({2, 4, 16, 16}, {6, 4, 1, 1}, {1, 0, 1});  // 1x1 through im2col
  check_against_direct({2, 4, 8, 8}, {6, 4, 1, 1}, {2, 0, 1});    // strided 1x1
}

TEST(Conv2d, MatchesDirectConvolutionOnEveryChunking) {
  // 32x32 maps run one image per GEMM, reading and writing NCHW in place.
  check_against_direct({3, 16, 32, 32}, {4, 16, 3, 3}, {1, 1, 1});
  check_against_direct({2, 8, 32, 32}, {5, 8, 1, 1}, {1, 0, 1});  // pointwise: no im2col
  // 8x8 maps batch 16 images per GEMM: 18 images make a full and a partial chunk.
  check_against_direct({18, 4, 8, 8}, {3, 4, 3, 3}, {1, 1, 1});
  // Many channels: the GEMMs' inner dimension spans several cache blocks.
  check_against_direct({3, 256, 8, 8}, {4, 256, 3, 3}, {1, 1, 1});
}

// The float forward packs GEMM panels straight from padded images (runs of any width
// up to a panel's, strided or not, panels that span images), and a stride-1
// backward computes dx as a forward convolution with the flipped weight (any padding
// up to dilation*(R-1)); the other shapes take col2im.
TEST(Conv2d, MatchesDirectConvolutionOnTheImplicitPaths) {
  check_against_direct({2, 3, 7, 6}, {4, 3, 3, 3}, {1, 0, 1});     // no padding: dx padding 2
  check_against_direct({2, 3, 9, 8}, {4, 3, 3, 3}, {1, 1, 2});     // dilation 2, dx padding 3
  check_against_direct({2, 3, 9, 9}, {2, 3, 5, 5}, {1, 1, 1});     // 5x5, dx padding 3
  check_against_direct({2, 3, 9, 9}, {2, 3, 3, 3}, {1, 3, 1});     // padding 3 > R-1: col2im
  check_against_direct({66, 2, 4, 4}, {3, 2, 3, 3}, {1, 1, 1});    // 4-wide runs, 64-image chunks
  check_against_direct({5, 3, 16, 16}, {4, 3, 3, 3}, {2, 1, 1});   // stride 2: strided runs
  check_against_direct({2, 3, 5, 7}, {4, 3, 1, 3}, {1, 1, 1});     // R != S: col2im
}

// The maps of 24-px views (24, 12, 6, 3 wide), whose runs a panel cuts into every
// length from 1 to 24, each copied by its own fixed-length copy; and widths of
// every residue around them.
TEST(Conv2d, MatchesDirectConvolutionOnEveryRunLength) {
  for (std::int64_t side : {3, 5, 6, 11, 12, 13, 23, 24, 25}) {
    SCOPED_TRACE("side " + std::to_string(side));
    check_against_direct({3, 2, side, side}, {3, 2, 3, 3}, {1, 1, 1});
    check_against_direct({2, 2, side, side}, {3, 2, 3, 3}, {2, 1, 1});
  }
}

// Each thread takes a contiguous range of images: more threads than images, an
// uneven split, and one image per thread all match the definition.
TEST(Conv2d, MatchesDirectConvolutionOnEveryThreadSplit) {
  const int threads_before = omp_get_max_threads();
  for (int threads : {1, 2, 3, 5}) {
    omp_set_num_threads(threads);
    SCOPED_TRACE("threads " + std::to_string(threads));
    check_against_direct({1, 3, 6, 6}, {4, 3, 3, 3}, {1, 1, 1});
    check_against_direct({4, 2, 8, 8}, {3, 2, 3, 3}, {2, 1, 1});
    check_against_direct({7, 4, 32, 32}, {2, 4, 1, 1}, {1, 0, 1});
  }
  omp_set_num_threads(threads_before);
}

TEST(Conv2d, NoGraphWithoutGrad) {
  Tensor x = Tensor::randn({1, 2, 4, 4}), w = Tensor::randn({2, 2, 3, 3});
  w.set_requires_grad();
  {
    NoGradGuard guard;
    EXPECT_FALSE(conv2d(x, w).requires_grad());
  }
  EXPECT_TRUE(conv2d(x, w).requires_grad());
}

TEST(Conv2d, Errors) {
  Tensor x = Tensor::zeros({2, 3, 5, 5});
  expect_error([&] { conv2d(x, Tensor::zeros({4, 1, 3, 3})); },
               "[conv2d] input has 3 channels, weight expects 1 (input 2x3x5x5, weight 4x1x3x3)");
  expect_error([&] { conv2d(Tensor::zeros({3, 5, 5}), Tensor::zeros({4, 3, 3, 3})); },
               "[conv2d] expects a 4-D input (N,C,H,W), got 3x5x5");
  expect_error([&] { conv2d(x, Tensor::zeros({4, 3, 3})); },
               "[conv2d] expects a 4-D weight (K,C,R,S), got 4x3x3");
  expect_error([&] { conv2d(x, Tensor::zeros({4, 3, 7, 7})); },
               "[conv2d] kernel 7x7 (dilation 1) is larger than the padded input 5x5");
  expect_error([&] { conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), {1, 0, 3}); },
               "[conv2d] kernel 3x3 (dilation 3) is larger than the padded input 5x5");
  expect_error([&] { conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({3})); },
               "[conv2d] bias must have shape 4");
  expect_error([&] { conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), {0, 1, 1}); },
               "[conv2d] needs stride >= 1");
  expect_error([&] { conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::f64)); }, "[conv2d]");
  expect_error(
      [&] { conv2d(Tensor::zeros({2, 3, 5, 5}, DType::i64), Tensor::zeros({4, 3, 3, 3})); },
      "[conv2d]");
}

TEST(Pool, OutputShapes) {
  Tensor x = Tensor::zeros({2, 3, 32, 32});
  EXPECT_EQ(max_pool2d(x, 2, 2).shape(), (Shape{2, 3, 16, 16}));
  EXPECT_EQ(max_pool2d(x, 3, 2, 1).shape(), (Shape{2, 3, 16, 16}));
  EXPECT_EQ(avg_pool2d(x, 3, 1, 1).shape(), (Shape{2, 3, 32, 32}));
  EXPECT_EQ(avg_pool2d(Tensor::zeros({1, 1, 7, 5}), 2, 2).shape(), (Shape{1, 1, 3, 2}));
  EXPECT_EQ(global_avg_pool2d(x).shape(), (Shape{2, 3, 1, 1}));
}

TEST(Pool, MaxPoolValuesAndGradient) {
  Tensor x = ramp({1, 1, 4, 4}, 0.0);  // 0..15
  x.set_requires_grad();
  Tensor y = max_pool2d(x, 2, 2);
  expect_values(y, {5, 7, 13, 15});
  backward(y, values({1, 2, 3, 4}, {1, 1, 2, 2}));
  expect_values(x.grad(), {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4});
  // Overlapping windows (stride 1) route several gradients to one maximum.
  Tensor z = ramp({1, 1, 3, 3}, 0.0);
  z.set_requires_grad();
  Tensor m = max_pool2d(z, 2, 1);
  expect_values(m, {4, 5, 7, 8});
  backward(m, Tensor::ones(m.shape()));
  expect_values(z.grad(), {0, 0, 0, 0, 1, 1, 0, 1, 1});
}

TEST(Pool, MaxPoolPaddingIsNegativeInfinity) {
  Tensor x = ramp({1, 1, 4, 4}, -1.0, -1.0);  // -1..-16: padding must never win
  expect_values(max_pool2d(x, 3, 2, 1), {-1, -2, -5, -6});
  expect_values(max_pool2d(ramp({1, 1, 4, 4}, 0.0), 3, 2, 1), {5, 7, 13, 15});
}

TEST(Pool, MaxPoolPropagatesNan) {
  Tensor x = values({1, NAN, 3, 4}, {1, 1, 2, 2});
  EXPECT_TRUE(std::isnan(max_pool2d(x, 2, 2).item()));
}

TEST(Pool, AvgPoolValuesAndGradient) {
  Tensor x = ramp({1, 1, 4, 4}, 0.0);
  x.set_requires_grad();
  Tensor y = avg_pool2d(x, 2, 2);
  expect_values(y, {2.5f, 4.5f, 10.5f, 12.5f});
  backward(y, values({4, 8, 12, 16}, {1, 1, 2, 2}));
  expect_values(x.grad(), {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // count_include_pad: the corner window holds 4 real values but divides by 9.
  Tensor padded = avg_pool2d(ramp({1, 1, 4, 4}, 0.0), 3, 2, 1);
  expect_values(padded, {10.0f / 9, 24.0f / 9, 51.0f / 9, 90.0f / 9});
}

TEST(Pool, GlobalAvgPoolValuesAndGradient) {
  Tensor x = ramp({2, 2, 2, 3}, 0.0);  // planes 0..5, 6..11, 12..17, 18..23
  x.set_requires_grad();
  Tensor y = global_avg_pool2d(x);
  expect_values(y, {2.5f, 8.5f, 14.5f, 20.5f});
  backward(y, values({6, 12, 0, -6}, {2, 2, 1, 1}));
  std::vector<float> expected;
  for (float g : {1.0f, 2.0f, 0.0f, -1.0f}) expected.insert(expected.end(), 6, g);
  expect_values(x.grad(), expected);
}

TEST(Pool, Errors) {
  Tensor x = Tensor::zeros({1, 2, 4, 4});
  expect_error([&] { max_pool2d(Tensor::zeros({2, 4, 4}), 2, 2); },
               "[max_pool2d] expects a 4-D input (N,C,H,W), got 2x4x4");
  expect_error([&] { max_pool2d(x, 5, 1); },
               "[max_pool2d] kernel 5x5 is larger than the padded input 4x4");
  expect_error([&] { avg_pool2d(x, 3, 1, 2); }, "[avg_pool2d] needs kernel >= 1");
  expect_error([&] { avg_pool2d(x, 2, 0); }, "[avg_pool2d] needs kernel >= 1, stride >= 1");
  expect_error([&] { global_avg_pool2d(Tensor::zeros({2, 4})); },
               "[global_avg_pool2d] expects a 4-D input (N,C,H,W), got 2x4");
  expect_error([&] { global_avg_pool2d(Tensor::zeros({2, 4, 4, 4}, DType::i64)); },
               "[global_avg_pool2d]");
}
