// BYOL's loss: the mean squared error between L2-normalised predictions and
// targets, which is 2 - 2 cos(p, z) per row. See docs/methods.md.
#pragma once
#include "tensor/tensor.h"

namespace nanossl::ssl {

// predictions, targets (N,D), f32 or f64, one dtype and device: the mean over the N
// rows of ||p/|p| - z/|z|||^2 = 2 - 2 cos(p_n, z_n), a one-element tensor in [0, 4].
// Built from differentiable ops; in BYOL the targets come from the target network
// without a graph, so only the predictions receive a gradient. Throws
// "[normalized_mse] ..." on bad input.
Tensor normalized_mse(const Tensor& predictions, const Tensor& targets);

}  // namespace nanossl::ssl
