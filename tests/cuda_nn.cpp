// nn/ on the GPU: Module::to moves every parameter and buffer in place (handles
// taken before the move see the GPU tensors), and a ResNet gives the CPU's outputs,
// running statistics and batch counts on CUDA.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "nn/resnet.h"
#include "tensor/random.h"
#include "test_util.h"

namespace nanossl::nn {
namespace {

using nanossl::testing::all_close;

std::shared_ptr<ResNet> small_resnet(int depth) {
  ResNetConfig config;
  config.depth = depth;
  config.stem = ResNetStem::cifar;
  config.width_multiplier = 8;
  config.num_classes = 10;
  manual_seed(11);
  return make_resnet(config);
}

TEST(CudaNn, ToMovesTensorsInPlace) {
  NANOSSL_REQUIRE_CUDA();
  auto model = small_resnet(18);
  const std::vector<Tensor> handles = model->parameters();
  const Tensor first = handles.front().clone();
  const Tensor tracked = model->state_dict().at("bn1.num_batches_tracked");
  model->to(Device::cuda());
  for (const Tensor& p : handles) {
    EXPECT_TRUE(p.device().is_cuda());
    EXPECT_TRUE(p.requires_grad());
  }
  for (const auto& entry : model->named_buffers()) EXPECT_TRUE(entry.second.device().is_cuda()) << entry.first;
  EXPECT_TRUE(tracked.device().is_cuda());
  EXPECT_EQ(tracked.dtype(), DType::i64);
  EXPECT_TRUE(all_close(handles.front(), first, 0, 0));
  model->to(Device::cpu());
  EXPECT_TRUE(handles.front().device().is_cpu());
  EXPECT_TRUE(all_close(handles.front(), first, 0, 0));
}

TEST(CudaNn, ResNetMatchesCpu) {
  NANOSSL_REQUIRE_CUDA();
  for (int depth : {18, 50}) {
    auto cpu_model = small_resnet(depth);
    auto gpu_model = small_resnet(depth);
    gpu_model->to(Device::cuda());
    const Tensor x = Tensor::randn({4, 3, 16, 16});
    const Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{1, 0, 9, 3}, {4});

    backward(cross_entropy(cpu_model->forward(x), labels));
    backward(cross_entropy(gpu_model->forward(x.to(Device::cuda())), labels.to(Device::cuda())));
    const auto cpu_state = cpu_model->state_dict();
    for (const auto& [name, t] : gpu_model->state_dict()) {
      EXPECT_TRUE(all_close(t, cpu_state.at(name), 1e-4, 1e-3)) << name;
    }
    EXPECT_EQ(gpu_model->state_dict().at("layer1.0.bn2.num_batches_tracked").item(), 1.0);
    const auto cpu_params = cpu_model->named_parameters();
    const auto gpu_params = gpu_model->named_parameters();
    for (std::size_t i = 0; i < cpu_params.size(); ++i) {
      EXPECT_TRUE(all_close(gpu_params[i].second.grad(), cpu_params[i].second.grad(), 1e-3, 1e-2))
          << cpu_params[i].first;
    }
    cpu_model->eval();
    gpu_model->eval();
    const Tensor probe = Tensor::randn({2, 3, 16, 16});
    EXPECT_TRUE(all_close(gpu_model->forward(probe.to(Device::cuda())), cpu_model->forward(probe), 1e-4, 1e-3));
  }
}

TEST(CudaNn, LoadStateDictAcrossDevices) {
  NANOSSL_REQUIRE_CUDA();
  auto source = small_resnet(18);
  source->forward(Tensor::randn({4, 3, 8, 8}));
  auto target = small_resnet(18);
  target->to(Device::cuda());
  target->load_state_dict(source->state_dict());
  for (const auto& [name, t] : target->state_dict()) {
    EXPECT_TRUE(t.device().is_cuda()) << name;
    EXPECT_TRUE(all_close(t, source->state_dict().at(name), 0, 0)) << name;
  }
  target->forward(Tensor::randn({4, 3, 8, 8}, DType::f32, Device::cuda()));
  EXPECT_EQ(target->state_dict().at("bn1.num_batches_tracked").item(), 2.0);
}

}  // namespace
}  // namespace nanossl::nn
