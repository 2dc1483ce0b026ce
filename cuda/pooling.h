// Pooling on the GPU, the same operations as cpu/pooling.h (which is their reference).
// Plain C++ so op files can include it; pointers are device memory of `dtype` (f32
// or f64) except indices, which are int64 device memory.
#pragma once
#include <cstdint>

#include "base/dtype.h"
#include "cpu/pooling.h"

namespace nanossl::cuda {

void max_pool2d_forward(DType dtype, const void* x, void* out, std::int64_t* indices,
                        const Pool2dGeometry& g);
void max_pool2d_backward(DType dtype, const void* dout, const std::int64_t* indices, void* dx,
                         const Pool2dGeometry& g);
void avg_pool2d_forward(DType dtype, const void* x, void* out, const Pool2dGeometry& g);
void avg_pool2d_backward(DType dtype, const void* dout, void* dx, const Pool2dGeometry& g);
// planes = N*C planes of `size` = H*W elements.
void global_avg_pool2d_forward(DType dtype, const void* x, void* out, std::int64_t planes,
                               std::int64_t size);
void global_avg_pool2d_backward(DType dtype, const void* dout, void* dx, std::int64_t planes,
                                std::int64_t size);

}  // namespace nanossl::cuda
