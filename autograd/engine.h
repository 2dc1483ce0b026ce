// Reverse-mode backward pass.
//
// Gradients accumulate: backward kernels write into fresh buffers, and this engine
// is the one place that adds them — into a node's pending gradient when several
// consumers feed it, and into a leaf's existing .grad across backward calls.
// After a backward the graph below the root is freed (saved tensors released);
// a second backward through the same graph throws.
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

// `root` must be a one-element tensor unless `grad_output` (same shape) is given.
void backward(const Tensor& root, const Tensor& grad_output = Tensor());

}  // namespace nanossl
