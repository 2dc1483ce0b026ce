// 2-D convolution on NCHW tensors (pooling is autograd/ops/pooling.h).
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

}  // namespace nanossl
