// CUDA parity of conv2d and pooling: forward outputs and every gradient computed on
// the GPU match the CPU reference kernels on the same inputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/ops.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;
using nanossl::testing::uniform;

namespace {

using Pair = nanossl::testing::DevicePair;
// Values in [-scale, scale].
Pair symmetric_pair(const Shape& shape, double scale, std::uint64_t seed, DType dtype = DType::f32) {
  return nanossl::testing::leaf_pair(shape, -scale, scale, seed, dtype);
}

// Runs `f` on both devices, backpropagates the same random gradient, and compares
// the outputs and the gradients of every input.
template <class F>
::testing::AssertionResult check_parity(const std::string& what, std::vector<Pair> inputs, F&& f,
                                        double tolerance = 1e-4) {
  std::vector<Tensor> cpu_in, gpu_in;
  for (const Pair& p : inputs) {
    cpu_in.push_back(p.cpu);
    gpu_in.push_back(p.gpu);
  }
  Tensor out_cpu = f(cpu_in), out_gpu = f(gpu_in);
  if (!out_gpu.device().is_cuda()) return ::testing::AssertionFailure() << what << ": output left the GPU";
  auto forward = all_close(out_gpu.to(Device::cpu()), out_cpu, tolerance, tolerance);
  if (!forward) return forward << " (" << what << ": forward)";
  Tensor g = uniform(out_cpu.shape(), -1, 1, out_cpu.dtype(), 99);
  backward(out_cpu, g);
  backward(out_gpu, g.to(Device::cuda()));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].gpu.grad().defined()) {
      return ::testing::AssertionFailure() << what << ": no gradient for input " << i;
    }
    auto grad = all_close(inputs[i].gpu.grad().to(Device::cpu()), inputs[i].cpu.grad(), tolerance, tolerance);
    if (!grad) return grad << " (" << what << ": gradient of input " << i << ")";
  }
  return ::testing::AssertionSuccess();
}

struct ConvCase {
  Shape x, weight;
  bool bias;
  Conv2dOptions options;
  double scale;  // inputs in [-scale, scale], keeping float sums well within 1e-4
};

::testing::AssertionResult check_conv(const ConvCase& c, DType dtype = DType::f32) {
  const std::string what = "conv2d x " + shape_str(c.x) + " w " + shape_str(c.weight) +
                           " stride " + std::to_string(c.options.stride) + " padding " +
                           std::to_string(c.options.padding) + " dilation " +
                           std::to_string(c.options.dilation);
  std::vector<Pair> inputs{symmetric_pair(c.x, c.scale, 1, dtype),
                           symmetric_pair(c.weight, c.scale, 2, dtype)};
  if (c.bias) inputs.push_back(symmetric_pair({c.weight[0]}, c.scale, 3, dtype));
  return check_parity(what, inputs, [&](const std::vector<Tensor>& in) {
    return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), c.options);
  });
}

}  // namespace

TEST(CudaConv, Conv2dMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  const ConvCase cases[] = {
      {{2, 3, 8, 8}, {4, 3, 3, 3}, true, {1, 1, 1}, 1.0},
      {{3, 4, 9, 7}, {5, 4, 3, 3}, false, {2, 1, 1}, 1.0},
      {{2, 2, 10, 10}, {3, 2, 5, 5}, true, {1, 2, 1}, 1.0},
      {{2, 3, 11, 11}, {2, 3, 3, 3}, true, {2, 2, 2}, 1.0},
      {{1, 1, 6, 6}, {1, 1, 3, 3}, true, {1, 0, 1}, 1.0},
      {{2, 8, 8, 8}, {16, 8, 1, 1}, false, {2, 0, 1}, 1.0},   // strided 1x1 shortcut
      {{2, 8, 16, 16}, {16, 8, 1, 1}, true, {1, 0, 1}, 1.0},  // pointwise
      {{2, 3, 32, 32}, {16, 3, 3, 3}, false, {1, 1, 1}, 1.0}, // CIFAR stem
      {{2, 64, 16, 16}, {64, 64, 3, 3}, false, {1, 1, 1}, 0.5},  // ResNet-like layer
  };
  for (const ConvCase& c : cases) EXPECT_TRUE(check_conv(c));
  cuda::set_debug_poison(false);
}

TEST(CudaConv, Conv2dMatchesCpuAcrossChunks) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  // 256 channels at 32x32: about 28 images fill one GPU im2col chunk, so 30 take two.
  EXPECT_TRUE(check_conv({{30, 256, 32, 32}, {4, 256, 3, 3}, true, {1, 1, 1}, 0.1}));
  cuda::set_debug_poison(false);
}

TEST(CudaConv, Conv2dDoubleMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  EXPECT_TRUE(check_conv({{2, 3, 7, 7}, {4, 3, 3, 3}, true, {2, 1, 1}, 1.0}, DType::f64));
  cuda::set_debug_poison(false);
}

TEST(CudaConv, PoolsMatchCpu) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  struct Case {
    Shape x;
    std::int64_t kernel, stride, padding;
  };
  const Case cases[] = {{{2, 3, 8, 8}, 2, 2, 0},  {{2, 4, 9, 9}, 3, 2, 1},
                        {{1, 2, 7, 6}, 3, 1, 1},  {{2, 2, 5, 7}, 2, 1, 1},
                        {{4, 64, 32, 32}, 3, 2, 1}};
  std::uint64_t seed = 10;
  for (const Case& c : cases) {
    const std::string shape = shape_str(c.x) + " kernel " + std::to_string(c.kernel) +
                              " stride " + std::to_string(c.stride) + " padding " +
                              std::to_string(c.padding);
    EXPECT_TRUE(check_parity("max_pool2d " + shape, {symmetric_pair(c.x, 1.0, seed++)},
                 [&](const std::vector<Tensor>& in) {
                   return max_pool2d(in[0], c.kernel, c.stride, c.padding);
                 }));
    EXPECT_TRUE(check_parity("avg_pool2d " + shape, {symmetric_pair(c.x, 1.0, seed++)},
                 [&](const std::vector<Tensor>& in) {
                   return avg_pool2d(in[0], c.kernel, c.stride, c.padding);
                 }));
  }
  for (const Shape& s : {Shape{2, 3, 4, 4}, Shape{8, 512, 4, 4}, Shape{2, 2, 33, 35}}) {
    EXPECT_TRUE(check_parity("global_avg_pool2d " + shape_str(s), {symmetric_pair(s, 1.0, seed++)},
                 [](const std::vector<Tensor>& in) { return global_avg_pool2d(in[0]); }));
  }
  cuda::set_debug_poison(false);
}

TEST(CudaConv, PoolsDoubleMatchCpu) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  const Shape s{2, 3, 7, 7};
  EXPECT_TRUE(check_parity("max_pool2d f64", {symmetric_pair(s, 1.0, 40, DType::f64)},
               [](const std::vector<Tensor>& in) { return max_pool2d(in[0], 3, 2, 1); }, 1e-12));
  EXPECT_TRUE(check_parity("avg_pool2d f64", {symmetric_pair(s, 1.0, 41, DType::f64)},
               [](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 3, 2, 1); }, 1e-12));
  EXPECT_TRUE(check_parity("global_avg_pool2d f64", {symmetric_pair(s, 1.0, 42, DType::f64)},
               [](const std::vector<Tensor>& in) { return global_avg_pool2d(in[0]); }, 1e-12));
  cuda::set_debug_poison(false);
}

TEST(CudaConv, ConvPoolChainMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  // Average rather than max pooling: a max could pick different elements when two
  // conv outputs differ by less than the devices' rounding.
  EXPECT_TRUE(check_parity("conv -> avg_pool -> conv -> global_avg_pool",
               {symmetric_pair({2, 3, 16, 16}, 1.0, 50), symmetric_pair({8, 3, 3, 3}, 0.5, 51),
                symmetric_pair({8}, 0.5, 52), symmetric_pair({4, 8, 3, 3}, 0.5, 53)},
               [](const std::vector<Tensor>& in) {
                 Tensor y = conv2d(in[0], in[1], in[2], {1, 1, 1});
                 y = avg_pool2d(y, 3, 2, 1);
                 y = conv2d(y, in[3], Tensor(), {2, 1, 1});
                 return global_avg_pool2d(y);
               }));
  cuda::set_debug_poison(false);
}
