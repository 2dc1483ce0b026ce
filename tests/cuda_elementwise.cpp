// CUDA parity of the elementwise ops and reductions: forward values and input
// gradients on the GPU against the CPU reference, in f32 on fresh random inputs,
// with freshly allocated device memory poisoned (NaN) so unwritten outputs show.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <functional>
#include <vector>

#include "autograd/engine.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "cpu/broadcast.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;

namespace {

using Dims = std::vector<std::int64_t>;

// Reductions: |error| of a float tree over n terms of magnitude <= 2.
double reduce_atol(std::int64_t n) { return 1e-5 + 2.0 * FLT_EPSILON * static_cast<double>(n); }

// Copies of one set of inputs as CPU and GPU leaves requiring grad.
struct Twins {
  std::vector<Tensor> cpu, gpu;
  explicit Twins(const std::vector<Tensor>& inputs) {
    for (const Tensor& t : inputs) {
      Tensor c = t.clone();
      c.set_requires_grad();
      Tensor g = t.to(Device::cuda());
      g.set_requires_grad();
      cpu.push_back(c);
      gpu.push_back(g);
    }
  }
};

// Runs `fn` on both devices, compares outputs, back-propagates the same random
// output gradient on both, and compares every input's gradient. grad_atol
// defaults to atol; broadcast inputs need more, their gradients being sums.
void expect_parity(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                   const std::vector<Tensor>& inputs, double atol, double rtol, std::uint64_t seed,
                   double grad_atol = -1) {
  if (grad_atol < 0) grad_atol = atol;
  Twins twins(inputs);
  Tensor out_cpu = fn(twins.cpu);
  Tensor out_gpu = fn(twins.gpu);
  ASSERT_TRUE(out_gpu.device().is_cuda());
  EXPECT_EQ(out_gpu.shape(), out_cpu.shape());
  EXPECT_TRUE(all_close(out_gpu.to(Device::cpu()), out_cpu, atol, rtol)) << "forward";
  Tensor grad = nanossl::testing::uniform(out_cpu.shape(), -1, 1, DType::f32, seed);
  backward(out_cpu, grad);
  backward(out_gpu, grad.to(Device::cuda()));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(twins.gpu[i].grad().defined()) << "input " << i;
    EXPECT_TRUE(all_close(twins.gpu[i].grad().to(Device::cpu()), twins.cpu[i].grad(), grad_atol, rtol))
        << "gradient of input " << i;
  }
}

Tensor randu(const Shape& shape, double lo, double hi, std::uint64_t seed) {
  return nanossl::testing::uniform(shape, lo, hi, DType::f32, seed);
}

class CudaElementwise : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::available()) cuda::set_debug_poison(true);
  }
  void TearDown() override {
    if (cuda::available()) cuda::set_debug_poison(false);
  }
};

const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{37, 53}, {37, 53}},       {{3, 1, 5}, {4, 1}},  {{1}, {2, 3}},        {{64, 33}, {}},
    {{8, 16, 5, 7}, {1, 16, 1, 1}}, {{2, 1, 3}, {2, 4, 1}}, {{300, 70}, {70}}, {{257, 1}, {1, 129}},
    {{70000}, {70000}},
};

}  // namespace

TEST_F(CudaElementwise, BinaryOpsBroadcast) {
  NANOSSL_REQUIRE_CUDA();
  using In = const std::vector<Tensor>&;
  std::uint64_t seed = 100;
  for (const auto& [sa, sb] : kShapePairs) {
    SCOPED_TRACE(shape_str(sa) + " with " + shape_str(sb));
    const Tensor a = randu(sa, -2, 2, ++seed), b = randu(sb, -2, 2, ++seed);
    const Tensor positive_b = randu(sb, 0.5, 2, ++seed);
    // The gradient of the smaller input sums this many output elements.
    const std::int64_t out_numel = shape_numel(cpu::broadcast_shape("test", sa, sb));
    const double grad_atol = reduce_atol(out_numel / std::max<std::int64_t>(1, std::min(a.numel(), b.numel())));
    expect_parity([](In in) { return add(in[0], in[1]); }, {a, b}, 1e-5, 1e-5, ++seed, grad_atol);
    expect_parity([](In in) { return sub(in[0], in[1]); }, {a, b}, 1e-5, 1e-5, ++seed, grad_atol);
    expect_parity([](In in) { return mul(in[0], in[1]); }, {a, b}, 1e-5, 1e-5, ++seed, grad_atol);
    expect_parity([](In in) { return mul(in[1], in[0]); }, {a, b}, 1e-5, 1e-5, ++seed, grad_atol);
    expect_parity([](In in) { return div(in[0], in[1]); }, {a, positive_b}, 1e-5, 1e-5, ++seed,
                  4 * grad_atol);
  }
}

TEST_F(CudaElementwise, UnaryAndScalarOps) {
  NANOSSL_REQUIRE_CUDA();
  for (const Shape& shape : {Shape{1}, Shape{5, 7}, Shape{3, 1, 40}, Shape{100001}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = randu(shape, -2, 2, 11), positive = randu(shape, 0.2, 3, 12);
    using In = const std::vector<Tensor>&;
    expect_parity([](In in) { return neg(in[0]); }, {x}, 1e-5, 1e-5, 1);
    expect_parity([](In in) { return add_scalar(in[0], 0.75); }, {x}, 1e-5, 1e-5, 2);
    expect_parity([](In in) { return mul_scalar(in[0], -1.25); }, {x}, 1e-5, 1e-5, 3);
    expect_parity([](In in) { return exp(in[0]); }, {x}, 1e-5, 1e-5, 4);
    expect_parity([](In in) { return log(in[0]); }, {positive}, 1e-5, 1e-5, 5);
    expect_parity([](In in) { return sqrt(in[0]); }, {positive}, 1e-5, 1e-5, 6);
    expect_parity([](In in) { return relu(in[0]); }, {x}, 1e-5, 1e-5, 7);
    for (double e : {2.0, 3.0, 0.5, -1.5, 0.0}) {
      SCOPED_TRACE(e);
      expect_parity([e](In in) { return pow(in[0], e); }, {positive}, 1e-5, 1e-5, 8);
    }
  }
}

TEST_F(CudaElementwise, SumToShapeAndChains) {
  NANOSSL_REQUIRE_CUDA();
  using In = const std::vector<Tensor>&;
  const Tensor x = randu({6, 5, 4}, -1, 1, 21), w = randu({5, 1}, -1, 1, 22);
  expect_parity([](In in) { return sum_to_shape(in[0], {5, 1}); }, {x}, reduce_atol(24), 1e-5, 23);
  expect_parity([](In in) { return sum_to_shape(in[0], {1, 1, 4}); }, {x}, reduce_atol(30), 1e-5, 24);
  expect_parity([](In in) { return relu(sub(mul(in[0], in[1]), exp(in[1]))); }, {x, w}, 1e-5, 1e-5, 25,
                reduce_atol(3 * 24));
}

TEST_F(CudaElementwise, SumOverDimsAndShapes) {
  NANOSSL_REQUIRE_CUDA();
  using In = const std::vector<Tensor>&;
  struct Case {
    Shape shape;
    Dims dims;
    std::int64_t n;  // elements per output
  };
  // Warp-per-row rows, long rows split across blocks (two levels), columns with
  // one and several row splits, runs of adjacent dims, all dims, many rows.
  const std::vector<Case> cases = {
      {{13, 17}, {1}, 17},           {{4, 5000}, {-1}, 5000},      {{2, 3000000}, {1}, 3000000},
      {{3000, 40}, {0}, 3000},       {{100000, 3}, {0}, 100000},   {{7, 33, 65}, {1}, 33},
      {{8, 16, 6, 6}, {0, 2, 3}, 288}, {{6, 7, 8}, {}, 336},        {{1, 1, 5}, {0, 1}, 1},
      {{70000, 5}, {1}, 5},          {{2, 3, 4}, {0, 2}, 8},       {{5000001}, {0}, 5000001},
      {{70000, 2, 3}, {1}, 2},
  };
  for (const Case& c : cases) {
    for (bool keepdim : {false, true}) {
      SCOPED_TRACE(shape_str(c.shape) + (keepdim ? " keepdim" : ""));
      const Tensor x = randu(c.shape, -1, 1, 31);
      const double atol = reduce_atol(c.n);
      expect_parity([&](In in) { return sum(in[0], c.dims, keepdim); }, {x}, atol, 1e-5, 32);
      expect_parity([&](In in) { return mean(in[0], c.dims, keepdim); }, {x}, atol / c.n + 1e-6, 1e-5, 33);
    }
  }
}

TEST_F(CudaElementwise, MaxOverDimsAndShapes) {
  NANOSSL_REQUIRE_CUDA();
  using In = const std::vector<Tensor>&;
  const std::vector<std::pair<Shape, Dims>> cases = {
      {{13, 17}, {1}},  {{4, 5000}, {-1}}, {{2, 300000}, {1}}, {{3000, 40}, {0}}, {{100000, 3}, {0}},
      {{7, 33, 65}, {1}}, {{8, 16, 6, 6}, {0, 2, 3}}, {{6, 7, 8}, {}}, {{1, 1, 5}, {0, 1}},
  };
  for (const auto& [shape, dims] : cases) {
    for (bool keepdim : {false, true}) {
      SCOPED_TRACE(shape_str(shape) + (keepdim ? " keepdim" : ""));
      // Uniform floats: ties are rare but possible, and both devices split them alike.
      const Tensor x = randu(shape, -1, 1, 41);
      expect_parity([&](In in) { return max(in[0], dims, keepdim); }, {x}, 0, 0, 42);
    }
  }
  // Exact ties share the gradient on both devices.
  const Tensor ties = Tensor::from_vector(std::vector<float>{1, 3, 3, 2, 0, 0, 0, 0}, {2, 4});
  expect_parity([](In in) { return max(in[0], {1}); }, {ties}, 0, 1e-6, 43);
  expect_parity([](In in) { return max(in[0]); }, {ties}, 0, 1e-6, 44);
}

TEST_F(CudaElementwise, ArgmaxMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (const auto& [shape, dim] : std::vector<std::pair<Shape, std::int64_t>>{
           {{64, 10}, 1}, {{64, 10}, 0}, {{5, 7, 9}, -2}, {{3, 100000}, 1}, {{1}, 0}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = randu(shape, -1, 1, 51);
    const Tensor gpu = argmax(x.to(Device::cuda()), dim).to(Device::cpu());
    EXPECT_EQ(gpu.dtype(), DType::i64);
    EXPECT_EQ(gpu.to_vector<std::int64_t>(), argmax(x, dim).to_vector<std::int64_t>());
  }
  const Tensor ties = Tensor::from_vector(std::vector<float>{1, 3, 3, 2, 5, 0, 5, -1}, {2, 4});
  EXPECT_EQ(argmax(ties.to(Device::cuda()), 1).to(Device::cpu()).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 0}));
}

TEST_F(CudaElementwise, DoublePrecisionMatchesTightly) {
  NANOSSL_REQUIRE_CUDA();
  const Tensor a = nanossl::testing::uniform({33, 1, 7}, -1, 1, DType::f64, 61);
  const Tensor b = nanossl::testing::uniform({5, 7}, 0.5, 2, DType::f64, 62);
  const Tensor ref = sum(div(exp(a), b), {0, 2});
  const Tensor gpu = sum(div(exp(a.to(Device::cuda())), b.to(Device::cuda())), {0, 2});
  EXPECT_TRUE(all_close(gpu.to(Device::cpu()), ref, 1e-12, 1e-12));
  const Tensor m = max(mul(a, b), {0});
  EXPECT_TRUE(all_close(max(mul(a.to(Device::cuda()), b.to(Device::cuda())), {0}).to(Device::cpu()), m, 0, 0));
}

TEST_F(CudaElementwise, MixedDevicesAreRejected) {
  NANOSSL_REQUIRE_CUDA();
  const Tensor a = Tensor::ones({3}), b = Tensor::ones({3}, DType::f32, Device::cuda());
  EXPECT_THROW(add(a, b), std::invalid_argument);
  EXPECT_THROW(mul(b, a), std::invalid_argument);
}
