// Batch norm and row-wise L2 normalisation on the GPU, mirroring cpu/norm.h argument
// for argument (same formulas, same statistics in double). Plain C++: pointers are device pointers of `dtype` (f32 or f64), so
// CPU-only op files can call these; cuda/no_cuda.cpp stubs them without CUDA.
//
// Dimensions: N batch, C channels, S spatial positions (1 for (N,C)), D features.
#pragma once
#include <cstdint>

#include "base/dtype.h"

namespace nanossl::cuda {

// cpu::batch_norm_forward_train: x, y (N,C,S); weight, bias (C) or null;
// save_mean, save_invstd (C) out, in double for either dtype; running_mean,
// running_var (C) updated in place, or null.
void batch_norm_forward_train(DType dtype, const void* x, const void* weight, const void* bias,
                              void* y, double* save_mean, double* save_invstd, void* running_mean,
                              void* running_var, std::int64_t N, std::int64_t C, std::int64_t S,
                              double momentum, double eps);
// cpu::batch_norm_forward_eval.
void batch_norm_forward_eval(DType dtype, const void* x, const void* weight, const void* bias,
                             const void* running_mean, const void* running_var, void* y,
                             double* save_mean, double* save_invstd, std::int64_t N, std::int64_t C,
                             std::int64_t S, double eps);
// cpu::batch_norm_backward: dx (N,C,S), dweight, dbias (C); each may be null.
void batch_norm_backward(DType dtype, const void* grad_y, const void* x, const void* weight,
                         const double* save_mean, const double* save_invstd, void* dx,
                         void* dweight, void* dbias, std::int64_t N, std::int64_t C, std::int64_t S,
                         bool training);

// cpu::l2_normalize_forward / _backward: x, y, grad_y, dx (N,D).
void l2_normalize_forward(DType dtype, const void* x, void* y, std::int64_t N, std::int64_t D,
                          double eps);
void l2_normalize_backward(DType dtype, const void* grad_y, const void* x, void* dx, std::int64_t N,
                           std::int64_t D, double eps);

}  // namespace nanossl::cuda
