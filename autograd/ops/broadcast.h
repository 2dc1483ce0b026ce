// Broadcast helpers shared by the elementwise and reduction op files (not part of
// the public API in autograd/ops.h): expanding a tensor to a broadcast shape, and
// the equality mask max's backward uses to find tied maxima.
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

// x repeated along the dims where it broadcasts to `shape` (which must be the
// broadcast of x's shape and itself). The adjoint of sum_to_shape; differentiable.
Tensor expand_to(const Tensor& x, const Shape& shape);

// 1 where a == b and 0 elsewhere, broadcasting, in a's dtype. Not differentiable.
Tensor equal_mask(const Tensor& a, const Tensor& b);

}  // namespace nanossl
