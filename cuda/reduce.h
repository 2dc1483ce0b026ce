// One-dimension reductions on the GPU, the same semantics as cpu/reduce.h (the
// reference each kernel cites). Plain C++: pointers are device pointers, x and out
// of `dtype` (f32 or f64), argmax's out of i64; kernels run on the stream of
// cuda/stream.h.
//
// Dimensions: x is (outer, n, inner), reduced over n; out is (outer, inner).
#pragma once
#include <cstdint>

#include "base/dtype.h"

namespace nanossl::cuda {

// out[o,i] = sum_k x[o,k,i] (cpu::sum_dim); accumulated in the element type by a
// tree (warp shuffles, then shared memory, then another pass over block partials).
void sum_dim(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner, const void* x,
             void* out);
// out[o,i] = max_k x[o,k,i], NaN if any is NaN (cpu::max_dim). Requires n >= 1.
void max_dim(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner, const void* x,
             void* out);
// out[o,i] = first index of the maximum (cpu::argmax_dim). Requires n >= 1.
void argmax_dim(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner,
                const void* x, void* out);

}  // namespace nanossl::cuda
