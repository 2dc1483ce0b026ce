// log_softmax and the fused cross-entropy on the GPU, mirroring cpu/loss.h
// argument for argument. Plain C++: pointers are device pointers of `dtype` (f32 or
// f64; labels i64), so CPU-only op files can call these; cuda/no_cuda.cpp stubs them.
//
// Dimensions: N rows, C classes. x, y, grad_y, dx, logits: (N,C); labels (N);
// stats (N,2); loss and grad_loss: one element, on the device.
#pragma once
#include <cstdint>

#include "base/dtype.h"

namespace nanossl::cuda {

void log_softmax_forward(DType dtype, const void* x, void* y, std::int64_t N, std::int64_t C);
void log_softmax_backward(DType dtype, const void* grad_y, const void* y, void* dx, std::int64_t N,
                          std::int64_t C);
// Labels must already be checked to lie in [0,C).
void cross_entropy_forward(DType dtype, const void* logits, const std::int64_t* labels, void* stats,
                           void* loss, std::int64_t N, std::int64_t C);
void cross_entropy_backward(DType dtype, const void* logits, const std::int64_t* labels,
                            const void* stats, const void* grad_loss, void* dx, std::int64_t N,
                            std::int64_t C);

}  // namespace nanossl::cuda
