// 2-D convolution and pooling on NCHW tensors.
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

struct Conv2dOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
};

// x (N,C,H,W), weight (K,C,R,S), bias (K) or undefined -> (N,K,P,Q).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

// Padding is implicit -inf for max and counted as zeros for avg (count_include_pad).
Tensor max_pool2d(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0);
Tensor avg_pool2d(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0);
// (N,C,H,W) -> (N,C,1,1), as nn.AdaptiveAvgPool2d(1).
Tensor global_avg_pool2d(const Tensor& x);

}  // namespace nanossl
