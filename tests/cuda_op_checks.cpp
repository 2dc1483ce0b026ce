// CUDA checks of ops beyond the op table's parity (tests/cuda_ops.cpp): argmax,
// which is not differentiable, an f64 chain held to a tighter tolerance than the
// table's, and the errors the ops raise for GPU inputs. Skips without a device.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "autograd/ops.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;

namespace {

// Freshly allocated device memory is NaN, so unwritten outputs show.
class CudaOpChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::available()) cuda::set_debug_poison(true);
  }
  void TearDown() override {
    if (cuda::available()) cuda::set_debug_poison(false);
  }
};

}  // namespace

TEST_F(CudaOpChecks, ArgmaxMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (const auto& [shape, dim] : std::vector<std::pair<Shape, std::int64_t>>{
           {{64, 10}, 1}, {{64, 10}, 0}, {{5, 7, 9}, -2}, {{3, 100000}, 1}, {{1}, 0}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = nanossl::testing::uniform(shape, -1, 1, DType::f32, 51);
    const Tensor gpu = argmax(x.to(Device::cuda()), dim).to(Device::cpu());
    EXPECT_EQ(gpu.dtype(), DType::i64);
    EXPECT_EQ(gpu.to_vector<std::int64_t>(), argmax(x, dim).to_vector<std::int64_t>());
  }
  const Tensor ties = Tensor::from_vector(std::vector<float>{1, 3, 3, 2, 5, 0, 5, -1}, {2, 4});
  EXPECT_EQ(argmax(ties.to(Device::cuda()), 1).to(Device::cpu()).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 0}));
}

TEST_F(CudaOpChecks, DoublePrecisionMatchesTightly) {
  NANOSSL_REQUIRE_CUDA();
  const Tensor a = nanossl::testing::uniform({33, 1, 7}, -1, 1, DType::f64, 61);
  const Tensor b = nanossl::testing::uniform({5, 7}, 0.5, 2, DType::f64, 62);
  const Tensor ref = sum(div(exp(a), b), {0, 2});
  const Tensor gpu = sum(div(exp(a.to(Device::cuda())), b.to(Device::cuda())), {0, 2});
  EXPECT_TRUE(all_close(gpu.to(Device::cpu()), ref, 1e-12, 1e-12));
  const Tensor m = max(mul(a, b), {0});
  EXPECT_TRUE(all_close(max(mul(a.to(Device::cuda()), b.to(Device::cuda())), {0}).to(Device::cpu()), m, 0, 0));
}

TEST_F(CudaOpChecks, MixedDevicesAreRejected) {
  NANOSSL_REQUIRE_CUDA();
  const Tensor a = Tensor::ones({3}), b = Tensor::ones({3}, DType::f32, Device::cuda());
  EXPECT_THROW(add(a, b), std::invalid_argument);
  EXPECT_THROW(mul(b, a), std::invalid_argument);
}

TEST_F(CudaOpChecks, CrossEntropyChecksLabelsOnGpu) {
  NANOSSL_REQUIRE_CUDA();
  Tensor logits = Tensor::zeros({5, 10}, DType::f32, Device::cuda());
  Tensor labels =
      Tensor::from_vector(std::vector<std::int64_t>{0, 1, 2, 12, 3}, {5}).to(Device::cuda());
  try {
    cross_entropy(logits, labels);
    ADD_FAILURE() << "no error for label 12";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "[cross_entropy] label 12 at row 3 is outside [0, 10)");
  }
}
