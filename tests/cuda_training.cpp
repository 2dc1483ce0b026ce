// GPU training smoke test: the conv net of integration_training.cpp, trained on
// the GPU, must drive its loss down as it does on the CPU.
#include <gtest/gtest.h>

#include "tensor/random.h"
#include "test_util.h"
#include "training_util.h"

using namespace nanossl;

TEST(CudaTraining, SmallConvNetLossFalls) {
  NANOSSL_REQUIRE_CUDA();
  manual_seed(2);
  const auto [first, last] = nanossl::testing::train_bars_conv_net(Device::cuda(), 60);
  EXPECT_GT(first, 0.5);
  EXPECT_LT(last, 0.1) << "loss went from " << first << " to " << last;
}
