// Tensors on the GPU: the random stream matches the CPU's, device moves keep every
// dtype, and pinned batches copy over. (Shape-op parity is in cuda_ops.cpp.)
#include <gtest/gtest.h>

#include "tensor/random.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;

TEST(CudaTensor, RandomStreamIsTheSameOnBothDevices) {
  NANOSSL_REQUIRE_CUDA();
  manual_seed(3);
  Tensor cpu = Tensor::randn({1001});
  manual_seed(3);
  Tensor gpu = Tensor::randn({1001}, DType::f32, Device::cuda());
  EXPECT_TRUE(all_close(gpu, cpu, 1e-6, 1e-6));
}

TEST(CudaTensor, DeviceRoundTripKeepsEveryDtype) {
  NANOSSL_REQUIRE_CUDA();
  Tensor bytes = Tensor::from_vector(std::vector<std::uint8_t>{1, 2, 250}, {3});
  EXPECT_EQ(bytes.to(Device::cuda()).to(Device::cpu()).to_vector<std::uint8_t>(), bytes.to_vector<std::uint8_t>());
  Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{-1, 1LL << 40}, {2});
  EXPECT_EQ(labels.to(Device::cuda()).to(Device::cpu()).to_vector<std::int64_t>(), labels.to_vector<std::int64_t>());
  Tensor x = Tensor::randn({5}, DType::f64);
  EXPECT_EQ(x.to(Device::cuda()).to(DType::f32).to(Device::cpu()).to_vector<float>(), x.to(DType::f32).to_vector<float>());
}

TEST(CudaTensor, PinnedBatchesCopyToTheGpu) {
  NANOSSL_REQUIRE_CUDA();
  Tensor batch = Tensor::randn({64, 3, 8, 8});
  Tensor pinned = batch.pin_memory();
  EXPECT_TRUE(pinned.is_pinned());
  Tensor gpu = pinned.to(Device::cuda());
  EXPECT_TRUE(all_close(gpu, batch, 0, 0));
}
