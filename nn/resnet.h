// ResNet-10/18/34/50 laid out exactly as torchvision.models.resnet (v1.5: the stride
// of a Bottleneck sits on its 3x3 conv), so state-dict names and shapes match
// torchvision's, with two stems (ImageNet 7x7/2 + max-pool, or CIFAR 3x3/1), a
// base width, 1 or 3 input channels, and an optional classifier.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "nn/layers.h"

namespace nanossl::nn {

enum class ResNetStem {
  imagenet,  // conv1 7x7 stride 2 padding 3, then maxpool 3x3 stride 2 padding 1
  cifar,     // conv1 3x3 stride 1 padding 1, no max-pool
};
// "imagenet" or "cifar"; throws on anything else.
ResNetStem parse_resnet_stem(const std::string& text);
std::string to_string(ResNetStem stem);

struct ResNetConfig {
  int depth = 18;                  // 10, 18, 34 (BasicBlock) or 50 (Bottleneck)
  ResNetStem stem = ResNetStem::imagenet;
  std::int64_t width_multiplier = 64;  // base width: layer1..4 use 1, 2, 4, 8 times it (torchvision: 64)
  std::int64_t in_channels = 3;    // 1 (grey) or 3 (RGB)
  std::int64_t num_classes = 1000; // 0: no fc, forward returns the pooled features
  bool zero_init_residual = false; // zero each block's last BN gamma
};

// Two 3x3 convs; expansion 1. Children conv1, bn1, relu, conv2, bn2[, downsample].
class BasicBlock : public Module {
 public:
  static constexpr std::int64_t expansion = 1;
  BasicBlock(std::int64_t in_planes, std::int64_t planes, std::int64_t stride);
  Tensor forward(const Tensor& x) override;
  BatchNorm2d& last_bn() { return *bn2; }

 private:
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<Sequential> downsample;  // null when the shortcut is the identity
};

// 1x1 reduce, 3x3 (carrying the stride), 1x1 expand; expansion 4. Children conv1,
// bn1, conv2, bn2, conv3, bn3, relu[, downsample].
class Bottleneck : public Module {
 public:
  static constexpr std::int64_t expansion = 4;
  Bottleneck(std::int64_t in_planes, std::int64_t planes, std::int64_t stride);
  Tensor forward(const Tensor& x) override;
  BatchNorm2d& last_bn() { return *bn3; }

 private:
  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<Sequential> downsample;
};

// Children conv1, bn1, relu, maxpool (Identity for the CIFAR stem), layer1..layer4,
// avgpool[, fc].
class ResNet : public Module {
 public:
  explicit ResNet(const ResNetConfig& config);
  // (N, in_channels, H, W) -> (N, feature_dim()): pooled and flattened, before fc.
  Tensor features(const Tensor& x);
  // Logits (N, num_classes), or features() when num_classes == 0.
  Tensor forward(const Tensor& x) override;
  std::int64_t feature_dim() const { return feature_dim_; }
  const ResNetConfig& config() const { return config_; }

 private:
  ResNetConfig config_;
  std::int64_t feature_dim_ = 0;
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Module> maxpool;
  std::shared_ptr<Sequential> layer1, layer2, layer3, layer4;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<Linear> fc;  // null when num_classes == 0
};

// Builds and initialises a ResNet as torchvision does: convs kaiming_normal_
// (fan_out, ReLU gain), BN weight 1 and bias 0, fc PyTorch's Linear default.
std::shared_ptr<ResNet> make_resnet(const ResNetConfig& config);

}  // namespace nanossl::nn
