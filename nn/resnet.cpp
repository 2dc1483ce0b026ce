// ResNet construction (torchvision's _make_layer), its forward passes, and
// torchvision's initialisation.
#include "nn/resnet.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "nn/init.h"

namespace nanossl::nn {
namespace {

std::shared_ptr<Conv2d> conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride) {
  return std::make_shared<Conv2d>(in, out, 3, Conv2dOptions{stride, 1, 1}, false);
}

std::shared_ptr<Conv2d> conv1x1(std::int64_t in, std::int64_t out, std::int64_t stride) {
  return std::make_shared<Conv2d>(in, out, 1, Conv2dOptions{stride, 0, 1}, false);
}

// The projection shortcut when the block changes resolution or width.
std::shared_ptr<Sequential> make_downsample(std::int64_t in, std::int64_t out, std::int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return std::make_shared<Sequential>(
      std::initializer_list<std::shared_ptr<Module>>{conv1x1(in, out, stride), std::make_shared<BatchNorm2d>(out)});
}

// Blocks per stage, as torchvision. ResNet-10 (one BasicBlock per stage) is not in
// torchvision but is `ResNet(BasicBlock, [1, 1, 1, 1])` there: about half of
// ResNet-18's compute, for the scaled-down studies.
std::vector<int> stage_blocks(int depth) {
  switch (depth) {
    case 10: return {1, 1, 1, 1};
    case 18: return {2, 2, 2, 2};
    case 34: return {3, 4, 6, 3};
    case 50: return {3, 4, 6, 3};
    default:
      throw std::invalid_argument("[resnet] depth must be 10, 18, 34 or 50, got " + std::to_string(depth));
  }
}

// torchvision's _make_layer: the first block carries the stride and the
// projection; `in_planes` advances to planes * expansion.
template <class Block>
std::shared_ptr<Sequential> make_layer(std::int64_t& in_planes, std::int64_t planes, int blocks,
                                       std::int64_t stride, bool zero_init_residual) {
  auto layer = std::make_shared<Sequential>();
  for (int i = 0; i < blocks; ++i) {
    auto block = std::make_shared<Block>(in_planes, planes, i == 0 ? stride : 1);
    if (zero_init_residual) block->last_bn().weight.zero_();
    layer->push_back(block);
    in_planes = planes * Block::expansion;
  }
  return layer;
}

// torchvision's loop over self.modules(): He-normal (fan_out) convolutions. BN
// weight 1 / bias 0 and the Linear default are already set by their constructors.
void init_convolutions(Module& module) {
  if (auto* conv = dynamic_cast<Conv2d*>(&module)) {
    init::kaiming_normal_(conv->weight, 0.0, init::FanMode::fan_out);
  }
  for (const auto& entry : module.children()) init_convolutions(*entry.second);
}

}  // namespace

ResNetStem parse_resnet_stem(const std::string& text) {
  if (text == "imagenet") return ResNetStem::imagenet;
  if (text == "cifar") return ResNetStem::cifar;
  throw std::invalid_argument("[resnet] stem must be 'imagenet' or 'cifar', got '" + text + "'");
}

std::string to_string(ResNetStem stem) { return stem == ResNetStem::imagenet ? "imagenet" : "cifar"; }

BasicBlock::BasicBlock(std::int64_t in_planes, std::int64_t planes, std::int64_t stride) {
  conv1 = register_module("conv1", conv3x3(in_planes, planes, stride));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  register_module("relu", std::make_shared<ReLU>());
  conv2 = register_module("conv2", conv3x3(planes, planes, 1));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  downsample = make_downsample(in_planes, planes * expansion, stride);
  if (downsample) register_module("downsample", downsample);
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = relu(bn1->forward(conv1->forward(x)));
  out = bn2->forward(conv2->forward(out));
  const Tensor shortcut = downsample ? downsample->forward(x) : x;
  return relu(add(out, shortcut));
}

Bottleneck::Bottleneck(std::int64_t in_planes, std::int64_t planes, std::int64_t stride) {
  conv1 = register_module("conv1", conv1x1(in_planes, planes, 1));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2 = register_module("conv2", conv3x3(planes, planes, stride));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  conv3 = register_module("conv3", conv1x1(planes, planes * expansion, 1));
  bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(planes * expansion));
  register_module("relu", std::make_shared<ReLU>());
  downsample = make_downsample(in_planes, planes * expansion, stride);
  if (downsample) register_module("downsample", downsample);
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = relu(bn1->forward(conv1->forward(x)));
  out = relu(bn2->forward(conv2->forward(out)));
  out = bn3->forward(conv3->forward(out));
  const Tensor shortcut = downsample ? downsample->forward(x) : x;
  return relu(add(out, shortcut));
}

ResNet::ResNet(const ResNetConfig& config) : config_(config) {
  const std::vector<int> blocks = stage_blocks(config.depth);
  if (config.width_multiplier <= 0) {
    throw std::invalid_argument("[resnet] width_multiplier (base width) must be positive, got " +
                                std::to_string(config.width_multiplier));
  }
  if (config.in_channels != 1 && config.in_channels != 3) {
    throw std::invalid_argument("[resnet] in_channels must be 1 or 3, got " + std::to_string(config.in_channels));
  }
  if (config.num_classes < 0) {
    throw std::invalid_argument("[resnet] num_classes must be >= 0, got " + std::to_string(config.num_classes));
  }
  const std::int64_t width = config.width_multiplier;
  const bool imagenet = config.stem == ResNetStem::imagenet;
  conv1 = register_module("conv1", imagenet ? std::make_shared<Conv2d>(config.in_channels, width, 7,
                                                                       Conv2dOptions{2, 3, 1}, false)
                                            : conv3x3(config.in_channels, width, 1));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
  register_module("relu", std::make_shared<ReLU>());
  maxpool = imagenet ? std::shared_ptr<Module>(std::make_shared<MaxPool2d>(3, 2, 1))
                     : std::shared_ptr<Module>(std::make_shared<Identity>());
  register_module("maxpool", maxpool);

  std::int64_t in_planes = width;
  const bool zero = config.zero_init_residual;
  std::shared_ptr<Sequential>* layers[4] = {&layer1, &layer2, &layer3, &layer4};
  for (int i = 0; i < 4; ++i) {
    const std::int64_t planes = width << i;
    const std::int64_t stride = i == 0 ? 1 : 2;
    *layers[i] = config.depth == 50 ? make_layer<Bottleneck>(in_planes, planes, blocks[i], stride, zero)
                                    : make_layer<BasicBlock>(in_planes, planes, blocks[i], stride, zero);
    register_module("layer" + std::to_string(i + 1), *layers[i]);
  }
  feature_dim_ = in_planes;
  avgpool = register_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(1));
  if (config.num_classes > 0) fc = register_module("fc", std::make_shared<Linear>(feature_dim_, config.num_classes));
  init_convolutions(*this);
}

Tensor ResNet::features(const Tensor& x) {
  if (!x.defined() || x.ndim() != 4 || x.size(1) != config_.in_channels) {
    throw std::invalid_argument("[resnet] expects input (N," + std::to_string(config_.in_channels) +
                                ",H,W), got " + (x.defined() ? shape_str(x.shape()) : std::string("undefined")));
  }
  Tensor out = relu(bn1->forward(conv1->forward(x)));
  out = maxpool->forward(out);
  out = layer1->forward(out);
  out = layer2->forward(out);
  out = layer3->forward(out);
  out = layer4->forward(out);
  return flatten(avgpool->forward(out), 1);
}

Tensor ResNet::forward(const Tensor& x) {
  const Tensor f = features(x);
  return fc ? fc->forward(f) : f;
}

std::shared_ptr<ResNet> make_resnet(const ResNetConfig& config) { return std::make_shared<ResNet>(config); }

}  // namespace nanossl::nn
