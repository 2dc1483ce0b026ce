// Normalisation kernels on raw pointers, the reference for cuda/norm.cu:
// batch norm (per-channel statistics over the batch and spatial positions, the
// training and eval forwards, the backward) and row-wise L2 normalisation,
// y = x / max(||x||, eps), used by SimCLR's NT-Xent on embeddings.
//
// Batch norm dimensions: N batch, C channels, S spatial positions per channel (H*W
// for (N,C,H,W) inputs, 1 for (N,C)), M = N*S values per channel.
// x, y, grad_y, dx: (N,C,S) contiguous; weight, bias, running_*: (C) of T;
// save_mean, save_invstd: (C) in double whatever T is, so the backward of a float
// channel with a large mean normalises with the exact statistics of its forward.
//
// L2 dimensions: N rows, D features. x, y, grad_y, dx: (N,D) contiguous.
#pragma once
#include <cstdint>

namespace nanossl::cpu {

// Training forward: mean and biased variance of each channel (accumulated in double,
// two passes), y = (x - mean) * invstd * weight + bias with invstd = 1/sqrt(var + eps).
// Writes save_mean and save_invstd (C) for the backward. If running_mean/running_var
// are non-null they are updated in place as PyTorch does:
//   running_mean = (1-momentum)*running_mean + momentum*mean
//   running_var  = (1-momentum)*running_var  + momentum*var*M/(M-1)   (unbiased)
// weight and bias may be null (no affine: weight 1, bias 0). Requires M >= 1;
// with M == 1 the unbiased variance is taken as the biased one (0).
template <class T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* y, double* save_mean,
                              double* save_invstd, T* running_mean, T* running_var, std::int64_t N,
                              std::int64_t C, std::int64_t S, double momentum, double eps);

// Eval forward with the running statistics. Also writes save_mean (a copy of
// running_mean) and save_invstd = 1/sqrt(running_var + eps), so the backward is the
// same function in both modes.
template <class T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, const T* running_mean,
                             const T* running_var, T* y, double* save_mean, double* save_invstd,
                             std::int64_t N, std::int64_t C, std::int64_t S, double eps);

// Backward. With xhat = (x - mean) * invstd:
//   dbias = sum(grad_y), dweight = sum(grad_y * xhat)         (sums over N and S)
//   training: dx = weight*invstd/M * (M*grad_y - dbias - xhat*dweight)
//   eval:     dx = weight*invstd * grad_y   (the statistics are constants)
// Any of dx, dweight, dbias may be null (not needed); weight null means 1.
template <class T>
void batch_norm_backward(const T* grad_y, const T* x, const T* weight, const double* save_mean,
                         const double* save_invstd, T* dx, T* dweight, T* dbias, std::int64_t N,
                         std::int64_t C, std::int64_t S, bool training);

// ---- L2 normalisation ----

// y[i,:] = x[i,:] / max(||x[i,:]||, eps).
template <class T>
void l2_normalize_forward(const T* x, T* y, std::int64_t N, std::int64_t D, double eps);

// With r = ||x_row||: if r > eps, dx = (grad_y - y * <grad_y, y>) / r, where
// y = x / r; otherwise the denominator is the constant eps and dx = grad_y / eps.
template <class T>
void l2_normalize_backward(const T* grad_y, const T* x, T* dx, std::int64_t N, std::int64_t D,
                           double eps);

}  // namespace nanossl::cpu
