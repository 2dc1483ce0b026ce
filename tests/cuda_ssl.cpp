// ssl/ on the GPU: contrastive_top1, nt_xent's device check, and the projection
// head's forward, backward and running statistics match the CPU (nt_xent's value
// and gradients are in the op table, cuda_ops.cpp).
// Every test skips where no CUDA device is present.
#include <gtest/gtest.h>

#include <string>

#include "autograd/ops.h"
#include "ssl/ntxent.h"
#include "ssl/projection_head.h"
#include "tensor/random.h"
#include "test_util.h"

namespace nanossl::ssl {
namespace {

using nanossl::testing::all_close;
using nanossl::testing::DevicePair;
using nanossl::testing::leaf_pair;

TEST(CudaSsl, ContrastiveTop1MatchesCpu) {
  // nt_xent's value and gradients are checked by the op table (cuda_ops.cpp).
  NANOSSL_REQUIRE_CUDA();
  std::uint64_t seed = 1;
  for (DType dtype : {DType::f32, DType::f64}) {
    for (std::int64_t N : {1, 5, 16, 64}) {
      DevicePair z1 = leaf_pair({N, 8}, -1.0, 1.0, ++seed, dtype);
      DevicePair z2 = leaf_pair({N, 8}, -1.0, 1.0, ++seed, dtype);
      EXPECT_DOUBLE_EQ(contrastive_top1(z1.gpu, z2.gpu), contrastive_top1(z1.cpu, z2.cpu))
          << dtype_name(dtype) << " N " << N;
    }
  }
}

TEST(CudaSsl, NtXentRejectsMixedDevices) {
  NANOSSL_REQUIRE_CUDA();
  const Tensor z = Tensor::randn({4, 3});
  try {
    nt_xent(z, z.to(Device::cuda()), 0.1);
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("[nt_xent]"), std::string::npos) << message;
    EXPECT_NE(message.find("devices"), std::string::npos) << message;
  }
}

TEST(CudaSsl, ProjectionHeadMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (int layers : {2, 3}) {
    manual_seed(20);
    ProjectionHead cpu_head(16, 16, 8, layers);
    manual_seed(20);
    ProjectionHead gpu_head(16, 16, 8, layers);
    gpu_head.to(Device::cuda());
    DevicePair h = leaf_pair({12, 16}, -2.0, 2.0, 30 + layers);
    const Tensor weights = nanossl::testing::uniform({12, 8}, -1.0, 1.0, DType::f32, 40);
    const Tensor cpu_out = cpu_head(h.cpu);
    const Tensor gpu_out = gpu_head(h.gpu);
    EXPECT_TRUE(all_close(gpu_out, cpu_out, 1e-4, 1e-4)) << layers;
    backward(sum(cpu_out * weights));
    backward(sum(gpu_out * weights.to(Device::cuda())));
    EXPECT_TRUE(all_close(h.gpu.grad(), h.cpu.grad(), 1e-4, 1e-3)) << layers;
    const auto cpu_params = cpu_head.named_parameters();
    const auto gpu_params = gpu_head.named_parameters();
    ASSERT_EQ(cpu_params.size(), gpu_params.size());
    for (std::size_t i = 0; i < cpu_params.size(); ++i) {
      EXPECT_TRUE(all_close(gpu_params[i].second.grad(), cpu_params[i].second.grad(), 1e-4, 1e-3))
          << layers << " " << cpu_params[i].first;
    }
    const auto cpu_state = cpu_head.state_dict();
    for (const auto& [name, t] : gpu_head.state_dict()) {
      EXPECT_TRUE(t.device().is_cuda()) << name;
      EXPECT_TRUE(all_close(t, cpu_state.at(name), 1e-5, 1e-5)) << layers << " " << name;
    }
    cpu_head.eval();
    gpu_head.eval();
    EXPECT_TRUE(all_close(gpu_head(h.gpu.detach()), cpu_head(h.cpu.detach()), 1e-4, 1e-4)) << layers;
  }
}

TEST(CudaSsl, HeadAndLossTogether) {
  // The whole SimCLR loss path (head, then NT-Xent) on the GPU gives the CPU's loss
  // and the CPU's gradient at the encoder features.
  NANOSSL_REQUIRE_CUDA();
  manual_seed(50);
  ProjectionHead cpu_head(10, 10, 6, 2);
  manual_seed(50);
  ProjectionHead gpu_head(10, 10, 6, 2);
  gpu_head.to(Device::cuda());
  DevicePair h1 = leaf_pair({8, 10}, -1.0, 1.0, 51), h2 = leaf_pair({8, 10}, -1.0, 1.0, 52);
  const Tensor cpu_loss = nt_xent(cpu_head(h1.cpu), cpu_head(h2.cpu), 0.2);
  const Tensor gpu_loss = nt_xent(gpu_head(h1.gpu), gpu_head(h2.gpu), 0.2);
  EXPECT_TRUE(all_close(gpu_loss, cpu_loss, 1e-5, 1e-4));
  backward(cpu_loss);
  backward(gpu_loss);
  EXPECT_TRUE(all_close(h1.gpu.grad(), h1.cpu.grad(), 1e-5, 1e-3));
  EXPECT_TRUE(all_close(h2.gpu.grad(), h2.cpu.grad(), 1e-5, 1e-3));
}

}  // namespace
}  // namespace nanossl::ssl
