// 2-D pooling on NCHW tensors: max, average, and global average.
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

// Padding is implicit -inf for max and counted as zeros for avg (count_include_pad).
Tensor max_pool2d(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0);
Tensor avg_pool2d(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0);
// (N,C,H,W) -> (N,C,1,1), as nn.AdaptiveAvgPool2d(1).
Tensor global_avg_pool2d(const Tensor& x);

}  // namespace nanossl
