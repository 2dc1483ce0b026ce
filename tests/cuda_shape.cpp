// CUDA parity of the shape ops and of tensor-level device moves.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "tensor/random.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;

namespace {
Tensor on_gpu_leaf(const Tensor& cpu) {
  Tensor t = cpu.to(Device::cuda());
  t.set_requires_grad();
  return t;
}
}  // namespace

TEST(CudaShape, PermuteCatIndexSelectMatchCpu) {
  NANOSSL_REQUIRE_CUDA();
  cuda::set_debug_poison(true);
  Tensor a = Tensor::randn({3, 4, 5}), b = Tensor::randn({3, 2, 5});
  Tensor a_cpu = a.clone(), b_cpu = b.clone();
  a_cpu.set_requires_grad();
  b_cpu.set_requires_grad();
  Tensor a_gpu = on_gpu_leaf(a), b_gpu = on_gpu_leaf(b);
  Tensor idx = Tensor::from_vector(std::vector<std::int64_t>{2, 0, 2, 1}, {4});

  auto f = [&](const Tensor& x, const Tensor& y, const Tensor& index) {
    Tensor joined = cat({x, y}, 1);                  // 3x6x5
    Tensor moved = permute(joined, {2, 0, 1});       // 5x3x6
    Tensor picked = index_select(transpose(moved, 0, 1), index);  // 4x5x6
    return slice(picked, 1, 4);
  };
  Tensor out_cpu = f(a_cpu, b_cpu, idx);
  Tensor out_gpu = f(a_gpu, b_gpu, idx.to(Device::cuda()));
  EXPECT_TRUE(all_close(out_gpu, out_cpu, 0, 0));
  Tensor g = Tensor::randn(out_cpu.shape());
  backward(out_cpu, g);
  backward(out_gpu, g.to(Device::cuda()));
  EXPECT_TRUE(all_close(a_gpu.grad(), a_cpu.grad(), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(b_gpu.grad(), b_cpu.grad(), 1e-6, 1e-6));
  cuda::set_debug_poison(false);
}

TEST(CudaShape, RandomStreamIsTheSameOnBothDevices) {
  NANOSSL_REQUIRE_CUDA();
  manual_seed(3);
  Tensor cpu = Tensor::randn({1001});
  manual_seed(3);
  Tensor gpu = Tensor::randn({1001}, DType::f32, Device::cuda());
  EXPECT_TRUE(all_close(gpu, cpu, 1e-6, 1e-6));
}

TEST(CudaShape, DeviceRoundTripKeepsEveryDtype) {
  NANOSSL_REQUIRE_CUDA();
  Tensor bytes = Tensor::from_vector(std::vector<std::uint8_t>{1, 2, 250}, {3});
  EXPECT_EQ(bytes.to(Device::cuda()).to(Device::cpu()).to_vector<std::uint8_t>(), bytes.to_vector<std::uint8_t>());
  Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{-1, 1LL << 40}, {2});
  EXPECT_EQ(labels.to(Device::cuda()).to(Device::cpu()).to_vector<std::int64_t>(), labels.to_vector<std::int64_t>());
  Tensor x = Tensor::randn({5}, DType::f64);
  EXPECT_EQ(x.to(Device::cuda()).to(DType::f32).to(Device::cpu()).to_vector<float>(), x.to(DType::f32).to_vector<float>());
}

TEST(CudaShape, PinnedBatchesCopyToTheGpu) {
  NANOSSL_REQUIRE_CUDA();
  Tensor batch = Tensor::randn({64, 3, 8, 8});
  Tensor pinned = batch.pin_memory();
  EXPECT_TRUE(pinned.is_pinned());
  Tensor gpu = pinned.to(Device::cuda());
  EXPECT_TRUE(all_close(gpu, batch, 0, 0));
}
