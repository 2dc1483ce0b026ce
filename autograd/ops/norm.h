// Normalisation: batch norm over (N,C) or (N,C,H,W), and row-wise L2 normalisation.
#pragma once
#include "tensor/tensor.h"

namespace nanossl {

// training: normalise with batch statistics (biased variance) and update the
// running buffers in place: running = (1-momentum)*running + momentum*batch
// (unbiased variance for running_var), as PyTorch. eval: use running statistics.
// weight/bias (C) may be undefined (no affine); running buffers may be undefined in
// training (no tracking) but are required in eval.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum = 0.1, double eps = 1e-5);

// x (N,D) -> x / max(||x_row||, eps).
Tensor l2_normalize(const Tensor& x, double eps = 1e-12);

}  // namespace nanossl
